//! The rows of the `registrant` table, checked as OpenSIPS checks them at load: a row whose
//! registrar, AOR or binding is missing or not a URI, whose registrar or proxy URI has a user
//! part, or whose expiry is not above `timer_interval` is skipped with an error in the log.

use siplua_sip::Uri;

use super::params::Settings;
use crate::auth_db::store::Store;

/// One registration to keep up, as read from the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The Request-URI.
    pub registrar: String,
    /// Where the REGISTER goes instead of the registrar, when set.
    pub proxy: Option<String>,
    /// The To URI.
    pub aor: String,
    /// The From URI when it is not the AOR.
    pub third_party_registrant: Option<String>,
    /// Digest username (empty: the registrant cannot answer a challenge).
    pub username: String,
    /// Digest password.
    pub password: String,
    /// The Contact URI.
    pub binding_uri: String,
    /// Appended to the Contact (`;reg-id=1;...`).
    pub binding_params: String,
    /// The expiry asked for, in seconds.
    pub expiry: u32,
    /// The listening socket to send from (`udp:127.0.0.1:5060`), when set.
    pub forced_socket: Option<String>,
    /// The clustering sharing tag, as written (listed only).
    pub cluster_shtag: Option<String>,
    /// False when the state column says 1 (disabled).
    pub enabled: bool,
}

/// What identifies a registrant in the MI commands and across reloads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// The AOR.
    pub aor: String,
    /// The binding URI.
    pub contact: String,
    /// The registrar URI; `None` matches any.
    pub registrar: Option<String>,
}

impl Key {
    /// True when `row` is the registrant this key names.
    pub fn matches(&self, row: &Row) -> bool {
        row.aor == self.aor
            && row.binding_uri == self.contact
            && self.registrar.as_ref().is_none_or(|r| *r == row.registrar)
    }
}

impl Row {
    /// The key of this row.
    pub fn key(&self) -> Key {
        Key {
            aor: self.aor.clone(),
            contact: self.binding_uri.clone(),
            registrar: Some(self.registrar.clone()),
        }
    }
}

fn log_err(text: &str) {
    siplua_core::log::emit(siplua_core::log::level::ERR, "uac_registrant", text);
}

/// Reads every usable row of the table.
pub fn load(store: &dyn Store, settings: &Settings) -> Result<Vec<Row>, String> {
    let rows = store.select(&settings.table, &settings.columns.all(), &[])?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let text = |i: usize| {
            row.get(i)
                .cloned()
                .flatten()
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let fields: [String; 12] = std::array::from_fn(text);
        match parse(fields, settings.timer_interval) {
            Ok(r) => out.push(r),
            Err(e) => log_err(&format!("skipping a row of {}: {e}", settings.table)),
        }
    }
    Ok(out)
}

/// A URI that must parse; `what` names it in the error.
fn uri(what: &str, text: &str, no_user: bool) -> Result<(), String> {
    let u = Uri::parse(text).map_err(|e| format!("cannot parse {what} URI {text:?}: {e}"))?;
    if no_user && u.user().is_some_and(|u| !u.is_empty()) {
        return Err(format!("{what} URI {text:?} must not have a user part"));
    }
    Ok(())
}

/// One row's fields in [`super::params::Columns::all`] order.
fn parse(f: [String; 12], timer_interval: u32) -> Result<Row, String> {
    let [registrar, proxy, aor, third, username, password, binding, params, expiry, socket, shtag, state] =
        f;
    for (what, v) in [
        ("registrar", &registrar),
        ("aor", &aor),
        ("binding_URI", &binding),
    ] {
        if v.is_empty() {
            return Err(format!("the {what} column is empty"));
        }
    }
    uri("registrar", &registrar, true)?;
    uri("aor", &aor, false)?;
    uri("binding", &binding, false)?;
    let opt = |s: String| Some(s).filter(|s| !s.is_empty());
    let proxy = opt(proxy);
    if let Some(p) = &proxy {
        uri("proxy", p, true)?;
    }
    let third_party_registrant = opt(third);
    if let Some(t) = &third_party_registrant {
        uri("third party registrant", t, false)?;
    }
    if !params.is_empty() && !params.starts_with(';') {
        return Err(format!("binding_params {params:?} must start with ';'"));
    }
    let expiry: u32 = expiry.parse().unwrap_or(0);
    if expiry <= timer_interval {
        return Err(format!(
            "please decrease timer_interval={timer_interval}: the expiry {expiry} of {aor} is too small"
        ));
    }
    let cluster_shtag = opt(shtag);
    if cluster_shtag.as_ref().is_some_and(|t| !t.contains('/')) {
        return Err(format!(
            "bad sharing tag {:?}: <name/cluster_id> expected",
            cluster_shtag.unwrap_or_default()
        ));
    }
    Ok(Row {
        registrar,
        proxy,
        aor,
        third_party_registrant,
        username,
        password,
        binding_uri: binding,
        binding_params: params,
        expiry,
        forced_socket: opt(socket),
        cluster_shtag,
        enabled: state.parse::<i64>().unwrap_or(0) == 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(registrar: &str, expiry: &str, state: &str) -> [String; 12] {
        [
            registrar,
            "",
            "sip:alice@example.com",
            "",
            "alice",
            "pw",
            "sip:alice@10.0.0.1:5060",
            ";reg-id=1",
            expiry,
            "",
            "",
            state,
        ]
        .map(str::to_owned)
    }

    #[test]
    fn rows_are_checked_as_opensips_does() {
        let r = parse(fields("sip:example.com", "3600", "0"), 100).unwrap();
        assert!(r.enabled && r.proxy.is_none() && r.third_party_registrant.is_none());
        assert_eq!((r.expiry, r.binding_params.as_str()), (3600, ";reg-id=1"));
        assert!(
            !parse(fields("sip:example.com", "3600", "1"), 100)
                .unwrap()
                .enabled
        );
        assert!(parse(fields("sip:bob@example.com", "3600", "0"), 100).is_err());
        assert!(parse(fields("sip:example.com", "100", "0"), 100).is_err());
        assert!(parse(fields("", "3600", "0"), 100).is_err());
        assert!(parse(fields("not a uri", "3600", "0"), 100).is_err());
        let key = r.key();
        assert!(key.matches(&r));
        let loose = Key {
            registrar: None,
            ..key
        };
        assert!(loose.matches(&r));
    }
}
