//! Errors: why a buffer is not a SIP message, and why a header cannot be read.
//!
//! Parsing ([`ParseError`]) only checks what every element needs to frame and
//! route a message; typed views report their own problems lazily through
//! [`HeaderError`], so an odd header a proxy never reads cannot make it drop
//! a request.

use std::fmt;

use crate::header_kind::HeaderKind;

/// What made [`Message::parse`](crate::Message::parse) refuse a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParseErrorKind {
    /// Nothing but line breaks.
    Empty,
    /// The buffer is 4 GiB or more (spans are `u32`).
    TooLarge,
    /// The first line is neither a request line nor a status line.
    BadStartLine,
    /// The method is not a token.
    BadMethod,
    /// Request-line elements are not separated by exactly one SP
    /// (RFC 4475 lwsstart, trws) or the version is missing.
    BadRequestLine,
    /// The Request-URI is malformed or not allowed there (ltgtruri, lwsruri, escruri).
    BadRequestUri,
    /// The SIP-Version does not have the form `SIP/x.y`.
    BadVersion,
    /// The status code is not three digits in 100..=699 (bigcode).
    BadStatusCode,
    /// A header line has no `name:` part, or a fold has no header to continue.
    BadHeaderLine,
    /// A CR not followed by LF inside the header section.
    BareCr,
    /// The last header line is cut off without a line end.
    UnterminatedHead,
    /// The start line or a header is not UTF-8 (SIP text is TEXT-UTF8).
    InvalidUtf8,
    /// Content-Length is not a number that fits in `u32` (ncl).
    BadContentLength,
    /// Several Content-Length values disagree, so the body cannot be framed (mcl01).
    ConflictingContentLength,
    /// Content-Length announces more bytes than the buffer holds (clerr).
    BodyTruncated,
}

impl ParseErrorKind {
    /// A short English description, used by `Display` and in 400 reason texts.
    pub fn describe(self) -> &'static str {
        match self {
            ParseErrorKind::Empty => "empty message",
            ParseErrorKind::TooLarge => "message too large",
            ParseErrorKind::BadStartLine => "malformed start line",
            ParseErrorKind::BadMethod => "malformed method",
            ParseErrorKind::BadRequestLine => "malformed request line",
            ParseErrorKind::BadRequestUri => "malformed Request-URI",
            ParseErrorKind::BadVersion => "malformed SIP version",
            ParseErrorKind::BadStatusCode => "malformed status code",
            ParseErrorKind::BadHeaderLine => "malformed header line",
            ParseErrorKind::BareCr => "CR without LF",
            ParseErrorKind::UnterminatedHead => "header section cut off",
            ParseErrorKind::InvalidUtf8 => "invalid UTF-8",
            ParseErrorKind::BadContentLength => "malformed Content-Length",
            ParseErrorKind::ConflictingContentLength => "conflicting Content-Length values",
            ParseErrorKind::BodyTruncated => "body shorter than Content-Length",
        }
    }
}

/// A buffer that is not a SIP message: what is wrong and at which byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub kind: ParseErrorKind,
    /// Byte offset in the buffer where the problem was found.
    pub offset: usize,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, offset: usize) -> Self {
        ParseError { kind, offset }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.describe(), self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Why a typed header view could not be produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderProblem {
    /// The message has no such header.
    Missing,
    /// The header value does not follow its grammar; the text says where it went wrong.
    Malformed(&'static str),
}

/// A header that is missing or malformed, found when its typed view was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderError {
    /// Which header.
    pub header: HeaderKind,
    /// What is wrong with it.
    pub problem: HeaderProblem,
    /// Byte offset in the message buffer (the header's position when missing: 0).
    pub offset: usize,
}

impl HeaderError {
    pub(crate) fn missing(header: HeaderKind) -> Self {
        HeaderError {
            header,
            problem: HeaderProblem::Missing,
            offset: 0,
        }
    }

    pub(crate) fn malformed(header: HeaderKind, offset: usize, what: &'static str) -> Self {
        HeaderError {
            header,
            problem: HeaderProblem::Malformed(what),
            offset,
        }
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problem {
            HeaderProblem::Missing => write!(f, "missing {} header", self.header.name()),
            HeaderProblem::Malformed(what) => write!(
                f,
                "malformed {} header at byte {}: {}",
                self.header.name(),
                self.offset,
                what
            ),
        }
    }
}

impl std::error::Error for HeaderError {}

/// A grammar error inside one value, relative to the start of that value;
/// typed views turn it into a [`HeaderError`] with an absolute offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Offset inside the parsed text.
    pub at: usize,
    /// What was expected or found.
    pub what: &'static str,
}

impl SyntaxError {
    pub(crate) fn new(at: usize, what: &'static str) -> Self {
        SyntaxError { at, what }
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.what, self.at)
    }
}

impl std::error::Error for SyntaxError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let e = ParseError::new(ParseErrorKind::BodyTruncated, 344);
        assert_eq!(
            e.to_string(),
            "body shorter than Content-Length at byte 344"
        );
        let h = HeaderError::malformed(HeaderKind::CSeq, 10, "number too large");
        assert_eq!(
            h.to_string(),
            "malformed CSeq header at byte 10: number too large"
        );
        assert_eq!(
            HeaderError::missing(HeaderKind::To).to_string(),
            "missing To header"
        );
        assert_eq!(SyntaxError::new(3, "x").to_string(), "x at offset 3");
    }
}
