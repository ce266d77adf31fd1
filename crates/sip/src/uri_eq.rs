//! URI equality as RFC 3261 §19.1.4 defines it for SIP and SIPS, which is not
//! string equality: proxies use it for loop detection, Route matching and
//! registrar bindings.

use crate::escape::escaped_eq;
use crate::params::{Param, Params};
use crate::uri::{Scheme, Uri};

/// Parameters that, present in only one of the URIs, make them different.
const STRICT_PARAMS: [&str; 5] = ["user", "ttl", "method", "maddr", "transport"];

/// Compares two URIs.
///
/// SIP/SIPS: same scheme; userinfo case-sensitive, the rest case-insensitive;
/// `%HH` equal to the character it encodes unless that character is reserved;
/// explicit ports must match (no port ≠ 5060); parameters present in both must
/// match, and `user`, `ttl`, `method`, `maddr`, `transport` must be in both or
/// neither; headers must match as sets.
/// `tel:`: numbers equal ignoring visual separators, parameters equal as sets.
/// Other schemes: scheme case-insensitive, the rest byte for byte.
pub fn uri_eq(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    if a.scheme() != b.scheme() {
        return false;
    }
    match a.scheme() {
        Scheme::Sip | Scheme::Sips => sip_eq(a, b),
        Scheme::Tel => tel_eq(a, b),
        Scheme::Other => {
            a.scheme_str().eq_ignore_ascii_case(b.scheme_str()) && a.opaque() == b.opaque()
        }
    }
}

fn opt_eq(a: Option<&str>, b: Option<&str>, case_sensitive: bool) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => escaped_eq(x, y, case_sensitive),
        _ => false,
    }
}

fn sip_eq(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    opt_eq(a.user(), b.user(), true)
        && opt_eq(a.password(), b.password(), true)
        && a.host().eq_ignore_ascii_case(b.host())
        && a.port() == b.port()
        && params_eq(a.params(), b.params())
        && headers_subset(a, b)
        && headers_subset(b, a)
}

/// The parameters that count: the first of each name, the one
/// [`Params::get`] reads. A repeated name (not allowed by RFC 3261, but
/// received) must not make a URI differ from itself.
fn firsts<'a>(p: Params<'a>) -> impl Iterator<Item = Param<'a>> {
    p.iter().enumerate().filter_map(move |(i, q)| {
        let repeated = p.iter().take(i).any(|r| escaped_eq(r.name, q.name, false));
        (!repeated).then_some(q)
    })
}

/// Common parameters agree; the strict ones appear in both or neither.
fn params_eq(a: Params<'_>, b: Params<'_>) -> bool {
    let common_ok =
        firsts(a).all(
            |pa| match b.iter().find(|pb| escaped_eq(pa.name, pb.name, false)) {
                Some(pb) => opt_eq(pa.value, pb.value, false),
                None => !is_strict(pa.name),
            },
        );
    common_ok
        && b.iter()
            .all(|pb| !is_strict(pb.name) || a.iter().any(|pa| escaped_eq(pa.name, pb.name, false)))
}

fn is_strict(name: &str) -> bool {
    STRICT_PARAMS.iter().any(|s| escaped_eq(name, s, false))
}

/// Every header of `a` is in `b` with an equal value.
fn headers_subset(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    a.headers().all(|(na, va)| {
        b.headers()
            .any(|(nb, vb)| escaped_eq(na, nb, false) && escaped_eq(va, vb, false))
    })
}

fn tel_eq(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    fn digits<'u>(u: &Uri<'u>) -> impl Iterator<Item = u8> + 'u {
        u.user()
            .unwrap_or("")
            .bytes()
            .filter(|c| !matches!(c, b'-' | b'.' | b'(' | b')'))
            .map(|c| c.to_ascii_lowercase())
    }
    let subset = |x: Params<'_>, y: Params<'_>| {
        x.iter().all(|p| {
            y.iter()
                .any(|q| p.name.eq_ignore_ascii_case(q.name) && opt_eq(p.value, q.value, false))
        })
    };
    digits(a).eq(digits(b)) && subset(a.params(), b.params()) && subset(b.params(), a.params())
}

#[cfg(test)]
mod tests {
    use super::uri_eq;
    use crate::uri::Uri;

    fn eq(a: &str, b: &str) -> bool {
        let (a, b) = (Uri::parse(a).unwrap(), Uri::parse(b).unwrap());
        let r = uri_eq(&a, &b);
        assert_eq!(r, uri_eq(&b, &a), "symmetry");
        r
    }

    #[test]
    fn rfc3261_equivalent() {
        assert!(eq(
            "sip:%61lice@atlanta.com;transport=TCP",
            "sip:alice@AtLanTa.CoM;Transport=tcp"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;newparam=5"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;security=on"
        ));
        assert!(eq(
            "sip:carol@chicago.com;newparam=5",
            "sip:carol@chicago.com;security=on"
        ));
        assert!(eq(
            "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"
        ));
        assert!(eq(
            "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
            "sip:alice@atlanta.com?priority=urgent&subject=project%20x"
        ));
    }

    #[test]
    fn rfc3261_not_equivalent() {
        assert!(!eq(
            "SIP:ALICE@AtLanTa.CoM;Transport=udp",
            "sip:alice@AtLanTa.CoM;Transport=UDP"
        ));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com;transport=udp"
        ));
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com:6000;transport=tcp"
        ));
        assert!(!eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com?Subject=next%20meeting"
        ));
        assert!(!eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
        assert!(!eq("sip:a@x", "sips:a@x"));
        assert!(!eq("sip:a%3Bb@x", "sip:a;b@x"));
        assert!(!eq("sip:x;lr", "sip:x;lr=on"));
        assert!(!eq("sip:x;maddr=a", "sip:x;maddr=b"));
        // A repeated parameter: the first one counts, and a URI equals itself.
        assert!(eq("sip:x;p=a;p=b", "sip:x;p=a;p=b"));
        assert!(eq("sip:x;p=a;p=b", "sip:x;P=a"));
        assert!(!eq("sip:x;p=a;p=b", "sip:x;p=b"));
    }

    #[test]
    fn other_schemes() {
        assert!(eq("tel:+1-201-555-0123", "tel:+12015550123"));
        assert!(!eq("tel:+1-201-555-0123", "tel:+12015550124"));
        assert!(!eq("tel:+1;a=b", "tel:+1"));
        assert!(eq("HTTP://x/y", "http://x/y"));
        assert!(!eq("http://x/Y", "http://x/y"));
        assert!(!eq("tel:+1", "sip:+1@x"));
    }
}
