//! The embedded default configuration: what `siplua` runs with no `-f`, also shipped as
//! `etc/opensips.cfg` so users can start from it.

use siplua_core::engine::Core;
use siplua_core::load::{self, Overrides};

/// The default script (the same text as `etc/opensips.cfg`).
pub const DEFAULT_CFG: &str = include_str!("../../../etc/opensips.cfg");

/// Loads the embedded default.
pub fn load(overrides: &Overrides) -> Result<Core, Vec<String>> {
    load::load_str(
        "etc/opensips.cfg (embedded)",
        DEFAULT_CFG,
        &crate::catalogue::all(),
        overrides,
    )
}
