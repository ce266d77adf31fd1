//! Event packages: presence knows no event by itself; the modules loaded with it
//! (`presence_xml`) register theirs through [`PresenceApi`], as OpenSIPS' `add_event` does.

use std::sync::Arc;

use parking_lot::RwLock;

/// Checks a published body (Err: why it is refused, answered with 400).
pub type Validate = fn(&str) -> Result<(), String>;

/// Builds the NOTIFY body of a presentity from its current publications (oldest first);
/// `None` for no body.
pub type Aggregate = fn(&str, &[&str]) -> Option<String>;

/// Builds the body notified for a presentity without publications when
/// `notify_offline_body` is set.
pub type Offline = fn(&str) -> String;

/// One event package.
pub struct EventPackage {
    /// The Event header token (`presence`).
    pub name: &'static str,
    /// The type of its bodies (`application/pidf+xml`).
    pub content_type: &'static str,
    /// Expires granted when a request has no Expires header.
    pub default_expires: u32,
    /// New subscriptions start active (else pending, as without authorization rules).
    pub auto_active: bool,
    /// Checks a published body.
    pub validate: Validate,
    /// Merges the publications into the notified body.
    pub aggregate: Aggregate,
    /// The body of an offline presentity.
    pub offline: Offline,
}

/// The registered packages, shared by presence and the modules adding packages.
#[derive(Default)]
pub struct Events {
    list: RwLock<Vec<Arc<EventPackage>>>,
}

impl Events {
    /// The package named `name` (case-insensitive), if registered.
    pub fn find(&self, name: &str) -> Option<Arc<EventPackage>> {
        self.list
            .read()
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
            .cloned()
    }

    /// The `Allow-Events` header line of a 489 (none while no package is registered).
    pub fn allow_header(&self) -> String {
        let list = self.list.read();
        let names: Vec<&str> = list.iter().map(|e| e.name).collect();
        if names.is_empty() {
            String::new()
        } else {
            format!("Allow-Events: {}\r\n", names.join(", "))
        }
    }
}

/// What presence publishes for the modules that add event packages.
pub struct PresenceApi {
    events: Arc<Events>,
}

impl PresenceApi {
    /// The API over the shared package list.
    pub fn new(events: Arc<Events>) -> PresenceApi {
        PresenceApi { events }
    }

    /// Registers a package; Err when one of that name exists.
    pub fn add_event(&self, package: EventPackage) -> Result<(), String> {
        if self.events.find(package.name).is_some() {
            return Err(format!("event {} is already registered", package.name));
        }
        self.events.list.write().push(Arc::new(package));
        Ok(())
    }
}
