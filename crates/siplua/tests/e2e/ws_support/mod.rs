//! A SIP-over-WebSocket user agent for the end-to-end tests, on tungstenite's client (over a
//! plain `TcpStream` for WS, over rustls for WSS), as a browser's SIP stack would connect.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::client::Response;
use tungstenite::{Message, WebSocket};

/// How long a read blocks before the client looks at its deadline again.
const POLL: Duration = Duration::from_millis(100);

/// A WSS stream: TLS over TCP.
pub type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// A SIP user agent over one WebSocket connection.
pub struct WsClient<S: Read + Write> {
    /// The WebSocket, for tests that send frames of their own.
    pub ws: WebSocket<S>,
    /// The server's `101` answer.
    pub response: Response,
    /// Our end of the connection (what the server sees as the source).
    pub local: SocketAddr,
}

/// The upgrade request for `url`, asking for `protocol` (`None`: no subprotocol at all).
fn upgrade(url: &str, protocol: Option<&str>) -> tungstenite::handshake::client::Request {
    let mut req = url.into_client_request().expect("request");
    let headers = req.headers_mut();
    headers.insert("Origin", "http://127.0.0.1".parse().expect("origin"));
    if let Some(p) = protocol {
        headers.insert("Sec-WebSocket-Protocol", p.parse().expect("protocol"));
    }
    req
}

impl WsClient<TcpStream> {
    /// Connects to `ws://addr/` asking for the `sip` subprotocol.
    pub fn connect(addr: SocketAddr) -> Result<Self, tungstenite::Error> {
        Self::connect_with(addr, Some("sip"))
    }

    /// Connects to `ws://addr/` asking for `protocol`; an error is a refused upgrade.
    pub fn connect_with(
        addr: SocketAddr,
        protocol: Option<&str>,
    ) -> Result<Self, tungstenite::Error> {
        let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
        tcp.set_read_timeout(Some(Duration::from_secs(3)))?;
        let local = tcp.local_addr()?;
        let (ws, response) = tungstenite::client(upgrade(&format!("ws://{addr}/"), protocol), tcp)
            .map_err(handshake_error)?;
        ws.get_ref().set_read_timeout(Some(POLL))?;
        Ok(WsClient {
            ws,
            response,
            local,
        })
    }
}

impl WsClient<TlsStream> {
    /// Connects to `wss://addr/` (TLS checked against `config`) asking for `sip`.
    pub fn connect_tls(
        addr: SocketAddr,
        config: Arc<ClientConfig>,
    ) -> Result<Self, tungstenite::Error> {
        let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
        tcp.set_read_timeout(Some(Duration::from_secs(3)))?;
        let local = tcp.local_addr()?;
        let name = ServerName::try_from("localhost").expect("name").to_owned();
        let conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
        let mut tls = StreamOwned::new(conn, tcp);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock)?;
        }
        let url = format!("wss://localhost:{}/", addr.port());
        let (ws, response) =
            tungstenite::client(upgrade(&url, Some("sip")), tls).map_err(handshake_error)?;
        ws.get_ref().sock.set_read_timeout(Some(POLL))?;
        Ok(WsClient {
            ws,
            response,
            local,
        })
    }
}

fn handshake_error<S: Read + Write>(
    e: tungstenite::HandshakeError<tungstenite::ClientHandshake<S>>,
) -> tungstenite::Error {
    match e {
        tungstenite::HandshakeError::Failure(e) => e,
        tungstenite::HandshakeError::Interrupted(_) => tungstenite::Error::Io(io::Error::new(
            io::ErrorKind::TimedOut,
            "handshake timed out",
        )),
    }
}

impl<S: Read + Write> WsClient<S> {
    /// Sends one SIP message as a text frame.
    pub fn send(&mut self, msg: &str) {
        self.ws.send(Message::text(msg)).expect("websocket send");
    }

    /// The next frame of any kind (pongs and closes included), or `None` on timeout or once
    /// the connection is gone.
    pub fn next_frame(&mut self, timeout: Duration) -> Option<Message> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.ws.read() {
                Ok(m) => return Some(m),
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) && Instant::now() < deadline => {}
                Err(_) => return None,
            }
        }
    }

    /// The next SIP message (a text or binary frame), or `None` on timeout or close.
    pub fn recv(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.next_frame(deadline.saturating_duration_since(Instant::now()))? {
                Message::Text(t) => return Some(t.to_string()),
                Message::Binary(b) => return Some(String::from_utf8_lossy(&b).into_owned()),
                Message::Close(_) => return None,
                _ => {}
            }
        }
    }

    /// The next SIP message that is not a provisional reply.
    pub fn recv_final(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let msg = self.recv(deadline.saturating_duration_since(Instant::now()))?;
            if !msg.starts_with("SIP/2.0 1") {
                return Some(msg);
            }
        }
    }
}

/// A request from a browser-like user agent: Via `SIP/2.0/{transport}` with a `.invalid`
/// host, Contact `sip:{user}@df7jal23ls0d.invalid;transport=ws|wss`; the To of a REGISTER
/// is the user's own address of record.
pub fn webrtc_request(
    method: &str,
    ruri: &str,
    transport: &str,
    user: &str,
    call: &str,
    extra: &str,
) -> String {
    format!(
        "{method} {ruri} SIP/2.0\r\nVia: SIP/2.0/{transport} df7jal23ls0d.invalid;branch=z9hG4bK-{call}-{method}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:{user}@127.0.0.1>;tag=from-{call}\r\n\
         To: <{to}>\r\nCall-ID: {call}\r\nCSeq: 1 {method}\r\n\
         Contact: <sip:{user}@df7jal23ls0d.invalid;transport={lower}>\r\n{extra}Content-Length: 0\r\n\r\n",
        to = if method == "REGISTER" {
            format!("sip:{user}@127.0.0.1")
        } else {
            ruri.split(';').next().unwrap_or(ruri).to_owned()
        },
        lower = transport.to_ascii_lowercase(),
    )
}
