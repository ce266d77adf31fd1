//! `nat_uac_test(flags)`: is the sender behind a NAT? Each flag adds a test; true when any
//! of the chosen tests is. OpenSIPS 3.x takes the flags as a comma-separated list of names
//! (the current templates' `nat_uac_test("diff-port-src-via,private-via,...")`); the older
//! numeric form (`nat_uac_test(23)`) is read too:
//!
//! | name | number | test |
//! |---|---|---|
//! | `private-contact` | 1 | the Contact names a private address (RFC 1918, RFC 6598, IPv6 ULA / link-local) |
//! | `diff-ip-src-via` | 2 | the top Via's address is not the source address |
//! | `private-via` | 4 | the top Via names a private address |
//! | `private-sdp` | 8 | the SDP (`c=` lines) names a private address |
//! | `diff-port-src-via` | 16 | the top Via's port (5060 when absent) is not the source port |
//! | `diff-ip-src-contact` | 32 | the Contact's address is not the source address |
//! | `diff-port-src-contact` | 64 | the Contact's port (5060 when absent) is not the source port |
//! | `carrier-grade-nat` | 128 | the private-address tests also take RFC 6333 (192.0.0.0/29) |

use std::net::IpAddr;

use siplua_core::context::Context;
use siplua_sip::headers::{NameAddr, Via};
use siplua_sip::HeaderKind;

use super::flags::FlagNames;
use crate::registrar::nat::is_private;

/// The flag names of OpenSIPS 3.x, with the bit each stands for.
pub const FLAGS: FlagNames = FlagNames {
    function: "nat_uac_test",
    names: &[
        ("private-contact", 1),
        ("diff-ip-src-via", 2),
        ("private-via", 4),
        ("private-sdp", 8),
        ("diff-port-src-via", 16),
        ("diff-ip-src-contact", 32),
        ("diff-port-src-contact", 64),
        ("carrier-grade-nat", 128),
    ],
};

/// Runs the tests `flags` selects.
pub fn nat_uac_test(ctx: &Context, flags: i64) -> bool {
    let (Some(msg), Some(origin)) = (ctx.msg.as_ref(), ctx.origin.as_ref()) else {
        return false;
    };
    let src = origin.src;
    let private = |ip: IpAddr| is_private(ip) || (flags & 128 != 0 && is_rfc6333(ip));
    let via = msg
        .values(HeaderKind::Via)
        .next()
        .and_then(|v| Via::parse(v.text).ok());
    let contact = msg
        .values(HeaderKind::Contact)
        .next()
        .and_then(|v| NameAddr::parse(v.text).ok());
    let contact_ip = contact.as_ref().and_then(|c| ip_of(c.uri().host()));
    let contact_port = contact.as_ref().map(|c| c.uri().port().unwrap_or(5060));
    let via_ip = via.as_ref().and_then(|v| ip_of(v.host()));

    (flags & 1 != 0 && contact_ip.is_some_and(private))
        || (flags & 2 != 0 && via.is_some() && via_ip != Some(src.ip()))
        || (flags & 4 != 0 && via_ip.is_some_and(private))
        || (flags & 8 != 0 && super::sdp::connection_ips(msg.body()).any(private))
        || (flags & 16 != 0
            && via
                .as_ref()
                .is_some_and(|v| v.port().unwrap_or(5060) != src.port()))
        || (flags & 32 != 0 && contact.is_some() && contact_ip != Some(src.ip()))
        || (flags & 64 != 0 && contact_port.is_some_and(|p| p != src.port()))
}

/// The DS-Lite range of RFC 6333 (192.0.0.0/29), private only with `carrier-grade-nat`.
fn is_rfc6333(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.octets()[..3] == [192, 0, 0] && v4.octets()[3] < 8)
}

/// The IP a host names (`[v6]` brackets allowed), or `None` for a domain name.
pub fn ip_of(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_list_is_the_old_23() {
        assert_eq!(
            FLAGS.parse("diff-port-src-via,private-via,diff-ip-src-via,private-contact"),
            Ok(23)
        );
    }

    #[test]
    fn rfc6333_range() {
        assert!(is_rfc6333("192.0.0.7".parse().unwrap()));
        assert!(!is_rfc6333("192.0.0.8".parse().unwrap()));
        assert!(!is_rfc6333("192.0.2.1".parse().unwrap()));
    }
}
