//! `stream_exists(media[, transport])` and `stream_delete(media[, transport])`: look for, or
//! remove, whole SDP media streams — an `m=` line with every line up to the next `m=` —
//! whose media name (`audio`, `video`, `image`) matches the first regular expression and,
//! when given, whose transport (`RTP/AVP`, `RTP/SAVP`, `udptl`) matches the second. The
//! session-level lines before the first `m=` are never touched.

use regex::Regex;
use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::route_type::RouteMask;

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    let params = || {
        vec![
            ParamSpec::req("media", ParamKind::Regex),
            ParamSpec::opt("transport", ParamKind::Regex),
        ]
    };
    [("stream_exists", false), ("stream_delete", true)]
        .into_iter()
        .map(|(name, delete)| {
            FunctionDecl::new(
                name,
                params(),
                RouteMask::WITH_MESSAGE,
                move |c: &mut Context, a: &Args| {
                    let Some(media) = a.regex(c, 0).map(|r| r.into_owned()) else {
                        return -1;
                    };
                    let transport = if a.has(1) {
                        match a.regex(c, 1) {
                            Some(r) => Some(r.into_owned()),
                            None => return -1,
                        }
                    } else {
                        None
                    };
                    run(c, delete, &media, transport.as_ref())
                },
            )
        })
        .collect()
}

/// 1 when a matching stream exists (and, for a delete, was removed), -1 otherwise.
fn run(ctx: &mut Context, delete: bool, media: &Regex, transport: Option<&Regex>) -> i32 {
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    let Ok(body) = String::from_utf8(ctx.edits.body(msg).to_vec()) else {
        return -1;
    };
    let (found, kept) = select(&body, media, transport);
    if !found {
        return -1;
    }
    if !delete {
        return 1;
    }
    match ctx.edits.replace_body(msg, kept.as_bytes(), None) {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

/// Whether a stream matches, and the body without the matching streams.
fn select(body: &str, media: &Regex, transport: Option<&Regex>) -> (bool, String) {
    let mut found = false;
    let mut dropping = false;
    let mut kept = String::with_capacity(body.len());
    for line in body.split_inclusive('\n') {
        if let Some(m) = line.strip_prefix("m=") {
            let mut fields = m.split_whitespace();
            let name = fields.next().unwrap_or("");
            let proto = fields.nth(1).unwrap_or("");
            dropping = media.is_match(name) && transport.is_none_or(|t| t.is_match(proto));
            found |= dropping;
        }
        if !dropping {
            kept.push_str(line);
        }
    }
    (found, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDP: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
        m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n\
        m=video 4002 RTP/SAVP 96\r\na=rtpmap:96 H264/90000\r\na=sendrecv\r\n\
        m=image 4004 udptl t38\r\n";

    fn re(s: &str) -> Regex {
        Regex::new(s).unwrap()
    }

    #[test]
    fn matches_by_media_and_transport_and_drops_whole_streams() {
        assert!(select(SDP, &re("image"), None).0);
        assert!(select(SDP, &re("video"), Some(&re("SAVP"))).0);
        assert!(!select(SDP, &re("audio"), Some(&re("SAVP"))).0);
        assert!(!select(SDP, &re("text"), None).0);
        let (found, kept) = select(SDP, &re("video"), None);
        assert!(found);
        assert!(!kept.contains("m=video") && !kept.contains("H264") && !kept.contains("sendrecv"));
        assert!(kept.contains("m=audio 4000") && kept.contains("PCMU") && kept.contains("m=image"));
        assert!(kept.starts_with("v=0\r\n"));
    }
}
