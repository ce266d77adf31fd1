//! Format strings: a quoted script string is text with pseudo-variables
//! expanded at run time (`"user=$fU"`). A `$` that cannot start a PV name
//! stays literal text (`"^[0-9]+$"` is a plain regex).

use crate::pv::{parse_pv_at, starts_pv, PvError, PvSpec};
use crate::span::FileId;

/// A parsed string: its pieces for run-time expansion, plus the whole text
/// for the uses that want it verbatim (regexes, static names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatString {
    /// Literal text and PVs in order; adjacent text is merged.
    pub parts: Vec<FmtPart>,
    /// The string as written, after escape processing (`\n`, `\"`...).
    pub text: String,
}

/// One piece of a [`FormatString`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FmtPart {
    /// Literal text.
    Text(String),
    /// A PV to expand.
    Pv(PvSpec),
}

impl FormatString {
    /// Whether the string has no PV, so the engine can treat it as a constant.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, FmtPart::Text(_)))
    }
}

/// Splits `text` into parts; spans are offsets into `text` in `file`.
pub(crate) fn parse_format_in(text: &str, file: FileId) -> Result<FormatString, PvError> {
    let b = text.as_bytes();
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut lit_start = 0;
    let mut p = 0;
    while p < b.len() {
        if b[p] == b'$' && b.get(p + 1) == Some(&b'$') {
            // `$$` is a literal `$` (how scripts pass `$$SHELL_VAR` to exec()).
            lit.push_str(&text[lit_start..=p]);
            p += 2;
            lit_start = p;
        } else if b[p] == b'$' && starts_pv(b.get(p + 1).copied()) {
            lit.push_str(&text[lit_start..p]);
            if !lit.is_empty() {
                parts.push(FmtPart::Text(std::mem::take(&mut lit)));
            }
            let (spec, end) = parse_pv_at(text, p, file, 0)?;
            parts.push(FmtPart::Pv(spec));
            p = end;
            lit_start = end;
        } else {
            p += 1;
        }
    }
    lit.push_str(&text[lit_start..]);
    if !lit.is_empty() {
        parts.push(FmtPart::Text(lit));
    }
    Ok(FormatString {
        parts,
        text: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixes_text_and_pvs() {
        let f = parse_format_in("sip:$rU@$(fd{s.tolower}):5060", FileId(0)).unwrap();
        assert_eq!(f.parts.len(), 5);
        assert_eq!(f.parts[0], FmtPart::Text("sip:".into()));
        assert!(matches!(&f.parts[1], FmtPart::Pv(p) if p.name == "rU"));
        assert_eq!(f.parts[2], FmtPart::Text("@".into()));
        assert!(matches!(&f.parts[3], FmtPart::Pv(p) if p.transforms.len() == 1));
        assert_eq!(f.parts[4], FmtPart::Text(":5060".into()));
        assert!(!f.is_literal());
    }

    #[test]
    fn lone_dollar_is_text() {
        let f = parse_format_in("^[0-9]+$ costs $ 5 $", FileId(0)).unwrap();
        assert_eq!(f.parts, vec![FmtPart::Text("^[0-9]+$ costs $ 5 $".into())]);
        assert!(f.is_literal());
    }

    #[test]
    fn double_dollar_is_one_literal_dollar() {
        let f = parse_format_in("echo $$HOME-$$$rU", FileId(0)).unwrap();
        assert_eq!(f.parts[0], FmtPart::Text("echo $HOME-$".into()));
        assert!(matches!(&f.parts[1], FmtPart::Pv(p) if p.name == "rU"));
        assert_eq!(f.parts.len(), 2);
    }

    #[test]
    fn malformed_pv_is_an_error() {
        let e = parse_format_in("x $(ru{uri.user", FileId(0)).unwrap_err();
        assert_eq!(e.offset, 15);
    }
}
