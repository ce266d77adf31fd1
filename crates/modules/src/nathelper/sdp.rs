//! `fix_nated_sdp(flags[, ip[, sdp_fields]])` and the SDP address scan of `nat_uac_test(8)`.
//!
//! Flags (OpenSIPS 3.x names, or the old bits): `add-dir-active` (1) adds
//! `a=direction:active` to each media; `rewrite-media-ip` (2) rewrites the `c=` addresses
//! and `rewrite-origin-ip` (8) the `o=` address — to `ip` or the source address — leaving a
//! null address (0.0.0.0, ::, a held call) alone unless `rewrite-null-ips` (16) is given;
//! `add-no-rtpproxy` (4) adds the `nortpproxy_str` line (once). `sdp_fields` is appended.

use std::net::IpAddr;

use siplua_core::context::Context;

use super::flags::FlagNames;
use super::test::ip_of;

/// The flag names of OpenSIPS 3.x, with the bit each stands for.
pub const FLAGS: FlagNames = FlagNames {
    function: "fix_nated_sdp",
    names: &[
        ("add-dir-active", 1),
        ("rewrite-media-ip", 2),
        ("add-no-rtpproxy", 4),
        ("rewrite-origin-ip", 8),
        ("rewrite-null-ips", 16),
    ],
};

/// OpenSIPS' default `nortpproxy_str`.
pub const DEFAULT_NORTPPROXY: &str = "a=nortpproxy:yes";

/// What `fix_nated_sdp` may add besides rewriting addresses.
pub struct Extra<'a> {
    /// The line flag 4 adds (`nortpproxy_str`; empty: none).
    pub nortpproxy: &'a str,
    /// The `sdp_fields` argument, appended as it is (each field starts with CRLF).
    pub fields: &'a str,
}

/// The addresses of every `c=IN IP4|IP6 addr` line of an SDP body.
pub fn connection_ips(body: &[u8]) -> impl Iterator<Item = IpAddr> + '_ {
    std::str::from_utf8(body)
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("c="))
        .filter_map(|rest| rest.split_whitespace().nth(2))
        .filter_map(|a| ip_of(a.split('/').next().unwrap_or(a)))
}

/// Rewrites the last field (the address) of a `c=` or `o=` line; a null address only when
/// `null_too`.
fn with_address(line: &str, ip: &str, family: &str, null_too: bool) -> String {
    let mut fields: Vec<&str> = line.split(' ').collect();
    let n = fields.len();
    let is_null = n >= 3 && matches!(fields[n - 1], "0.0.0.0" | "::");
    if n >= 3 && (null_too || !is_null) {
        fields[n - 2] = family;
        fields[n - 1] = ip;
    }
    fields.join(" ")
}

/// The script function: 1 when the body was rewritten, -1 without an SDP body.
pub fn fix_nated_sdp(ctx: &mut Context, flags: i64, ip: Option<&str>, extra: &Extra) -> i32 {
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    // The body as earlier functions of the route left it.
    let current = ctx.edits.body(msg).to_vec();
    let Ok(body) = std::str::from_utf8(&current) else {
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
            out.push_str(&with_address(text, &ip, family, flags & 16 != 0));
        } else {
            out.push_str(text);
        }
        out.push_str(eol);
        if flags & 1 != 0 && text.starts_with("m=") {
            out.push_str("a=direction:active");
            out.push_str(if eol.is_empty() { "\r\n" } else { eol });
        }
    }
    let marker = extra.nortpproxy;
    let add_marker = flags & 4 != 0 && !marker.is_empty() && !body.lines().any(|l| l == marker);
    if add_marker || !extra.fields.is_empty() {
        // Added before the body's final line break, so the body still ends with one.
        let eol_len = out.len() - out.trim_end_matches(['\r', '\n']).len();
        let eol = out.split_off(out.len() - eol_len);
        if add_marker {
            out.push_str("\r\n");
            out.push_str(marker);
        }
        out.push_str(extra.fields);
        out.push_str(if eol.is_empty() { "\r\n" } else { &eol });
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
            with_address("c=IN IP4 192.168.1.2", "1.2.3.4", "IP4", false),
            "c=IN IP4 1.2.3.4"
        );
        assert_eq!(
            with_address("o=- 1 1 IN IP4 10.0.0.1", "::1", "IP6", false),
            "o=- 1 1 IN IP6 ::1"
        );
        assert_eq!(
            with_address("c=IN IP4 0.0.0.0", "1.2.3.4", "IP4", false),
            "c=IN IP4 0.0.0.0"
        );
        assert_eq!(
            with_address("c=IN IP4 0.0.0.0", "1.2.3.4", "IP4", true),
            "c=IN IP4 1.2.3.4"
        );
    }
}
