//! What the TLS transport is told by the configuration (`tls_mgm`, `proto_tls`): plain data,
//! turned into rustls configurations by [`crate::TlsContext::build`].

use std::path::PathBuf;
use std::time::Duration;

/// A TLS protocol version rustls can speak (it has no TLS 1.0/1.1, nor SSL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2 (RFC 5246).
    V1_2,
    /// TLS 1.3 (RFC 8446).
    V1_3,
}

/// Settings of one side of TLS (what OpenSIPS calls a TLS domain): our certificate, the CAs
/// we trust for the peer's certificate, and whether we check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsDomain {
    /// PEM file with our certificate chain (leaf first); needed by a server, optional for a client.
    pub certificate: Option<PathBuf>,
    /// PEM file with the private key of `certificate`.
    pub private_key: Option<PathBuf>,
    /// PEM file with the CA certificates that may sign the peer's certificate.
    pub ca_list: Option<PathBuf>,
    /// Directory whose PEM files add more trusted CA certificates.
    pub ca_dir: Option<PathBuf>,
    /// Check the peer's certificate against the CAs (server: ask the client for one).
    pub verify_cert: bool,
    /// Server only: refuse a client that sends no certificate (with `verify_cert`).
    pub require_cert: bool,
    /// Lowest version offered or accepted.
    pub min_version: TlsVersion,
    /// Highest version offered or accepted.
    pub max_version: TlsVersion,
}

impl Default for TlsDomain {
    /// OpenSIPS' defaults: verify and require the peer's certificate, any version.
    fn default() -> Self {
        TlsDomain {
            certificate: None,
            private_key: None,
            ca_list: None,
            ca_dir: None,
            verify_cert: true,
            require_cert: true,
            min_version: TlsVersion::V1_2,
            max_version: TlsVersion::V1_3,
        }
    }
}

/// Everything the TLS transport needs: the server side (accepted connections), the client
/// side (connections we open) and the time limits of `proto_tls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// Used for connections accepted on `tls:` sockets.
    pub server: TlsDomain,
    /// Used for connections opened to `sips:` / `transport=tls` destinations.
    pub client: TlsDomain,
    /// An accepted connection must finish its handshake within this; an outbound handshake
    /// may wait this long for each read or write (`tls_handshake_timeout`).
    pub handshake_timeout: Duration,
    /// Bound on one write to a TLS connection (`tls_send_timeout`).
    pub send_timeout: Duration,
}

impl Default for TlsOptions {
    /// OpenSIPS' `proto_tls` defaults: 100 ms handshake and send timeouts.
    fn default() -> Self {
        TlsOptions {
            server: TlsDomain::default(),
            client: TlsDomain::default(),
            handshake_timeout: Duration::from_millis(100),
            send_timeout: Duration::from_millis(100),
        }
    }
}
