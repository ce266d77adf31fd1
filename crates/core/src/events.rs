//! The event interface: events raised by the script (`raise_event`) reach whatever consumes
//! events — in siplua the `event_route` module, which runs the script's
//! `event_route[E_NAME]` — with their parameters, read there as `$param(name)`.
//!
//! The core only carries events: it knows no consumer by name. A consuming module publishes
//! an [`EventSinkHandle`] in the [`Apis`](crate::module::Apis) at `init`; without one, a
//! raised event has no subscriber and is dropped, as OpenSIPS drops an event nobody
//! subscribed to.

use crate::engine::Core;
use crate::value::Value;

/// The parameters of one raised event, in the order they were given; a parameter raised
/// without a name (`raise_event` with values only) is reached by position (`$param(1)`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventParams(pub Vec<(Option<String>, Value)>);

impl EventParams {
    /// The value of parameter `name`, or of the `n`-th (from 1) when `name` is a number that
    /// names none.
    pub fn get(&self, name: &str) -> Option<&Value> {
        if let Some((_, v)) = self.0.iter().find(|(n, _)| n.as_deref() == Some(name)) {
            return Some(v);
        }
        let n: usize = name.trim().parse().ok()?;
        self.0.get(n.checked_sub(1)?).map(|(_, v)| v)
    }
}

/// A consumer of raised events.
pub trait EventSink: Send + Sync {
    /// True when something consumes `event` (OpenSIPS: the event has a subscriber).
    fn subscribed(&self, core: &Core, event: &str) -> bool;

    /// Hands one event over; the work happens later, elsewhere (OpenSIPS runs event
    /// routes asynchronously, in another process), so the raiser does not wait.
    fn deliver(&self, core: &Core, event: &str, params: EventParams);
}

/// What a consuming module publishes (an [`Apis`](crate::module::Apis) entry needs a sized
/// type).
pub struct EventSinkHandle(pub Box<dyn EventSink>);

/// Raises `event`: delivered when a consumer subscribed to it, silently dropped otherwise.
/// True when delivered.
pub fn raise(core: &Core, event: &str, params: EventParams) -> bool {
    match core.apis.get::<EventSinkHandle>() {
        Some(sink) if sink.0.subscribed(core, event) => {
            sink.0.deliver(core, event, params);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_by_name_or_position() {
        let p = EventParams(vec![
            (Some("ip".into()), Value::Str("10.0.0.1".into())),
            (None, Value::Int(7)),
        ]);
        assert_eq!(p.get("ip"), Some(&Value::Str("10.0.0.1".into())));
        assert_eq!(p.get("2"), Some(&Value::Int(7)));
        assert_eq!(p.get("1"), Some(&Value::Str("10.0.0.1".into())));
        assert_eq!(p.get("0"), None);
        assert_eq!(p.get("port"), None);
    }
}
