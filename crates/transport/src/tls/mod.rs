//! TLS (`proto_tls`) with rustls: TLS 1.2 and 1.3 over the TCP connection machinery.
//!
//! A TLS connection is a TCP [`crate::tcp::connection::Connection`] carrying a
//! [`session::TlsSession`]: it lives in the same table (so reuse and aliases work as for TCP),
//! is read by its own reader thread and its messages go to the TCP workers. Accepted
//! connections do their handshake in their reader thread (a bad or silent client never holds
//! up the acceptor); outbound connections do it in the sending worker, so a refused
//! certificate is a send error the caller sees at once.

pub(crate) mod context;
pub(crate) mod options;
pub(crate) mod session;
pub(crate) mod verify;
