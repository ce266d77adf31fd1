//! The server side of the WebSocket opening handshake (RFC 6455 §4.2) for SIP (RFC 7118):
//! the client's HTTP/1.1 `GET` with `Upgrade: websocket` is checked and answered `101` with
//! `Sec-WebSocket-Protocol: sip`, or refused with `400`.
//!
//! As OpenSIPS' `proto_ws`, the request must carry `Host`, `Upgrade: websocket`,
//! `Connection: Upgrade`, `Sec-WebSocket-Key` (a 16-byte nonce, 24 base64 characters),
//! `Sec-WebSocket-Version: 13`, `Sec-WebSocket-Protocol` listing `sip`, and `Origin` unless
//! `require_origin` is off. The resource (the request path) is not checked.

use tungstenite::handshake::derive_accept_key;

/// Longest upgrade request buffered before it is refused.
pub(crate) const MAX_REQUEST: usize = 8 * 1024;

/// Header lines an upgrade request may have.
const MAX_HEADERS: usize = 48;

/// The answer to a refused handshake (OpenSIPS' answer, with a Content-Length).
pub(crate) const REFUSAL: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n";

/// What the bytes received so far make of the opening handshake.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Upgrade {
    /// The request is not complete yet.
    Incomplete,
    /// Accepted: send `response`; the request took the first `consumed` bytes.
    Accept {
        /// The `101 Switching Protocols` answer.
        response: Vec<u8>,
        /// Length of the request in the buffer.
        consumed: usize,
    },
    /// Refused for `reason`: send [`REFUSAL`] and close.
    Refuse(String),
}

/// Reads the upgrade request at the start of `buf`.
pub(crate) fn parse(buf: &[u8], require_origin: bool) -> Upgrade {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let consumed = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_REQUEST => {
            return Upgrade::Refuse(format!("upgrade request longer than {MAX_REQUEST} bytes"))
        }
        Ok(httparse::Status::Partial) => return Upgrade::Incomplete,
        Err(e) => return Upgrade::Refuse(format!("not an HTTP request: {e}")),
    };
    match check(&req, require_origin) {
        Ok(key) => Upgrade::Accept {
            response: accept(key),
            consumed,
        },
        Err(reason) => Upgrade::Refuse(reason),
    }
}

/// The request's `Sec-WebSocket-Key` when everything RFC 6455 and RFC 7118 require is there.
fn check<'b>(req: &httparse::Request<'_, 'b>, require_origin: bool) -> Result<&'b [u8], String> {
    if req.method != Some("GET") {
        return Err(format!("method {:?} is not GET", req.method.unwrap_or("")));
    }
    if req.version != Some(1) {
        return Err("HTTP version is not 1.1".into());
    }
    let value = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    let has_token = |name: &str, token: &str| {
        value(name).is_some_and(|v| {
            v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
        })
    };
    let missing = |what: &str| Err(format!("{what} header missing or wrong"));
    if value("Host").is_none() {
        return missing("Host");
    }
    if !has_token("Upgrade", "websocket") {
        return missing("Upgrade: websocket");
    }
    if !has_token("Connection", "upgrade") {
        return missing("Connection: Upgrade");
    }
    if require_origin && value("Origin").is_none() {
        return missing("Origin");
    }
    if value("Sec-WebSocket-Version").map(<[u8]>::trim_ascii) != Some(b"13") {
        return missing("Sec-WebSocket-Version: 13");
    }
    if !has_token("Sec-WebSocket-Protocol", "sip") {
        return missing("Sec-WebSocket-Protocol: sip");
    }
    match value("Sec-WebSocket-Key").map(<[u8]>::trim_ascii) {
        Some(key) if key.len() == 24 => Ok(key),
        _ => missing("Sec-WebSocket-Key"),
    }
}

/// The `101` answer for `key`.
fn accept(key: &[u8]) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key)
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(extra: &str, protocol: &str) -> String {
        format!(
            "GET /ws HTTP/1.1\r\nHost: sip.example.com\r\nUpgrade: websocket\r\n\
             Connection: keep-alive, Upgrade\r\nOrigin: https://www.example.com\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             {protocol}{extra}\r\n"
        )
    }

    #[test]
    fn accepts_the_rfc_example_and_keeps_what_follows() {
        let req = request("", "Sec-WebSocket-Protocol: chat, sip\r\n");
        let wire = format!("{req}\u{81}");
        match parse(wire.as_bytes(), true) {
            Upgrade::Accept { response, consumed } => {
                assert_eq!(consumed, req.len());
                let text = String::from_utf8(response).unwrap();
                assert!(text.starts_with("HTTP/1.1 101 "), "{text}");
                // RFC 6455 §1.3's worked example.
                assert!(
                    text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
                    "{text}"
                );
                assert!(text.contains("Sec-WebSocket-Protocol: sip\r\n"), "{text}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn partial_then_too_long() {
        let req = request("", "Sec-WebSocket-Protocol: sip\r\n");
        assert_eq!(parse(&req.as_bytes()[..40], true), Upgrade::Incomplete);
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(MAX_REQUEST));
        assert!(matches!(parse(long.as_bytes(), true), Upgrade::Refuse(_)));
    }

    #[test]
    fn refusals() {
        let no_sip = request("", "Sec-WebSocket-Protocol: chat\r\n");
        assert!(matches!(parse(no_sip.as_bytes(), true), Upgrade::Refuse(r) if r.contains("sip")));
        let none = request("", "");
        assert!(matches!(parse(none.as_bytes(), true), Upgrade::Refuse(_)));
        let post = request("", "Sec-WebSocket-Protocol: sip\r\n").replacen("GET", "POST", 1);
        assert!(matches!(parse(post.as_bytes(), true), Upgrade::Refuse(_)));
        let v8 =
            request("", "Sec-WebSocket-Protocol: sip\r\n").replace("Version: 13", "Version: 8");
        assert!(matches!(parse(v8.as_bytes(), true), Upgrade::Refuse(_)));
        assert!(matches!(
            parse(b"INVITE sip:a@b SIP/2.0\r\n\r\n", true),
            Upgrade::Refuse(_)
        ));
    }

    #[test]
    fn origin_is_required_unless_told_otherwise() {
        let req = request("", "Sec-WebSocket-Protocol: sip\r\n")
            .replace("Origin: https://www.example.com\r\n", "");
        assert!(matches!(parse(req.as_bytes(), true), Upgrade::Refuse(r) if r.contains("Origin")));
        assert!(matches!(
            parse(req.as_bytes(), false),
            Upgrade::Accept { .. }
        ));
    }
}
