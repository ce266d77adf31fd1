//! Regular-expression edits of the message text and a few checks on it: `replace`,
//! `replace_all` (the header lines), `replace_body`, `replace_body_all`,
//! `replace_body_atonce`, `search_append`,
//! `search_append_body`, `remove_hf_re`,
//! `remove_hf_glob`, `append_time`, `is_audio_on_hold`, `sipmsg_validate`; and the core's `force_tcp_alias`.

use chrono::Utc;
use regex::Regex;
use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::route_type::RouteMask;
use siplua_sip::Message;

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    let re_txt = || {
        vec![
            ParamSpec::req("regex", ParamKind::Regex),
            ParamSpec::req("text", ParamKind::Str),
        ]
    };
    let m = RouteMask::WITH_MESSAGE;
    vec![
        FunctionDecl::new("replace", re_txt(), m, |c, a| {
            replace(c, a, Part::Head, false)
        }),
        FunctionDecl::new("replace_all", re_txt(), m, |c, a| {
            replace(c, a, Part::Head, true)
        }),
        FunctionDecl::new("replace_body", re_txt(), m, |c, a| {
            replace(c, a, Part::Body, false)
        }),
        FunctionDecl::new("replace_body_all", re_txt(), m, |c, a| {
            replace(c, a, Part::Body, true)
        }),
        // The body is matched as one text here, so every match at once is what
        // `replace_body_all` already does.
        FunctionDecl::new("replace_body_atonce", re_txt(), m, |c, a| {
            replace(c, a, Part::Body, true)
        }),
        FunctionDecl::new("search_append", re_txt(), m, |c, a| {
            search_append(c, a, Part::Head)
        }),
        FunctionDecl::new("search_append_body", re_txt(), m, |c, a| {
            search_append(c, a, Part::Body)
        }),
        FunctionDecl::new(
            "remove_hf_re",
            vec![ParamSpec::req("regex", ParamKind::Regex)],
            m,
            remove_hf_re,
        ),
        FunctionDecl::new(
            "remove_hf_glob",
            vec![ParamSpec::req("pattern", ParamKind::Str)],
            m,
            remove_hf_glob,
        ),
        FunctionDecl::new("append_time", vec![], m, append_time),
        FunctionDecl::new("is_audio_on_hold", vec![], m, |c, _| match c.msg.as_ref() {
            Some(msg) if audio_on_hold(msg) => 1,
            _ => -1,
        }),
        // Messages that do not parse or break RFC 3261's rules are answered (400) or
        // dropped before any route runs, so a message a route sees is valid.
        FunctionDecl::new(
            "sipmsg_validate",
            vec![
                ParamSpec::opt("flags", ParamKind::Str),
                ParamSpec::opt("result_var", ParamKind::Var),
            ],
            m,
            |c, _| if c.msg.is_some() { 1 } else { -1 },
        ),
        // siplua reuses a TCP connection for requests to the address it came from anyway.
        FunctionDecl::new(
            "force_tcp_alias",
            vec![ParamSpec::opt("port", ParamKind::Int)],
            RouteMask::ALL,
            |_, _| 1,
        ),
    ]
}

/// Which part of the message a replacement works on.
#[derive(Clone, Copy)]
enum Part {
    /// The header lines (not the start line).
    Head,
    /// The body.
    Body,
}

/// The byte range of the header lines in the message (after the start line).
fn head_range(msg: &Message) -> (usize, usize) {
    let first_line_end = msg
        .as_bytes()
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(0, |i| i + 2);
    (first_line_end, msg.body_span().start as usize)
}

/// Replaces the first (or every) match of the regular expression in `part` with the text
/// (pseudo-variables expanded); 1 when something was replaced.
fn replace(ctx: &mut Context, args: &Args, part: Part, all: bool) -> i32 {
    let (Some(re), Some(text)) = (args.regex(ctx, 0), args.str(ctx, 1)) else {
        return -1;
    };
    let (re, text): (Regex, String) = (re.into_owned(), text.into_owned());
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    if let Part::Body = part {
        // On the body as earlier functions of the route left it.
        let Ok(body) = String::from_utf8(ctx.edits.body(msg).to_vec()) else {
            return -1;
        };
        if !re.find_iter(&body).any(|m| !m.is_empty()) {
            return -1;
        }
        let literal = regex::NoExpand(text.as_str());
        let new = if all {
            re.replace_all(&body, literal)
        } else {
            re.replace(&body, literal)
        };
        return match ctx.edits.replace_body(msg, new.as_bytes(), None) {
            Ok(()) => 1,
            Err(_) => -1,
        };
    }
    let (start, end) = head_range(msg);
    let Some(hay) = msg
        .as_bytes()
        .get(start..end)
        .and_then(|b| std::str::from_utf8(b).ok())
    else {
        return -1;
    };
    let mut replaced = false;
    for m in re.find_iter(hay) {
        if m.is_empty() {
            continue;
        }
        if ctx
            .edits
            .replace_range(msg, start + m.start(), start + m.end(), &text)
            .is_ok()
        {
            replaced = true;
        }
        if !all {
            break;
        }
    }
    if replaced {
        1
    } else {
        -1
    }
}

/// `search_append(re, text)`, `search_append_body(re, text)`: the text (pseudo-variables
/// expanded) goes right after the first match in the header lines or the body; 1 when
/// there was a match.
fn search_append(ctx: &mut Context, args: &Args, part: Part) -> i32 {
    let (Some(re), Some(text)) = (args.regex(ctx, 0), args.str(ctx, 1)) else {
        return -1;
    };
    let (re, text): (Regex, String) = (re.into_owned(), text.into_owned());
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    let result = match part {
        Part::Body => {
            let body = ctx.edits.body(msg).to_vec();
            let Some(m) = std::str::from_utf8(&body).ok().and_then(|b| re.find(b)) else {
                return -1;
            };
            let mut new = body[..m.end()].to_vec();
            new.extend_from_slice(text.as_bytes());
            new.extend_from_slice(&body[m.end()..]);
            ctx.edits.replace_body(msg, &new, None)
        }
        Part::Head => {
            let (start, end) = head_range(msg);
            let hay = msg
                .as_bytes()
                .get(start..end)
                .and_then(|b| std::str::from_utf8(b).ok());
            let Some(m) = hay.and_then(|h| re.find(h)) else {
                return -1;
            };
            let with_text = format!("{}{text}", m.as_str());
            ctx.edits
                .replace_range(msg, start + m.start(), start + m.end(), &with_text)
        }
    };
    match result {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

/// Removes every header whose name matches the regular expression.
fn remove_hf_re(ctx: &mut Context, args: &Args) -> i32 {
    let Some(re) = args.regex(ctx, 0) else {
        return -1;
    };
    let re = re.into_owned();
    remove_headers_where(ctx, |name| {
        std::str::from_utf8(name).is_ok_and(|n| re.is_match(n))
    })
}

/// Removes every header whose name matches the shell pattern (`*` any run, `?` one
/// character; case-insensitive, as OpenSIPS' `fnmatch` with `FNM_CASEFOLD`).
fn remove_hf_glob(ctx: &mut Context, args: &Args) -> i32 {
    let Some(pattern) = args.str(ctx, 0) else {
        return -1;
    };
    let pattern = pattern.to_ascii_lowercase();
    remove_headers_where(ctx, |name| {
        crate::permissions::matching::wildcard(pattern.as_bytes(), &name.to_ascii_lowercase())
    })
}

/// Removes every header whose name `doomed` accepts: 1 when one was removed, -1 otherwise.
fn remove_headers_where(ctx: &mut Context, doomed: impl Fn(&[u8]) -> bool) -> i32 {
    let Some(msg) = ctx.msg else {
        return -1;
    };
    let indexes: Vec<usize> = msg
        .headers()
        .iter()
        .enumerate()
        .filter(|(_, h)| doomed(msg.bytes(h.name_span())))
        .map(|(i, _)| i)
        .collect();
    let removed = indexes
        .into_iter()
        .filter(|&i| ctx.edits.remove_header(msg, i).is_ok())
        .count();
    if removed > 0 {
        1
    } else {
        -1
    }
}

/// Adds a `Date` header with the current time (RFC 3261 §20.17, GMT).
fn append_time(ctx: &mut Context, _: &Args) -> i32 {
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    let now = Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    match ctx
        .edits
        .add_header(msg, "Date", &now, siplua_sip::edit::Position::End)
    {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

/// Whether the SDP puts the audio stream on hold: `a=sendonly` / `a=inactive`, or a
/// `0.0.0.0` connection address (RFC 2543 style), for the audio media or the session.
fn audio_on_hold(msg: &Message) -> bool {
    let Ok(body) = std::str::from_utf8(msg.body()) else {
        return false;
    };
    let mut in_audio = false;
    let mut session = true;
    for line in body.lines().map(str::trim_end) {
        if let Some(m) = line.strip_prefix("m=") {
            session = false;
            in_audio = m.starts_with("audio");
            continue;
        }
        if !(in_audio || session) {
            continue;
        }
        if matches!(line, "a=sendonly" | "a=inactive")
            || (line.starts_with("c=") && line.ends_with(" 0.0.0.0"))
        {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_body(sdp: &str) -> Message {
        let text = format!(
            "INVITE sip:b@y SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
             From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\
             Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        Message::parse_slice(text.as_bytes()).unwrap()
    }

    #[test]
    fn hold_detection() {
        let base = "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n";
        assert!(!audio_on_hold(&with_body(base)));
        assert!(audio_on_hold(&with_body(&format!("{base}a=sendonly\r\n"))));
        assert!(audio_on_hold(&with_body(
            &base.replace("10.0.0.1", "0.0.0.0")
        )));
        let video = format!("{base}m=video 4002 RTP/AVP 96\r\na=inactive\r\n");
        assert!(
            !audio_on_hold(&with_body(&video)),
            "only the video is inactive"
        );
    }
}
