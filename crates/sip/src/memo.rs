//! The typed views every message needs — top Via, From, To, CSeq — parsed once per message.
//!
//! Validation parses them, then the reply builder, the transaction layer and record-routing
//! ask for them again. A [`Memo`] keeps the outcome of the first parse as offsets into the
//! message head (a `Message` owns its buffer and has no lifetime, so it cannot hold borrowed
//! views), and later calls rebuild the view from the offsets without parsing again. The
//! rebuilt view is equal to a fresh parse; errors are kept as they were found. The worker
//! fills it once, before validation ([`Message::remember_views`]); a message nobody filled
//! parses on every call, as before.

use crate::error::HeaderError;
use crate::headers::{CSeq, NameAddr, Via};
use crate::message::Message;
use crate::params::Params;
use crate::span::Span;
use crate::uri::{Scheme, Uri};

/// Where `part` lies in `base`. Every non-empty part of a view is a slice of the head it was
/// parsed from; an empty one may be a literal `""` anywhere, and its span, whatever it is,
/// rebuilds as `""` (see [`at`]). Heads are shorter than 4 GiB, so offsets fit `u32`.
fn locate(base: &str, part: &str) -> Span {
    let start = (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize);
    Span {
        start: start as u32,
        end: start.wrapping_add(part.len()) as u32,
    }
}

/// The text of `span` in `base`; `""` for an empty or out-of-range span.
fn at(base: &str, span: Span) -> &str {
    base.get(span.range()).unwrap_or("")
}

/// A view that can be stored as offsets into the message head and rebuilt from them.
pub(crate) trait Located<'a>: Sized {
    /// The offsets form.
    type At: Copy;
    /// The view as offsets into `base`, the text it borrows from.
    fn locate(&self, base: &str) -> Self::At;
    /// The view again, from its offsets and the same `base`.
    fn rebuild(at: &Self::At, base: &'a str) -> Self;
}

/// A [`Uri`] as offsets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UriAt {
    raw: Span,
    scheme: Scheme,
    scheme_str: Span,
    rest: Span,
    user: Option<Span>,
    password: Option<Span>,
    host: Span,
    port: Option<u16>,
    params: Span,
    headers: Option<Span>,
}

impl<'a> Located<'a> for Uri<'a> {
    type At = UriAt;
    fn locate(&self, base: &str) -> UriAt {
        let l = |s: &str| locate(base, s);
        UriAt {
            raw: l(self.raw),
            scheme: self.scheme,
            scheme_str: l(self.scheme_str),
            rest: l(self.rest),
            user: self.user.map(l),
            password: self.password.map(l),
            host: l(self.host),
            port: self.port,
            params: l(self.params.as_str()),
            headers: self.headers.map(l),
        }
    }
    fn rebuild(a: &UriAt, base: &'a str) -> Uri<'a> {
        let g = |s: Span| at(base, s);
        Uri {
            raw: g(a.raw),
            scheme: a.scheme,
            scheme_str: g(a.scheme_str),
            rest: g(a.rest),
            user: a.user.map(g),
            password: a.password.map(g),
            host: g(a.host),
            port: a.port,
            params: Params::new(g(a.params)),
            headers: a.headers.map(g),
        }
    }
}

/// A [`NameAddr`] as offsets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NameAddrAt {
    display: Option<Span>,
    uri: UriAt,
    bracketed: bool,
    params: Span,
}

impl<'a> Located<'a> for NameAddr<'a> {
    type At = NameAddrAt;
    fn locate(&self, base: &str) -> NameAddrAt {
        NameAddrAt {
            display: self.display.map(|d| locate(base, d)),
            uri: self.uri.locate(base),
            bracketed: self.bracketed,
            params: locate(base, self.params.as_str()),
        }
    }
    fn rebuild(a: &NameAddrAt, base: &'a str) -> NameAddr<'a> {
        NameAddr {
            display: a.display.map(|d| at(base, d)),
            uri: Uri::rebuild(&a.uri, base),
            bracketed: a.bracketed,
            params: Params::new(at(base, a.params)),
        }
    }
}

/// A [`Via`] as offsets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ViaAt {
    protocol: Span,
    version: Span,
    transport: Span,
    host: Span,
    port: Option<u16>,
    params: Span,
}

impl<'a> Located<'a> for Via<'a> {
    type At = ViaAt;
    fn locate(&self, base: &str) -> ViaAt {
        let l = |s: &str| locate(base, s);
        ViaAt {
            protocol: l(self.protocol),
            version: l(self.version),
            transport: l(self.transport),
            host: l(self.host),
            port: self.port,
            params: l(self.params.as_str()),
        }
    }
    fn rebuild(a: &ViaAt, base: &'a str) -> Via<'a> {
        let g = |s: Span| at(base, s);
        Via {
            protocol: g(a.protocol),
            version: g(a.version),
            transport: g(a.transport),
            host: g(a.host),
            port: a.port,
            params: Params::new(g(a.params)),
        }
    }
}

/// A [`CSeq`] as offsets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CSeqAt {
    number: u32,
    method: Span,
}

impl<'a> Located<'a> for CSeq<'a> {
    type At = CSeqAt;
    fn locate(&self, base: &str) -> CSeqAt {
        CSeqAt {
            number: self.number,
            method: locate(base, self.method),
        }
    }
    fn rebuild(a: &CSeqAt, base: &'a str) -> CSeq<'a> {
        CSeq {
            number: a.number,
            method: at(base, a.method),
        }
    }
}

/// The remembered parses of one message (empty until [`Message::remember_views`] runs).
#[derive(Clone, Debug, Default)]
pub(crate) struct Memo {
    top_via: Option<Result<ViaAt, HeaderError>>,
    from: Option<Result<NameAddrAt, HeaderError>>,
    to: Option<Result<NameAddrAt, HeaderError>>,
    cseq: Option<Result<CSeqAt, HeaderError>>,
}

/// The outcome of a parse as offsets. It takes the outcome by reference: the views are
/// large, and a moved one is copied.
fn keep<'a, T: Located<'a>>(
    r: &Result<T, HeaderError>,
    base: &str,
) -> Option<Result<T::At, HeaderError>> {
    Some(match r {
        Ok(v) => Ok(v.locate(base)),
        Err(e) => Err(*e),
    })
}

fn recall<'a, T: Located<'a>>(
    slot: &Option<Result<T::At, HeaderError>>,
    base: &'a str,
) -> Option<Result<T, HeaderError>> {
    slot.as_ref().map(|r| r.map(|a| T::rebuild(&a, base)))
}

impl Memo {
    /// Parses the four views of `msg` (its memo still empty) and keeps the outcomes.
    pub(crate) fn of(msg: &Message) -> Memo {
        let base = msg.head_text();
        Memo {
            top_via: keep(&msg.top_via(), base),
            from: keep(&msg.from(), base),
            to: keep(&msg.to(), base),
            cseq: keep(&msg.cseq(), base),
        }
    }

    /// The remembered top Via, if the views were remembered.
    pub(crate) fn top_via<'a>(&self, base: &'a str) -> Option<Result<Via<'a>, HeaderError>> {
        recall(&self.top_via, base)
    }

    /// The port of the remembered top Via, without rebuilding the view.
    pub(crate) fn top_via_port(&self) -> Option<Result<Option<u16>, HeaderError>> {
        self.top_via.as_ref().map(|r| r.map(|a| a.port))
    }

    /// The sent-by host and the parameters of the remembered top Via, without rebuilding
    /// the whole view.
    pub(crate) fn top_via_host_params<'a>(
        &self,
        base: &'a str,
    ) -> Option<Result<(&'a str, Params<'a>), HeaderError>> {
        self.top_via
            .as_ref()
            .map(|r| r.map(|a| (at(base, a.host), Params::new(at(base, a.params)))))
    }

    /// The remembered From.
    pub(crate) fn from<'a>(&self, base: &'a str) -> Option<Result<NameAddr<'a>, HeaderError>> {
        recall(&self.from, base)
    }

    /// The remembered To.
    pub(crate) fn to<'a>(&self, base: &'a str) -> Option<Result<NameAddr<'a>, HeaderError>> {
        recall(&self.to, base)
    }

    /// The remembered CSeq.
    pub(crate) fn cseq<'a>(&self, base: &'a str) -> Option<Result<CSeq<'a>, HeaderError>> {
        recall(&self.cseq, base)
    }

    /// Whether the top Via, From and To parsed, without rebuilding them (validation only
    /// needs the verdict); `None` when the views were not remembered.
    pub(crate) fn common_verdict(&self) -> Option<Result<(), HeaderError>> {
        let via = self.top_via.as_ref()?;
        let from = self.from.as_ref()?;
        let to = self.to.as_ref()?;
        Some(via.map(drop).and(from.map(drop)).and(to.map(drop)))
    }
}
