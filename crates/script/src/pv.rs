//! Pseudo-variable syntax (`$ru`, `$hdr(Via)[1]`, `$(avp(x)[*]{s.len})`, ...).
//!
//! The parser knows no PV names: it reads the generic shape — `$` + name +
//! optional `(inner)` + optional `[index]`, or the wrapped `$(...)` form that
//! can also carry a `<context>` and `{transformations}` — and leaves it to the
//! engine to check that the name exists. The same code serves script tokens,
//! quoted format strings and Lua's `pseudoVarSet("$var(x)")`.

use crate::span::{FileId, Span};
use crate::transform::{parse_transform_at, Transform};

/// One pseudo-variable reference, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PvSpec {
    /// The class name: `ru`, `hdr`, `avp`, `var`, `err.class`, `T_reply_code`...
    pub name: String,
    /// The `<request>` / `<reply>` context of `$(<reply>hdr(X))`, if given.
    pub context: Option<String>,
    /// The `(...)` part: a header name, an AVP name, a time format...
    pub inner: Option<PvInner>,
    /// The `[...]` part selecting one value (or all) of a multi-valued PV.
    pub index: Option<PvIndex>,
    /// `{class.name,args}` transformations, applied left to right.
    pub transforms: Vec<Transform>,
    /// The whole reference, from `$` to its last character.
    pub span: Span,
}

/// The `(...)` part of a pseudo-variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PvInner {
    /// A fixed name, kept verbatim (`Via`, `%Y-%m-%d`).
    Text(String),
    /// A name computed at run time from another PV (`$avp($var(name))`).
    Pv(Box<PvSpec>),
}

/// The `[...]` part of a pseudo-variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PvIndex {
    /// `[n]`; negative counts from the last value (`[-1]` is the last).
    Int(i64),
    /// `[*]`: every value.
    All,
    /// `[$var(i)]`: an index computed at run time.
    Pv(Box<PvSpec>),
}

/// A PV syntax error at a byte offset of the text being parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PvError {
    pub offset: usize,
    pub message: String,
}

impl PvError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> PvError {
        PvError {
            offset,
            message: message.into(),
        }
    }
}

/// How deeply PVs may nest inside each other (`$avp($avp($var(x)))`): a bound
/// so that hostile input cannot exhaust the stack.
const MAX_DEPTH: u32 = 16;

/// Characters of a PV name (OpenSIPS' `is_pv_valid_char`).
pub(crate) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// Whether the byte after a `$` starts a pseudo-variable; otherwise the `$`
/// is plain text (in strings) or an error (in code).
pub(crate) fn starts_pv(b: Option<u8>) -> bool {
    matches!(b, Some(b) if b.is_ascii_alphanumeric() || b == b'_' || b == b'(')
}

impl PvSpec {
    /// Rewrites every span (its own and nested ones) through `f`; used to move
    /// spans of PVs found inside an unescaped string back onto the source.
    pub(crate) fn map_spans(&mut self, f: &dyn Fn(Span) -> Span) {
        self.span = f(self.span);
        if let Some(PvInner::Pv(p)) = &mut self.inner {
            p.map_spans(f);
        }
        if let Some(PvIndex::Pv(p)) = &mut self.index {
            p.map_spans(f);
        }
        for t in &mut self.transforms {
            t.map_spans(f);
        }
    }
}

/// Parses the PV starting at `text[pos]` (a `$`); returns it and the offset
/// just past it. Spans are offsets into `text` in `file`.
pub(crate) fn parse_pv_at(
    text: &str,
    pos: usize,
    file: FileId,
    depth: u32,
) -> Result<(PvSpec, usize), PvError> {
    let b = text.as_bytes();
    if depth > MAX_DEPTH {
        return Err(PvError::new(pos, "pseudo-variables nested too deeply"));
    }
    if b.get(pos) != Some(&b'$') {
        return Err(PvError::new(pos, "expected `$`"));
    }
    if b.get(pos + 1) == Some(&b'(') {
        parse_wrapped(text, pos, file, depth)
    } else {
        parse_plain(text, pos, file, depth)
    }
}

/// `$name`, `$name(inner)`, `$name(inner)[index]`.
fn parse_plain(
    text: &str,
    pos: usize,
    file: FileId,
    depth: u32,
) -> Result<(PvSpec, usize), PvError> {
    let b = text.as_bytes();
    let start = pos + 1;
    let mut p = scan(b, start, is_name_byte);
    // A sentence-ending dot ("call from $fU.") is not part of the name.
    while p > start && b[p - 1] == b'.' {
        p -= 1;
    }
    if p == start {
        return Err(PvError::new(
            start,
            "expected a pseudo-variable name after `$`",
        ));
    }
    let name = text[start..p].to_string();
    let mut inner = None;
    if b.get(p) == Some(&b'(') {
        let (i, np) = parse_inner(text, p, file, depth)?;
        inner = Some(i);
        p = np;
    }
    let mut index = None;
    if b.get(p) == Some(&b'[') {
        if let Some((i, np)) = parse_index(text, p, file, depth)? {
            index = Some(i);
            p = np;
        }
    }
    let spec = PvSpec {
        name,
        context: None,
        inner,
        index,
        transforms: Vec::new(),
        span: Span::new(file, pos, p),
    };
    Ok((spec, p))
}

/// `$(<ctx>name(inner)[index]{tr}...)`.
fn parse_wrapped(
    text: &str,
    pos: usize,
    file: FileId,
    depth: u32,
) -> Result<(PvSpec, usize), PvError> {
    let b = text.as_bytes();
    let mut p = pos + 2;
    let mut context = None;
    if b.get(p) == Some(&b'<') {
        let s = p + 1;
        let e = scan(b, s, |c| c.is_ascii_alphanumeric() || c == b'_');
        if b.get(e) != Some(&b'>') || e == s {
            return Err(PvError::new(e, "expected a context name and `>`"));
        }
        context = Some(text[s..e].to_string());
        p = e + 1;
    }
    let e = scan(b, p, is_name_byte);
    if e == p {
        return Err(PvError::new(
            p,
            "expected a pseudo-variable name after `$(`",
        ));
    }
    let name = text[p..e].to_string();
    p = e;
    let mut inner = None;
    if b.get(p) == Some(&b'(') {
        let (i, np) = parse_inner(text, p, file, depth)?;
        inner = Some(i);
        p = np;
    }
    let mut index = None;
    if b.get(p) == Some(&b'[') {
        match parse_index(text, p, file, depth)? {
            Some((i, np)) => {
                index = Some(i);
                p = np;
            }
            None => {
                return Err(PvError::new(
                    p,
                    "invalid index: expected an integer, `*` or a pseudo-variable",
                ))
            }
        }
    }
    let mut transforms = Vec::new();
    while b.get(p) == Some(&b'{') {
        let (t, np) = parse_transform_at(text, p, file, depth)?;
        transforms.push(t);
        p = np;
    }
    if b.get(p) != Some(&b')') {
        return Err(PvError::new(p, "expected `)` closing `$(`"));
    }
    p += 1;
    let spec = PvSpec {
        name,
        context,
        inner,
        index,
        transforms,
        span: Span::new(file, pos, p),
    };
    Ok((spec, p))
}

/// The `(...)` at `text[pos]`, matched with nesting so that `$avp($var(x))`
/// works.
fn parse_inner(
    text: &str,
    pos: usize,
    file: FileId,
    depth: u32,
) -> Result<(PvInner, usize), PvError> {
    let b = text.as_bytes();
    let mut level = 0usize;
    let mut q = pos;
    let close = loop {
        match b.get(q) {
            None => return Err(PvError::new(pos, "unclosed `(` in pseudo-variable")),
            Some(b'(') => level += 1,
            Some(b')') => {
                level -= 1;
                if level == 0 {
                    break q;
                }
            }
            Some(_) => {}
        }
        q += 1;
    };
    let s = pos + 1;
    if b.get(s) == Some(&b'$') && starts_pv(b.get(s + 1).copied()) {
        let (spec, end) = parse_pv_at(text, s, file, depth + 1)?;
        if end == close {
            return Ok((PvInner::Pv(Box::new(spec)), close + 1));
        }
    }
    Ok((PvInner::Text(text[s..close].to_string()), close + 1))
}

/// The `[...]` at `text[pos]`; `Ok(None)` when it is not a valid index (then
/// the bracket is not part of the PV: `"$var(a)[x]"` is a PV and text).
fn parse_index(
    text: &str,
    pos: usize,
    file: FileId,
    depth: u32,
) -> Result<Option<(PvIndex, usize)>, PvError> {
    let b = text.as_bytes();
    let s = pos + 1;
    if b.get(s) == Some(&b'*') && b.get(s + 1) == Some(&b']') {
        return Ok(Some((PvIndex::All, s + 2)));
    }
    if b.get(s) == Some(&b'$') && starts_pv(b.get(s + 1).copied()) {
        let (spec, end) = parse_pv_at(text, s, file, depth + 1)?;
        if b.get(end) == Some(&b']') {
            return Ok(Some((PvIndex::Pv(Box::new(spec)), end + 1)));
        }
        return Ok(None);
    }
    let digits_from = if b.get(s) == Some(&b'-') { s + 1 } else { s };
    let e = scan(b, digits_from, |c| c.is_ascii_digit());
    if e == digits_from || b.get(e) != Some(&b']') {
        return Ok(None);
    }
    match text[s..e].parse::<i64>() {
        Ok(n) => Ok(Some((PvIndex::Int(n), e + 1))),
        Err(_) => Ok(None),
    }
}

/// Advances from `p` while `f` holds; returns the first offset where it fails.
pub(crate) fn scan(b: &[u8], mut p: usize, f: impl Fn(u8) -> bool) -> usize {
    while p < b.len() && f(b[p]) {
        p += 1;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pv(s: &str) -> PvSpec {
        let (spec, end) = parse_pv_at(s, 0, FileId(0), 0).expect(s);
        assert_eq!(end, s.len(), "{s} not fully consumed");
        spec
    }

    #[test]
    fn plain_name_and_trailing_dot() {
        let (spec, end) = parse_pv_at("$fU. bye", 0, FileId(0), 0).unwrap();
        assert_eq!(spec.name, "fU");
        assert_eq!(end, 3);
        assert_eq!(pv("$err.class").name, "err.class");
    }

    #[test]
    fn inner_with_nested_parens_and_dynamic_name() {
        let p = pv("$avp($var(n))");
        match p.inner {
            Some(PvInner::Pv(inner)) => {
                assert_eq!(inner.name, "var");
                assert_eq!(inner.inner, Some(PvInner::Text("n".into())));
                assert_eq!(inner.span, Span::new(FileId(0), 5, 12));
            }
            other => panic!("{other:?}"),
        }
        let p = pv("$hdr($var(a)b)");
        assert_eq!(p.inner, Some(PvInner::Text("$var(a)b".into())));
    }

    #[test]
    fn index_forms() {
        assert_eq!(pv("$hdr(Via)[1]").index, Some(PvIndex::Int(1)));
        assert_eq!(pv("$(hdr(Via)[-1])").index, Some(PvIndex::Int(-1)));
        assert_eq!(pv("$(ct[*])").index, Some(PvIndex::All));
        match pv("$avp(a)[$var(i)]").index {
            Some(PvIndex::Pv(p)) => assert_eq!(p.name, "var"),
            other => panic!("{other:?}"),
        }
        // Not an index: the bracket stays outside the PV.
        let (spec, end) = parse_pv_at("$var(a)[x]", 0, FileId(0), 0).unwrap();
        assert_eq!((spec.index, end), (None, 7));
    }

    #[test]
    fn wrapped_errors() {
        let e = parse_pv_at("$(ru{uri.user}", 0, FileId(0), 0).unwrap_err();
        assert_eq!(e.offset, 14);
        let e = parse_pv_at("$(hdr(X)[z])", 0, FileId(0), 0).unwrap_err();
        assert_eq!(e.offset, 8);
        let e = parse_pv_at("$hdr(Via", 0, FileId(0), 0).unwrap_err();
        assert_eq!(e.offset, 4);
    }

    #[test]
    fn context() {
        let p = pv("$(<reply>hdr(X))");
        assert_eq!(p.context.as_deref(), Some("reply"));
        assert_eq!(p.name, "hdr");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut s = String::from("$var(x)");
        for _ in 0..100 {
            s = format!("$avp({s})");
        }
        assert!(parse_pv_at(&s, 0, FileId(0), 0).is_err());
    }
}
