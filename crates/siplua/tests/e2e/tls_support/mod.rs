//! TLS helpers for the end-to-end tests: certificates made at test time with rcgen (a CA,
//! a server and a client certificate it signs, and an unrelated CA), and a SIP client over
//! rustls on a std `TcpStream` (Debian's SIPp has no TLS).
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// PEM files written in a test directory.
pub struct Pki {
    /// The CA that signs `server` and `client`.
    pub ca: PathBuf,
    /// A CA that signed nothing here: trusting only it must refuse our certificates.
    pub other_ca: PathBuf,
    /// Server certificate (localhost, 127.0.0.1) and its key.
    pub server: (PathBuf, PathBuf),
    /// Client certificate and its key.
    pub client: (PathBuf, PathBuf),
}

fn ca(name: &str) -> (Certificate, KeyPair) {
    let key = KeyPair::generate().expect("ca key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    (params.self_signed(&key).expect("ca cert"), key)
}

fn leaf(name: &str, issuer: &(Certificate, KeyPair)) -> (String, String) {
    let key = KeyPair::generate().expect("leaf key");
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("leaf params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let cert = params
        .signed_by(&key, &issuer.0, &issuer.1)
        .expect("leaf cert");
    (cert.pem(), key.serialize_pem())
}

impl Pki {
    /// Generates everything into `dir`.
    pub fn generate(dir: &Path) -> Pki {
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write pem");
            path
        };
        let main = ca("siplua test CA");
        let other = ca("unrelated CA");
        let (server_cert, server_key) = leaf("siplua server", &main);
        let (client_cert, client_key) = leaf("siplua client", &main);
        Pki {
            ca: write("ca.pem", &main.0.pem()),
            other_ca: write("other-ca.pem", &other.0.pem()),
            server: (
                write("server.pem", &server_cert),
                write("server.key", &server_key),
            ),
            client: (
                write("client.pem", &client_cert),
                write("client.key", &client_key),
            ),
        }
    }

    /// A client configuration trusting `ca`, presenting `identity` when given.
    pub fn client_config(
        &self,
        ca: &Path,
        identity: Option<&(PathBuf, PathBuf)>,
    ) -> Arc<ClientConfig> {
        self.config(ca, identity, rustls::DEFAULT_VERSIONS)
    }

    /// A client configuration trusting `ca` that speaks only `versions`.
    pub fn client_config_versions(
        &self,
        ca: &Path,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> Arc<ClientConfig> {
        self.config(ca, None, versions)
    }

    fn config(
        &self,
        ca: &Path,
        identity: Option<&(PathBuf, PathBuf)>,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca).expect("ca file") {
            roots.add(cert.expect("ca cert")).expect("add ca");
        }
        let builder =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_protocol_versions(versions)
                .expect("versions")
                .with_root_certificates(roots);
        let config = match identity {
            Some((cert, key)) => builder
                .with_client_auth_cert(
                    CertificateDer::pem_file_iter(cert)
                        .expect("cert file")
                        .map(|c| c.expect("cert"))
                        .collect(),
                    PrivateKeyDer::from_pem_file(key).expect("key"),
                )
                .expect("client auth"),
            None => builder.with_no_client_auth(),
        };
        Arc::new(config)
    }
}

/// A SIP user agent over one TLS connection.
pub struct TlsClient {
    stream: StreamOwned<ClientConnection, TcpStream>,
    buf: Vec<u8>,
    /// Our end of the connection (what the server sees as the source).
    pub local: SocketAddr,
}

impl TlsClient {
    /// Connects and completes the handshake; an error means the handshake failed.
    pub fn connect(addr: SocketAddr, config: Arc<ClientConfig>) -> io::Result<TlsClient> {
        let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
        tcp.set_read_timeout(Some(Duration::from_secs(3)))?;
        let local = tcp.local_addr()?;
        let name = ServerName::try_from("localhost").expect("name").to_owned();
        let conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
        let mut stream = StreamOwned::new(conn, tcp);
        while stream.conn.is_handshaking() {
            stream.conn.complete_io(&mut stream.sock)?;
        }
        Ok(TlsClient {
            stream,
            buf: Vec::new(),
            local,
        })
    }

    /// The negotiated TLS version, e.g. `TLSv1_3`.
    pub fn version(&self) -> String {
        format!(
            "{:?}",
            self.stream.conn.protocol_version().expect("handshake done")
        )
    }

    /// Sends one SIP message.
    pub fn send(&mut self, msg: &str) -> io::Result<()> {
        self.stream.write_all(msg.as_bytes())?;
        self.stream.flush()
    }

    /// The next complete SIP message (framed by Content-Length), or `None` on timeout,
    /// end of stream or a TLS error.
    pub fn recv(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(msg) = self.take_message() {
                return Some(msg);
            }
            if Instant::now() >= deadline {
                return None;
            }
            let mut chunk = [0u8; 8192];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut => {}
                Err(_) => return None,
            }
        }
    }

    /// The next message that is not a provisional reply.
    pub fn recv_final(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let msg = self.recv(deadline.saturating_duration_since(Instant::now()))?;
            let provisional = msg.starts_with("SIP/2.0 1");
            if !provisional {
                return Some(msg);
            }
        }
    }

    fn take_message(&mut self) -> Option<String> {
        let end = self.buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        let body_len = head
            .lines()
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                (n.trim().eq_ignore_ascii_case("content-length") || n.trim() == "l")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        if self.buf.len() < end + body_len {
            return None;
        }
        let msg: Vec<u8> = self.buf.drain(..end + body_len).collect();
        Some(String::from_utf8_lossy(&msg).into_owned())
    }
}
