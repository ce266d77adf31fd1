//! What the two RTP proxy modules share: the control sockets read from their `*_sock`
//! parameter into sets (`rtpproxy_sock`, `rtpengine_sock` have one format), the choice of a
//! proxy per call, and the cookie-tagged UDP exchange both control protocols use.

pub mod control;
pub mod proxies;
