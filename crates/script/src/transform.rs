//! Transformations: the `{s.substr,0,5}` parts of a wrapped pseudo-variable.
//!
//! Arguments are comma-separated and may be empty; `\,` and `\}` put a comma
//! or a brace into an argument; an argument that starts with `$` is itself a
//! PV. Two transformations read their arguments differently in OpenSIPS and
//! do so here too: `{s.select,N,C}` takes exactly one separator character
//! (so `{s.select,1,,}` selects by `,`), and `{re.subst,/re/repl/flags}`
//! takes everything up to the closing brace as one argument.

use crate::pv::{parse_pv_at, scan, starts_pv, PvError, PvSpec};
use crate::span::{FileId, Span};

/// One `{class.name,args...}` transformation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transform {
    /// The class before the first dot: `s`, `uri`, `param`, `nameaddr`, `re`...
    pub class: String,
    /// The rest of the name: `substr`, `user`, `encode.hexa`...
    pub name: String,
    /// The arguments in order; an empty argument is `Str("")`.
    pub args: Vec<TransformArg>,
    /// From `{` to `}`.
    pub span: Span,
}

/// One transformation argument. Numbers are recognised here so that the
/// engine need not re-parse them; which type a transformation wants is the
/// engine's check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransformArg {
    /// Text, with `\,` and `\}` unescaped.
    Str(String),
    /// An argument that is a whole decimal integer.
    Int(i64),
    /// A PV evaluated at run time (`{s.substr,$var(pos),1}`).
    Pv(PvSpec),
}

impl Transform {
    /// Rewrites this transformation's spans (see [`PvSpec::map_spans`]).
    pub(crate) fn map_spans(&mut self, f: &dyn Fn(Span) -> Span) {
        self.span = f(self.span);
        for a in &mut self.args {
            if let TransformArg::Pv(p) = a {
                p.map_spans(f);
            }
        }
    }
}

/// What ends a plain argument.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    CommaOrBrace,
    Brace,
}

/// Parses the transformation at `text[pos]` (a `{`); returns it and the
/// offset just past its `}`.
pub(crate) fn parse_transform_at(
    text: &str,
    pos: usize,
    file: FileId,
    depth: u32,
) -> Result<(Transform, usize), PvError> {
    let b = text.as_bytes();
    let mut p = pos + 1;
    let e = scan(b, p, |c| c.is_ascii_alphanumeric() || c == b'_');
    if e == p {
        return Err(PvError::new(p, "expected a transformation class after `{`"));
    }
    let class = text[p..e].to_string();
    if b.get(e) != Some(&b'.') {
        return Err(PvError::new(
            e,
            "expected `.` after the transformation class",
        ));
    }
    p = e + 1;
    let e = scan(b, p, |c| {
        c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-'
    });
    if e == p {
        return Err(PvError::new(p, "expected a transformation name after `.`"));
    }
    let name = text[p..e].to_string();
    p = e;
    let mut args = Vec::new();
    match (class.as_str(), name.as_str()) {
        ("s", "select") => {
            p = expect(b, p, b',', "expected `,` and an index after s.select")?;
            let (index, np) = parse_arg(text, p, file, depth, Until::CommaOrBrace)?;
            args.push(index);
            p = expect(
                b,
                np,
                b',',
                "expected `,` and a separator after the s.select index",
            )?;
            let (sep, np) = separator(text, p)?;
            args.push(TransformArg::Str(sep));
            p = np;
        }
        ("re", "subst") => {
            p = expect(b, p, b',', "expected `,` and a substitution after re.subst")?;
            let (arg, np) = parse_arg(text, p, file, depth, Until::Brace)?;
            args.push(arg);
            p = np;
        }
        _ => {
            while b.get(p) == Some(&b',') {
                let (arg, np) = parse_arg(text, p + 1, file, depth, Until::CommaOrBrace)?;
                args.push(arg);
                p = np;
            }
        }
    }
    if b.get(p) != Some(&b'}') {
        return Err(PvError::new(p, "expected `}` closing the transformation"));
    }
    let t = Transform {
        class,
        name,
        args,
        span: Span::new(file, pos, p + 1),
    };
    Ok((t, p + 1))
}

fn expect(b: &[u8], p: usize, c: u8, msg: &str) -> Result<usize, PvError> {
    if b.get(p) == Some(&c) {
        Ok(p + 1)
    } else {
        Err(PvError::new(p, msg))
    }
}

/// The one separator character of `s.select` (`\}` for a brace).
fn separator(text: &str, p: usize) -> Result<(String, usize), PvError> {
    let rest = text.get(p..).unwrap_or("");
    let mut chars = rest.chars();
    match chars.next() {
        Some('\\') => match chars.next() {
            Some(c) => Ok((c.to_string(), p + 1 + c.len_utf8())),
            None => Err(PvError::new(p, "expected a separator character")),
        },
        Some('}') | None => Err(PvError::new(p, "expected a separator character")),
        Some(c) => Ok((c.to_string(), p + c.len_utf8())),
    }
}

/// One argument starting at `text[p]`; returns it and the offset of the `,`
/// or `}` that ends it.
fn parse_arg(
    text: &str,
    p: usize,
    file: FileId,
    depth: u32,
    until: Until,
) -> Result<(TransformArg, usize), PvError> {
    let b = text.as_bytes();
    if b.get(p) == Some(&b'$') && starts_pv(b.get(p + 1).copied()) {
        let (spec, end) = parse_pv_at(text, p, file, depth + 1)?;
        return match b.get(end) {
            Some(b'}') => Ok((TransformArg::Pv(spec), end)),
            Some(b',') if until == Until::CommaOrBrace => Ok((TransformArg::Pv(spec), end)),
            _ => Err(PvError::new(
                end,
                "expected `,` or `}` after a pseudo-variable argument",
            )),
        };
    }
    let mut out = Vec::new();
    let mut q = p;
    loop {
        match b.get(q) {
            None => return Err(PvError::new(p, "unterminated transformation: expected `}`")),
            Some(b'\\') if matches!(b.get(q + 1), Some(b',' | b'}')) => {
                out.push(b[q + 1]);
                q += 2;
            }
            Some(b'}') => break,
            Some(b',') if until == Until::CommaOrBrace => break,
            Some(&c) => {
                out.push(c);
                q += 1;
            }
        }
    }
    let s = String::from_utf8_lossy(&out).into_owned();
    let arg = match s.parse::<i64>() {
        Ok(n) => TransformArg::Int(n),
        Err(_) => TransformArg::Str(s),
    };
    Ok((arg, q))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(s: &str) -> Transform {
        let (t, end) = parse_transform_at(s, 0, FileId(0), 0).expect(s);
        assert_eq!(end, s.len());
        t
    }

    #[test]
    fn generic_args_empty_and_escaped() {
        let t = tr(r"{s.substr,0,5}");
        assert_eq!((t.class.as_str(), t.name.as_str()), ("s", "substr"));
        assert_eq!(t.args, vec![TransformArg::Int(0), TransformArg::Int(5)]);
        let t = tr(r"{param.value,a\,b,,x\}}");
        assert_eq!(
            t.args,
            vec![
                TransformArg::Str("a,b".into()),
                TransformArg::Str(String::new()),
                TransformArg::Str("x}".into()),
            ]
        );
        assert_eq!(tr("{s.encode.hexa}").name, "encode.hexa");
    }

    #[test]
    fn select_takes_one_separator_char() {
        let t = tr("{s.select,1,,}");
        assert_eq!(
            t.args,
            vec![TransformArg::Int(1), TransformArg::Str(",".into())]
        );
        let t = tr("{s.select,-1,;}");
        assert_eq!(
            t.args,
            vec![TransformArg::Int(-1), TransformArg::Str(";".into())]
        );
        assert!(parse_transform_at("{s.select,1,}", 0, FileId(0), 0).is_err());
    }

    #[test]
    fn re_subst_keeps_commas() {
        let t = tr("{re.subst,/a,b/c/g}");
        assert_eq!(t.args, vec![TransformArg::Str("/a,b/c/g".into())]);
    }

    #[test]
    fn pv_argument() {
        let t = tr("{s.substr,$var(p),1}");
        match &t.args[0] {
            TransformArg::Pv(p) => assert_eq!(p.name, "var"),
            other => panic!("{other:?}"),
        }
        assert!(parse_transform_at("{s.substr,$var(p)x}", 0, FileId(0), 0).is_err());
    }

    #[test]
    fn unterminated() {
        let e = parse_transform_at("{s.len", 0, FileId(0), 0).unwrap_err();
        assert_eq!(e.offset, 6);
        let e = parse_transform_at("{s.substr,1", 0, FileId(0), 0).unwrap_err();
        assert_eq!(e.offset, 10);
    }
}
