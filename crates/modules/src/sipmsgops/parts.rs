//! Body parts: `has_body_part([mime])`, `remove_body_part([mime[, "revert"]])`,
//! `add_body_part(body, mime[, headers])`, `filter_body(mime)` on a single or a multipart
//! body.
//!
//! A single body is one part (its type the message's Content-Type); a `multipart/*` body is
//! split on its boundary. Changes rebuild the body with Content-Type and Content-Length
//! fixed: no part left gives no body (and no Content-Type), one part a plain body of that
//! part's type, several a `multipart/mixed` body (the message's boundary kept when it had
//! one). The functions build on each other and on the other body functions of the same
//! route (`codec_delete`, ...): they read the body as the route's edits leave it.

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::log;
use siplua_core::route_type::RouteMask;
use siplua_sip::headers::content_type::ContentType;
use siplua_sip::{HeaderKind, Message};

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    let opt = |n| ParamSpec::opt(n, ParamKind::Str);
    let m = RouteMask::WITH_MESSAGE;
    vec![
        FunctionDecl::new("has_body_part", vec![opt("mime")], m, has_body_part),
        FunctionDecl::new(
            "remove_body_part",
            vec![opt("mime"), opt("revert")],
            m,
            remove_body_part,
        ),
        FunctionDecl::new(
            "filter_body",
            vec![ParamSpec::req("mime", ParamKind::Str)],
            m,
            filter_body,
        ),
        FunctionDecl::new(
            "add_body_part",
            vec![
                ParamSpec::req("body", ParamKind::Str),
                ParamSpec::req("mime", ParamKind::Str),
                opt("headers"),
            ],
            m,
            add_body_part,
        ),
    ]
}

/// One part: its header lines (each ending in CRLF; the Content-Type among them) and body.
#[derive(Clone, Debug, PartialEq)]
struct Part {
    mime: String,
    headers: String,
    body: Vec<u8>,
}

/// The Content-Type value the body functions of this route left, when they changed it
/// (`None`: the body was removed).
struct CurrentType(Option<String>);

/// `type/subtype` of a Content-Type value, lower case.
fn mime_of(value: &str) -> String {
    match ContentType::parse(value) {
        Ok(ct) => format!("{}/{}", ct.mtype, ct.subtype).to_ascii_lowercase(),
        Err(_) => value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    }
}

/// The body's Content-Type value as the route's edits leave it.
fn content_type(ctx: &Context, msg: &Message) -> Option<String> {
    match ctx.ext::<CurrentType>() {
        Some(CurrentType(t)) => t.clone(),
        None => msg.get(HeaderKind::ContentType).map(str::to_owned),
    }
}

/// The multipart boundary of a Content-Type value.
fn boundary(value: &str) -> Option<String> {
    let ct = ContentType::parse(value).ok()?;
    if !ct.mtype.eq_ignore_ascii_case("multipart") {
        return None;
    }
    let b = ct.params.value("boundary")?;
    Some(b.trim_matches('"').to_owned()).filter(|b| !b.is_empty())
}

/// The parts of `body` whose Content-Type is `ct`.
fn parts(body: &[u8], ct: Option<&str>) -> Vec<Part> {
    if body.is_empty() {
        return Vec::new();
    }
    let ct = ct.unwrap_or("");
    let Some(b) = boundary(ct) else {
        return vec![Part {
            mime: mime_of(ct),
            headers: if ct.is_empty() {
                String::new()
            } else {
                format!("Content-Type: {ct}\r\n")
            },
            body: body.to_vec(),
        }];
    };
    let delim = format!("--{b}");
    let d = delim.as_bytes();
    // Delimiter lines: at the start of the body or of a line.
    let mut marks = Vec::new();
    let mut i = 0;
    while i + d.len() <= body.len() {
        if &body[i..i + d.len()] == d && (i == 0 || body[i - 1] == b'\n') {
            marks.push(i);
            i += d.len();
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for w in marks.windows(2) {
        let (start, end) = (w[0], w[1]);
        // Skip the delimiter line itself.
        let Some(nl) = body[start..end].iter().position(|&c| c == b'\n') else {
            continue;
        };
        let from = start + nl + 1;
        // The CRLF before the next delimiter belongs to it.
        let mut to = end;
        if to > from && body[to - 1] == b'\n' {
            to -= 1;
        }
        if to > from && body[to - 1] == b'\r' {
            to -= 1;
        }
        out.push(split_part(&body[from..to]));
    }
    out
}

/// A part's headers and body (split at the first blank line).
fn split_part(raw: &[u8]) -> Part {
    let (head, body) = if raw.starts_with(b"\r\n") {
        (&raw[..0], &raw[2..])
    } else if raw.starts_with(b"\n") {
        (&raw[..0], &raw[1..])
    } else if let Some(p) = find(raw, b"\r\n\r\n") {
        (&raw[..p + 2], &raw[p + 4..])
    } else if let Some(p) = find(raw, b"\n\n") {
        (&raw[..p + 1], &raw[p + 2..])
    } else {
        (raw, &raw[raw.len()..])
    };
    let head = String::from_utf8_lossy(head);
    let mut headers = String::new();
    let mut mime = String::from("text/plain");
    for line in head.lines().filter(|l| !l.trim().is_empty()) {
        if let Some((n, v)) = line.split_once(':') {
            if n.trim().eq_ignore_ascii_case("content-type") || n.trim() == "c" {
                mime = mime_of(v.trim());
            }
        }
        headers.push_str(line.trim_end());
        headers.push_str("\r\n");
    }
    Part {
        mime,
        headers,
        body: body.to_vec(),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The body and Content-Type for `parts` (`None` for no part).
fn build(parts: &[Part], old_ct: Option<&str>) -> Option<(Vec<u8>, String)> {
    match parts {
        [] => None,
        [one] => {
            let ct = one
                .headers
                .lines()
                .find_map(|l| {
                    let (n, v) = l.split_once(':')?;
                    let n = n.trim();
                    (n.eq_ignore_ascii_case("content-type") || n == "c").then(|| v.trim())
                })
                .unwrap_or(&one.mime)
                .to_owned();
            Some((one.body.clone(), ct))
        }
        many => {
            let (b, ct) = match old_ct.and_then(|c| boundary(c).map(|b| (b, c))) {
                Some((b, c)) => (b, c.to_owned()),
                None => {
                    let b = new_boundary(many);
                    let ct = format!("multipart/mixed;boundary={b}");
                    (b, ct)
                }
            };
            let mut body = Vec::new();
            for p in many {
                body.extend_from_slice(format!("--{b}\r\n{}\r\n", p.headers).as_bytes());
                body.extend_from_slice(&p.body);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
            Some((body, ct))
        }
    }
}

/// A boundary found in none of the parts.
fn new_boundary(parts: &[Part]) -> String {
    let mut n: u64 = seed();
    loop {
        let b = format!("siplua-{n:016x}");
        if !parts.iter().any(|p| find(&p.body, b.as_bytes()).is_some()) {
            return b;
        }
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
    }
}

/// A seed for boundaries that varies between calls.
fn seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// The `Edits` marks around the removal of the Content-Type header with the body.
struct TypeRemoved(usize, usize);

/// Writes `parts` as the message's body.
fn store(ctx: &mut Context, msg: &Message, parts: &[Part], old_ct: Option<&str>) -> bool {
    if let Some(TypeRemoved(from, to)) = ctx.take_ext::<TypeRemoved>() {
        ctx.edits.retract(from, to);
    }
    let result = match build(parts, old_ct) {
        Some((body, ct)) => {
            let r = ctx.edits.replace_body(msg, &body, Some(&ct));
            ctx.set_ext(CurrentType(Some(ct)));
            r
        }
        None => {
            let r = ctx.edits.replace_body(msg, b"", None);
            let from = ctx.edits.mark();
            ctx.edits.remove_headers_named(msg, "Content-Type");
            let to = ctx.edits.mark();
            ctx.set_ext(TypeRemoved(from, to));
            ctx.set_ext(CurrentType(None));
            r
        }
    };
    match result {
        Ok(()) => true,
        Err(e) => {
            log::emit(
                log::level::ERR,
                "sipmsgops",
                &format!("cannot rewrite the body: {e}"),
            );
            false
        }
    }
}

fn current(ctx: &Context, msg: &Message) -> (Option<String>, Vec<Part>) {
    let ct = content_type(ctx, msg);
    let body = ctx.edits.body(msg);
    let parts = parts(body, ct.as_deref());
    (ct, parts)
}

fn has_body_part(ctx: &mut Context, args: &Args) -> i32 {
    let Some(msg) = ctx.msg else { return -1 };
    let (_, parts) = current(ctx, msg);
    let found = match args.str(ctx, 0) {
        Some(want) => {
            let want = want.trim().to_ascii_lowercase();
            parts.iter().any(|p| p.mime == want)
        }
        None => !parts.is_empty(),
    };
    if found {
        1
    } else {
        -1
    }
}

fn remove_body_part(ctx: &mut Context, args: &Args) -> i32 {
    let Some(msg) = ctx.msg else { return -1 };
    let (ct, mut parts) = current(ctx, msg);
    if parts.is_empty() {
        return -1;
    }
    let before = parts.len();
    match args.str(ctx, 0) {
        None => parts.clear(),
        Some(want) => {
            let want = want.trim().to_ascii_lowercase();
            let revert = args
                .str(ctx, 1)
                .is_some_and(|r| r.trim().eq_ignore_ascii_case("revert"));
            parts.retain(|p| (p.mime == want) == revert);
        }
    }
    if parts.len() == before {
        return -1;
    }
    if store(ctx, msg, &parts, ct.as_deref()) {
        1
    } else {
        -1
    }
}

/// `filter_body(mime)`: the first part of that type becomes the whole body (with its
/// Content-Type); 1, -1 when there is no such part.
fn filter_body(ctx: &mut Context, args: &Args) -> i32 {
    let Some(msg) = ctx.msg else { return -1 };
    let Some(want) = args.str(ctx, 0).map(|w| w.trim().to_ascii_lowercase()) else {
        return -1;
    };
    let (ct, parts) = current(ctx, msg);
    let Some(keep) = parts.iter().find(|p| p.mime == want).cloned() else {
        return -1;
    };
    if parts.len() == 1 && ct.as_deref().map(mime_of).as_deref() == Some(want.as_str()) {
        return 1;
    }
    if store(ctx, msg, &[keep], ct.as_deref()) {
        1
    } else {
        -1
    }
}

fn add_body_part(ctx: &mut Context, args: &Args) -> i32 {
    let Some(msg) = ctx.msg else { return -1 };
    let (Some(body), Some(mime)) = (args.str(ctx, 0), args.str(ctx, 1)) else {
        return -1;
    };
    let mime = mime.trim().to_owned();
    if mime.is_empty() || mime.contains(['\r', '\n']) {
        return -1;
    }
    let mut headers = format!("Content-Type: {mime}\r\n");
    if let Some(extra) = args.str(ctx, 2) {
        for line in extra.lines().filter(|l| !l.trim().is_empty()) {
            headers.push_str(line.trim_end());
            headers.push_str("\r\n");
        }
    }
    let (ct, mut parts) = current(ctx, msg);
    parts.push(Part {
        mime: mime_of(&mime),
        headers,
        body: body.as_bytes().to_vec(),
    });
    if store(ctx, msg, &parts, ct.as_deref()) {
        1
    } else {
        -1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTI: &str = "--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n\
                         --b1\r\nContent-Type: application/isup\r\n\
                         Content-Disposition: signal\r\n\r\nISUP\r\n--b1--\r\n";

    #[test]
    fn splits_and_rebuilds() {
        let ct = "multipart/mixed;boundary=b1";
        let p = parts(MULTI.as_bytes(), Some(ct));
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].mime, "application/sdp");
        assert_eq!(p[0].body, b"v=0\r\n");
        assert_eq!(p[1].mime, "application/isup");
        assert_eq!(p[1].body, b"ISUP");
        let (body, ct2) = build(&p, Some(ct)).unwrap();
        assert_eq!(ct2, ct);
        assert_eq!(String::from_utf8(body).unwrap(), MULTI);
        let (body, ct3) = build(&p[..1], Some(ct)).unwrap();
        assert_eq!(
            (body.as_slice(), ct3.as_str()),
            (&b"v=0\r\n"[..], "application/sdp")
        );
    }

    #[test]
    fn a_single_body_is_one_part() {
        let p = parts(b"v=0\r\n", Some("application/SDP"));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].mime, "application/sdp");
        assert!(parts(b"", Some("application/sdp")).is_empty());
    }
}
