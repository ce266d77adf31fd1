//! Where one `cachedb_url` of cachedb_redis points: the `[user:pass@]host[:port]` and
//! database number of `redis[:group]://[user:pass@]host[:port]/[db]` (OpenSIPS 3.x forms).

use siplua_core::cachedb::CacheUrl;

/// Redis' default port, used when the URL names none.
const DEFAULT_PORT: u16 = 6379;

/// One Redis server and what to tell it after connecting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// ACL user (Redis 6+), when the URL has `user:pass@`.
    pub user: Option<String>,
    /// Password (`AUTH`), when the URL has one.
    pub password: Option<String>,
    /// Database number (`SELECT`), 0 when the URL has none.
    pub db: i64,
}

impl Server {
    /// The server of a parsed `cachedb_url`; several hosts (Redis Cluster) are refused.
    pub fn from_url(u: &CacheUrl) -> Result<Server, String> {
        let (auth, hostport) = match u.hosts.rsplit_once('@') {
            Some((a, h)) => (Some(a), h),
            None => (None, u.hosts.as_str()),
        };
        if hostport.contains(',') {
            return Err("several servers (Redis Cluster) are not supported by siplua".into());
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("bad port '{p}'"))?,
            ),
            None => (hostport, DEFAULT_PORT),
        };
        if host.is_empty() {
            return Err("no Redis server in the URL".into());
        }
        let (user, password) = match auth {
            None => (None, None),
            Some(a) => match a.split_once(':') {
                Some((u, p)) => (
                    Some(u.to_owned()).filter(|u| !u.is_empty()),
                    Some(p.to_owned()),
                ),
                None => (None, Some(a.to_owned())),
            },
        };
        let db = if u.database.is_empty() {
            0
        } else {
            u.database
                .parse::<i64>()
                .ok()
                .filter(|d| *d >= 0)
                .ok_or_else(|| format!("bad database number '{}'", u.database))?
        };
        Ok(Server {
            host: host.to_owned(),
            port,
            user,
            password,
            db,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<Server, String> {
        Server::from_url(&CacheUrl::parse(url).unwrap())
    }

    #[test]
    fn url_forms() {
        let s = parse("redis://127.0.0.1:6379/").unwrap();
        assert_eq!((s.host.as_str(), s.port, s.db), ("127.0.0.1", 6379, 0));
        assert_eq!((s.user, s.password), (None, None));
        let s = parse("redis:group1://user:pass@10.0.0.5:6380/2").unwrap();
        assert_eq!((s.host.as_str(), s.port, s.db), ("10.0.0.5", 6380, 2));
        assert_eq!(s.user.as_deref(), Some("user"));
        assert_eq!(s.password.as_deref(), Some("pass"));
        let s = parse("redis://:secret@localhost/").unwrap();
        assert_eq!(
            (s.port, s.user, s.password.as_deref()),
            (6379, None, Some("secret"))
        );
    }

    #[test]
    fn refused_forms() {
        assert!(parse("redis://h1:6379,h2:6379/")
            .unwrap_err()
            .contains("Cluster"));
        assert!(parse("redis://h1:port/").is_err());
        assert!(parse("redis://h1:6379/db1").is_err());
        assert!(parse("redis:///").is_err());
    }
}
