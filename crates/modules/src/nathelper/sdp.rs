//! `fix_nated_sdp(flags[, ip])` and the SDP address scan of `nat_uac_test(8)`.
//!
//! Flags (OpenSIPS 3.x): 1 adds `a=direction:active` to each media, 2 rewrites the `c=`
//! addresses, 8 rewrites the `o=` address — to `ip` or the source address. 4 (add
//! `nortpproxy_str`) is accepted and does nothing: no RTP relay is engaged by siplua.

use std::net::IpAddr;

use siplua_core::context::Context;

use super::test::ip_of;

/// The addresses of every `c=IN IP4|IP6 addr` line of an SDP body.
pub fn connection_ips(body: &[u8]) -> impl Iterator<Item = IpAddr> + '_ {
    std::str::from_utf8(body)
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("c="))
        .filter_map(|rest| rest.split_whitespace().nth(2))
        .filter_map(|a| ip_of(a.split('/').next().unwrap_or(a)))
}

/// Rewrites the last field (the address) of a `c=` or `o=` line.
fn with_address(line: &str, ip: &str, family: &str) -> String {
    let mut fields: Vec<&str> = line.split(' ').collect();
    let n = fields.len();
    if n >= 3 {
        fields[n - 2] = family;
        fields[n - 1] = ip;
    }
    fields.join(" ")
}

/// The script function: 1 when the body was rewritten, -1 without an SDP body.
pub fn fix_nated_sdp(ctx: &mut Context, flags: i64, ip: Option<&str>) -> i32 {
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    let Ok(body) = std::str::from_utf8(msg.body()) else {
        return -1;
    };
    if !body.lines().any(|l| l.starts_with("v=")) {
        return -1;
    }
    let ip = match ip.map(str::trim).filter(|s| !s.is_empty()) {
        Some(ip) => ip.to_owned(),
        None => match ctx.origin {
            Some(o) => o.src.ip().to_string(),
            None => return -1,
        },
    };
    let family = if ip.contains(':') { "IP6" } else { "IP4" };
    let mut out = String::with_capacity(body.len() + 32);
    for line in body.split_inclusive('\n') {
        let text = line.trim_end_matches(['\r', '\n']);
        let eol = &line[text.len()..];
        let rewrite = (flags & 2 != 0 && text.starts_with("c="))
            || (flags & 8 != 0 && text.starts_with("o="));
        if rewrite {
            out.push_str(&with_address(text, &ip, family));
        } else {
            out.push_str(text);
        }
        out.push_str(eol);
        if flags & 1 != 0 && text.starts_with("m=") {
            out.push_str("a=direction:active");
            out.push_str(if eol.is_empty() { "\r\n" } else { eol });
        }
    }
    match ctx.edits.replace_body(msg, out.as_bytes(), None) {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_connection_addresses() {
        let sdp = b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\nc=IN IP4 192.168.1.2\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 8.8.8.8/127\r\n";
        let ips: Vec<_> = connection_ips(sdp).collect();
        assert_eq!(
            ips,
            vec![
                "192.168.1.2".parse::<IpAddr>().unwrap(),
                "8.8.8.8".parse().unwrap()
            ]
        );
    }

    #[test]
    fn rewrites_the_address_field() {
        assert_eq!(
            with_address("c=IN IP4 192.168.1.2", "1.2.3.4", "IP4"),
            "c=IN IP4 1.2.3.4"
        );
        assert_eq!(
            with_address("o=- 1 1 IN IP4 10.0.0.1", "::1", "IP6"),
            "o=- 1 1 IN IP6 ::1"
        );
    }
}
