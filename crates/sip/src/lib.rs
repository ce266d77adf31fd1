//! SIP messages for siplua: zero-copy parsing, lazily typed headers, URIs,
//! edits, replies built from requests, and stream framing.
//!
//! # The model
//!
//! **Buffer + spans.** [`Message::parse`] takes the received datagram as a
//! [`bytes::Bytes`] and keeps it. The message records *where* things are —
//! start-line parts, each header's name, value and line, the body — as
//! [`Span`]s (`u32` offsets). Nothing is copied, a typical request parses
//! with no heap allocation (the header index is a `SmallVec` with
//! [`INLINE_HEADERS`] inline slots), and the `Message` has no lifetime: it
//! can be stored in a transaction table and sent to another thread.
//!
//! Parsing checks only what every element needs: the start line (strictly),
//! header lines (names, folding, CRLF or bare LF), UTF-8 in the head, and
//! Content-Length to frame the body. A request with a good start line but
//! broken headers can still be answered: see [`partial::PartialMessage`].
//!
//! **Lazy views.** Header values are interpreted only when asked:
//! [`Message::vias`], [`Message::from`], [`Message::cseq`] and the others in
//! [`headers`] re-parse the value text on each call (one short pass, no
//! allocation) and return borrowed views. A malformed header a proxy never
//! reads never costs anything and never makes it drop a request.
//! [`validate::check_request`] runs the checks a server makes before routing.
//!
//! **Edits, not re-serialization.** A proxy changes a message through an
//! [`edit::Edits`] list (add/remove/replace headers, rewrite the
//! Request-URI, push a Via or Record-Route, pop the top Via, replace the
//! body). [`edit::Edits::apply`] copies the original bytes with the edits
//! spliced in, in one pass: every byte nobody edited is forwarded as received.
//!
//! **Replies and framing.** [`reply::ReplyBuilder`] writes a response to a
//! request (RFC 3261 §8.2.6); [`framing::next_frame`] cuts a TCP byte stream
//! into messages.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod chars;
mod cursor;
mod list;
mod memo;
mod scan;
mod start_line;
mod views;

pub mod digits;
pub mod edit;
pub mod error;
pub mod escape;
pub mod framing;
pub mod header_kind;
pub mod headers;
pub mod message;
pub mod method;
pub mod params;
pub mod partial;
pub mod reply;
pub mod span;
pub mod text;
pub mod uri;
pub mod uri_eq;
pub mod validate;
pub mod via_stamp;

pub use error::{HeaderError, HeaderProblem, ParseError, ParseErrorKind, SyntaxError};
pub use header_kind::HeaderKind;
pub use list::first_list_value;
pub use message::{Header, HeaderValue, Message, INLINE_HEADERS};
pub use method::Method;
pub use span::Span;
pub use uri::{Scheme, Uri};
pub use uri_eq::uri_eq;
