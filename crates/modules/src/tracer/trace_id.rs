//! The `trace_id` parameter: `[name]uri=hep:HEP_ID` (a `proto_hep` destination) or
//! `[name]uri=sip:host[:port]` (the plain message duplicated over UDP); several with the
//! same name trace to all of them. Database, file and syslog destinations are refused with
//! the reason, not silently dropped.

use std::net::SocketAddr;

use crate::proto_hep::resolve_destination;

/// Where one destination of a trace id sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceUri {
    /// A `proto_hep` `hep_id`, by name.
    Hep(String),
    /// A SIP address the message is copied to as is, over UDP.
    Sip(SocketAddr),
}

/// Parses one `trace_id` value into its name and destination.
pub fn parse(value: &str) -> Result<(String, TraceUri), String> {
    let v = value.trim();
    let (name, rest) = v
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .ok_or_else(|| format!("trace_id '{v}': expected '[name]uri=...'"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("trace_id '{v}': empty name"));
    }
    let mut uri = None;
    for part in rest.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, val) = part
            .split_once('=')
            .ok_or_else(|| format!("trace_id '{v}': '{part}' is not key=value"))?;
        match k.trim() {
            "uri" => uri = Some(val.trim()),
            "table" => {}
            other => {
                return Err(format!(
                    "trace_id '{v}': unknown key '{other}' (uri, table)"
                ))
            }
        }
    }
    let uri = uri.ok_or_else(|| format!("trace_id '{v}': no uri="))?;
    Ok((
        name.to_string(),
        parse_uri(uri).map_err(|e| format!("trace_id '{v}': {e}"))?,
    ))
}

/// One destination URI.
pub fn parse_uri(uri: &str) -> Result<TraceUri, String> {
    let (scheme, rest) = uri
        .split_once(':')
        .ok_or_else(|| format!("'{uri}' has no scheme (hep:, sip:)"))?;
    match scheme.to_ascii_lowercase().as_str() {
        "hep" if !rest.is_empty() => Ok(TraceUri::Hep(rest.to_string())),
        "hep" => Err("hep: without a hep_id name".into()),
        "sip" => sip_addr(rest).map(TraceUri::Sip),
        "mysql" | "postgres" | "sqlite" | "text" | "unixodbc" | "oracle" => Err(format!(
            "tracing to a database ({scheme}) is not supported by siplua; use uri=hep:HEP_ID"
        )),
        "file" | "syslog" => Err(format!(
            "tracing to {scheme} is not supported by siplua; use uri=hep:HEP_ID"
        )),
        other => Err(format!(
            "unknown trace destination scheme '{other}' (hep, sip)"
        )),
    }
}

/// `host[:port]` of a `sip:` trace destination (the user part and parameters ignored).
fn sip_addr(rest: &str) -> Result<SocketAddr, String> {
    let hostport = rest.rsplit('@').next().unwrap_or(rest);
    let hostport = hostport.split(';').next().unwrap_or(hostport).trim();
    resolve_destination(hostport, 5060)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hep_and_sip() {
        assert_eq!(
            parse("[tid]uri=hep:hep_dst").unwrap(),
            ("tid".into(), TraceUri::Hep("hep_dst".into()))
        );
        assert_eq!(
            parse(" [t2] uri=sip:10.0.0.1:5888;").unwrap(),
            ("t2".into(), TraceUri::Sip("10.0.0.1:5888".parse().unwrap()))
        );
        assert_eq!(
            parse_uri("sip:10.0.0.1").unwrap(),
            TraceUri::Sip("10.0.0.1:5060".parse().unwrap())
        );
    }

    #[test]
    fn refused() {
        for bad in [
            "uri=hep:x",
            "[]uri=hep:x",
            "[t]",
            "[t]uri=hep:",
            "[t]uri=mysql://u:p@localhost/opensips;table=sip_trace",
            "[t]uri=file:/tmp/x",
            "[t]uri=syslog:local0",
            "[t]uri=gopher:x",
            "[t]colour=red",
            "[t]uri=sip:10.0.0.1:99999",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
