//! Typed views of header values, parsed lazily from the raw text.
//!
//! Each view borrows the message text and is rebuilt on every call (one pass
//! over a short value, no allocation): nothing is cached in the message, so
//! a `Message` stays small, immutable and `Sync`. Callers that need a view
//! several times keep it in a local. The `Message` accessors that produce
//! these views live in `views.rs`.

pub mod auth;
pub mod content_type;
pub mod cseq;
pub mod date;
pub mod name_addr;
pub mod via;

pub use auth::{Auth, AuthParam};
pub use content_type::ContentType;
pub use cseq::CSeq;
pub use date::SipDate;
pub use name_addr::{Contact, NameAddr};
pub use via::Via;
