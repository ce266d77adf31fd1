//! usrloc's SQL side: the working modes and the mapping between a record and the rows of an
//! OpenSIPS 3.x `location` table (one row per binding, keyed by `username` + `domain`).
//!
//! Every write replaces all the rows of one AOR in one transaction, so a crash never leaves
//! an AOR half written. Column choices where siplua's binding differs from OpenSIPS': `q` is
//! -1 for "no q-value"; `cflags` holds the branch-flag mask as a decimal number; `methods` is
//! OpenSIPS' method bitmask (NULL when the list names a method outside it, meaning "all");
//! `reg-id` goes into `kv_store` as `{"reg_id":N}`; `socket` is `proto:ip:port` and is
//! resolved against this node's sockets when read (another node's socket reads as none).

use siplua_db::{Db, DbError, DbValue, Row, Tx};
use siplua_transport::SocketId;

use super::contact::{ContactText, UContact, Q_UNSET};
use super::record::Aor;

/// usrloc's working mode (`working_mode_preset`, or the older `db_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbMode {
    /// In memory only (`single-instance-no-db`, db_mode 0).
    NoDb,
    /// Memory, every change written to the table at once (db_mode 1).
    WriteThrough,
    /// Memory, changed AORs written every `timer_interval` and at shutdown (db_mode 2).
    WriteBack,
    /// The table only: every node reads and writes it (`sql-only`, db_mode 3).
    DbOnly,
}

impl DbMode {
    /// The mode a `working_mode_preset` names.
    pub fn from_preset(preset: &str) -> Result<DbMode, String> {
        Ok(match preset {
            "single-instance-no-db" => DbMode::NoDb,
            "single-instance-sql-write-through" => DbMode::WriteThrough,
            "single-instance-sql-write-back" => DbMode::WriteBack,
            "sql-only" => DbMode::DbOnly,
            other => {
                return Err(format!(
                    "working_mode_preset '{other}' is not supported (single-instance-no-db, \
                     single-instance-sql-write-through, single-instance-sql-write-back, sql-only)"
                ))
            }
        })
    }

    /// The mode an OpenSIPS `db_mode` number names.
    pub fn from_db_mode(n: i64) -> Result<DbMode, String> {
        Ok(match n {
            0 => DbMode::NoDb,
            1 => DbMode::WriteThrough,
            2 => DbMode::WriteBack,
            3 => DbMode::DbOnly,
            n => return Err(format!("db_mode must be 0..3, got {n}")),
        })
    }
}

/// The database behind the location tables.
pub struct Store {
    /// The connection pool.
    pub db: Db,
    /// How memory and table relate.
    pub mode: DbMode,
    /// This node's sockets as `proto:ip:port`, by [`SocketId`].
    sockets: Vec<String>,
    /// `use_domain`: rows are grouped by `username@domain`, else by `username` alone.
    use_domain: bool,
}

const COLUMNS: &str = "username, domain, contact, received, path, expires, q, callid, cseq, \
                       UNIX_TIMESTAMP(last_modified), flags, cflags, user_agent, socket, methods, \
                       sip_instance, kv_store";

/// The statements of one location table, built once when the table is first used.
pub struct TableSql {
    /// The AOR's rows (`get`).
    select: String,
    /// The AOR's rows, locked (`get_locked`).
    select_locked: String,
    /// Every row still valid at `?` (start-up load).
    load: String,
    /// Every row (`dump`).
    dump: String,
    /// The AOR's rows deleted (`replace`).
    delete: String,
    /// `INSERT ... VALUES `, to which `replace` appends one group per binding.
    insert: String,
    /// The rows expired at `?`.
    delete_expired: String,
}

/// One row's placeholders in [`TableSql::insert`].
const ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?), ?, ?, ?, ?, ?, ?, ?)";

impl TableSql {
    /// The statements of `table`; fails when the name cannot be quoted safely.
    pub fn new(table: &str) -> Result<TableSql, DbError> {
        let t = quoted(table)?;
        let select = format!(
            "SELECT {COLUMNS} FROM {t} WHERE username = ? AND domain <=> ? ORDER BY contact_id"
        );
        Ok(TableSql {
            select_locked: format!("{select} FOR UPDATE"),
            select,
            load: format!(
                "SELECT {COLUMNS} FROM {t} WHERE expires > ? ORDER BY username, domain, contact_id"
            ),
            dump: format!("SELECT {COLUMNS} FROM {t} ORDER BY username, domain, contact_id"),
            delete: format!("DELETE FROM {t} WHERE username = ? AND domain <=> ?"),
            insert: format!(
                "INSERT INTO {t} (username, domain, contact, received, path, expires, q, \
                 callid, cseq, last_modified, flags, cflags, user_agent, socket, methods, \
                 sip_instance, kv_store) VALUES "
            ),
            delete_expired: format!("DELETE FROM {t} WHERE expires > 0 AND expires <= ?"),
        })
    }
}

/// OpenSIPS' method bits (parser/msg_parser.h), for the `methods` column.
const METHOD_BITS: &[(&str, i64)] = &[
    ("INVITE", 1),
    ("CANCEL", 2),
    ("ACK", 4),
    ("BYE", 8),
    ("INFO", 16),
    ("OPTIONS", 32),
    ("UPDATE", 64),
    ("REGISTER", 128),
    ("MESSAGE", 256),
    ("SUBSCRIBE", 512),
    ("NOTIFY", 1024),
    ("PRACK", 2048),
    ("REFER", 4096),
    ("PUBLISH", 8192),
];

impl Store {
    /// A store over `db`; `sockets` lists this node's listeners in [`SocketId`] order.
    pub fn new(db: Db, mode: DbMode, sockets: Vec<String>, use_domain: bool) -> Store {
        Store {
            db,
            mode,
            sockets,
            use_domain,
        }
    }

    /// Every AOR of `table` with a binding still valid at `now` (start-up load).
    pub fn load_all(&self, table: &TableSql, now: i64) -> Result<Vec<Aor>, DbError> {
        Ok(self.group(self.db.query(&table.load, &[DbValue::Int(now)])?))
    }

    /// The bindings of `aor` (expired ones too), read outside any transaction.
    pub fn get(&self, table: &TableSql, aor: &str) -> Result<Aor, DbError> {
        Ok(self.record(aor, self.db.query(&table.select, &aor_params(aor))?))
    }

    /// The bindings of `aor`, locked until the transaction ends.
    pub fn get_locked(&self, tx: &mut Tx<'_>, table: &TableSql, aor: &str) -> Result<Aor, DbError> {
        Ok(self.record(aor, tx.query(&table.select_locked, &aor_params(aor))?))
    }

    /// Every AOR of `table`, expired bindings included (the management dump in `sql-only`).
    pub fn dump(&self, table: &TableSql) -> Result<Vec<Aor>, DbError> {
        Ok(self.group(self.db.query(&table.dump, &[])?))
    }

    /// Replaces the rows of `record`'s AOR by its bindings.
    pub fn replace(&self, tx: &mut Tx<'_>, table: &TableSql, record: &Aor) -> Result<(), DbError> {
        let (user, domain) = split_aor(record.aor());
        tx.exec(&table.delete, &[user.into(), domain.into()])?;
        let n = record.contacts().len();
        if n == 0 {
            return Ok(());
        }
        let mut params = Vec::with_capacity(n * 17);
        for c in record.contacts() {
            params.extend(self.row_values(user, domain, c));
        }
        let mut sql = String::with_capacity(table.insert.len() + n * (ROW.len() + 2));
        sql.push_str(&table.insert);
        for i in 0..n {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(ROW);
        }
        tx.exec(&sql, &params)?;
        Ok(())
    }

    /// [`Store::replace`] in a transaction of its own.
    pub fn write(&self, table: &TableSql, record: &Aor) -> Result<(), DbError> {
        self.db.transaction(|tx| self.replace(tx, table, record))
    }

    /// Deletes the rows expired at `now`; returns how many went.
    pub fn delete_expired(&self, table: &TableSql, now: i64) -> Result<u64, DbError> {
        self.db.exec(&table.delete_expired, &[DbValue::Int(now)])
    }

    fn row_values(&self, user: &str, domain: Option<&str>, c: &UContact) -> [DbValue; 17] {
        let q = if c.q == Q_UNSET {
            -1.0
        } else {
            f64::from(c.q) / 1000.0
        };
        let socket = c
            .socket
            .and_then(|id| self.sockets.get(id.index()))
            .cloned();
        [
            user.into(),
            domain.into(),
            c.uri().into(),
            c.received().into(),
            c.path().into(),
            DbValue::Int(c.expires),
            DbValue::Float(q),
            c.callid().into(),
            DbValue::Int(i64::from(c.cseq)),
            DbValue::Int(c.last_modified.max(1)),
            DbValue::Int(i64::from(c.flags)),
            DbValue::Str(c.cflags.to_string()),
            // CHAR(255): a longer User-Agent is cut rather than losing the binding.
            DbValue::Str(c.user_agent().unwrap_or("").chars().take(255).collect()),
            socket.into(),
            c.methods().and_then(methods_mask).into(),
            c.instance().into(),
            c.reg_id
                .map(|r| serde_json::json!({ "reg_id": r }).to_string())
                .into(),
        ]
    }

    fn contact(&self, row: &Row) -> UContact {
        let text = |i| row.get_str(i).filter(|s| !s.is_empty());
        let (received, path, user_agent, instance) = (text(3), text(4), text(12), text(15));
        let methods = row.get_i64(14).map(methods_list);
        let mut c = UContact::new(ContactText {
            uri: &row.get_str(2).unwrap_or_default(),
            callid: &row.get_str(7).unwrap_or_default(),
            received: received.as_deref(),
            path: path.as_deref(),
            user_agent: user_agent.as_deref(),
            instance: instance.as_deref(),
            methods: methods.as_deref(),
        });
        c.expires = row.get_i64(5).unwrap_or(0);
        c.q = match row.get_f64(6) {
            Some(q) if q >= 0.0 => (q * 1000.0).round() as i32,
            _ => Q_UNSET,
        };
        c.cseq = row
            .get_i64(8)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0);
        c.last_modified = row.get_i64(9).unwrap_or(0);
        c.flags = row
            .get_i64(10)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0);
        c.cflags = row
            .get_str(11)
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        c.socket = row.get_str(13).and_then(|s| {
            self.sockets
                .iter()
                .position(|x| x.eq_ignore_ascii_case(&s))
                .and_then(|i| u16::try_from(i).ok())
                .map(SocketId)
        });
        c.reg_id = row
            .get_str(16)
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| v.get("reg_id")?.as_u64())
            .and_then(|r| u32::try_from(r).ok());
        c
    }

    fn record(&self, aor: &str, rows: Vec<Row>) -> Aor {
        let mut record = Aor::new(aor);
        for row in &rows {
            record.insert(self.contact(row));
        }
        record
    }

    /// Rows ordered by AOR into records.
    fn group(&self, rows: Vec<Row>) -> Vec<Aor> {
        let mut out: Vec<Aor> = Vec::new();
        for row in &rows {
            let user = row.get_str(0).unwrap_or_default();
            let domain = row.get_str(1).filter(|d| self.use_domain && !d.is_empty());
            let aor = match domain {
                Some(d) => format!("{user}@{d}"),
                None => user,
            };
            if out.last().is_none_or(|r| r.aor() != aor) {
                out.push(Aor::new(&aor));
            }
            if let Some(last) = out.last_mut() {
                last.insert(self.contact(row));
            }
        }
        out
    }
}

/// `user@domain` → (`user`, `domain`); an AOR without `@` (use_domain off) has no domain.
fn split_aor(aor: &str) -> (&str, Option<&str>) {
    match aor.split_once('@') {
        Some((u, d)) => (u, Some(d)),
        None => (aor, None),
    }
}

/// The `username = ? AND domain <=> ?` parameters of `aor`.
fn aor_params(aor: &str) -> [DbValue; 2] {
    let (user, domain) = split_aor(aor);
    [user.into(), domain.into()]
}

/// The table name quoted for SQL; names come from the script, so only plain ones are taken.
fn quoted(table: &str) -> Result<String, DbError> {
    if !table.is_empty()
        && table
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        Ok(format!("`{}`", table.replace('.', "`.`")))
    } else {
        Err(DbError::Query(format!(
            "bad location table name \"{table}\""
        )))
    }
}

/// The bitmask of `methods`, `None` when one of them has no bit (stored as "all").
fn methods_mask<'a>(mut methods: impl Iterator<Item = &'a str>) -> Option<i64> {
    methods.try_fold(0, |mask, m| {
        METHOD_BITS
            .iter()
            .find(|(name, _)| *name == m)
            .map(|(_, bit)| mask | bit)
    })
}

/// The methods of a bitmask, comma-separated (as [`ContactText::methods`] takes them).
fn methods_list(mask: i64) -> String {
    let names: Vec<&str> = METHOD_BITS
        .iter()
        .filter(|(_, bit)| mask & bit != 0)
        .map(|(name, _)| *name)
        .collect();
    names.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(DbMode::from_preset("sql-only"), Ok(DbMode::DbOnly));
        assert_eq!(DbMode::from_db_mode(2), Ok(DbMode::WriteBack));
        assert!(DbMode::from_preset("full-sharing-cachedb").is_err());
        assert!(DbMode::from_db_mode(4).is_err());
    }

    #[test]
    fn aors_tables_and_methods() {
        assert_eq!(
            split_aor("alice@example.com"),
            ("alice", Some("example.com"))
        );
        assert_eq!(split_aor("alice"), ("alice", None));
        assert_eq!(quoted("location").unwrap(), "`location`");
        assert!(quoted("loc`; DROP").is_err());
        assert!(TableSql::new("loc`; DROP").is_err());
        let t = TableSql::new("location").unwrap();
        assert!(t.select_locked.ends_with("ORDER BY contact_id FOR UPDATE"));
        assert!(t.insert.starts_with("INSERT INTO `location` ("));
        assert_eq!(methods_mask(["INVITE", "MESSAGE"].into_iter()), Some(257));
        assert_eq!(methods_list(257), "INVITE,MESSAGE");
        assert_eq!(methods_mask(["FOO"].into_iter()), None);
    }
}
