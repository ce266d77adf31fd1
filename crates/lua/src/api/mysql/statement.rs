//! The `siplua.mysql_stmt` object: `bind`, `bind_all`, `execute`, the fetchers,
//! `affected_rows`, `free_result`, `close` (spec §9).
//!
//! A statement keeps its SQL: when its connection was re-established since it was prepared
//! (a server restart), `execute` prepares it again on the new connection, so a statement
//! outlives a restart like the connection does.

use std::cell::RefCell;
use std::rc::Rc;

use mlua::{Lua, MultiValue, UserData, UserDataMethods, Value};
use mysql::prelude::Queryable;
use mysql::{Params, Statement};
use siplua_core::log::{self, level};

use super::connection::{log_error, ConnState};
use super::row::{self, Rows, Shape};
use crate::api::args::{check_integer, float_to_int, type_name};

/// What a statement object holds.
pub struct StmtState {
    conn: Rc<RefCell<ConnState>>,
    sql: String,
    /// The server-side statement and the connection generation it belongs to; `None` once
    /// closed.
    prepared: Option<(Statement, u64)>,
    /// Bound values, NULL until bound.
    params: Vec<mysql::Value>,
    /// The stored result of the last `execute`.
    rows: Option<Rows>,
    /// Affected rows of the last `execute` (-1 after a failed one).
    affected: i64,
}

impl StmtState {
    /// A statement just prepared on `conn`'s connection of `generation`.
    pub fn new(
        conn: Rc<RefCell<ConnState>>,
        sql: String,
        stmt: Statement,
        generation: u64,
    ) -> StmtState {
        let n = usize::from(stmt.num_params());
        StmtState {
            conn,
            sql,
            prepared: Some((stmt, generation)),
            params: vec![mysql::Value::NULL; n],
            rows: None,
            affected: 0,
        }
    }

    /// Marks the statement closed and hands back the server-side statement to close, if it
    /// belongs to the connection that is open now.
    pub fn forget(&mut self) -> Option<Statement> {
        self.rows = None;
        self.prepared.take().map(|(s, _)| s)
    }

    fn is_open(&self) -> bool {
        self.prepared.is_some()
    }
}

/// The `siplua.mysql_stmt` object.
pub struct MysqlStmt(pub Rc<RefCell<StmtState>>);

impl MysqlStmt {
    fn close(&self) {
        let Ok(mut st) = self.0.try_borrow_mut() else {
            return;
        };
        let Some((stmt, generation)) = st.prepared.take() else {
            return;
        };
        st.rows = None;
        let conn = st.conn.clone();
        drop(st);
        let Ok(mut conn) = conn.try_borrow_mut() else {
            return;
        };
        if let Some((c, g)) = conn.link.as_mut().and_then(|l| l.current()) {
            if g == generation {
                let _ = c.close(stmt);
            }
        }
    }
}

impl Drop for MysqlStmt {
    fn drop(&mut self) {
        self.close();
    }
}

/// A Lua value as a bound parameter; `None` for a type that cannot be bound.
fn param(lua: &Lua, v: Value, pos: usize) -> mlua::Result<Option<mysql::Value>> {
    Ok(Some(match v {
        Value::Nil => mysql::Value::NULL,
        Value::Integer(i) => mysql::Value::Int(i),
        Value::Number(n) => match float_to_int(n) {
            Some(i) => mysql::Value::Int(i),
            None => mysql::Value::Double(n),
        },
        Value::String(s) => mysql::Value::Bytes(s.as_bytes().to_vec()),
        Value::Boolean(_) => {
            check_integer(lua, v, pos, "bind")?;
            return Ok(None);
        }
        other => {
            log::emit(
                level::CRIT,
                "siplua",
                &format!("mysql bind: cannot bind a {} value", type_name(&other)),
            );
            return Ok(None);
        }
    }))
}

/// `bind(i, v)` → true; nil when the statement has no parameters, is closed, or `v` has a
/// type that cannot be bound. `i` is 1-based.
fn bind(lua: &Lua, this: &MysqlStmt, (i, v): (Value, Value)) -> mlua::Result<Option<bool>> {
    let i = check_integer(lua, i, 2, "bind")?;
    let n = {
        let st = this.0.borrow();
        if !st.is_open() || st.params.is_empty() {
            return Ok(None);
        }
        st.params.len()
    };
    let idx = match usize::try_from(i) {
        Ok(idx) if idx >= 1 && idx <= n => idx - 1,
        _ => {
            return Err(mlua::Error::runtime(format!(
                "invalid bind parameter #{}",
                i.saturating_sub(1)
            )))
        }
    };
    let Some(value) = param(lua, v, 3)? else {
        return Ok(None);
    };
    this.0.borrow_mut().params[idx] = value;
    Ok(Some(true))
}

/// `bind_all(v1, ..., vN)` → true; the count must be the statement's parameter count.
fn bind_all(lua: &Lua, this: &MysqlStmt, values: MultiValue) -> mlua::Result<Option<bool>> {
    let n = {
        let st = this.0.borrow();
        if !st.is_open() {
            return Ok(None);
        }
        st.params.len()
    };
    if values.len() != n {
        return Err(mlua::Error::runtime(format!(
            "invalid number of bind parameter #{} (expected {n})",
            values.len()
        )));
    }
    let mut bound = Vec::with_capacity(n);
    for (i, v) in values.into_iter().enumerate() {
        match param(lua, v, i + 2)? {
            Some(v) => bound.push(v),
            None => return Ok(None),
        }
    }
    this.0.borrow_mut().params = bound;
    Ok(Some(true))
}

/// `execute()` → true, or nil on failure (logged). Prepares again on a new connection.
fn execute(_: &Lua, this: &MysqlStmt, _: ()) -> mlua::Result<Option<bool>> {
    let mut guard = this.0.borrow_mut();
    let st = &mut *guard;
    st.rows = None;
    if !st.is_open() {
        return Ok(None);
    }
    let conn = st.conn.clone();
    let mut conn = conn.borrow_mut();
    let Some(link) = conn.link.as_mut() else {
        return Ok(None);
    };
    let (sql, prepared, params) = (&st.sql, &mut st.prepared, &st.params);
    let r = link.run(|c, generation| {
        let stmt = match prepared {
            Some((stmt, g)) if *g == generation => stmt.clone(),
            _ => {
                let stmt = c.prep(sql)?;
                *prepared = Some((stmt.clone(), generation));
                stmt
            }
        };
        let params = if params.is_empty() {
            Params::Empty
        } else {
            Params::Positional(params.clone())
        };
        row::collect(c.exec_iter(&stmt, params)?)
    });
    match r {
        Ok(out) => {
            st.rows = out.rows;
            st.affected = i64::try_from(out.affected).unwrap_or(i64::MAX);
            conn.insert_id = out.insert_id.unwrap_or(0);
            Ok(Some(true))
        }
        Err(e) => {
            st.affected = -1;
            log_error("execute", &e);
            Ok(None)
        }
    }
}

/// `fetch_row / fetch_assoc / fetch_array([t])` → the next row, nil when none is left.
fn fetch(lua: &Lua, this: &MysqlStmt, t: Value, shape: Shape) -> mlua::Result<Option<mlua::Table>> {
    let t = row::target(lua, t, shape)?;
    let next = row::next_row(&mut this.0.borrow_mut().rows);
    match next {
        Some((columns, values)) => row::fill(lua, t, &columns, values, shape).map(Some),
        None => Ok(None),
    }
}

impl UserData for MysqlStmt {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("bind", bind);
        methods.add_method("bind_all", bind_all);
        methods.add_method("execute", execute);
        methods.add_method("fetch_row", |lua, this, t: Value| {
            fetch(lua, this, t, Shape::Row)
        });
        methods.add_method("fetch_assoc", |lua, this, t: Value| {
            fetch(lua, this, t, Shape::Assoc)
        });
        methods.add_method("fetch_array", |lua, this, t: Value| {
            fetch(lua, this, t, Shape::Array)
        });
        methods.add_method("affected_rows", |_, this, ()| {
            let st = this.0.borrow();
            Ok(st.is_open().then_some(st.affected))
        });
        methods.add_method("free_result", |_, this, ()| {
            this.0.borrow_mut().rows = None;
            Ok(())
        });
        methods.add_method("close", |_, this, ()| {
            this.close();
            Ok(())
        });
        methods.add_meta_method(mlua::MetaMethod::ToString, |_, _, ()| {
            Ok("siplua.mysql_stmt")
        });
    }
}
