//! The table of open TCP connections, by id and by peer address (including aliases).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::message::ConnId;
use crate::tcp::connection::Connection;

/// All open TCP connections, shared by acceptors, readers and senders.
///
/// Lookup by [`ConnId`] serves replies; lookup by address lets a request to a peer reuse
/// the connection that peer opened (its source address, or an alias such as its Via sent-by).
pub(crate) struct ConnTable {
    inner: Mutex<Inner>,
    next_id: AtomicU64,
    max: usize,
}

struct Entry {
    conn: Arc<Connection>,
    /// Every address key that points at this connection, to clean up on removal.
    keys: Vec<SocketAddr>,
}

#[derive(Default)]
struct Inner {
    by_id: HashMap<ConnId, Entry>,
    by_addr: HashMap<SocketAddr, ConnId>,
}

impl ConnTable {
    /// An empty table refusing connections beyond `max`.
    pub(crate) fn new(max: usize) -> Self {
        ConnTable {
            inner: Mutex::new(Inner::default()),
            next_id: AtomicU64::new(1),
            max,
        }
    }

    /// Adds the connection `make` builds with a fresh id, keyed by its peer address.
    ///
    /// Fails with an error when the table is full or `make` fails; the limit check and
    /// the insertion are atomic.
    pub(crate) fn insert(
        &self,
        make: impl FnOnce(ConnId) -> std::io::Result<Connection>,
    ) -> std::io::Result<Arc<Connection>> {
        let mut inner = self.inner.lock();
        if inner.by_id.len() >= self.max {
            return Err(std::io::Error::other(format!(
                "tcp_max_connections ({}) reached",
                self.max
            )));
        }
        let id = ConnId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let conn = Arc::new(make(id)?);
        let peer = conn.peer();
        inner.by_addr.insert(peer, id);
        inner.by_id.insert(
            id,
            Entry {
                conn: Arc::clone(&conn),
                keys: vec![peer],
            },
        );
        Ok(conn)
    }

    /// The open connection with this id.
    pub(crate) fn get(&self, id: ConnId) -> Option<Arc<Connection>> {
        let inner = self.inner.lock();
        let conn = &inner.by_id.get(&id)?.conn;
        (!conn.is_closed()).then(|| Arc::clone(conn))
    }

    /// The open connection most recently keyed by this peer address.
    pub(crate) fn by_addr(&self, addr: SocketAddr) -> Option<Arc<Connection>> {
        let inner = self.inner.lock();
        let id = inner.by_addr.get(&addr)?;
        let conn = &inner.by_id.get(id)?.conn;
        (!conn.is_closed()).then(|| Arc::clone(conn))
    }

    /// Makes `addr` lead to connection `id` too; false if the connection is gone.
    pub(crate) fn add_alias(&self, id: ConnId, addr: SocketAddr) -> bool {
        let mut inner = self.inner.lock();
        let Some(entry) = inner.by_id.get_mut(&id) else {
            return false;
        };
        if !entry.keys.contains(&addr) {
            entry.keys.push(addr);
        }
        inner.by_addr.insert(addr, id);
        true
    }

    /// Forgets a connection and the address keys that still point at it.
    pub(crate) fn remove(&self, id: ConnId) {
        let mut inner = self.inner.lock();
        if let Some(entry) = inner.by_id.remove(&id) {
            for key in entry.keys {
                if inner.by_addr.get(&key) == Some(&id) {
                    inner.by_addr.remove(&key);
                }
            }
        }
    }

    /// Closes every connection, waking their readers (used at shutdown).
    pub(crate) fn close_all(&self) {
        let conns: Vec<_> = self
            .inner
            .lock()
            .by_id
            .values()
            .map(|e| Arc::clone(&e.conn))
            .collect();
        for conn in conns {
            conn.close();
        }
    }

    /// Number of connections in the table.
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket_info::SocketId;
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    /// A table entry backed by a real loopback connection (the listener is returned to keep it alive).
    fn add(table: &ConnTable) -> std::io::Result<(Arc<Connection>, TcpListener, TcpStream)> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, peer) = listener.accept().unwrap();
        let conn = table.insert(|id| {
            Connection::new(
                id,
                peer,
                SocketId(0),
                server.into(),
                None,
                None,
                Duration::from_secs(1),
            )
        })?;
        Ok((conn, listener, client))
    }

    #[test]
    fn lookup_by_id_addr_and_alias_then_remove() {
        let table = ConnTable::new(10);
        let (conn, _l, _c) = add(&table).unwrap();
        let alias: SocketAddr = "192.0.2.1:5060".parse().unwrap();
        assert_eq!(table.get(conn.id()).unwrap().id(), conn.id());
        assert_eq!(table.by_addr(conn.peer()).unwrap().id(), conn.id());
        assert!(table.add_alias(conn.id(), alias));
        assert_eq!(table.by_addr(alias).unwrap().id(), conn.id());
        table.remove(conn.id());
        assert!(table.get(conn.id()).is_none());
        assert!(table.by_addr(alias).is_none());
        assert!(table.by_addr(conn.peer()).is_none());
        assert!(!table.add_alias(conn.id(), alias));
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn alias_moved_to_another_connection_survives_removal_of_the_first() {
        let table = ConnTable::new(10);
        let (a, _la, _ca) = add(&table).unwrap();
        let (b, _lb, _cb) = add(&table).unwrap();
        let alias: SocketAddr = "192.0.2.1:5060".parse().unwrap();
        table.add_alias(a.id(), alias);
        table.add_alias(b.id(), alias);
        table.remove(a.id());
        assert_eq!(table.by_addr(alias).unwrap().id(), b.id());
    }

    #[test]
    fn closed_connections_are_not_returned_and_limit_holds() {
        let table = ConnTable::new(1);
        let (conn, _l, _c) = add(&table).unwrap();
        assert!(add(&table).is_err());
        conn.close();
        assert!(table.get(conn.id()).is_none());
        assert!(table.by_addr(conn.peer()).is_none());
        assert!(conn.write(b"x").is_err());
    }
}
