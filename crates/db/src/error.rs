//! What a database call can fail with.

/// A failed database operation; the text is meant for the log.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The `db_url` is not `mysql://[user[:password]@]host[:port]/database`.
    #[error("bad db_url: {0}")]
    Url(String),
    /// No connection could be made (server down, refused, unreachable, bad credentials).
    #[error("cannot connect to {url}: {reason}")]
    Unavailable {
        /// The URL, password hidden.
        url: String,
        /// Why, as the client library said it.
        reason: String,
    },
    /// The server did not answer within the timeout.
    #[error("no answer from {url} within {ms} ms")]
    Timeout {
        /// The URL, password hidden.
        url: String,
        /// The timeout.
        ms: u128,
    },
    /// The server refused the statement (SQL error, constraint); the connection is fine.
    #[error("query failed: {0}")]
    Query(String),
    /// The connection broke during the statement.
    #[error("connection to {url} lost: {reason}")]
    Lost {
        /// The URL, password hidden.
        url: String,
        /// Why.
        reason: String,
    },
}
