//! The `siplua.mysql` object: `query`, the fetchers, `free_result`, `escape`, `insert_id`,
//! `affected_rows`, `prepare`, `close` (spec §9).
//!
//! Its state is shared with the statements it prepared (they run on its connection and
//! `close` closes them), so it lives in an `Rc<RefCell<_>>`. No Lua code runs while a borrow
//! is held: rows are taken out first and turned into tables afterwards, so a garbage
//! collection that finalizes another object in between never meets a borrowed cell.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use mlua::{Lua, MultiValue, UserData, UserDataMethods, Value};
use mysql::prelude::Queryable;
use siplua_core::log::{self, level};

use super::link::Link;
use super::row::{self, Rows, Shape};
use super::statement::{MysqlStmt, StmtState};
use crate::api::args::check_string;

/// What a connection object holds.
pub struct ConnState {
    /// The connection; `None` after `close()`.
    pub link: Option<Link>,
    /// The stored result of the last `query`.
    rows: Option<Rows>,
    /// `affected_rows()` after the last `query` (-1 after a failed one).
    affected: i64,
    /// `insert_id()` after the last statement.
    pub insert_id: u64,
    /// Statements prepared on this connection, closed with it.
    stmts: Vec<Weak<RefCell<StmtState>>>,
}

impl ConnState {
    /// Closes every statement still alive, frees the result, closes the connection.
    fn close(&mut self) {
        for stmt in self.stmts.drain(..) {
            if let Some(stmt) = stmt.upgrade() {
                if let Ok(mut s) = stmt.try_borrow_mut() {
                    if let Some(prepared) = s.forget() {
                        if let Some((conn, _)) = self.link.as_mut().and_then(Link::current) {
                            let _ = conn.close(prepared);
                        }
                    }
                }
            }
        }
        self.rows = None;
        self.link = None;
    }
}

/// The `siplua.mysql` object.
pub struct MysqlConn(pub Rc<RefCell<ConnState>>);

impl MysqlConn {
    /// A connection object over an open link.
    pub fn new(link: Link) -> MysqlConn {
        MysqlConn(Rc::new(RefCell::new(ConnState {
            link: Some(link),
            rows: None,
            affected: 0,
            insert_id: 0,
            stmts: Vec::new(),
        })))
    }
}

impl Drop for MysqlConn {
    fn drop(&mut self) {
        if let Ok(mut st) = self.0.try_borrow_mut() {
            st.close();
        }
    }
}

/// Logs a failed call (the API itself gives the script no error text, as in OpenSIPS).
pub fn log_error(what: &str, e: &dyn std::fmt::Display) {
    log::emit(level::ERR, "siplua", &format!("mysql {what} failed: {e}"));
}

/// `query(sql)` → true, or nil on failure (logged).
fn query(lua: &Lua, this: &MysqlConn, sql: Value) -> mlua::Result<Option<bool>> {
    let sql = check_string(lua, sql, 2, "query")?;
    let mut guard = this.0.borrow_mut();
    let st = &mut *guard;
    st.rows = None;
    let Some(link) = st.link.as_mut() else {
        return Ok(None);
    };
    let Ok(sql) = sql.to_str() else {
        log_error("query", &"the statement is not UTF-8");
        return Ok(None);
    };
    match link.run(|c, _| row::collect(c.query_iter(&*sql)?)) {
        Ok(out) => {
            st.rows = out.rows;
            st.affected = i64::try_from(out.affected).unwrap_or(i64::MAX);
            st.insert_id = out.insert_id.unwrap_or(0);
            Ok(Some(true))
        }
        Err(e) => {
            st.affected = -1;
            log_error("query", &e);
            Ok(None)
        }
    }
}

/// `fetch_row / fetch_assoc / fetch_array([t])` → the next row, nil when none is left.
fn fetch(lua: &Lua, this: &MysqlConn, t: Value, shape: Shape) -> mlua::Result<Option<mlua::Table>> {
    let t = row::target(lua, t, shape)?;
    let next = {
        let mut st = this.0.borrow_mut();
        if st.link.is_none() {
            return Ok(None);
        }
        row::next_row(&mut st.rows)
    };
    match next {
        Some((columns, values)) => row::fill(lua, t, &columns, values, shape).map(Some),
        None => Ok(None),
    }
}

/// `prepare(sql)` → a statement, or `nil, message`.
fn prepare(lua: &Lua, this: &MysqlConn, sql: Value) -> mlua::Result<MultiValue> {
    let sql = check_string(lua, sql, 2, "prepare")?;
    let fail = |msg: String| -> mlua::Result<MultiValue> {
        Ok(MultiValue::from_iter([
            Value::Nil,
            Value::String(lua.create_string(msg)?),
        ]))
    };
    let Ok(sql) = sql.to_str().map(|s| s.to_owned()) else {
        return fail("the statement is not UTF-8".into());
    };
    let prepared = {
        let mut st = this.0.borrow_mut();
        let Some(link) = st.link.as_mut() else {
            return Ok(MultiValue::from_iter([Value::Nil]));
        };
        link.run(|c, generation| c.prep(&sql).map(|s| (s, generation)))
    };
    match prepared {
        Ok((stmt, generation)) => {
            let state = Rc::new(RefCell::new(StmtState::new(
                this.0.clone(),
                sql,
                stmt,
                generation,
            )));
            {
                let mut st = this.0.borrow_mut();
                st.stmts.retain(|w| w.strong_count() > 0);
                st.stmts.push(Rc::downgrade(&state));
            }
            let ud = lua.create_userdata(MysqlStmt(state))?;
            Ok(MultiValue::from_iter([Value::UserData(ud)]))
        }
        Err(e) => fail(e.to_string()),
    }
}

impl UserData for MysqlConn {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("query", query);
        methods.add_method("fetch_row", |lua, this, t: Value| {
            fetch(lua, this, t, Shape::Row)
        });
        methods.add_method("fetch_assoc", |lua, this, t: Value| {
            fetch(lua, this, t, Shape::Assoc)
        });
        methods.add_method("fetch_array", |lua, this, t: Value| {
            fetch(lua, this, t, Shape::Array)
        });
        methods.add_method("free_result", |_, this, ()| {
            this.0.borrow_mut().rows = None;
            Ok(())
        });
        methods.add_method("affected_rows", |_, this, ()| {
            let st = this.0.borrow();
            Ok(st.link.is_some().then_some(st.affected))
        });
        methods.add_method("insert_id", |_, this, ()| {
            let st = this.0.borrow();
            Ok(st
                .link
                .is_some()
                .then(|| i64::try_from(st.insert_id).unwrap_or(i64::MAX)))
        });
        methods.add_method("escape", |lua, this, s: Value| {
            let s = check_string(lua, s, 2, "escape")?;
            if this.0.borrow().link.is_none() {
                return Ok(None);
            }
            lua.create_string(super::escape(&s.as_bytes())).map(Some)
        });
        methods.add_method("prepare", prepare);
        methods.add_method("close", |_, this, ()| {
            this.0.borrow_mut().close();
            Ok(())
        });
        methods.add_meta_method(mlua::MetaMethod::ToString, |_, _, ()| Ok("siplua.mysql"));
    }
}
