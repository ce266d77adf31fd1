//! `$C(fb)`: the ANSI escape OpenSIPS' xlog writes to colour what follows, `f` the
//! foreground and `b` the background: `x` default, `s` black, `r` red, `g` green, `y` yellow,
//! `b` blue, `p` purple, `c` cyan, `w` white; an upper-case foreground is bright (bold).
//! `$C(xx)` goes back to the default colours.

use super::Inner;

const COLORS: &str = "srgybpcw";

fn is_color(c: char) -> bool {
    c.eq_ignore_ascii_case(&'x') || COLORS.contains(c.to_ascii_lowercase())
}

/// A constant argument must be two colour letters (a load error otherwise).
pub(super) fn check(inner: &Inner) -> Result<(), String> {
    match inner {
        Inner::Text(t) if t.chars().count() != 2 || !t.chars().all(is_color) => Err(format!(
            "$C({t}): two colour letters expected (x s r g y b p c w; upper case for bright)"
        )),
        _ => Ok(()),
    }
}

/// The escape sequence for `fb`; empty for anything else.
pub(super) fn escape(fb: &str) -> String {
    let mut chars = fb.chars();
    let (Some(f), Some(b), None) = (chars.next(), chars.next(), chars.next()) else {
        return String::new();
    };
    if !is_color(f) || !is_color(b) {
        return String::new();
    }
    let code = |c: char, base: u8| match COLORS.find(c.to_ascii_lowercase()) {
        Some(i) => (base + i as u8).to_string(),
        None => (base + 9).to_string(),
    };
    let bold = if f.is_ascii_uppercase() && f != 'X' {
        1
    } else {
        0
    };
    format!("\x1b[{bold};{};{}m", code(f, 30), code(b, 40))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape("rx"), "\x1b[0;31;49m");
        assert_eq!(escape("Gb"), "\x1b[1;32;44m");
        assert_eq!(escape("xx"), "\x1b[0;39;49m");
        assert_eq!(escape("q"), "");
        assert!(check(&Inner::Text("zz".into())).is_err());
        assert!(check(&Inner::Text("Yw".into())).is_ok());
    }
}
