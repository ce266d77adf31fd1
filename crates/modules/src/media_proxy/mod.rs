//! What the two RTP proxy modules share: the control sockets read from their `*_sock`
//! parameter into sets (`rtpproxy_sock`, `rtpengine_sock` have one format), the choice of a
//! proxy per call, the cookie-tagged UDP exchange both control protocols use, and the pool
//! that ties them together.

pub mod control;
pub mod pool;
pub mod proxies;

use siplua_core::route_type::{RouteMask, RouteType};

/// Where the SDP functions of both modules may be called: the message with the SDP is a
/// request, a reply, or the request again in a failure or branch route.
pub const SDP_ROUTES: RouteMask = RouteMask::of(&[
    RouteType::Request,
    RouteType::OnReply,
    RouteType::Failure,
    RouteType::Branch,
]);

/// Whether the message's body is multipart (`Content-Type: multipart/...`): the modules
/// rewrite a plain SDP body only.
pub fn is_multipart(msg: &siplua_sip::Message) -> bool {
    msg.get(siplua_sip::HeaderKind::ContentType)
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        })
}
