//! Quoted strings: `"..."` and `'...'` with OpenSIPS' escapes.
//!
//! `\n`, `\r`, `\t`, `\\`, `\"` and `\'` are translated; any other
//! backslash pair is kept as written, so regexes like `"\.com$"` survive.

use super::token::StrLit;

/// Lexes the string whose opening quote is at `text[pos]`. Returns the
/// literal and the offset past the closing quote, or the offset of the
/// opening quote when the string never ends.
pub(super) fn lex_string(text: &str, pos: usize) -> Result<(StrLit, usize), usize> {
    let b = text.as_bytes();
    let quote = b[pos];
    let mut out = Vec::new();
    let mut map = Vec::new();
    let mut p = pos + 1;
    loop {
        match b.get(p) {
            None => return Err(pos),
            Some(&c) if c == quote => break,
            Some(b'\\') => {
                let translated = match b.get(p + 1) {
                    Some(b'n') => Some(b'\n'),
                    Some(b'r') => Some(b'\r'),
                    Some(b't') => Some(b'\t'),
                    Some(&c @ (b'\\' | b'"' | b'\'')) => Some(c),
                    _ => None,
                };
                match translated {
                    Some(c) => {
                        out.push(c);
                        map.push(offset(p));
                        p += 2;
                    }
                    None => {
                        out.push(b'\\');
                        map.push(offset(p));
                        p += 1;
                    }
                }
            }
            Some(&c) => {
                out.push(c);
                map.push(offset(p));
                p += 1;
            }
        }
    }
    map.push(offset(p));
    let value = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Ok((StrLit { value, map }, p + 1))
}

fn offset(p: usize) -> u32 {
    u32::try_from(p).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let (s, end) = lex_string(r#""a\"b\\c\n\.d" x"#, 0).unwrap();
        assert_eq!(s.value, "a\"b\\c\n\\.d");
        assert_eq!(end, 14);
        assert_eq!(s.map.len(), s.value.len() + 1);
        // 'd' comes from source offset 12.
        assert_eq!(s.map[s.value.len() - 1], 12);
    }

    #[test]
    fn single_quotes_and_hash() {
        let (s, _) = lex_string("'it\\'s # not a comment'", 0).unwrap();
        assert_eq!(s.value, "it's # not a comment");
    }

    #[test]
    fn unterminated() {
        assert_eq!(lex_string("x \"abc", 2).unwrap_err(), 2);
    }
}
