//! `uac_replace_from` / `uac_replace_to`: the new value of a From or To header, built from the
//! old one with another display name and/or URI, its parameters (the tag) kept.

use siplua_sip::headers::name_addr::NameAddr;
use siplua_sip::Uri;

/// Which header a call rewrites.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The From header.
    From,
    /// The To header.
    To,
}

/// The display name as written in a header: kept when already quoted or a single token,
/// quoted otherwise (as OpenSIPS' fixup does).
fn display_text(d: &str) -> String {
    let quoted = d.len() >= 2 && d.starts_with('"') && d.ends_with('"');
    let token = !d.is_empty()
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b));
    if quoted || token {
        d.to_owned()
    } else {
        format!("\"{}\"", d.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The new header value. `display`: `None` keeps the old display name, `Some("")` removes it;
/// `uri`: empty keeps the old URI. Errors name what is wrong.
pub fn new_value(old: &str, display: Option<&str>, uri: &str) -> Result<String, String> {
    let na = NameAddr::parse(old).map_err(|e| format!("cannot parse {old:?}: {e}"))?;
    let uri = if uri.is_empty() {
        na.uri().as_str().to_owned()
    } else {
        Uri::parse(uri).map_err(|e| format!("bad URI {uri:?}: {e}"))?;
        uri.to_owned()
    };
    let display = match display {
        None => na.display_raw().map(str::to_owned),
        Some("") => None,
        Some(d) => Some(display_text(d)),
    };
    let mut out = String::with_capacity(old.len() + uri.len());
    if let Some(d) = display {
        out.push_str(&d);
        out.push(' ');
    }
    out.push('<');
    out.push_str(&uri);
    out.push('>');
    out.push_str(na.params().as_str());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_display_and_uri_keeping_the_tag() {
        let old = "\"Alice\" <sip:alice@a.example>;tag=1928";
        assert_eq!(
            new_value(old, Some("Trunk User"), "sip:+15551234@trunk.example").unwrap(),
            "\"Trunk User\" <sip:+15551234@trunk.example>;tag=1928"
        );
        assert_eq!(
            new_value(old, None, "sip:x@y").unwrap(),
            "\"Alice\" <sip:x@y>;tag=1928"
        );
        assert_eq!(
            new_value(old, Some(""), "").unwrap(),
            "<sip:alice@a.example>;tag=1928"
        );
        assert_eq!(
            new_value("sip:bob@b;tag=x", Some("batman"), "").unwrap(),
            "batman <sip:bob@b>;tag=x"
        );
        assert!(new_value(old, None, "not a uri").is_err());
    }
}
