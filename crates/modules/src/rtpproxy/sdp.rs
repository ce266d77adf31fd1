//! The SDP side of the module: the media streams an offer or answer describes, and the body
//! rewritten so that media flows through the proxy.

use super::flags::Flags;

/// One `m=` stream of a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    /// 1 for the first `m=` line: the proxy's per-call media number.
    pub number: usize,
    /// The port the stream is received on; 0 for a disabled stream.
    pub port: u16,
    /// The connection address in effect (the media's own `c=`, else the session's).
    pub address: Option<String>,
}

/// Whether the body is an SDP at all (has a `v=` line).
pub fn is_sdp(body: &str) -> bool {
    body.lines().any(|l| l.starts_with("v="))
}

/// Whether a line of the body equals `marker` (`nortpproxy_str`).
pub fn has_marker(body: &str, marker: &str) -> bool {
    !marker.is_empty() && body.lines().any(|l| l.trim_end() == marker)
}

/// The address field (the last) of a `c=` line.
fn connection_address(line: &str) -> Option<String> {
    let addr = line.trim_end().split(' ').nth(2)?;
    Some(addr.split('/').next().unwrap_or(addr).to_owned())
}

/// The streams, in order.
pub fn streams(body: &str) -> Vec<Stream> {
    let mut session_addr = None;
    let mut out: Vec<Stream> = Vec::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("m=") {
            let port = rest
                .split(' ')
                .nth(1)
                .and_then(|p| p.split('/').next())
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            out.push(Stream {
                number: out.len() + 1,
                port,
                address: session_addr.clone(),
            });
        } else if line.starts_with("c=") {
            match out.last_mut() {
                Some(s) => s.address = connection_address(line),
                None => session_addr = connection_address(line),
            }
        }
    }
    out
}

/// Replaces the address of a `c=`/`o=` line (the last two fields: family and address),
/// keeping a null address (a held stream).
fn with_address(line: &str, ip: &str) -> String {
    let mut fields: Vec<&str> = line.split(' ').collect();
    let n = fields.len();
    if n < 3 || matches!(fields[n - 1], "0.0.0.0" | "::") {
        return line.to_owned();
    }
    fields[n - 2] = if ip.contains(':') { "IP6" } else { "IP4" };
    fields[n - 1] = ip;
    fields.join(" ")
}

/// The body with each stream in `ports` (stream number, proxy port) moved to the proxy at
/// `ip`, and `marker` added (when not empty and not there yet).
pub fn rewrite(
    body: &str,
    ports: &[(usize, u16)],
    ip: &str,
    flags: &Flags,
    marker: &str,
) -> String {
    let port_of = |n: usize| ports.iter().find(|(m, _)| *m == n).map(|(_, p)| *p);
    let all_have_own_c = {
        let mut sections = body.split("\nm=").skip(1).peekable();
        sections.peek().is_some() && sections.all(|s| s.contains("\nc="))
    };
    let mut out = String::with_capacity(body.len() + 64);
    let mut stream = 0;
    for line in body.split_inclusive('\n') {
        let text = line.trim_end_matches(['\r', '\n']);
        let eol = &line[text.len()..];
        let moved = port_of(stream);
        let new = if let Some(rest) = text.strip_prefix("m=") {
            stream += 1;
            match port_of(stream) {
                Some(port) => with_port(rest, port),
                None => text.to_owned(),
            }
        } else if text.starts_with("c=") {
            let session = stream == 0 && (flags.session_connection || !all_have_own_c);
            if session || moved.is_some() {
                with_address(text, ip)
            } else {
                text.to_owned()
            }
        } else if text.starts_with("o=") && flags.origin {
            with_address(text, ip)
        } else if let (Some(rest), Some(port)) = (text.strip_prefix("a=rtcp:"), moved) {
            // RTCP goes to the port after the proxy's RTP port.
            let tail = rest.split_once(' ').map(|(_, t)| t);
            match tail {
                Some(t) => with_address(&format!("a=rtcp:{} {t}", u32::from(port) + 1), ip),
                None => format!("a=rtcp:{}", u32::from(port) + 1),
            }
        } else {
            text.to_owned()
        };
        out.push_str(&new);
        out.push_str(eol);
    }
    if !marker.is_empty() && !has_marker(body, marker) {
        // The body's own line ending (CRLF as RFC 4566 wants, LF from lax agents).
        let eol = if body.contains("\r\n") || !body.contains('\n') {
            "\r\n"
        } else {
            "\n"
        };
        if !out.ends_with('\n') {
            out.push_str(eol);
        }
        out.push_str(marker);
        out.push_str(eol);
    }
    out
}

/// An `m=` line (without `m=`) with its port replaced, keeping a `/count` suffix.
fn with_port(rest: &str, port: u16) -> String {
    let mut fields: Vec<String> = rest.split(' ').map(str::to_owned).collect();
    if let Some(p) = fields.get_mut(1) {
        *p = match p.split_once('/') {
            Some((_, count)) => format!("{port}/{count}"),
            None => port.to_string(),
        };
    }
    format!("m={}", fields.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0 8\r\na=rtcp:4001\r\nm=video 0 RTP/AVP 96\r\nm=video 5000 RTP/AVP 97\r\nc=IN IP4 10.0.0.2\r\n";

    #[test]
    fn finds_streams_and_addresses() {
        let s = streams(OFFER);
        assert_eq!(s.len(), 3);
        assert_eq!(
            (s[0].number, s[0].port, s[0].address.as_deref()),
            (1, 4000, Some("10.0.0.1"))
        );
        assert_eq!(s[1].port, 0);
        assert_eq!(s[2].address.as_deref(), Some("10.0.0.2"));
    }

    #[test]
    fn moves_streams_to_the_proxy() {
        let flags = super::super::flags::parse("o").unwrap();
        let out = rewrite(
            OFFER,
            &[(1, 30000), (3, 30002)],
            "192.0.2.9",
            &flags,
            "a=nortpproxy:yes",
        );
        assert_eq!(
            out,
            "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
m=audio 30000 RTP/AVP 0 8\r\na=rtcp:30001\r\nm=video 0 RTP/AVP 96\r\nm=video 30002 RTP/AVP 97\r\n\
c=IN IP4 192.0.2.9\r\na=nortpproxy:yes\r\n"
        );
        assert!(has_marker(&out, "a=nortpproxy:yes"));
        // The marker is not added twice.
        assert_eq!(
            rewrite(&out, &[], "192.0.2.9", &flags, "a=nortpproxy:yes"),
            out
        );
    }

    #[test]
    fn the_marker_takes_the_body_s_line_ending() {
        let lf = "v=0\nc=IN IP4 10.0.0.1\nm=audio 4000 RTP/AVP 0\n";
        let out = rewrite(
            lf,
            &[(1, 30000)],
            "192.0.2.9",
            &Flags::default(),
            "a=nortpproxy:yes",
        );
        assert_eq!(
            out,
            "v=0\nc=IN IP4 192.0.2.9\nm=audio 30000 RTP/AVP 0\na=nortpproxy:yes\n"
        );
    }

    #[test]
    fn keeps_a_held_stream_and_the_session_c_when_every_stream_has_its_own() {
        let sdp = "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n";
        let flags = Flags::default();
        let out = rewrite(sdp, &[(1, 30000)], "192.0.2.9", &flags, "");
        assert_eq!(
            out,
            "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 30000 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n"
        );
    }
}
