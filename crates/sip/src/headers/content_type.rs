//! The Content-Type header (RFC 3261 §20.15): what the body is.

use crate::chars::is_token;
use crate::cursor::Cursor;
use crate::error::SyntaxError;
use crate::params::{only_lws, parse_header_params, Params};

/// `type/subtype;params`, e.g. `multipart/mixed;boundary=x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentType<'a> {
    /// Media type (`application`).
    pub mtype: &'a str,
    /// Media subtype (`sdp`).
    pub subtype: &'a str,
    /// Parameters (`boundary`, `charset`).
    pub params: Params<'a>,
}

impl<'a> ContentType<'a> {
    /// Parses a media type.
    pub fn parse(s: &'a str) -> Result<ContentType<'a>, SyntaxError> {
        let mut c = Cursor::new(s);
        c.skip_lws();
        let mtype = c.take_while(is_token);
        c.skip_lws();
        if mtype.is_empty() || !c.eat(b'/') {
            return Err(SyntaxError::new(c.pos(), "expected type/subtype"));
        }
        c.skip_lws();
        let subtype = c.take_while(is_token);
        if subtype.is_empty() {
            return Err(SyntaxError::new(c.pos(), "expected subtype"));
        }
        let params = parse_header_params(&mut c)?;
        if !only_lws(c.slice(c.pos(), s.len())) {
            return Err(SyntaxError::new(c.pos(), "unexpected text in media type"));
        }
        Ok(ContentType {
            mtype,
            subtype,
            params,
        })
    }

    /// Case-insensitive match on type and subtype.
    pub fn is(&self, mtype: &str, subtype: &str) -> bool {
        self.mtype.eq_ignore_ascii_case(mtype) && self.subtype.eq_ignore_ascii_case(subtype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let ct = ContentType::parse("multipart/mixed;boundary=7a9cbec02ceef655").unwrap();
        assert!(ct.is("Multipart", "MIXED"));
        assert_eq!(ct.params.value("boundary"), Some("7a9cbec02ceef655"));
        assert!(ContentType::parse("application/sdp")
            .unwrap()
            .params
            .is_empty());
        for bad in ["application", "/sdp", "application/", "a/b c", "a/b;"] {
            assert!(ContentType::parse(bad).is_err(), "{bad}");
        }
    }
}
