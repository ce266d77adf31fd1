//! The `codec_*` functions: look for, delete or reorder the payload types of the SDP's
//! media lines by codec name (and clock rate) or by a regular expression on the name —
//! `codec_exists`, `codec_delete`, `codec_move_up`, `codec_move_down` and their `_re`
//! forms, and `codec_delete_except_re`. A payload type's name comes from its `a=rtpmap`
//! line, else from RFC 3551's static table; deleting one also drops its `a=rtpmap`,
//! `a=fmtp` and `a=rtcp-fb` lines.

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::route_type::RouteMask;

/// What a function does with the payload types it selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Exists,
    Delete,
    DeleteOthers,
    MoveUp,
    MoveDown,
}

/// RFC 3551's static payload types: number, name, clock rate.
const STATIC: [(u8, &str, u32); 22] = [
    (0, "PCMU", 8000),
    (3, "GSM", 8000),
    (4, "G723", 8000),
    (5, "DVI4", 8000),
    (6, "DVI4", 16000),
    (7, "LPC", 8000),
    (8, "PCMA", 8000),
    (9, "G722", 8000),
    (10, "L16", 44100),
    (11, "L16", 44100),
    (12, "QCELP", 8000),
    (13, "CN", 8000),
    (14, "MPA", 90000),
    (15, "G728", 8000),
    (16, "DVI4", 11025),
    (17, "DVI4", 22050),
    (18, "G729", 8000),
    (25, "CelB", 90000),
    (26, "JPEG", 90000),
    (31, "H261", 90000),
    (32, "MPV", 90000),
    (34, "H263", 90000),
];

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    let by_name = || {
        vec![
            ParamSpec::req("name", ParamKind::Str),
            ParamSpec::opt("clock", ParamKind::Str),
        ]
    };
    let by_re = || vec![ParamSpec::req("regexp", ParamKind::Regex)];
    let m = RouteMask::WITH_MESSAGE;
    let mut out = Vec::new();
    for (name, action) in [
        ("codec_exists", Action::Exists),
        ("codec_delete", Action::Delete),
        ("codec_move_up", Action::MoveUp),
        ("codec_move_down", Action::MoveDown),
    ] {
        out.push(FunctionDecl::new(
            name,
            by_name(),
            m,
            move |c: &mut Context, a: &Args| {
                let wanted = a.str(c, 0).unwrap_or_default().into_owned();
                let clock = a.str(c, 1).map(|s| s.into_owned());
                let select = |n: &str, k: u32| {
                    n.eq_ignore_ascii_case(&wanted)
                        && clock.as_deref().is_none_or(|want| want == k.to_string())
                };
                run(c, action, &select)
            },
        ));
    }
    for (name, action) in [
        ("codec_exists_re", Action::Exists),
        ("codec_delete_re", Action::Delete),
        ("codec_delete_except_re", Action::DeleteOthers),
        ("codec_move_up_re", Action::MoveUp),
        ("codec_move_down_re", Action::MoveDown),
    ] {
        out.push(FunctionDecl::new(
            name,
            by_re(),
            m,
            move |c: &mut Context, a: &Args| {
                let Some(re) = a.regex(c, 0).map(|r| r.into_owned()) else {
                    return -1;
                };
                run(c, action, &|n: &str, _| re.is_match(n))
            },
        ));
    }
    out
}

/// Applies `action` to the payload types `select` picks (by name and clock rate); 1 when
/// some were found (and the body changed, for the editing actions).
fn run(ctx: &mut Context, action: Action, select: &dyn Fn(&str, u32) -> bool) -> i32 {
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    let Ok(body) = String::from_utf8(ctx.edits.body(msg).to_vec()) else {
        return -1;
    };
    let Some(new) = edit(&body, action, select) else {
        return -1;
    };
    if action == Action::Exists || new == body {
        return 1;
    }
    match ctx.edits.replace_body(msg, new.as_bytes(), None) {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

/// One `a=rtpmap:PT name/clock` line read.
fn rtpmap(line: &str) -> Option<(&str, &str, u32)> {
    let rest = line.strip_prefix("a=rtpmap:")?;
    let (pt, codec) = rest.split_once(' ')?;
    let mut parts = codec.trim().split('/');
    let name = parts.next()?;
    let clock = parts.next().and_then(|c| c.parse().ok()).unwrap_or(8000);
    Some((pt, name, clock))
}

/// The payload type an attribute line is about (`a=rtpmap:8 ...`, `a=fmtp:101 ...`).
fn attribute_pt(line: &str) -> Option<&str> {
    ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"]
        .iter()
        .find_map(|p| line.strip_prefix(p))
        .and_then(|rest| rest.split([' ', '\t']).next())
}

/// The body with `action` applied; `None` when no payload type was selected.
fn edit(body: &str, action: Action, select: &dyn Fn(&str, u32) -> bool) -> Option<String> {
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    // Media sections: the index of the m= line and of the line after the section.
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("m="))
        .collect();
    let mut drop_line = vec![false; lines.len()];
    let mut new_m: Vec<Option<String>> = vec![None; lines.len()];
    let mut found = false;
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(lines.len());
        let section = &lines[start..end];
        let text = section[0].trim_end_matches(['\r', '\n']);
        let fields: Vec<&str> = text.split(' ').collect();
        if fields.len() < 4 {
            continue;
        }
        let codec = |pt: &str| -> Option<(String, u32)> {
            section
                .iter()
                .filter_map(|l| rtpmap(l.trim_end()))
                .find(|(p, ..)| *p == pt)
                .map(|(_, n, c)| (n.to_owned(), c))
                .or_else(|| {
                    let n: u8 = pt.parse().ok()?;
                    STATIC
                        .iter()
                        .find(|(s, ..)| *s == n)
                        .map(|(_, name, clock)| ((*name).to_owned(), *clock))
                })
        };
        let pts = &fields[3..];
        let chosen: Vec<&str> = pts
            .iter()
            .copied()
            .filter(|pt| codec(pt).is_some_and(|(n, c)| select(&n, c)))
            .collect();
        found |= !chosen.is_empty();
        let others: Vec<&str> = pts
            .iter()
            .copied()
            .filter(|p| !chosen.contains(p))
            .collect();
        let (order, gone): (Vec<&str>, Vec<&str>) = match action {
            Action::Exists => continue,
            Action::Delete => (others, chosen),
            Action::DeleteOthers => (chosen, others),
            Action::MoveUp => ([chosen, others].concat(), Vec::new()),
            Action::MoveDown => ([others, chosen].concat(), Vec::new()),
        };
        if order.is_empty() && !gone.is_empty() {
            // No payload type left: keep the stream (its removal is stream_delete's job).
            continue;
        }
        let eol = &section[0][text.len()..];
        new_m[start] = Some(format!(
            "{} {}{eol}",
            fields[..3].join(" "),
            order.join(" ")
        ));
        for (j, line) in section.iter().enumerate().skip(1) {
            if attribute_pt(line.trim_end()).is_some_and(|pt| gone.contains(&pt)) {
                drop_line[start + j] = true;
            }
        }
    }
    if !found {
        return None;
    }
    let mut out = String::with_capacity(body.len());
    for (i, line) in lines.iter().enumerate() {
        if drop_line[i] {
            continue;
        }
        match &new_m[i] {
            Some(m) => out.push_str(m),
            None => out.push_str(line),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    const SDP: &str = "v=0\r\nc=IN IP4 10.0.0.1\r\n\
m=audio 4000 RTP/AVP 0 8 18 101\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n\
a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\nm=video 4002 RTP/AVP 96\r\n\
a=rtpmap:96 H264/90000\r\n";

    fn named(name: &'static str) -> impl Fn(&str, u32) -> bool {
        move |n: &str, _| n.eq_ignore_ascii_case(name)
    }

    #[test]
    fn exists_delete_and_move() {
        assert!(edit(SDP, Action::Exists, &named("pcma")).is_some());
        assert!(edit(SDP, Action::Exists, &named("opus")).is_none());
        let out = edit(SDP, Action::Delete, &named("G729")).unwrap();
        assert!(out.contains("m=audio 4000 RTP/AVP 0 8 101\r\n"), "{out}");
        assert!(
            !out.contains("a=rtpmap:18") && !out.contains("a=fmtp:18"),
            "{out}"
        );
        assert!(out.contains("a=fmtp:101 0-15\r\n"), "{out}");
        let out = edit(SDP, Action::MoveUp, &named("PCMA")).unwrap();
        assert!(out.contains("m=audio 4000 RTP/AVP 8 0 18 101\r\n"), "{out}");
        let out = edit(SDP, Action::MoveDown, &named("PCMU")).unwrap();
        assert!(out.contains("m=audio 4000 RTP/AVP 8 18 101 0\r\n"), "{out}");
    }

    #[test]
    fn delete_except_keeps_streams_with_nothing_left() {
        let re = Regex::new("^(PCMA|telephone-event)$").unwrap();
        let out = edit(SDP, Action::DeleteOthers, &|n: &str, _| re.is_match(n)).unwrap();
        assert!(out.contains("m=audio 4000 RTP/AVP 8 101\r\n"), "{out}");
        // The video stream has no such codec: left as it is.
        assert!(
            out.contains("m=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"),
            "{out}"
        );
    }
}
