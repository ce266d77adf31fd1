//! `trace()`'s scope and type arguments.

/// What a `trace()` call follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// "m": the message (and the replies siplua sends to it while its script runs).
    Message,
    /// "t": the transaction.
    Transaction,
    /// "d": the dialog (every message with the Call-ID until it ends).
    Dialog,
}

/// Parses a scope letter (either case).
pub fn parse_scope(s: &str) -> Result<Scope, String> {
    match s.trim() {
        "m" | "M" => Ok(Scope::Message),
        "t" | "T" => Ok(Scope::Transaction),
        "d" | "D" => Ok(Scope::Dialog),
        "b" | "B" => {
            Err("scope 'b' (B2B sessions) is not supported: siplua has no b2b_logic".into())
        }
        other => Err(format!("unknown trace scope '{other}' (m, t, d)")),
    }
}

/// Parses the `|`-separated type list; true when SIP messages are to be traced. `xlog` and
/// `rest` are accepted (siplua sends no such captures).
pub fn parse_types(s: &str) -> Result<bool, String> {
    let mut sip = false;
    for t in s.split('|').map(str::trim).filter(|t| !t.is_empty()) {
        match t.to_ascii_lowercase().as_str() {
            "sip" => sip = true,
            "xlog" | "rest" => {}
            other => return Err(format!("unknown trace type '{other}' (sip, xlog, rest)")),
        }
    }
    Ok(sip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_types() {
        assert_eq!(parse_scope("T").unwrap(), Scope::Transaction);
        assert_eq!(parse_scope("d").unwrap(), Scope::Dialog);
        assert!(parse_scope("b").is_err());
        assert!(parse_scope("x").is_err());
        assert!(parse_types("sip|xlog").unwrap());
        assert!(!parse_types("xlog|rest").unwrap());
        assert!(parse_types("sip|smoke").is_err());
    }
}
