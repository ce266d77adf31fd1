//! OpenSIPS' `db_url`: `mysql://user:password@host[:port]/database`.

use std::fmt;

use crate::DbError;

/// A parsed `db_url`.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    /// The scheme (only `mysql` is served).
    pub scheme: String,
    /// The user name (empty when the URL has none).
    pub user: String,
    /// The password (empty when the URL has none).
    pub password: String,
    /// Host name or address (an IPv6 address without its brackets).
    pub host: String,
    /// TCP port, 3306 when the URL names none.
    pub port: u16,
    /// The database.
    pub database: String,
}

impl DbUrl {
    /// Parses `scheme://[user[:password]@]host[:port]/database` as OpenSIPS does: the
    /// credentials end at the last `@`, the password at its first `:` is everything after it.
    pub fn parse(s: &str) -> Result<DbUrl, DbError> {
        let bad = |why: &str| DbError::Url(format!("{why} in \"{}\"", hide_password(s)));
        let (scheme, rest) = s.split_once("://").ok_or_else(|| bad("no scheme://"))?;
        if scheme != "mysql" {
            return Err(bad(&format!("unsupported scheme \"{scheme}\"")));
        }
        let (cred, rest) = match rest.rsplit_once('@') {
            Some((c, r)) => (Some(c), r),
            None => (None, rest),
        };
        let (user, password) = match cred {
            Some(c) => match c.split_once(':') {
                Some((u, p)) => (u, p),
                None => (c, ""),
            },
            None => ("", ""),
        };
        let (hostport, database) = rest.split_once('/').ok_or_else(|| bad("no /database"))?;
        if database.is_empty() || database.contains('/') {
            return Err(bad("no database name"));
        }
        let (host, port) = split_host_port(hostport).ok_or_else(|| bad("bad host:port"))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(DbUrl {
            scheme: scheme.to_owned(),
            user: user.to_owned(),
            password: password.to_owned(),
            host: host.to_owned(),
            port,
            database: database.to_owned(),
        })
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn split_host_port(s: &str) -> Option<(&str, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, 3306)),
            p => Some((host, p.strip_prefix(':')?.parse().ok()?)),
        };
    }
    match s.split_once(':') {
        Some((h, p)) => Some((h, p.parse().ok().filter(|&p| p != 0)?)),
        None => Some((s, 3306)),
    }
}

/// The URL with the password replaced, for messages.
fn hide_password(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once("://") else {
        return s.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((cred, tail)) => match cred.split_once(':') {
            Some((u, _)) => format!("{scheme}://{u}:***@{tail}"),
            None => s.to_owned(),
        },
        None => s.to_owned(),
    }
}

/// Shown with the password hidden, so a URL can go into a log line.
impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if !self.user.is_empty() {
            f.write_str(&self.user)?;
            if !self.password.is_empty() {
                f.write_str(":***")?;
            }
            f.write_str("@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        write!(f, ":{}/{}", self.port, self.database)
    }
}

/// Same as `Display`: a debug print never shows the password either.
impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_url() {
        let u = DbUrl::parse("mysql://opensips:opensipsrw@localhost:3307/opensips").unwrap();
        assert_eq!(u.user, "opensips");
        assert_eq!(u.password, "opensipsrw");
        assert_eq!(u.host, "localhost");
        assert_eq!(u.port, 3307);
        assert_eq!(u.database, "opensips");
    }

    #[test]
    fn defaults_and_odd_passwords() {
        let u = DbUrl::parse("mysql://root@127.0.0.1/db").unwrap();
        assert_eq!(
            (u.user.as_str(), u.password.as_str(), u.port),
            ("root", "", 3306)
        );
        let u = DbUrl::parse("mysql://u:p@ss:w@host/db").unwrap();
        assert_eq!((u.user.as_str(), u.password.as_str()), ("u", "p@ss:w"));
        let u = DbUrl::parse("mysql://host/db").unwrap();
        assert_eq!((u.user.as_str(), u.host.as_str()), ("", "host"));
        let u = DbUrl::parse("mysql://u:p@[::1]:3310/db").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 3310));
    }

    #[test]
    fn rejects() {
        for bad in [
            "postgres://u:p@h/db",
            "u:p@h/db",
            "mysql://u:p@h",
            "mysql://u:p@h/",
            "mysql://u:p@h:port/db",
            "mysql://u:p@h:0/db",
            "mysql://u:p@/db",
            "mysql://u:p@[::1/db",
        ] {
            assert!(DbUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_never_shown() {
        let u = DbUrl::parse("mysql://u:secret@h:1/db").unwrap();
        assert_eq!(u.to_string(), "mysql://u:***@h:1/db");
        assert!(!format!("{u:?}").contains("secret"));
        let e = DbUrl::parse("mysql://u:secret@h").unwrap_err().to_string();
        assert!(!e.contains("secret"), "{e}");
    }
}
