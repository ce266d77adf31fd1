//! Route blocks: `route[name] { }`, `failure_route[name]`,
//! `timer_route[name, 60]`, `event_route[E_NAME, async]`...

use super::{PResult, Parser};
use crate::ast::{RouteDef, RouteKind};
use crate::error::Diagnostic;
use crate::lexer::TokenKind;

/// Whether a route kind takes a `[name]`: never, optionally or always.
#[derive(PartialEq, Eq)]
enum NameRule {
    None,
    Optional,
    Required,
}

fn name_rule(kind: RouteKind) -> NameRule {
    match kind {
        RouteKind::Request | RouteKind::OnReply => NameRule::Optional,
        RouteKind::Failure | RouteKind::Branch | RouteKind::Timer | RouteKind::Event => {
            NameRule::Required
        }
        RouteKind::Local | RouteKind::Startup | RouteKind::Error => NameRule::None,
    }
}

/// Characters of an unquoted route name. OpenSIPS names are identifiers or
/// numbers; `-` and `.` are accepted too (names like `to-gw`).
fn is_route_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')
}

/// The route kind a top-level keyword introduces, if it is one.
pub(super) fn route_kind(word: &str) -> Option<RouteKind> {
    Some(match word {
        "route" => RouteKind::Request,
        "failure_route" => RouteKind::Failure,
        "onreply_route" => RouteKind::OnReply,
        "branch_route" => RouteKind::Branch,
        "local_route" => RouteKind::Local,
        "startup_route" => RouteKind::Startup,
        "timer_route" => RouteKind::Timer,
        "error_route" => RouteKind::Error,
        "event_route" => RouteKind::Event,
        _ => return None,
    })
}

impl Parser {
    /// The whole route definition; the keyword is next.
    pub(super) fn route_def(&mut self, kind: RouteKind) -> PResult<RouteDef> {
        let kw_tok = self.bump();
        let kw = kw_tok.span;
        let kw_text = self.src.map().slice(kw).to_string();
        let rule = name_rule(kind);
        let mut name = None;
        let mut timer_interval = None;
        let mut event_mode = None;
        if self.at(&TokenKind::LBracket) {
            let open = self.bump().span;
            if rule == NameRule::None {
                return Err(Diagnostic::new(
                    open,
                    format!("`{kw_text}` takes no name: write `{kw_text} {{ ... }}`"),
                ));
            }
            name = Some(self.route_name()?);
            if self.eat(&TokenKind::Comma) {
                match kind {
                    RouteKind::Timer => timer_interval = Some(self.timer_interval()?),
                    RouteKind::Event => {
                        let t = self.bump();
                        match t.kind {
                            TokenKind::Ident(m) if m == "async" || m == "sync" => {
                                event_mode = Some(m)
                            }
                            _ => {
                                return Err(Diagnostic::new(
                                    t.span,
                                    "expected `async` or `sync` after the event name",
                                ))
                            }
                        }
                    }
                    _ => {
                        return Err(Diagnostic::new(
                            self.prev_end,
                            format!("`{kw_text}` takes only a name inside `[ ]`"),
                        ))
                    }
                }
            }
            self.expect(&TokenKind::RBracket, "`]` after the route name")?;
        } else if rule == NameRule::Required {
            return Err(self.unexpected(&format!("`[name]` after `{kw_text}`")));
        }
        if kind == RouteKind::Timer && timer_interval.is_none() {
            return Err(Diagnostic::new(
                kw,
                "timer_route needs an interval: `timer_route[name, seconds]`",
            ));
        }
        if !self.at(&TokenKind::LBrace) {
            return Err(self.unexpected("`{` opening the route body"));
        }
        let (body, span) = self.block()?;
        Ok(RouteDef {
            kind,
            name,
            timer_interval,
            event_mode,
            body,
            span: kw.to(span),
        })
    }

    /// A route name: a quoted string or a bare name.
    fn route_name(&mut self) -> PResult<String> {
        if let TokenKind::Str(_) = self.peek().kind {
            let (s, span) = self.expect_plain_str("a route name")?;
            if s.is_empty() {
                return Err(Diagnostic::new(span, "empty route name"));
            }
            return Ok(s);
        }
        let (name, span) = self.raw_word(is_route_name_byte)?;
        if name.is_empty() {
            return Err(Diagnostic::new(span, "expected a route name"));
        }
        Ok(name)
    }

    fn timer_interval(&mut self) -> PResult<u32> {
        let t = self.peek().clone();
        match t.kind {
            TokenKind::Int(n) if n > 0 => {
                self.bump();
                u32::try_from(n).map_err(|_| Diagnostic::new(t.span, "timer interval is too large"))
            }
            _ => Err(self.unexpected("a positive interval in seconds")),
        }
    }
}
