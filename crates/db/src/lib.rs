//! The SQL layer siplua's modules share (usrloc, acc, auth_db, ...), in the place of
//! OpenSIPS' `db_mysql` + DB API: an OpenSIPS `db_url` parser ([`DbUrl`]), a pooled,
//! reconnecting MySQL/MariaDB client whose every network wait is bounded ([`Db`]), plain
//! values in and out ([`DbValue`], [`Row`]), and the embedded schema ([`schema`]).

mod error;
mod pool;
pub mod schema;
mod url;
mod value;

pub use error::DbError;
pub use pool::{is_timeout, Db, Tx};
pub use url::DbUrl;
pub use value::{DbValue, Row};
