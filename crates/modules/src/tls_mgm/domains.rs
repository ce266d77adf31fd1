//! TLS domains as `tls_mgm` parameters describe them: values without a `[domain]` prefix set
//! the defaults, `server_domain`/`client_domain` declare named domains, and `[name]value`
//! sets a value for one of them.
//!
//! siplua uses one server domain (for every `tls:` socket) and one client domain (for every
//! outbound connection): each is the defaults overlaid with the first declared domain of
//! that kind. Matching further domains by address or SIP domain is not done.

use std::path::PathBuf;

use siplua_transport::TlsDomain;

use super::method::Method;

/// Values set for one domain (or for the defaults); `None` means "not set here".
#[derive(Debug, Default, Clone)]
pub struct Settings {
    /// `certificate`.
    pub certificate: Option<PathBuf>,
    /// `private_key`.
    pub private_key: Option<PathBuf>,
    /// `ca_list`.
    pub ca_list: Option<PathBuf>,
    /// `ca_dir`.
    pub ca_dir: Option<PathBuf>,
    /// `verify_cert`.
    pub verify_cert: Option<bool>,
    /// `require_cert`.
    pub require_cert: Option<bool>,
    /// `tls_method`.
    pub method: Option<Method>,
}

impl Settings {
    /// `base` with every value set here taking precedence.
    fn over(&self, base: &Settings) -> Settings {
        Settings {
            certificate: self.certificate.clone().or(base.certificate.clone()),
            private_key: self.private_key.clone().or(base.private_key.clone()),
            ca_list: self.ca_list.clone().or(base.ca_list.clone()),
            ca_dir: self.ca_dir.clone().or(base.ca_dir.clone()),
            verify_cert: self.verify_cert.or(base.verify_cert),
            require_cert: self.require_cert.or(base.require_cert),
            method: self.method.clone().or(base.method.clone()),
        }
    }

    /// The transport's view, with OpenSIPS' defaults for what nobody set.
    fn to_domain(&self) -> TlsDomain {
        let default = TlsDomain::default();
        TlsDomain {
            certificate: self.certificate.clone(),
            private_key: self.private_key.clone(),
            ca_list: self.ca_list.clone(),
            ca_dir: self.ca_dir.clone(),
            verify_cert: self.verify_cert.unwrap_or(default.verify_cert),
            require_cert: self.require_cert.unwrap_or(default.require_cert),
            min_version: self.method.as_ref().map_or(default.min_version, |m| m.min),
            max_version: self.method.as_ref().map_or(default.max_version, |m| m.max),
        }
    }
}

/// Which kind of domain a name was declared as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `server_domain`: used for accepted connections.
    Server,
    /// `client_domain`: used for connections siplua opens.
    Client,
}

/// Every domain and value the parameters gave, in the order they came.
#[derive(Debug, Default)]
pub struct Domains {
    defaults: Settings,
    named: Vec<(String, Side, Settings)>,
}

impl Domains {
    /// Declares a domain (`server_domain`/`client_domain`); `name=address` keeps the name.
    pub fn declare(&mut self, side: Side, value: &str) -> Result<(), String> {
        let name = value.split_once('=').map_or(value, |(n, _)| n).trim();
        if name.is_empty() {
            return Err("empty TLS domain name".into());
        }
        if self.named.iter().any(|(n, s, _)| n == name && *s == side) {
            return Err(format!("TLS domain '{name}' is declared twice"));
        }
        self.named
            .push((name.to_owned(), side, Settings::default()));
        Ok(())
    }

    /// Applies `value` (maybe `[domain]value`) with `set` to the defaults or to every domain
    /// of that name; a name never declared is an error, as in OpenSIPS, but for `default`.
    pub fn set(
        &mut self,
        value: &str,
        set: impl Fn(&mut Settings, &str) -> Result<(), String>,
    ) -> Result<(), String> {
        let (domain, value) = split_domain(value);
        let Some(domain) = domain else {
            return set(&mut self.defaults, value);
        };
        let mut found = false;
        for (_, _, settings) in self.named.iter_mut().filter(|(n, _, _)| n == domain) {
            set(settings, value)?;
            found = true;
        }
        if found {
            Ok(())
        } else if domain.eq_ignore_ascii_case("default") {
            // `[default]` without a declared domain of that name means the defaults.
            set(&mut self.defaults, value)
        } else {
            Err(format!(
                "TLS domain '{domain}' is not declared (server_domain/client_domain first)"
            ))
        }
    }

    /// The domain used on one side, and the names of the further ones that are ignored.
    pub fn resolve(&self, side: Side) -> (TlsDomain, Vec<String>) {
        let mut of_side = self.named.iter().filter(|(_, s, _)| *s == side);
        let settings = match of_side.next() {
            Some((_, _, s)) => s.over(&self.defaults),
            None => self.defaults.clone(),
        };
        let ignored = of_side.map(|(n, _, _)| n.clone()).collect();
        (settings.to_domain(), ignored)
    }
}

/// Splits `[name]value` into its domain name and value.
fn split_domain(value: &str) -> (Option<&str>, &str) {
    let v = value.trim();
    if let Some(rest) = v.strip_prefix('[') {
        if let Some((name, value)) = rest.split_once(']') {
            return (Some(name.trim()), value.trim());
        }
    }
    (None, v)
}

/// `0`/`1` (and `no`/`yes`) as OpenSIPS accepts them for `verify_cert` and `require_cert`.
pub fn flag(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Ok(true),
        "0" | "no" | "false" | "off" => Ok(false),
        other => Err(format!("expected 0 or 1, not '{other}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_cert(s: &mut Settings, v: &str) -> Result<(), String> {
        s.certificate = Some(v.into());
        Ok(())
    }

    fn set_verify(s: &mut Settings, v: &str) -> Result<(), String> {
        s.verify_cert = Some(flag(v)?);
        Ok(())
    }

    #[test]
    fn defaults_apply_to_both_sides_and_domains_override() {
        let mut d = Domains::default();
        d.set("/etc/cert.pem", set_cert).unwrap();
        d.set("0", set_verify).unwrap();
        d.declare(Side::Client, "out").unwrap();
        d.set("[out]1", set_verify).unwrap();
        let (server, ignored) = d.resolve(Side::Server);
        assert_eq!(server.certificate, Some("/etc/cert.pem".into()));
        assert!(!server.verify_cert);
        assert!(server.require_cert, "OpenSIPS default");
        assert!(ignored.is_empty());
        let (client, _) = d.resolve(Side::Client);
        assert!(client.verify_cert);
        assert_eq!(client.certificate, Some("/etc/cert.pem".into()));
    }

    #[test]
    fn unknown_domain_and_extra_domains() {
        let mut d = Domains::default();
        assert!(d.set("[nope]1", set_verify).is_err());
        d.set("[default]0", set_verify).unwrap();
        assert!(!d.resolve(Side::Client).0.verify_cert);
        d.declare(Side::Server, "a=127.0.0.1:5061").unwrap();
        d.declare(Side::Server, "b").unwrap();
        assert!(d.declare(Side::Server, "b").is_err());
        d.set("[a]/a.pem", set_cert).unwrap();
        let (server, ignored) = d.resolve(Side::Server);
        assert_eq!(server.certificate, Some("/a.pem".into()));
        assert_eq!(ignored, vec!["b".to_string()]);
        assert!(flag("x").is_err());
    }
}
