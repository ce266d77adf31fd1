//! The algorithms a pipe can use, by the names `rl_check` and `default_algorithm` take.

/// How a pipe decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Counter per `timer_interval`; everything past the limit is refused.
    Taildrop,
    /// Random early detection: after an interval at N times the limit, lets one request in
    /// N through.
    Red,
    /// Slot based taildrop: a sliding window of `window_size` seconds in `slot_period` slots.
    Sbt,
    /// Refuses while the bytes waiting in siplua's sockets exceed the limit.
    Network,
    /// Refuses a share of requests that follows the CPU load towards the limit (percent).
    Feedback,
}

impl Algorithm {
    /// Parses an OpenSIPS algorithm name (any case).
    pub fn parse(name: &str) -> Option<Algorithm> {
        Some(match name.trim().to_ascii_uppercase().as_str() {
            "TAILDROP" => Algorithm::Taildrop,
            "RED" => Algorithm::Red,
            "SBT" => Algorithm::Sbt,
            "NETWORK" => Algorithm::Network,
            "FEEDBACK" => Algorithm::Feedback,
            _ => return None,
        })
    }

    /// The OpenSIPS name, for `rl_list`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Taildrop => "TAILDROP",
            Algorithm::Red => "RED",
            Algorithm::Sbt => "SBT",
            Algorithm::Network => "NETWORK",
            Algorithm::Feedback => "FEEDBACK",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in [
            Algorithm::Taildrop,
            Algorithm::Red,
            Algorithm::Sbt,
            Algorithm::Network,
            Algorithm::Feedback,
        ] {
            assert_eq!(Algorithm::parse(a.name()), Some(a));
        }
        assert_eq!(Algorithm::parse(" red "), Some(Algorithm::Red));
        assert_eq!(Algorithm::parse("LEAKY"), None);
    }
}
