//! `nat_uac_test(flags)`: is the sender behind a NAT? Each flag adds a test; true when any
//! of the chosen tests is (OpenSIPS 3.x numbering):
//!
//! | flag | test |
//! |---|---|
//! | 1 | the Contact names a private address (RFC 1918, RFC 6598, IPv6 ULA / link-local) |
//! | 2 | the top Via's address is not the source address |
//! | 4 | the top Via names a private address |
//! | 8 | the SDP (`c=` lines) names a private address |
//! | 16 | the top Via's port (5060 when absent) is not the source port |
//! | 32 | the Contact's address is not the source address |
//! | 64 | the Contact's port (5060 when absent) is not the source port |

use std::net::IpAddr;

use siplua_core::context::Context;
use siplua_sip::headers::{NameAddr, Via};
use siplua_sip::HeaderKind;

use crate::registrar::nat::is_private;

/// Runs the tests `flags` selects.
pub fn nat_uac_test(ctx: &Context, flags: i64) -> bool {
    let (Some(msg), Some(origin)) = (ctx.msg.as_ref(), ctx.origin.as_ref()) else {
        return false;
    };
    let src = origin.src;
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

    (flags & 1 != 0 && contact_ip.is_some_and(is_private))
        || (flags & 2 != 0 && via.is_some() && via_ip != Some(src.ip()))
        || (flags & 4 != 0 && via_ip.is_some_and(is_private))
        || (flags & 8 != 0 && super::sdp::connection_ips(msg.body()).any(is_private))
        || (flags & 16 != 0
            && via
                .as_ref()
                .is_some_and(|v| v.port().unwrap_or(5060) != src.port()))
        || (flags & 32 != 0 && contact.is_some() && contact_ip != Some(src.ip()))
        || (flags & 64 != 0 && contact_port.is_some_and(|p| p != src.port()))
}

/// The IP a host names (`[v6]` brackets allowed), or `None` for a domain name.
pub fn ip_of(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}
