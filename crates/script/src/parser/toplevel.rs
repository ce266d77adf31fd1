//! Top-level items: global parameters, `loadmodule`, `modparam`, and the
//! dispatch to route blocks.

use super::autoscale::global_value_text;
use super::{PResult, Parser};
use crate::ast::{AssignOp, GlobalParam, GlobalValue, Literal, LoadModule, ModParam, Script};
use crate::error::Diagnostic;
use crate::lexer::TokenKind;
use crate::span::Span;

/// Global parameters whose unquoted value is a socket spec.
const SOCKET_PARAMS: &[&str] = &["socket", "listen", "alias"];

impl Parser {
    /// One top-level item, added to `script`.
    pub(super) fn top_item(&mut self, script: &mut Script) -> PResult<()> {
        let word = match &self.peek().kind {
            TokenKind::Ident(w) => w.clone(),
            TokenKind::RBrace => {
                let span = self.peek().span;
                return Err(Diagnostic::new(span, "unexpected `}` with no open block"));
            }
            _ => {
                return Err(self
                    .unexpected("a global parameter, `loadmodule`, `modparam` or a route block"))
            }
        };
        match word.as_str() {
            "loadmodule" => script.modules.push(self.loadmodule()?),
            "modparam" => script.modparams.push(self.modparam()?),
            _ => match super::route::route_kind(&word) {
                Some(kind) => script.routes.push(self.route_def(kind)?),
                None => script.globals.push(self.global_param()?),
            },
        }
        Ok(())
    }

    /// `loadmodule "path/name.so"`.
    fn loadmodule(&mut self) -> PResult<LoadModule> {
        let kw = self.bump().span;
        let (path, end) = self.expect_plain_str("a quoted module path after `loadmodule`")?;
        let base = path.rsplit('/').next().unwrap_or(&path);
        let name = base.strip_suffix(".so").unwrap_or(base).to_string();
        if name.is_empty() {
            return Err(Diagnostic::new(end, "empty module name"));
        }
        Ok(LoadModule {
            path,
            name,
            span: kw.to(end),
        })
    }

    /// `modparam("module", "param", value)`.
    fn modparam(&mut self) -> PResult<ModParam> {
        let kw = self.bump().span;
        self.expect(&TokenKind::LParen, "`(` after `modparam`")?;
        let (module, _) = self.expect_plain_str("a quoted module name")?;
        self.expect(&TokenKind::Comma, "`,`")?;
        let (param, _) = self.expect_plain_str("a quoted parameter name")?;
        self.expect(&TokenKind::Comma, "`,`")?;
        let value = self.literal()?;
        let end = self.expect(&TokenKind::RParen, "`)` closing `modparam`")?;
        Ok(ModParam {
            module,
            param,
            value,
            span: kw.to(end),
        })
    }

    /// A string or (possibly negative) integer constant.
    fn literal(&mut self) -> PResult<Literal> {
        let t = self.peek().clone();
        match t.kind {
            TokenKind::Str(s) => {
                self.bump();
                Ok(Literal::Str(s.value))
            }
            TokenKind::Int(n) => {
                self.bump();
                Ok(Literal::Int(n))
            }
            TokenKind::Op(crate::ast::BinOp::Sub)
                if matches!(self.peek_nth(1).kind, TokenKind::Int(_)) =>
            {
                self.bump();
                match self.bump().kind {
                    TokenKind::Int(n) => Ok(Literal::Int(-n)),
                    _ => Err(Diagnostic::new(t.span, "expected an integer")),
                }
            }
            // OpenSIPS' grammar reads the bare words yes/no/on/off/true/false as 1/0 in
            // `modparam` too (`modparam("auth_db", "calculate_ha1", yes)` in its templates).
            TokenKind::Ident(ref w) if bare_bool(w).is_some() => {
                self.bump();
                Ok(Literal::Int(bare_bool(w).unwrap_or_default()))
            }
            _ => Err(self.unexpected("a string or an integer")),
        }
    }

    /// A quoted string whose value is used verbatim (paths, names).
    pub(super) fn expect_plain_str(&mut self, what: &str) -> PResult<(String, Span)> {
        if let TokenKind::Str(s) = &self.peek().kind {
            let value = s.value.clone();
            let span = self.bump().span;
            return Ok((value, span));
        }
        Err(self.unexpected(what))
    }

    /// `name = value[, value...]`.
    fn global_param(&mut self) -> PResult<GlobalParam> {
        let name_tok = self.bump();
        let name = match name_tok.kind {
            TokenKind::Ident(n) => n,
            _ => return Err(Diagnostic::new(name_tok.span, "expected a parameter name")),
        };
        if !self.at(&TokenKind::Assign(AssignOp::Set)) {
            let found = self.describe_next();
            return Err(Diagnostic::new(
                name_tok.span,
                format!(
                    "expected `=` after `{name}` (global parameter) or a known top-level keyword, found {found}"
                ),
            ));
        }
        self.bump();
        let socket = SOCKET_PARAMS.contains(&name.as_str());
        let mut values = vec![self.global_value(socket)?];
        while self.eat(&TokenKind::Comma) {
            values.push(self.global_value(socket)?);
        }
        let mut value = if values.len() == 1 {
            values.remove(0)
        } else {
            GlobalValue::List(values)
        };
        if name == "auto_scaling_profile" {
            let mut text = global_value_text(&value);
            self.auto_scaling_description(&mut text)?;
            value = GlobalValue::Str(text);
        } else if !socket {
            self.skip_auto_scaling_use()?;
        }
        Ok(GlobalParam {
            name,
            value,
            span: name_tok.span.to(self.prev_end),
        })
    }

    /// One global value: a quoted string, a socket spec, or a bare word that
    /// is an integer, a boolean or an identifier.
    fn global_value(&mut self, socket: bool) -> PResult<GlobalValue> {
        if let TokenKind::Str(s) = &self.peek().kind {
            let v = GlobalValue::Str(s.value.clone());
            self.bump();
            return Ok(v);
        }
        if socket {
            return Ok(GlobalValue::Socket(self.socket_spec()?));
        }
        let (word, span) = self.raw_word(is_bare_value_byte)?;
        if word.is_empty() {
            return Err(Diagnostic::new(span, "expected a value after `=`"));
        }
        Ok(classify(&word))
    }

    /// Reads raw characters (after blanks and comments) while `f` holds;
    /// updates the "previous token" position to its end.
    pub(super) fn raw_word(&mut self, f: impl Fn(u8) -> bool) -> PResult<(String, Span)> {
        let fallback = self.prev_end;
        let Some(lx) = self.src.raw() else {
            return Err(Diagnostic::new(fallback, "unexpected end of input"));
        };
        if let Some(t) = lx.skip_trivia() {
            let msg = match t.kind {
                TokenKind::Error(m) => m,
                _ => "unexpected input".to_string(),
            };
            return Err(Diagnostic::new(t.span, msg));
        }
        let (word, span) = lx.raw_eat_while(f);
        if !word.is_empty() {
            self.prev_end = Span {
                start: span.end,
                ..span
            };
        }
        Ok((word, span))
    }
}

/// Characters of an unquoted value (global parameters, socket options):
/// printable ASCII up to a separator.
pub(super) fn is_bare_value_byte(c: u8) -> bool {
    c.is_ascii_graphic() && !b";,#\"'(){}=".contains(&c)
}

/// Types a bare global value.
fn classify(word: &str) -> GlobalValue {
    let lower = word.to_ascii_lowercase();
    match lower.as_str() {
        "yes" | "on" | "true" => return GlobalValue::Bool(true),
        "no" | "off" | "false" => return GlobalValue::Bool(false),
        _ => {}
    }
    let (neg, digits) = match word.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, word),
    };
    let n = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None if digits.bytes().all(|c| c.is_ascii_digit()) => digits.parse::<i64>().ok(),
        None => None,
    };
    match n {
        Some(n) if neg => GlobalValue::Int(-n),
        Some(n) => GlobalValue::Int(n),
        None => GlobalValue::Id(word.to_string()),
    }
}

/// The integer a bare boolean word stands for (`yes` = 1, `no` = 0), any case.
fn bare_bool(word: &str) -> Option<i64> {
    match word.to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" => Some(1),
        "no" | "off" | "false" => Some(0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_values() {
        assert_eq!(classify("0x10"), GlobalValue::Int(16));
        assert_eq!(classify("-1"), GlobalValue::Int(-1));
        assert_eq!(classify("YES"), GlobalValue::Bool(true));
        assert_eq!(classify("off"), GlobalValue::Bool(false));
        assert_eq!(classify("LOG_LOCAL0"), GlobalValue::Id("LOG_LOCAL0".into()));
        assert_eq!(classify("1.2.3.4"), GlobalValue::Id("1.2.3.4".into()));
        assert_eq!(classify("-"), GlobalValue::Id("-".into()));
    }

    #[test]
    fn bare_booleans() {
        assert_eq!(bare_bool("yes"), Some(1));
        assert_eq!(bare_bool("Off"), Some(0));
        assert_eq!(bare_bool("maybe"), None);
    }
}
