//! The CSeq header (RFC 3261 §20.16): sequence number and method.

use crate::chars::{is_token, parse_u32};
use crate::cursor::Cursor;
use crate::error::SyntaxError;
use crate::method::Method;
use crate::params::only_lws;

/// `CSeq: 314159 INVITE`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// Sequence number (numbers that do not fit `u32` are errors, RFC 4475 scalar02).
    pub number: u32,
    /// Method as written.
    pub method: &'a str,
}

impl<'a> CSeq<'a> {
    /// Parses a CSeq value.
    pub fn parse(s: &'a str) -> Result<CSeq<'a>, SyntaxError> {
        let mut c = Cursor::new(s);
        c.skip_lws();
        let at = c.pos();
        let number =
            parse_u32(c.take_while(|b| b.is_ascii_digit())).map_err(|w| SyntaxError::new(at, w))?;
        if !c.skip_lws() {
            return Err(SyntaxError::new(
                c.pos(),
                "expected space after CSeq number",
            ));
        }
        let method = c.take_while(is_token);
        if method.is_empty() || !only_lws(c.slice(c.pos(), s.len())) {
            return Err(SyntaxError::new(c.pos(), "expected CSeq method"));
        }
        Ok(CSeq { number, method })
    }

    /// The method classified.
    pub fn method_kind(&self) -> Method {
        Method::from_token(self.method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(
            CSeq::parse("0009\r\n  INVITE"),
            Ok(CSeq {
                number: 9,
                method: "INVITE"
            })
        );
        assert_eq!(
            CSeq::parse("1 OPTIONS").unwrap().method_kind(),
            Method::Options
        );
        for bad in [
            "36893488147419103232 REGISTER",
            "INVITE",
            "1",
            "1INVITE",
            "1 INVITE x",
            "-1 ACK",
        ] {
            assert!(CSeq::parse(bad).is_err(), "{bad}");
        }
    }
}
