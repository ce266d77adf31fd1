//! The Route set of a request as a list of values with the header line each sits on, and
//! how removing some of them (and appending one) is written as edits.
//!
//! A Route line may hold several comma-separated values; removing the first value of such a
//! line rewrites the line with the values that stay, so untouched values pass byte-exact.

use siplua_sip::edit::{Edits, Position};
use siplua_sip::headers::NameAddr;
use siplua_sip::{HeaderKind, Message};

/// One Route value.
#[derive(Clone, Copy, Debug)]
pub struct RouteValue<'m> {
    /// The header line it is on.
    pub line: usize,
    /// Its text.
    pub text: &'m str,
    /// Parsed.
    pub addr: NameAddr<'m>,
}

/// Every Route value of `msg` in order; an error names the first one that does not parse.
pub fn read(msg: &Message) -> Result<Vec<RouteValue<'_>>, String> {
    msg.values(HeaderKind::Route)
        .map(|v| {
            NameAddr::parse(v.text)
                .map(|addr| RouteValue {
                    line: v.index,
                    text: v.text,
                    addr,
                })
                .map_err(|e| format!("bad Route '{}': {}", v.text, e.what))
        })
        .collect()
}

/// Records the edits that drop the values at `removed` (indexes into `routes`) and add
/// `append` as a new last Route line.
pub fn rewrite(
    msg: &Message,
    edits: &mut Edits,
    routes: &[RouteValue],
    removed: &[usize],
    append: Option<&str>,
) -> Result<(), String> {
    let mut lines: Vec<usize> = routes.iter().map(|r| r.line).collect();
    lines.dedup();
    for &line in &lines {
        let on_line: Vec<(usize, &RouteValue)> = routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.line == line)
            .collect();
        let kept: Vec<&str> = on_line
            .iter()
            .filter(|(i, _)| !removed.contains(i))
            .map(|(_, r)| r.text)
            .collect();
        if kept.len() == on_line.len() {
            continue;
        }
        let result = if kept.is_empty() {
            edits.remove_header(msg, line)
        } else {
            edits.replace_value(msg, line, &kept.join(", "))
        };
        result.map_err(|e| format!("cannot edit Route: {e}"))?;
    }
    if let Some(value) = append {
        let at = lines.last().map_or(Position::End, |&l| Position::After(l));
        edits
            .add_header(msg, "Route", value, at)
            .map_err(|e| format!("cannot add Route: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_first_of_a_multi_value_line_and_append() {
        let raw = "BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nRoute: <sip:p1;lr>, <sip:p2;lr>\r\nRoute: <sip:p3>\r\nCall-ID: c\r\n\r\n";
        let msg = Message::parse_slice(raw.as_bytes()).unwrap();
        let routes = read(&msg).unwrap();
        assert_eq!(routes.len(), 3);
        let mut edits = Edits::default();
        rewrite(&msg, &mut edits, &routes, &[0, 2], Some("<sip:b@h>")).unwrap();
        let out = String::from_utf8(edits.apply(&msg)).unwrap();
        assert!(
            out.contains("Route: <sip:p2;lr>\r\nRoute: <sip:b@h>\r\nCall-ID"),
            "{out}"
        );
        assert!(!out.contains("p1") && !out.contains("p3"), "{out}");
    }
}
