//! `-l` values: the same socket syntax as the configuration's `socket=` lines.

use siplua_script::{GlobalValue, SocketSpec};

/// Parses `proto:host:port`, `host:port` or `host` by running it through the script parser as
/// a `socket=` line, so both spell sockets identically.
pub fn parse(text: &str) -> Result<SocketSpec, String> {
    let cfg = format!("socket={text}\n");
    let (script, _) = siplua_script::parse_str("-l", &cfg).map_err(|diags| {
        diags
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    match script.globals.first().map(|g| &g.value) {
        Some(GlobalValue::Socket(s)) => Ok(s.clone()),
        _ => Err("expected a socket like udp:127.0.0.1:5060".into()),
    }
}
