//! The SDP transformations' helpers (`{sdp.line}`, `{sdp.stream}`, `{sdp.stream-delete}`):
//! pure functions of an SDP body given as text.
//!
//! A line ends at CR, LF or the end of the text, so bodies with CRLF or bare LF line ends
//! read the same; a line is of type `x` when it starts with `x=`.

use std::ops::Range;

use crate::value::Value;

/// Which streams `{sdp.stream}` and `{sdp.stream-delete}` pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamSel {
    /// The streams whose `m=` media is this (case-insensitive).
    Media(String),
    /// The stream at this position, counted from 0; negative counts from the last.
    Index(i64),
}

impl StreamSel {
    /// The selector an argument spells: an integer (or text that is one) is a position, any
    /// other text a media name, as OpenSIPS reads it.
    pub fn of(v: &Value) -> StreamSel {
        match v.to_int() {
            Some(i) => StreamSel::Index(i),
            None => StreamSel::Media(v.as_str().into_owned()),
        }
    }
}

/// The lines of `body`, each with its byte offset, without their line ends.
fn lines(body: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    body.split(['\r', '\n']).filter_map(move |l| {
        let at = start;
        start += l.len() + 1;
        (!l.is_empty()).then_some((at, l))
    })
}

/// True when `line` is an SDP line of type `ty` (`ty=...`).
fn is_type(line: &str, ty: char) -> bool {
    let mut c = line.chars();
    c.next() == Some(ty) && c.next() == Some('=')
}

/// `{sdp.line,type,nth}`: the nth (from 0) line of type `ty` anywhere in the body, whole
/// (`c=IN IP4 192.0.2.1`); none when there are fewer.
pub fn line(body: &str, ty: char, nth: usize) -> Option<&str> {
    lines(body)
        .filter(|(_, l)| is_type(l, ty))
        .nth(nth)
        .map(|(_, l)| l)
}

/// The media streams of a body: each `m=` line's media name and the byte range from that line
/// to the next `m=` or `v=` line (or the end), line ends included.
fn streams(body: &str) -> Vec<(&str, Range<usize>)> {
    let mut out: Vec<(&str, Range<usize>)> = Vec::new();
    for (at, l) in lines(body) {
        if is_type(l, 'm') || is_type(l, 'v') {
            if let Some(last) = out.last_mut() {
                if last.1.end == body.len() {
                    last.1.end = at;
                }
            }
        }
        if is_type(l, 'm') {
            let media = l[2..].split(' ').next().unwrap_or("");
            out.push((media, at..body.len()));
        }
    }
    out
}

/// The positions in `all` that `sel` picks: every stream of the media, or the one at the index.
fn picked(all: &[(&str, Range<usize>)], sel: &StreamSel) -> Vec<usize> {
    match sel {
        StreamSel::Media(m) => (0..all.len())
            .filter(|&i| all[i].0.eq_ignore_ascii_case(m))
            .collect(),
        StreamSel::Index(i) => {
            let n = all.len() as i64;
            let i = if *i < 0 { n + i } else { *i };
            if (0..n).contains(&i) {
                vec![i as usize]
            } else {
                Vec::new()
            }
        }
    }
}

/// `{sdp.stream,media|index}`: the first stream picked, from its `m=` line to the next stream;
/// none when no stream is picked.
pub fn stream<'a>(body: &'a str, sel: &StreamSel) -> Option<&'a str> {
    let all = streams(body);
    let first = *picked(&all, sel).first()?;
    Some(&body[all[first].1.clone()])
}

/// `{sdp.stream-delete,media|index}`: the body without the streams picked; none when no
/// stream is picked.
pub fn stream_delete(body: &str, sel: &StreamSel) -> Option<String> {
    let all = streams(body);
    let gone = picked(&all, sel);
    if gone.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(body.len());
    let mut from = 0;
    for i in gone {
        out.push_str(&body[from..all[i].1.start]);
        from = all[i].1.end;
    }
    out.push_str(&body[from..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRLF: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
        m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n\
        m=video 5000 RTP/AVP 31\r\nc=IN IP4 192.0.2.9\r\na=sendonly\r\n\
        m=AUDIO 6000 RTP/AVP 0\r\n";

    fn lf() -> String {
        CRLF.replace("\r\n", "\n")
    }

    #[test]
    fn lines_by_type_and_position() {
        for body in [CRLF.to_owned(), lf()] {
            assert_eq!(line(&body, 'c', 0), Some("c=IN IP4 192.0.2.1"));
            assert_eq!(line(&body, 'c', 1), Some("c=IN IP4 192.0.2.9"));
            assert_eq!(line(&body, 'c', 2), None);
            assert_eq!(line(&body, 'm', 2), Some("m=AUDIO 6000 RTP/AVP 0"));
            assert_eq!(line(&body, 'b', 0), None);
            assert_eq!(line(&body, 'a', 1), Some("a=sendonly"));
        }
        // A last line without its line end, and `x=` inside a line is not a line of type x.
        assert_eq!(
            line("v=0\r\nc=IN IP4 1.2.3.4", 'c', 0),
            Some("c=IN IP4 1.2.3.4")
        );
        assert_eq!(line("v=0\r\na=x c=y\r\n", 'c', 0), None);
        assert_eq!(line("", 'v', 0), None);
    }

    #[test]
    fn streams_by_media_or_index() {
        let audio = "m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n";
        let video = "m=video 5000 RTP/AVP 31\r\nc=IN IP4 192.0.2.9\r\na=sendonly\r\n";
        let last = "m=AUDIO 6000 RTP/AVP 0\r\n";
        let sel = |s: &str| StreamSel::of(&Value::from(s));
        assert_eq!(stream(CRLF, &sel("audio")), Some(audio));
        assert_eq!(stream(CRLF, &sel("Video")), Some(video));
        assert_eq!(stream(CRLF, &StreamSel::Index(1)), Some(video));
        assert_eq!(stream(CRLF, &sel("2")), Some(last));
        assert_eq!(stream(CRLF, &StreamSel::Index(-1)), Some(last));
        assert_eq!(stream(CRLF, &StreamSel::Index(-3)), Some(audio));
        assert_eq!(stream(CRLF, &StreamSel::Index(3)), None);
        assert_eq!(stream(CRLF, &StreamSel::Index(-4)), None);
        assert_eq!(stream(CRLF, &sel("image")), None);
        assert_eq!(stream("v=0\r\ns=-\r\n", &StreamSel::Index(0)), None);
        assert_eq!(
            stream(&lf(), &sel("video")),
            Some(video.replace("\r\n", "\n").as_str())
        );
    }

    #[test]
    fn a_stream_ends_at_the_next_session() {
        let two = "v=0\r\nm=audio 1 RTP/AVP 0\r\na=x\r\nv=0\r\nm=video 2 RTP/AVP 31\r\n";
        assert_eq!(
            stream(two, &StreamSel::Index(0)),
            Some("m=audio 1 RTP/AVP 0\r\na=x\r\n")
        );
    }

    #[test]
    fn deleting_streams() {
        let head = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
        let audio = "m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n";
        let video = "m=video 5000 RTP/AVP 31\r\nc=IN IP4 192.0.2.9\r\na=sendonly\r\n";
        let last = "m=AUDIO 6000 RTP/AVP 0\r\n";
        let del = |sel: StreamSel| stream_delete(CRLF, &sel);
        assert_eq!(
            del(StreamSel::Media("audio".into())),
            Some(format!("{head}{video}"))
        );
        assert_eq!(
            del(StreamSel::Index(1)),
            Some(format!("{head}{audio}{last}"))
        );
        assert_eq!(
            del(StreamSel::Index(-1)),
            Some(format!("{head}{audio}{video}"))
        );
        assert_eq!(del(StreamSel::Media("image".into())), None);
        assert_eq!(del(StreamSel::Index(5)), None);
    }
}
