//! The send tap: one observer of every message the server sends, for SIP capture
//! (`tracer` sending copies to a Homer collector). Transports know nothing of what the
//! observer does; they only report what left and by which addresses.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::socket_info::Proto;

/// One message that was just sent.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    /// Protocol it went over.
    pub proto: Proto,
    /// The local address it left from (for a stream: the listening socket of its connection).
    pub local: SocketAddr,
    /// The peer it went to.
    pub peer: SocketAddr,
    /// The bytes of the SIP message.
    pub data: &'a [u8],
}

/// The observer: called on the sending thread after each successful send, so it must be quick.
pub type SendTap = Arc<dyn Fn(&Sent) + Send + Sync>;
