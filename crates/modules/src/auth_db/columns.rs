//! Which subscriber columns hold what, from `auth_db`'s column parameters.

use crate::auth::credentials::Credentials;
use crate::auth::digest::Algorithm;

/// The column names and how passwords are stored.
#[derive(Clone, Debug)]
pub struct Columns {
    /// `user_column`.
    pub user: String,
    /// `domain_column`.
    pub domain: String,
    /// `password_column` when set explicitly.
    pub password: Option<String>,
    /// `password_column_2`: MD5 HA1 computed with `user@domain` as username.
    pub password_2: String,
    /// `hash_column_sha256`.
    pub sha256: String,
    /// `hash_column_sha512t256`.
    pub sha512t256: String,
    /// `calculate_ha1`: the password column holds plain text.
    pub calculate_ha1: bool,
    /// `use_domain`: match the domain column too.
    pub use_domain: bool,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            user: "username".into(),
            domain: "domain".into(),
            password: None,
            password_2: "ha1b".into(),
            sha256: "ha1_sha256".into(),
            sha512t256: "ha1_sha512t256".into(),
            calculate_ha1: false,
            use_domain: false,
        }
    }
}

impl Columns {
    /// The column to read for these credentials: the plain-text password column
    /// (`password` unless set) with `calculate_ha1`, else the HA1 column of the algorithm
    /// (`password_column`, default `ha1`, or `password_column_2` when the username carries
    /// a domain, for MD5).
    pub fn secret_column(&self, c: &Credentials, alg: Algorithm) -> &str {
        if self.calculate_ha1 {
            return self.password.as_deref().unwrap_or("password");
        }
        match alg.base() {
            Algorithm::Sha256 => &self.sha256,
            Algorithm::Sha512_256 => &self.sha512t256,
            _ if !c.domain().is_empty() => &self.password_2,
            _ => self.password.as_deref().unwrap_or("ha1"),
        }
    }

    /// The WHERE pairs for a user at a realm.
    pub fn filter<'a>(&'a self, user: &'a str, domain: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut f = vec![(self.user.as_str(), user)];
        if self.use_domain {
            f.push((self.domain.as_str(), domain));
        }
        f
    }
}

/// `load_credentials`: `col`, or `$avp(name)=col`, separated by `;`.
pub fn parse_load_credentials(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| match item.split_once('=') {
            Some((avp, col)) => {
                let name = avp
                    .trim()
                    .strip_prefix("$avp(")
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(|| format!("bad AVP {avp:?} in load_credentials"))?;
                Ok((name.to_owned(), col.trim().to_owned()))
            }
            None => Ok((item.to_owned(), item.to_owned())),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_by_algorithm_and_mode() {
        let mut c = Columns::default();
        let plain = Credentials {
            username: "a".into(),
            ..Default::default()
        };
        let with_domain = Credentials {
            username: "a@d".into(),
            ..Default::default()
        };
        assert_eq!(c.secret_column(&plain, Algorithm::Md5), "ha1");
        assert_eq!(c.secret_column(&with_domain, Algorithm::Md5Sess), "ha1b");
        assert_eq!(c.secret_column(&plain, Algorithm::Sha256Sess), "ha1_sha256");
        assert_eq!(
            c.secret_column(&plain, Algorithm::Sha512_256),
            "ha1_sha512t256"
        );
        c.calculate_ha1 = true;
        assert_eq!(c.secret_column(&plain, Algorithm::Sha256), "password");
        c.password = Some("pw".into());
        assert_eq!(c.secret_column(&plain, Algorithm::Md5), "pw");
        assert_eq!(c.filter("a", "d"), [("username", "a")]);
        c.use_domain = true;
        assert_eq!(c.filter("a", "d").len(), 2);
    }

    #[test]
    fn load_credentials_syntax() {
        assert_eq!(
            parse_load_credentials("$avp(13)=rpid;email_address").unwrap(),
            [
                ("13".to_owned(), "rpid".to_owned()),
                ("email_address".to_owned(), "email_address".to_owned())
            ]
        );
        assert!(parse_load_credentials("$x=rpid").is_err());
        assert!(parse_load_credentials("").unwrap().is_empty());
    }
}
