//! `rest_append_hf(txt)`: headers kept on the message being processed and sent with its
//! next HTTP request only (OpenSIPS clears its list after every transfer).

use siplua_core::context::Context;

/// The headers appended so far for the next request of this message.
#[derive(Default)]
pub struct PendingHeaders(pub Vec<(String, String)>);

/// Splits `Name: value`; `None` when there is no name or no colon.
pub fn parse(txt: &str) -> Option<(String, String)> {
    let txt = txt.trim_end_matches(['\r', '\n']);
    let (name, value) = txt.split_once(':')?;
    let name = name.trim();
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
    if !valid || value.contains(['\r', '\n']) {
        return None;
    }
    Some((name.to_string(), value.trim().to_string()))
}

/// Adds a header for the next request of this message.
pub fn append(ctx: &mut Context, header: (String, String)) {
    match ctx.ext_mut::<PendingHeaders>() {
        Some(p) => p.0.push(header),
        None => ctx.set_ext(PendingHeaders(vec![header])),
    }
}

/// Takes the pending headers: a request consumes them.
pub fn take(ctx: &mut Context) -> Vec<(String, String)> {
    ctx.take_ext::<PendingHeaders>()
        .map(|p| p.0)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_and_value() {
        assert_eq!(
            parse("Authorization: Bearer mF_9.B5f-4.1JqM"),
            Some(("Authorization".into(), "Bearer mF_9.B5f-4.1JqM".into()))
        );
        assert_eq!(parse("X-A:1\r\n"), Some(("X-A".into(), "1".into())));
        assert_eq!(parse("X-Empty:"), Some(("X-Empty".into(), "".into())));
    }

    #[test]
    fn rejects_malformed_headers() {
        assert_eq!(parse("no colon"), None);
        assert_eq!(parse(": value"), None);
        assert_eq!(parse("Bad Name: v"), None);
        assert_eq!(parse("X-A: 1\r\nX-B: 2"), None);
    }
}
