//! `avp_subst`'s expression `/regex/replacement/flags`, in the core `subst` syntax, whose
//! replacement may hold variables (`"/(.*)@(.*)/\1@$rd/"`), read at each call as OpenSIPS
//! does. Only the replacement is expanded; a variable's value is taken literally (a `/`, `\`
//! or `$` in it is text, not syntax). Without variables the expression is compiled once.

use siplua_core::context::Context;
use siplua_core::pv::{CompiledPv, NoModulePvs};
use siplua_core::subst::Subst;
use siplua_script::FmtPart;

/// A piece of the replacement.
enum Piece {
    /// Text as written (back-references and escapes keep their meaning).
    Text(String),
    /// A variable, its value escaped at each call.
    Var(Box<CompiledPv>),
}

/// A prepared expression.
pub struct Expr(Kind);

enum Kind {
    /// No variable in the replacement: compiled at load time.
    Fixed(Subst),
    /// `head` is `/regex/` as written, `tail` `/flags`.
    PerCall {
        head: String,
        replacement: Vec<Piece>,
        tail: String,
        delim: char,
    },
}

/// The byte offsets of the unescaped delimiters after the first character.
fn delimiters(text: &str, delim: char) -> Vec<usize> {
    let mut out = Vec::new();
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == delim {
            out.push(i);
        }
    }
    out
}

impl Expr {
    /// Parses the expression as the script wrote it (a load error when it is not valid).
    pub fn parse(text: &str) -> Result<Expr, String> {
        let fixed = Subst::parse(text)?;
        let delim = text.chars().next().unwrap_or('/');
        let [end_re, end_repl] = delimiters(text, delim)[..] else {
            return Ok(Expr(Kind::Fixed(fixed)));
        };
        let repl = &text[end_re + delim.len_utf8()..end_repl];
        let parts = siplua_script::parse_format(repl)?.parts;
        if parts.iter().all(|p| matches!(p, FmtPart::Text(_))) {
            return Ok(Expr(Kind::Fixed(fixed)));
        }
        let replacement = parts
            .iter()
            .map(|p| match p {
                FmtPart::Text(t) => Ok(Piece::Text(t.clone())),
                FmtPart::Pv(spec) => {
                    CompiledPv::compile(spec, &NoModulePvs).map(|pv| Piece::Var(Box::new(pv)))
                }
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Expr(Kind::PerCall {
            head: text[..end_re + delim.len_utf8()].to_owned(),
            replacement,
            tail: text[end_repl..].to_owned(),
            delim,
        }))
    }

    /// Runs `f` with the substitution for this call.
    pub fn with<R>(&self, ctx: &Context, f: impl FnOnce(&Subst) -> R) -> Result<R, String> {
        match &self.0 {
            Kind::Fixed(s) => Ok(f(s)),
            Kind::PerCall {
                head,
                replacement,
                tail,
                delim,
            } => {
                let mut text = head.clone();
                for p in replacement {
                    match p {
                        Piece::Text(t) => text.push_str(t),
                        Piece::Var(pv) => text.push_str(&escape(&pv.get(ctx).as_str(), *delim)),
                    }
                }
                text.push_str(tail);
                Subst::parse(&text).map(|s| f(&s))
            }
        }
    }
}

/// A value as literal replacement text: the delimiter and `\` escaped.
fn escape(value: &str, delim: char) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c == '\\' || c == delim {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_only_in_the_replacement() {
        assert!(matches!(Expr::parse("/a/b/g"), Ok(Expr(Kind::Fixed(_)))));
        assert!(matches!(
            Expr::parse("/$var(x)/b/"),
            Ok(Expr(Kind::Fixed(_)))
        ));
        let Ok(Expr(Kind::PerCall {
            head,
            replacement,
            tail,
            ..
        })) = Expr::parse("/(.*)@(.*)/\\1@$rd/i")
        else {
            panic!("expected a per-call expression");
        };
        assert_eq!((head.as_str(), tail.as_str()), ("/(.*)@(.*)/", "/i"));
        assert!(matches!(&replacement[..], [Piece::Text(t), Piece::Var(_)] if t == "\\1@"));
        assert!(Expr::parse("/(/x/").is_err());
        assert!(Expr::parse("/a/b").is_err());
    }

    #[test]
    fn values_are_literal() {
        assert_eq!(escape("a/b\\c", '/'), "a\\/b\\\\c");
        let s = Subst::parse(&format!("/x/{}/", escape("1/2\\3$4", '/'))).unwrap();
        assert_eq!(s.apply("x").as_deref(), Some("1/2\\3$4"));
    }
}
