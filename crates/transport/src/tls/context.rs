//! rustls configurations built once from [`TlsOptions`], shared by every TLS connection.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};
use socket2::Socket;

use crate::tls::options::{TlsDomain, TlsOptions, TlsVersion};
use crate::tls::session::TlsSession;
use crate::tls::verify::{ServerCheck, Trust};

/// The server and client configurations of a run, with the TLS time limits.
///
/// Built at start-up (and by `tls_mgm` to report configuration errors early); cheap to share.
pub struct TlsContext {
    /// `None` when no server certificate is configured: `tls:` sockets then cannot be used.
    server: Option<Arc<ServerConfig>>,
    client: Arc<ClientConfig>,
    handshake_timeout: Duration,
    send_timeout: Duration,
}

impl TlsContext {
    /// Loads certificates, keys and CA lists; the error names the file or setting at fault.
    ///
    /// The server side is built only if it has a certificate; `need_server` makes a missing
    /// one an error (there is a `tls:` socket to serve).
    pub fn build(opts: &TlsOptions, need_server: bool) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = match (&opts.server.certificate, need_server) {
            (Some(_), _) => Some(Arc::new(server_config(&opts.server, &provider)?)),
            (None, true) => {
                return Err(
                    "a tls: socket needs a server certificate and private_key (tls_mgm)".into(),
                )
            }
            (None, false) => None,
        };
        let client = Arc::new(client_config(&opts.client, &provider)?);
        Ok(TlsContext {
            server,
            client,
            handshake_timeout: opts.handshake_timeout,
            send_timeout: opts.send_timeout,
        })
    }

    /// Bound on one write to a TLS connection.
    pub(crate) fn send_timeout(&self) -> Duration {
        self.send_timeout
    }

    /// Time an accepted connection has for its handshake.
    pub(crate) fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// A server session for a connection just accepted; its handshake runs in the reader.
    pub(crate) fn accept(&self) -> io::Result<TlsSession> {
        let cfg = self.server.as_ref().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no tls server certificate")
        })?;
        let conn = rustls::ServerConnection::new(Arc::clone(cfg)).map_err(io::Error::other)?;
        Ok(TlsSession::new(conn.into(), self.handshake_timeout))
    }

    /// Runs the client handshake with `peer` over the connected `sock`, blocking the caller
    /// for at most `tls_handshake_timeout` per read or write. A refused certificate is an error.
    pub(crate) fn connect(&self, sock: &Socket, peer: SocketAddr) -> io::Result<TlsSession> {
        let name = ServerName::IpAddress(peer.ip().into());
        let conn = rustls::ClientConnection::new(Arc::clone(&self.client), name)
            .map_err(io::Error::other)?;
        let session = TlsSession::new(conn.into(), self.handshake_timeout);
        session.handshake(sock, self.handshake_timeout)?;
        Ok(session)
    }
}

fn versions(d: &TlsDomain) -> Vec<&'static SupportedProtocolVersion> {
    let mut v = Vec::new();
    if d.min_version <= TlsVersion::V1_3 && d.max_version >= TlsVersion::V1_3 {
        v.push(&rustls::version::TLS13);
    }
    if d.min_version <= TlsVersion::V1_2 && d.max_version >= TlsVersion::V1_2 {
        v.push(&rustls::version::TLS12);
    }
    v
}

fn server_config(d: &TlsDomain, provider: &Arc<CryptoProvider>) -> Result<ServerConfig, String> {
    let builder = ServerConfig::builder_with_provider(Arc::clone(provider))
        .with_protocol_versions(&versions(d))
        .map_err(|e| format!("tls_method: {e}"))?;
    let builder = if d.verify_cert {
        let roots = Arc::new(roots(d)?);
        let verifier = WebPkiClientVerifier::builder_with_provider(roots, Arc::clone(provider));
        let verifier = if d.require_cert {
            verifier
        } else {
            verifier.allow_unauthenticated()
        };
        let verifier = verifier
            .build()
            .map_err(|e| format!("verify_cert needs a ca_list: {e}"))?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let (chain, key) = identity(d)?.ok_or("server domain has no certificate")?;
    builder
        .with_single_cert(chain, key)
        .map_err(|e| format!("certificate/private_key: {e}"))
}

fn client_config(d: &TlsDomain, provider: &Arc<CryptoProvider>) -> Result<ClientConfig, String> {
    let builder = ClientConfig::builder_with_provider(Arc::clone(provider))
        .with_protocol_versions(&versions(d))
        .map_err(|e| format!("tls_method: {e}"))?;
    let trust = if !d.verify_cert {
        Trust::Any
    } else {
        let roots = roots(d)?;
        if roots.is_empty() {
            Trust::Nothing
        } else {
            let webpki =
                WebPkiServerVerifier::builder_with_provider(roots.into(), Arc::clone(provider))
                    .build()
                    .map_err(|e| format!("client ca_list: {e}"))?;
            Trust::Chain(webpki)
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ServerCheck {
            trust,
            provider: Arc::clone(provider),
        }));
    match identity(d)? {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| format!("client certificate/private_key: {e}")),
        None => Ok(builder.with_no_client_auth()),
    }
}

/// Our certificate chain and key, if the domain names a certificate.
fn identity(
    d: &TlsDomain,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, String> {
    let Some(cert) = &d.certificate else {
        return Ok(None);
    };
    let chain = certs(cert)?;
    let key_path = d.private_key.as_deref().unwrap_or(cert);
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| format!("private_key {}: {e}", key_path.display()))?;
    Ok(Some((chain, key)))
}

/// The trusted CAs: `ca_list` and every PEM file of `ca_dir`.
fn roots(d: &TlsDomain) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    let mut files = Vec::new();
    if let Some(list) = &d.ca_list {
        files.push(list.clone());
    }
    if let Some(dir) = &d.ca_dir {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("ca_dir {}: {e}", dir.display()))?;
        files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
    }
    for file in files {
        for cert in certs(&file)? {
            store
                .add(cert)
                .map_err(|e| format!("ca certificate in {}: {e}", file.display()))?;
        }
    }
    Ok(store)
}

/// Every certificate of a PEM file; a file without any is an error.
fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found", path.display()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_needs_a_certificate_a_client_does_not() {
        let opts = TlsOptions::default();
        let err = TlsContext::build(&opts, true)
            .err()
            .expect("no certificate");
        assert!(err.contains("certificate"), "{err}");
        let ctx = TlsContext::build(&opts, false).expect("client side only");
        assert!(ctx.accept().is_err());
    }

    #[test]
    fn missing_files_are_named() {
        let mut opts = TlsOptions::default();
        opts.server.certificate = Some("/nonexistent/siplua-cert.pem".into());
        opts.server.verify_cert = false;
        let err = TlsContext::build(&opts, true).err().expect("missing file");
        assert!(err.contains("/nonexistent/siplua-cert.pem"), "{err}");
    }

    #[test]
    fn version_ranges() {
        let mut d = TlsDomain::default();
        assert_eq!(versions(&d).len(), 2);
        d.min_version = TlsVersion::V1_3;
        assert_eq!(versions(&d), vec![&rustls::version::TLS13]);
    }
}
