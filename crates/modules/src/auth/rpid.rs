//! Remote-Party-ID helpers: `is_rpid_user_e164()` and `append_rpid_hf([prefix, suffix])`,
//! reading the URI a backend loaded into the `rpid_avp` AVP.

use siplua_core::context::Context;
use siplua_sip::edit::Position;
use siplua_sip::Uri;

/// The AVP name inside `$avp(name)` (or the bare name).
pub fn avp_name(spec: &str) -> Option<String> {
    let s = spec.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("NULL") {
        return None;
    }
    let inner = s
        .strip_prefix("$avp(")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(s);
    Some(inner.to_owned())
}

fn rpid(ctx: &Context, avp: Option<&str>) -> Option<String> {
    let v = ctx.avps.get(avp?, 0)?;
    let s = v.as_str();
    (!s.is_empty()).then(|| s.into_owned())
}

/// The URI of an RPID value: inside `<...>` when it is a name-addr, else the whole value.
fn uri_text(value: &str) -> &str {
    let value = value.trim();
    match value.split_once('<') {
        Some((_, rest)) => rest.split('>').next().unwrap_or(rest),
        None => value,
    }
}

/// 1 when the RPID URI's user is `+` and up to 15 digits, else -1.
pub fn is_user_e164(ctx: &Context, avp: Option<&str>) -> i32 {
    let Some(uri) = rpid(ctx, avp) else {
        return -1;
    };
    let text = uri_text(&uri);
    let user = Uri::parse(text)
        .ok()
        .and_then(|u| u.user().map(str::to_owned))
        .unwrap_or_else(|| text.split('@').next().unwrap_or("").to_owned());
    let digits = user.strip_prefix('+').unwrap_or("");
    if (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        1
    } else {
        -1
    }
}

/// Appends `Remote-Party-ID: prefix URI suffix`; 1, or -1 when there is no RPID.
pub fn append(ctx: &mut Context, avp: Option<&str>, prefix: &str, suffix: &str) -> i32 {
    let Some(uri) = rpid(ctx, avp) else {
        return -1;
    };
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    let value = format!("{prefix}{uri}{suffix}");
    match ctx
        .edits
        .add_header(msg, "Remote-Party-ID", &value, Position::End)
    {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_of_bare_and_bracketed_values() {
        assert_eq!(uri_text(" sip:+49123@x "), "sip:+49123@x");
        assert_eq!(
            uri_text("\"A\" <sip:+49123@x>;party=calling"),
            "sip:+49123@x"
        );
    }
}
