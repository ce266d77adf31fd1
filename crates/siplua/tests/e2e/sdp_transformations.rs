//! `{sdp.line}`, `{sdp.stream}` and `{sdp.stream-delete}`, end to end: applied to the SDP body
//! of an INVITE and sent back in reply headers.

use crate::common;

use common::*;

/// Two audio streams and a video one; the video stream has its own `c=` line.
const SDP: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
    m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n\
    m=video 5000 RTP/AVP 31\r\nc=IN IP4 192.0.2.9\r\na=sendonly\r\n\
    m=audio 6000 RTP/AVP 8\r\n";

/// (header, expression, expected value) checked on one reply.
const EXPECTED: &[HeaderCheck] = &[
    ("c", "$(rb{sdp.line,c})", "c=IN IP4 192.0.2.1"),
    ("c1", "$(rb{sdp.line,c,1})", "c=IN IP4 192.0.2.9"),
    ("c2", "$(rb{sdp.line,c,2})", "<null>"),
    ("cip", "$(rb{sdp.line,c}{s.select,2, })", "192.0.2.1"),
    ("m1", "$(rb{sdp.line,m,1})", "m=video 5000 RTP/AVP 31"),
    ("nob", "$(rb{sdp.line,b})", "<null>"),
    (
        "pv",
        "$(rb{sdp.line,$var(t),$var(n)})",
        "m=audio 6000 RTP/AVP 8",
    ),
    (
        "vc",
        "$(rb{sdp.stream,video}{sdp.line,c})",
        "c=IN IP4 192.0.2.9",
    ),
    ("vlen", "$(rb{sdp.stream,video}{s.len})", "57"),
    (
        "a0",
        "$(rb{sdp.stream,audio}{sdp.line,m})",
        "m=audio 4000 RTP/AVP 0 8",
    ),
    (
        "idx",
        "$(rb{sdp.stream,-1}{sdp.line,m})",
        "m=audio 6000 RTP/AVP 8",
    ),
    (
        "spv",
        "$(rb{sdp.stream,$var(media)}{sdp.line,a})",
        "a=sendonly",
    ),
    ("none", "$(rb{sdp.stream,image})", "<null>"),
    ("out", "$(rb{sdp.stream,3})", "<null>"),
    (
        "delm",
        "$(rb{sdp.stream-delete,audio}{sdp.line,m,1})",
        "<null>",
    ),
    ("delv", "$(rb{sdp.stream-delete,1}{sdp.line,c,1})", "<null>"),
    (
        "delm0",
        "$(rb{sdp.stream-delete,AUDIO}{sdp.line,m})",
        "m=video 5000 RTP/AVP 31",
    ),
];

fn invite(c: &UdpClient, body: &str) -> String {
    request(
        "INVITE",
        "sip:bob@127.0.0.1",
        c.port(),
        "Content-Type: application/sdp\r\n",
    )
    .replace(
        "Content-Length: 0\r\n\r\n",
        &format!("Content-Length: {}\r\n\r\n{body}", body.len()),
    )
}

#[test]
fn sdp_lines_and_streams_of_an_invite_body() {
    let headers = check_header_lines(EXPECTED);
    let server = Server::start(&cfg(
        "",
        &format!(
            r#"route {{
            $var(t) = "m";
            $var(n) = 2;
            $var(media) = "video";
            append_to_reply("{headers}");
            sl_send_reply(200, "OK");
        }}"#
        ),
    ));
    let c = UdpClient::new();
    // The same answers whether the body's lines end in CRLF or in a bare LF, except the
    // length of a stream, which counts its line ends.
    for (body, vlen) in [(SDP.to_owned(), "57"), (SDP.replace("\r\n", "\n"), "54")] {
        let reply = c.ask(&server, &invite(&c, &body));
        let checks: Vec<HeaderCheck> = EXPECTED
            .iter()
            .map(|&(n, e, v)| (n, e, if n == "vlen" { vlen } else { v }))
            .collect();
        assert_check_headers(&reply, &checks);
    }
}

#[test]
fn bad_constant_sdp_arguments_are_load_errors() {
    let (out, path) = check_config(
        "sdp.cfg",
        "loadmodule \"proto_udp.so\"\nsocket = udp:127.0.0.1:5999\nroute {\n    $var(a) = $(rb{sdp.line,cc});\n    $var(b) = $(rb{sdp.line,c,-1});\n    $var(c) = $(rb{sdp.line});\n    $var(d) = $(rb{sdp.stream,audio,1});\n    $var(e) = $(rb{sdp.line,c,x});\n}\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let p = path.display();
    for want in [
        format!("{p}:4:15: {{sdp.line}}: the line type must be one character, got \"cc\""),
        format!(
            "{p}:5:15: {{sdp.line}}: the line index must be a non-negative integer, got \"-1\""
        ),
        format!("{p}:6:15: transformation {{sdp.line}} takes 1 to 2 argument(s), got 0"),
        format!("{p}:7:15: transformation {{sdp.stream}} takes 1 argument(s), got 2"),
        format!("{p}:8:15: {{sdp.line}}: the line index must be a non-negative integer, got \"x\""),
    ] {
        assert!(err.lines().any(|l| l == want), "missing {want}\n{err}");
    }
}
