//! The TLS settings of the module's HTTPS requests: `ssl_verifypeer` and `ssl_capath`.

use std::sync::Arc;

use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};

/// Server certificates are checked against Mozilla's roots, or against the CA certificates
/// of the PEM files in `capath` when it is set; `verify_peer` false checks nothing.
pub fn config(verify_peer: bool, capath: Option<&str>) -> Result<TlsConfig, String> {
    let mut b = TlsConfig::builder().disable_verification(!verify_peer);
    if let Some(dir) = capath {
        b = b.root_certs(RootCerts::Specific(Arc::new(load_dir(dir)?)));
    }
    Ok(b.build())
}

/// Every certificate of every file in `dir` (files that are not PEM are skipped).
fn load_dir(dir: &str) -> Result<Vec<Certificate<'static>>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("ssl_capath {dir}: {e}"))?;
    let mut certs = Vec::new();
    for entry in entries.flatten() {
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        for item in parse_pem(&bytes).flatten() {
            if let PemItem::Certificate(c) = item {
                certs.push(c);
            }
        }
    }
    if certs.is_empty() {
        return Err(format!("ssl_capath {dir}: no PEM certificate found"));
    }
    Ok(certs)
}
