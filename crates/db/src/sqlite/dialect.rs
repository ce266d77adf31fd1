//! The MySQL statements the modules write, made SQLite's: SQLite already takes backquoted
//! names, `?` placeholders and `LIMIT`, so only the few MySQL-only spellings the modules use
//! are rewritten, outside quoted text:
//!
//! | MySQL                  | SQLite                                          |
//! |------------------------|-------------------------------------------------|
//! | `FROM_UNIXTIME(x)`     | `datetime(x, 'unixepoch', 'localtime')`         |
//! | `UNIX_TIMESTAMP(x)`    | `CAST(strftime('%s', x, 'utc') AS INTEGER)`     |
//! | `UNIX_TIMESTAMP()`     | `CAST(strftime('%s', 'now') AS INTEGER)`        |
//! | `NOW()`                | `datetime('now', 'localtime')`                  |
//! | `a <=> b`              | `a IS b`                                        |
//! | `INSERT IGNORE`        | `INSERT OR IGNORE`                              |
//! | trailing `FOR UPDATE`  | dropped (the transaction already holds the write lock) |
//!
//! Date-times are stored as local-time text, as MySQL's `DATETIME` under the server's zone
//! and OpenSIPS' own db_sqlite store them, and read back through the same zone.

/// `sql` with the rewrites of the module comment.
pub(super) fn translate(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 32);
    let mut i = 0;
    while let Some(c) = sql[i..].chars().next() {
        if matches!(c, '\'' | '"' | '`') {
            let end = quoted_end(sql, i);
            out.push_str(&sql[i..end]);
            i = end;
        } else if sql[i..].starts_with("<=>") {
            out.push_str(" IS ");
            i += 3;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let end = i + sql[i..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(sql.len() - i);
            i = word(sql, &sql[i..end], end, &mut out);
        } else {
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Writes the rewrite of the word `w` (ending at `end`) to `out`; returns where to go on.
fn word(sql: &str, w: &str, end: usize, out: &mut String) -> usize {
    let rest = &sql[end..];
    let after_ws = end + (rest.len() - rest.trim_start().len());
    // Names are compared without case, and without an upper-cased copy of every word.
    let time_fn = ["FROM_UNIXTIME", "UNIX_TIMESTAMP", "NOW"]
        .into_iter()
        .find(|name| w.eq_ignore_ascii_case(name));
    if let (Some(name), true) = (time_fn, sql[after_ws..].starts_with('(')) {
        if let Some(close) = closing_paren(sql, after_ws) {
            let arg = translate(&sql[after_ws + 1..close]);
            let arg = arg.trim();
            out.push_str(&match (name, arg.is_empty()) {
                ("FROM_UNIXTIME", _) => format!("datetime({arg}, 'unixepoch', 'localtime')"),
                ("UNIX_TIMESTAMP", true) => "CAST(strftime('%s', 'now') AS INTEGER)".into(),
                ("UNIX_TIMESTAMP", false) => {
                    format!("CAST(strftime('%s', {arg}, 'utc') AS INTEGER)")
                }
                _ => "datetime('now', 'localtime')".into(),
            });
            return close + 1;
        }
    }
    let next_word = sql[after_ws..]
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    if w.eq_ignore_ascii_case("INSERT") && next_word.eq_ignore_ascii_case("IGNORE") {
        out.push_str(w);
        out.push_str(" OR IGNORE");
        return after_ws + next_word.len();
    }
    if w.eq_ignore_ascii_case("FOR")
        && next_word.eq_ignore_ascii_case("UPDATE")
        && sql[after_ws + next_word.len()..]
            .trim_matches(|c: char| c.is_whitespace() || c == ';')
            .is_empty()
    {
        out.truncate(out.trim_end().len());
        return sql.len();
    }
    out.push_str(w);
    end
}

/// Where the quoted text starting at `start` ends (just past its closing quote, a doubled
/// quote or a backslash escaping one staying inside); the end of `sql` when unterminated.
fn quoted_end(sql: &str, start: usize) -> usize {
    let b = sql.as_bytes();
    let q = b[start];
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == b'\\' && q != b'`' {
            i += 2;
        } else if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    sql.len()
}

/// The `)` closing the `(` at `open`, skipping quoted text and nested pairs.
fn closing_paren(sql: &str, open: usize) -> Option<usize> {
    let b = sql.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' | b'`' => {
                i = quoted_end(sql, i);
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn plain_statements_pass_unchanged() {
        let s = "SELECT `ha1`, x FROM `subscriber` WHERE `username` = ? AND domain = 'é' LIMIT 1";
        assert_eq!(translate(s), s);
    }

    #[test]
    fn time_functions() {
        assert_eq!(
            translate("INSERT INTO acc (time) VALUES (FROM_UNIXTIME(?))"),
            "INSERT INTO acc (time) VALUES (datetime(?, 'unixepoch', 'localtime'))"
        );
        assert_eq!(
            translate("SELECT unix_timestamp(last_modified), UNIX_TIMESTAMP() FROM t"),
            "SELECT CAST(strftime('%s', last_modified, 'utc') AS INTEGER), \
             CAST(strftime('%s', 'now') AS INTEGER) FROM t"
        );
        assert_eq!(
            translate("UPDATE t SET a = NOW() WHERE b < UNIX_TIMESTAMP(FROM_UNIXTIME(?))"),
            "UPDATE t SET a = datetime('now', 'localtime') WHERE b < \
             CAST(strftime('%s', datetime(?, 'unixepoch', 'localtime'), 'utc') AS INTEGER)"
        );
    }

    #[test]
    fn mysql_only_syntax() {
        assert_eq!(
            translate("SELECT a FROM t WHERE u = ? AND d <=> ? ORDER BY id FOR UPDATE"),
            "SELECT a FROM t WHERE u = ? AND d  IS  ? ORDER BY id"
        );
        assert_eq!(
            translate("INSERT IGNORE INTO version VALUES ('acc', 7)"),
            "INSERT OR IGNORE INTO version VALUES ('acc', 7)"
        );
    }

    #[test]
    fn quoted_text_and_lookalikes_are_left_alone() {
        for s in [
            "SELECT 'NOW()', \"a <=> b\", `FOR` FROM t WHERE x = 'it''s FROM_UNIXTIME(1)'",
            "SELECT now_col, for_update FROM t WHERE a = 'x\\' NOW()'",
            "SELECT NOW FROM t",
            "SELECT 1 FOR UPDATE_X",
            "SELECT NOW( FROM t",
        ] {
            assert_eq!(translate(s), s);
        }
    }
}
