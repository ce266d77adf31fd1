//! `avp_db_query(query[, dest])`: runs an SQL statement built by the script (pseudo-variables
//! expanded) on avpops' MySQL database and stores the columns of the result in AVPs —
//! `dest` is `"$avp(a);$avp(b)"`, one AVP per column; each row adds a value, the first row
//! ending up at index 0, as in OpenSIPS. A NULL column adds nothing for that row.
//! Returns 1 with rows (or for a statement that returns none, such as an UPDATE), -2 for a
//! SELECT without rows, -1 on a database error.

use siplua_core::context::Context;
use siplua_core::value::Value;
use siplua_db::Db;

/// The AVP names of a `dest` argument: `$avp(a);$avp(b)`.
pub fn parse_dest(text: &str) -> Result<Vec<String>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.strip_prefix("$avp(")
                .and_then(|s| s.strip_suffix(')'))
                .filter(|s| !s.is_empty() && !s.contains(['$', '(', ')']))
                .map(str::to_owned)
                .ok_or_else(|| {
                    format!(
                        "avp_db_query: expected \"$avp(name)\" in the destination, got {item:?}"
                    )
                })
        })
        .collect()
}

/// Runs `sql` and stores the result in `dest`.
pub fn run(db: &Db, ctx: &mut Context, sql: &str, dest: &[String]) -> i32 {
    // Statements that return rows (a parenthesised or WITH query too); others are run.
    let head = sql
        .trim_start()
        .trim_start_matches('(')
        .to_ascii_lowercase();
    let is_select = ["select", "with", "show", "describe", "desc ", "explain"]
        .iter()
        .any(|w| head.starts_with(w));
    if !is_select {
        return match db.exec(sql, &[]) {
            Ok(_) => 1,
            Err(e) => error(&e.to_string()),
        };
    }
    let rows = match db.query(sql, &[]) {
        Ok(r) => r,
        Err(e) => return error(&e.to_string()),
    };
    if rows.is_empty() {
        return -2;
    }
    // Added last row first: the newest value (index 0) is the first row's.
    for row in rows.iter().rev() {
        for (i, name) in dest.iter().enumerate() {
            if let Some(text) = row.get_str(i) {
                let value = match text.parse::<i64>() {
                    Ok(n) if n.to_string() == text => Value::Int(n),
                    _ => Value::Str(text),
                };
                ctx.avps.add(name, value);
            }
        }
    }
    1
}

fn error(text: &str) -> i32 {
    siplua_core::log::emit(
        siplua_core::log::level::ERR,
        "avpops",
        &format!("avp_db_query: {text}"),
    );
    -1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        assert_eq!(parse_dest("$avp(a); $avp(b)").unwrap(), ["a", "b"]);
        assert!(parse_dest("$var(a)").is_err());
        assert!(parse_dest("").unwrap().is_empty());
    }
}
