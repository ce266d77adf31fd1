//! `tls_method`: OpenSIPS' names of TLS versions and ranges, mapped onto what rustls speaks.

use siplua_transport::TlsVersion;

/// The versions a `tls_method` value allows, and a warning when it asked for a version
/// rustls does not have (SSLv3, TLS 1.0, TLS 1.1: those are raised to TLS 1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    /// Lowest version allowed.
    pub min: TlsVersion,
    /// Highest version allowed.
    pub max: TlsVersion,
    /// Set when the value named a version older than TLS 1.2.
    pub warning: Option<String>,
}

/// Parses `SSLv23`, `TLSv1_2`, `TLSv1_3`, and ranges such as `TLSv1_2-TLSv1_3`,
/// `TLSv1_2-` (or higher) and `-TLSv1_2` (or lower).
pub fn parse(value: &str) -> Result<Method, String> {
    let value = value.trim();
    let (lo, hi) = match value.split_once('-') {
        Some((lo, hi)) => (bound(lo, true)?, bound(hi, false)?),
        None if value.eq_ignore_ascii_case("SSLv23") => (Bound::Any, Bound::Any),
        None => {
            let b = bound(value, true)?;
            (b.clone(), b)
        }
    };
    let mut warning = None;
    let mut level = |b: &Bound, default: TlsVersion| match b {
        Bound::Any => default,
        Bound::Version(v) => *v,
        Bound::TooOld(name) => {
            warning = Some(format!(
                "tls_method {value}: {name} is not available (rustls speaks TLS 1.2 and 1.3); using TLS 1.2"
            ));
            TlsVersion::V1_2
        }
    };
    let min = level(&lo, TlsVersion::V1_2);
    let max = level(&hi, TlsVersion::V1_3);
    if min > max {
        return Err(format!("tls_method {value}: empty version range"));
    }
    Ok(Method { min, max, warning })
}

#[derive(Clone)]
enum Bound {
    Any,
    Version(TlsVersion),
    TooOld(String),
}

/// One end of a range; an empty end is open (`lower` tells which end, for the error text).
fn bound(name: &str, lower: bool) -> Result<Bound, String> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(Bound::Any);
    }
    match name.to_ascii_uppercase().as_str() {
        "TLSV1_2" => Ok(Bound::Version(TlsVersion::V1_2)),
        "TLSV1_3" => Ok(Bound::Version(TlsVersion::V1_3)),
        "TLSV1" | "TLSV1_0" | "TLSV1_1" | "SSLV3" | "SSLV2" => Ok(Bound::TooOld(name.to_owned())),
        "SSLV23" => Ok(Bound::Any),
        _ => Err(format!(
            "tls_method: unknown {} version '{name}' (SSLv23, TLSv1, TLSv1_1, TLSv1_2, TLSv1_3)",
            if lower { "lowest" } else { "highest" }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TlsVersion::{V1_2, V1_3};

    fn range(v: &str) -> (TlsVersion, TlsVersion, bool) {
        let m = parse(v).unwrap();
        (m.min, m.max, m.warning.is_some())
    }

    #[test]
    fn names_and_ranges() {
        assert_eq!(range("SSLv23"), (V1_2, V1_3, false));
        assert_eq!(range("TLSv1_2"), (V1_2, V1_2, false));
        assert_eq!(range("tlsv1_3"), (V1_3, V1_3, false));
        assert_eq!(range("TLSv1_2-TLSv1_3"), (V1_2, V1_3, false));
        assert_eq!(range("TLSv1_3-"), (V1_3, V1_3, false));
        assert_eq!(range("-TLSv1_2"), (V1_2, V1_2, false));
        assert_eq!(range("TLSv1-TLSv1_3"), (V1_2, V1_3, true));
        assert_eq!(range("TLSv1"), (V1_2, V1_2, true));
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(parse("TLSv9").is_err());
        assert!(parse("TLSv1_3-TLSv1_2").is_err());
    }
}
