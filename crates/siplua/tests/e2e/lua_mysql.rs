//! `mysql_connect()` and the connection / statement objects from a Lua script, against a real
//! MariaDB (`scripts/services start`; endpoint `SIPLUA_TEST_MYSQL`): every method, the
//! nil/error cases, and MariaDB restarted while SIPp sends traffic.

use crate::common;
use crate::lua_support;
use crate::storage_support;

use std::time::Duration;

use common::*;
use lua_support::*;
use storage_support::*;

/// The script: `db` connected, `T` a table of this test (every worker runs the top level,
/// so it is created only if missing; `cleanup` drops it).
fn script(body: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let m = mysql();
    require("MariaDB", &m.host, m.port);
    format!(
        r#"
T = "t_{pid}_{n}"
DB = {{ "{host}", "{user}", "{pw}", "{db}", {port} }}
db = assert(mysql_connect(DB[1], DB[2], DB[3], DB[4], DB[5]))
assert(db:query("CREATE TABLE IF NOT EXISTS " .. T .. " (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64), n INT NULL, d DATETIME NULL, f DOUBLE NULL)"))
function cleanup(msg)
  local c = assert(mysql_connect(DB[1], DB[2], DB[3], DB[4], DB[5]))
  c:query("DROP TABLE IF EXISTS " .. T)
  c:close()
end
{body}
"#,
        pid = std::process::id(),
        n = N.fetch_add(1, Ordering::Relaxed),
        host = m.host,
        user = m.user,
        pw = m.password,
        db = m.db,
        port = m.port
    )
}

const METHODS: &str = r#"
function conn(msg)
  put(msg, "X-Insert", tostring(db:query("INSERT INTO " .. T .. " (name, n, d, f) VALUES ('alice', 7, '2024-01-02 03:04:05', 1.5)")))
  put(msg, "X-Insert-Id", db:insert_id())
  db:query("INSERT INTO " .. T .. " (name) VALUES ('" .. db:escape("o'brien") .. "')")
  put(msg, "X-Insert-Id2", db:insert_id())
  put(msg, "X-Affected", db:affected_rows())
  db:query("SELECT id, name, n, d, f FROM " .. T .. " ORDER BY id")
  put(msg, "X-Rows", db:affected_rows())
  local r = db:fetch_row()
  put(msg, "X-Row", table.concat(r, "|") .. "|" .. type(r[1]))
  local a = db:fetch_assoc()
  put(msg, "X-Assoc", a.id .. "|" .. a.name .. "|[" .. a.n .. "]|[" .. a.d .. "]")
  put(msg, "X-End", tostring(db:fetch_array()))
  db:query("SELECT name FROM " .. T .. " ORDER BY id")
  local t = {}
  local same = db:fetch_array(t)
  put(msg, "X-Array", tostring(same == t) .. "|" .. t[1] .. "|" .. t.name)
  db:free_result()
  put(msg, "X-Freed", tostring(db:fetch_row()))
  put(msg, "X-Update", tostring(db:query("UPDATE " .. T .. " SET n = 1")) .. "/" .. db:affected_rows())
  put(msg, "X-Bad-Sql", tostring(db:query("SELEC nonsense")))
  put(msg, "X-Escape", db:escape("a'b\"c\\d\n"))
  try(msg, "X-Bad-Fetch-Arg", db.fetch_row, db, 5)
  put(msg, "X-Tostring", tostring(db))
end
function stmts(msg)
  local s = assert(db:prepare("INSERT INTO " .. T .. " (name, n, f) VALUES (?, ?, ?)"))
  put(msg, "X-Bind", tostring(s:bind(1, "bob")) .. tostring(s:bind(2, 5)) .. tostring(s:bind(3, 2.25)))
  put(msg, "X-Exec", tostring(s:execute()) .. "/" .. s:affected_rows() .. "/" .. db:insert_id())
  put(msg, "X-Bind-All", tostring(s:bind_all("carol", nil, nil)) .. tostring(s:execute()))
  try(msg, "X-Bind-Range", s.bind, s, 4, "x")
  try(msg, "X-Bind-Count", s.bind_all, s, "x")
  try(msg, "X-Bind-Bool", s.bind, s, 1, true)
  local q = assert(db:prepare("SELECT id, name, n, d, f FROM " .. T .. " WHERE name = ? OR name = ? ORDER BY id"))
  q:bind_all("bob", "carol")
  put(msg, "X-Select", tostring(q:execute()) .. "/" .. q:affected_rows())
  local r = q:fetch_row()
  put(msg, "X-S-Row", r[2] .. "|" .. r[3] .. "|" .. r[5] .. "|" .. type(r[1]))
  local a = q:fetch_assoc()
  put(msg, "X-S-Assoc", a.name .. "|[" .. a.n .. "]|[" .. a.f .. "]")
  put(msg, "X-S-End", tostring(q:fetch_array()))
  local dq = assert(db:prepare("SELECT d FROM " .. T .. " WHERE d IS NOT NULL"))
  dq:execute()
  put(msg, "X-S-Date", dq:fetch_row()[1])
  dq:free_result()
  put(msg, "X-S-Freed", tostring(dq:fetch_row()))
  local none = assert(db:prepare("SELECT 1"))
  put(msg, "X-No-Params", tostring(none:bind(1, "x")))
  local bad, err = db:prepare("SELECT * FROM no_such_table_xyz")
  put(msg, "X-Prepare-Fail", tostring(bad) .. "|" .. tostring(err and err:find("no_such_table_xyz") ~= nil))
  q:close()
  put(msg, "X-Closed-Stmt", tostring(q:execute()) .. tostring(q:bind(1, "x")))
  db:close()
  put(msg, "X-Closed-Conn", tostring(s:execute()) .. tostring(db:query("SELECT 1")) .. tostring(db:fetch_row()) .. tostring(db:insert_id()))
end
function connect_fail(msg)
  local c, err = mysql_connect(DB[1], DB[2], "wrong-password", DB[4], DB[5])
  put(msg, "X-Bad-Pass", tostring(c) .. "|" .. tostring(err and #err > 0))
  local c2, err2 = mysql_connect("127.0.0.1", "x", "y", "z", 1)
  put(msg, "X-No-Server", tostring(c2) .. "|" .. tostring(err2 and #err2 > 0))
end
"#;

#[test]
fn connection_methods() {
    let _g = serial();
    let t = LuaTest::start(&script(METHODS));
    let r = t.call("conn");
    assert_eq!(hv(&r, "X-Insert"), "true", "{r}");
    assert_eq!(hv(&r, "X-Insert-Id"), "1");
    assert_eq!(hv(&r, "X-Insert-Id2"), "2");
    assert_eq!(hv(&r, "X-Affected"), "1");
    assert_eq!(hv(&r, "X-Rows"), "2");
    assert_eq!(hv(&r, "X-Row"), "1|alice|7|2024-01-02 03:04:05|1.5|string");
    assert_eq!(hv(&r, "X-Assoc"), "2|o'brien|[]|[]");
    assert_eq!(hv(&r, "X-End"), "nil");
    assert_eq!(hv(&r, "X-Array"), "true|alice|alice");
    assert_eq!(hv(&r, "X-Freed"), "nil");
    assert_eq!(hv(&r, "X-Update"), "true/2");
    assert_eq!(hv(&r, "X-Bad-Sql"), "nil");
    assert_eq!(hv(&r, "X-Escape"), r#"a\'b\"c\\d\n"#);
    assert!(
        hv(&r, "X-Bad-Fetch-Arg").contains("table expected, got number"),
        "{r}"
    );
    assert_eq!(hv(&r, "X-Tostring"), "siplua.mysql");
    assert!(t.log().contains("mysql query failed"));
    t.call("cleanup");
}

#[test]
fn prepared_statements_and_close() {
    let _g = serial();
    let t = LuaTest::start(&script(METHODS));
    t.call("conn");
    let r = t.call("stmts");
    assert_eq!(hv(&r, "X-Bind"), "truetruetrue", "{r}");
    assert_eq!(hv(&r, "X-Exec"), "true/1/3");
    assert_eq!(hv(&r, "X-Bind-All"), "truetrue");
    assert!(
        hv(&r, "X-Bind-Range").contains("invalid bind parameter #3"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Bind-Count").contains("invalid number of bind parameter #1 (expected 3)"),
        "{r}"
    );
    assert!(hv(&r, "X-Bind-Bool").starts_with("err:"), "{r}");
    assert_eq!(hv(&r, "X-Select"), "true/2");
    assert_eq!(hv(&r, "X-S-Row"), "bob|5|2.25|string");
    assert_eq!(hv(&r, "X-S-Assoc"), "carol|[]|[]");
    assert_eq!(hv(&r, "X-S-End"), "nil");
    assert_eq!(hv(&r, "X-S-Date"), "2024-01-02 03:04:05");
    assert_eq!(hv(&r, "X-S-Freed"), "nil");
    assert_eq!(hv(&r, "X-No-Params"), "nil");
    assert_eq!(hv(&r, "X-Prepare-Fail"), "nil|true");
    assert_eq!(hv(&r, "X-Closed-Stmt"), "nilnil");
    assert_eq!(hv(&r, "X-Closed-Conn"), "nilnilnilnil");
    t.call("cleanup");
}

#[test]
fn failed_connect_returns_nil_and_message() {
    let _g = serial();
    let t = LuaTest::start(&script(METHODS));
    let r = t.call("connect_fail");
    assert_eq!(hv(&r, "X-Bad-Pass"), "nil|true", "{r}");
    assert_eq!(hv(&r, "X-No-Server"), "nil|true");
    t.call("cleanup");
}

const TRAFFIC: &str = r#"
ins = assert(db:prepare("INSERT INTO " .. T .. " (name) VALUES (?)"))
function traffic(msg)
  if db:query("SELECT COUNT(*) FROM " .. T) and db:fetch_row() and ins:bind(1, "x") and ins:execute() then
    xlog("L_INFO", "DB-OK\n")
  else
    xlog("L_INFO", "DB-FAIL\n")
  end
end
function probe(msg)
  local ok = db:query("SELECT 42")
  put(msg, "X-Probe", tostring(ok) .. "," .. tostring(ok and db:fetch_row()[1]) .. "," .. tostring(ins:execute()))
end
"#;

const TRAFFIC_ROUTE: &str = r#"
route {
    if (is_method("ACK")) { exit; }
    if ($hdr(X-F) != NULL) {
        lua_exec("$hdr(X-F)");
    } else {
        lua_exec("traffic");
    }
    append_to_reply("X-Script: options\r\n");
    sl_send_reply(200, "OK");
}
"#;

#[test]
fn mariadb_restart_during_traffic_gives_errors_then_recovers() {
    let _g = serial();
    let t = LuaTest::start_with(
        &script(TRAFFIC),
        r#"modparam("lua", "lua_db_timeout", 1000)"#,
        TRAFFIC_ROUTE,
    );
    assert_eq!(hv(&t.call("probe"), "X-Probe"), "true,42,true");
    let port = t.server.port.to_string();
    let sipp_thread = std::thread::spawn(move || {
        sipp(&[
            "-sf",
            &scenario("options_uac.xml"),
            "-t",
            "u1",
            "-r",
            "10",
            "-m",
            "60",
            "-timeout",
            "25",
            "-timeout_error",
            &format!("127.0.0.1:{port}"),
        ])
    });
    std::thread::sleep(Duration::from_millis(1500));
    services("stop", "mariadb");
    let started = std::time::Instant::now();
    let r = t.call("probe");
    let took = started.elapsed();
    assert_eq!(hv(&r, "X-Probe"), "nil,nil,nil", "{r}");
    assert!(took < Duration::from_secs(10), "probe took {took:?}");
    services("start", "mariadb");
    let out = sipp_thread.join().expect("sipp thread");
    let log = t.log();
    assert!(
        log.contains("DB-FAIL"),
        "no failure while MariaDB was down; sipp:\n{}\nlog:\n{log}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The connection and the prepared statement both come back.
    assert_eq!(hv(&t.call("probe"), "X-Probe"), "true,42,true");
    t.call("traffic");
    let log = t.log();
    let last_fail = log.rfind("DB-FAIL").unwrap_or(0);
    assert!(
        log[last_fail..].contains("DB-OK"),
        "no success after the restart; log:\n{log}"
    );
    t.call("cleanup");
}
