//! The SQL layer siplua's modules share (usrloc, acc, auth_db, ...), in the place of
//! OpenSIPS' `db_mysql`/`db_sqlite` + DB API: an OpenSIPS `db_url` parser ([`DbUrl`]), a
//! [`Db`] handle over either a pooled, reconnecting MySQL/MariaDB client whose every network
//! wait is bounded or an SQLite file, plain values in and out ([`DbValue`], [`Row`]), and the
//! embedded schema ([`schema`]).

mod error;
mod handle;
mod pool;
pub mod schema;
mod sqlite;
mod url;
mod value;

pub use error::DbError;
pub use handle::{Db, Tx};
pub use pool::is_timeout;
pub use sqlite::SqliteOptions;
pub use url::DbUrl;
pub use value::{DbValue, Row};
