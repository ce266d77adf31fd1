//! name-addr / addr-spec values (RFC 3261 §25.1): From, To, Contact, Route,
//! Record-Route, Reply-To, Path.

use std::borrow::Cow;

use crate::chars::{is_lws, is_token, trim_lws};
use crate::cursor::Cursor;
use crate::error::SyntaxError;
use crate::params::{only_lws, parse_header_params, Params};
use crate::text::unquote;
use crate::uri::Uri;

/// `[display-name] <URI> *(;param)` or `URI *(;param)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameAddr<'a> {
    pub(crate) display: Option<&'a str>,
    pub(crate) uri: Uri<'a>,
    pub(crate) bracketed: bool,
    pub(crate) params: Params<'a>,
}

fn err<T>(at: usize, what: &'static str) -> Result<T, SyntaxError> {
    Err(SyntaxError::new(at, what))
}

impl<'a> NameAddr<'a> {
    /// Parses one value (after list splitting).
    ///
    /// Display names are a quoted string or tokens separated by LWS (no LWS
    /// needed before `<`, RFC 4475 lwsdisp); anything else (`Bell, Alexander`,
    /// baddn) is an error. Inside `<>` no LWS is allowed (badaspec). Without
    /// `<>`, parameters belong to the header, and a URI with `?` headers is an
    /// error because it must be bracketed (regbadct).
    pub fn parse(s: &'a str) -> Result<NameAddr<'a>, SyntaxError> {
        let mut c = Cursor::new(s);
        c.skip_lws();
        let mut display = None;
        let mut bracketed = true;
        match c.peek() {
            Some(b'"') => {
                let q = c
                    .quoted()
                    .ok_or(SyntaxError::new(c.pos(), "unterminated quoted string"))?;
                display = Some(q);
                c.skip_lws();
                if !c.eat(b'<') {
                    return err(c.pos(), "expected '<' after display name");
                }
            }
            Some(b'<') => {
                c.eat(b'<');
            }
            _ => {
                let start = c.pos();
                let mut last = start;
                while !c.take_while(is_token).is_empty() {
                    last = c.pos();
                    c.skip_lws();
                }
                if last > start && c.eat(b'<') {
                    display = Some(c.slice(start, last));
                } else {
                    c.set_pos(start);
                    bracketed = false;
                }
            }
        }
        let uri = if bracketed {
            let start = c.pos();
            let text = c.take_until(b'>');
            if !c.eat(b'>') {
                return err(c.pos(), "missing '>'");
            }
            Uri::parse(text).map_err(|e| SyntaxError::new(start + e.offset, e.what))?
        } else {
            let start = c.pos();
            let text = c.take_while(|b| !is_lws(b) && b != b';' && b != b',');
            if let Some(q) = text.find('?') {
                return err(start + q, "URI with headers must be enclosed in <>");
            }
            Uri::parse(text).map_err(|e| SyntaxError::new(start + e.offset, e.what))?
        };
        let params = parse_header_params(&mut c)?;
        if !only_lws(c.slice(c.pos(), s.len())) {
            return err(c.pos(), "unexpected text after address");
        }
        Ok(NameAddr {
            display,
            uri,
            bracketed,
            params,
        })
    }

    /// The display name as written (quoted strings keep quotes and escapes).
    pub fn display_raw(&self) -> Option<&'a str> {
        self.display
    }

    /// The display name as meant: unquoted and unescaped; token sequences as written.
    pub fn display_name(&self) -> Option<Cow<'a, str>> {
        self.display.map(|d| unquote(trim_lws(d)))
    }

    /// The URI.
    pub fn uri(&self) -> Uri<'a> {
        self.uri
    }

    /// True when the URI was enclosed in `<>` (name-addr form).
    pub fn is_bracketed(&self) -> bool {
        self.bracketed
    }

    /// Header parameters (after the URI, or after `>`).
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `tag` parameter (dialog identification).
    pub fn tag(&self) -> Option<&'a str> {
        self.params.value("tag")
    }

    /// The Contact `expires` parameter, when it is a number fitting `u32`.
    pub fn expires(&self) -> Option<u32> {
        self.params
            .value("expires")
            .and_then(|e| crate::chars::parse_u32(e).ok())
    }

    /// The Contact `q` parameter as written.
    pub fn q(&self) -> Option<&'a str> {
        self.params.value("q")
    }
}

/// One Contact value: `*` (remove all bindings) or an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `Contact: *`
    Star,
    /// An address with its parameters.
    Addr(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// Parses one Contact value.
    pub fn parse(s: &'a str) -> Result<Contact<'a>, SyntaxError> {
        if trim_lws(s) == "*" {
            Ok(Contact::Star)
        } else {
            NameAddr::parse(s).map(Contact::Addr)
        }
    }

    /// The address, `None` for `*`.
    pub fn addr(&self) -> Option<&NameAddr<'a>> {
        match self {
            Contact::Star => None,
            Contact::Addr(a) => Some(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let n = NameAddr::parse(
            r#""J Rosenberg \\\""       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8"#,
        )
        .unwrap();
        assert_eq!(n.display_name().as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(n.uri().as_str(), "sip:jdrosen@example.com");
        assert_eq!(n.tag(), Some("98asjd8"));
        assert!(n.is_bracketed());

        let n =
            NameAddr::parse("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n").unwrap();
        assert_eq!(n.display_raw(), None);
        assert!(!n.is_bracketed());
        assert_eq!(n.tag(), Some("1918181833n"));

        let n = NameAddr::parse("caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(n.display_name().as_deref(), Some("caller"));
        let n = NameAddr::parse("A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe").unwrap();
        assert_eq!(n.display_name().as_deref(), Some("A. Bell"));

        let n = NameAddr::parse("sip:+19725552222@gw1.example.net;unknownparam").unwrap();
        assert!(n.params().has("unknownparam"));
        assert!(n.uri().params().is_empty());
        let n = NameAddr::parse("<sip:+19725552222@gw1.example.net;unknownparam>").unwrap();
        assert!(n.params().is_empty());
        assert!(n.uri().params().has("unknownparam"));

        let n = NameAddr::parse("<sip:a@b>;expires=60;q=0.5").unwrap();
        assert_eq!((n.expires(), n.q()), (Some(60), Some("0.5")));
        assert_eq!(
            NameAddr::parse("<sip:a@b>;expires=280297596632815")
                .unwrap()
                .expires(),
            None
        );
        assert_eq!(
            NameAddr::parse("isbn:2983792873")
                .unwrap()
                .uri()
                .scheme_str(),
            "isbn"
        );
    }

    #[test]
    fn rejects() {
        for bad in [
            "\"Mr. J. User <sip:j.user@example.com>",
            "\"Watson, Thomas\" < sip:t.watson@example.org >",
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            "Watson, Thomas <sip:t.watson@example.org>",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "\"Joe\" <sip:joe@example.org>;;;;",
            "<sip:a@b",
            "<sip:a@b> junk",
            "",
            "<>",
        ] {
            assert!(NameAddr::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn contacts() {
        assert_eq!(Contact::parse(" * "), Ok(Contact::Star));
        assert!(Contact::Star.addr().is_none());
        let c = Contact::parse("<sip:a@b>").unwrap();
        assert_eq!(c.addr().map(|a| a.uri().host()), Some("b"));
    }
}
