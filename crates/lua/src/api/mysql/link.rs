//! The connection under a `siplua.mysql` object, with OpenSIPS' auto-reconnect.
//!
//! Every socket operation is bounded by `lua_db_timeout` (connect, read, write). A failure
//! that leaves the connection unusable drops it; the next call connects again. When a
//! connection that was kept from an earlier call turns out dead (the server restarted in
//! between), the call connects once more and retries, as libmysqlclient's auto-reconnect did,
//! so a script sees no error for a restart that happened while it was idle. A timeout is
//! never retried (the server may still be running the statement).

use mysql::{Conn, Opts};

/// A lazily (re)connected MySQL connection.
pub struct Link {
    opts: Opts,
    conn: Option<Conn>,
    /// Incremented on every new connection: prepared statements re-prepare when it changed.
    generation: u64,
}

/// What a failed operation means for the connection.
enum Failure {
    /// The server answered with an error (bad SQL, constraint): the connection is fine.
    Server,
    /// The server did not answer in time: the connection is dropped, no retry.
    Timeout,
    /// The connection broke: dropped; retried once if it was an old connection.
    Broken,
}

fn classify(e: &mysql::Error) -> Failure {
    match e {
        mysql::Error::MySqlError(_) => Failure::Server,
        // Read timeouts come wrapped in a codec error too: siplua-db's rule knows both.
        _ if siplua_db::is_timeout(e) => Failure::Timeout,
        _ => Failure::Broken,
    }
}

impl Link {
    /// Connects now (so `mysql_connect` can report a failure).
    pub fn connect(opts: Opts) -> mysql::Result<Link> {
        let conn = Conn::new(opts.clone())?;
        Ok(Link {
            opts,
            conn: Some(conn),
            generation: 1,
        })
    }

    /// Runs `f` on the connection (connecting first when there is none), applying the
    /// reconnect rule above. `f` gets the connection and its generation.
    pub fn run<T>(
        &mut self,
        mut f: impl FnMut(&mut Conn, u64) -> mysql::Result<T>,
    ) -> mysql::Result<T> {
        let mut fresh = false;
        loop {
            let conn = match &mut self.conn {
                Some(conn) => conn,
                None => {
                    let conn = Conn::new(self.opts.clone())?;
                    self.generation += 1;
                    fresh = true;
                    self.conn.insert(conn)
                }
            };
            match f(conn, self.generation) {
                Ok(v) => return Ok(v),
                Err(e) => match classify(&e) {
                    Failure::Server => return Err(e),
                    Failure::Timeout => {
                        self.conn = None;
                        return Err(e);
                    }
                    Failure::Broken => {
                        self.conn = None;
                        if fresh {
                            return Err(e);
                        }
                    }
                },
            }
        }
    }

    /// The connection if one is open, without connecting (for closing statements).
    pub fn current(&mut self) -> Option<(&mut Conn, u64)> {
        let generation = self.generation;
        self.conn.as_mut().map(|c| (c, generation))
    }
}
