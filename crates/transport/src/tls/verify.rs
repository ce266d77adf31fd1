//! How the client side checks a server's certificate, the way OpenSIPS (OpenSSL with
//! `SSL_VERIFY_PEER`) does: the chain must lead to a trusted CA, the name is not matched.
//!
//! siplua only knows the address it connects to, and OpenSIPS does not match the certificate
//! against the SIP domain either, so a name mismatch is accepted; everything else (unknown
//! issuer, expired, bad signature) is refused.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

/// Which server certificates the client side takes.
#[derive(Debug)]
pub(crate) enum Trust {
    /// `verify_cert = 0`: any certificate.
    Any,
    /// `verify_cert` on without any trusted CA (no `ca_list`/`ca_dir`): none, as OpenSSL
    /// would, instead of refusing to start.
    Nothing,
    /// `verify_cert` on: a chain webpki accepts, whatever name the certificate is for.
    Chain(Arc<WebPkiServerVerifier>),
}

/// The client side's certificate verifier. Whatever the [`Trust`], the handshake signatures
/// are checked so the session keys belong to whoever sent the certificate.
#[derive(Debug)]
pub(crate) struct ServerCheck {
    pub(crate) trust: Trust,
    pub(crate) provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for ServerCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let webpki = match &self.trust {
            Trust::Any => return Ok(ServerCertVerified::assertion()),
            Trust::Nothing => {
                return Err(Error::General(
                    "verify_cert is on but no ca_list/ca_dir is configured".into(),
                ))
            }
            Trust::Chain(webpki) => webpki,
        };
        let checked =
            webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match checked {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(trust: Trust) -> Result<ServerCertVerified, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = ServerCheck { trust, provider };
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let not_a_cert = CertificateDer::from(vec![0x30, 0x00]);
        verifier.verify_server_cert(&not_a_cert, &[], &name, &[], UnixTime::now())
    }

    #[test]
    fn any_takes_every_certificate_nothing_takes_none() {
        assert!(check(Trust::Any).is_ok());
        let err = check(Trust::Nothing).unwrap_err();
        assert!(err.to_string().contains("ca_list"), "{err}");
    }
}
