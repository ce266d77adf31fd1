//! `acc_log_request(comment)` and `acc_db_request(comment, table)`: report the current
//! request at once, without waiting for a transaction's final reply (OpenSIPS uses them for
//! requests the script answers itself, a `404` to an offline user, or in a `local_route`).
//! The comment is `"code reason"` (`"404 Not Found"`) or a bare reason (code 0).

use std::sync::Arc;
use std::time::Duration;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::log;
use siplua_core::route_type::RouteMask;

use super::db::{table_name, AccDb};
use super::{now_ms, record, Event};
use crate::tm::FinalInfo;

/// The declarations; `level` is the log level of the lines, `db` the database, if any.
pub fn functions(level: i32, db: Option<Arc<AccDb>>) -> Vec<FunctionDecl> {
    vec![
        FunctionDecl::new(
            "acc_log_request",
            vec![ParamSpec::req("comment", ParamKind::Str)],
            RouteMask::WITH_MESSAGE,
            move |ctx: &mut Context, args: &Args| {
                report(ctx, args, |info| {
                    log::emit(level, "acc", &record(info, Event::Request))
                })
            },
        ),
        FunctionDecl::new(
            "acc_db_request",
            vec![
                ParamSpec::req("comment", ParamKind::Str),
                ParamSpec::req("table", ParamKind::Str),
            ],
            RouteMask::WITH_MESSAGE,
            move |ctx: &mut Context, args: &Args| db_request(ctx, args, db.as_deref()),
        )
        .with_fixup(table_fixup),
    ]
}

/// A constant table name is checked at load time.
fn table_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    match args.get(1) {
        Some(PreparedArg::Str(t)) => table_name("acc_db_request", t).map(|_| ()),
        _ => Ok(()),
    }
}

fn db_request(ctx: &mut Context, args: &Args, db: Option<&AccDb>) -> i32 {
    let Some(db) = db else {
        log::emit(
            log::level::ERR,
            "acc",
            "acc_db_request: no database: set modparam(\"acc\", \"db_url\", ...)",
        );
        return -1;
    };
    let table = args.str(ctx, 1).unwrap_or_default();
    let table = match table_name("acc_db_request", &table) {
        Ok(t) => t,
        Err(e) => {
            log::emit(log::level::ERR, "acc", &e);
            return -1;
        }
    };
    report(ctx, args, |info| db.write_to(&table, info, now_ms()))
}

/// Runs `sink` on the current request described as a reported transaction.
fn report(ctx: &mut Context, args: &Args, sink: impl FnOnce(&FinalInfo)) -> i32 {
    let comment = args.str(ctx, 0).unwrap_or_default();
    let Some(request) = ctx.msg.as_ref().filter(|m| m.is_request()) else {
        return -1;
    };
    let (code, reason) = split_comment(&comment);
    let to_tag = request
        .to()
        .ok()
        .and_then(|t| t.tag().map(str::to_owned))
        .unwrap_or_default();
    sink(&FinalInfo {
        request,
        code,
        reason,
        to_tag: &to_tag,
        elapsed: Duration::ZERO,
        cancelled: false,
    });
    1
}

/// `"404 Not Found"` → (404, "Not Found"); a comment not starting with a 3-digit code is
/// all reason, with code 0.
fn split_comment(comment: &str) -> (u16, &str) {
    let comment = comment.trim();
    let digits = comment
        .get(..3)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
    match (digits, comment.get(3..)) {
        (Some(d), Some(rest)) if rest.is_empty() || rest.starts_with(' ') => {
            (d.parse().unwrap_or(0), rest.trim_start())
        }
        _ => (0, comment),
    }
}

#[cfg(test)]
mod tests {
    use super::split_comment;

    #[test]
    fn comments_split_into_code_and_reason() {
        assert_eq!(split_comment("404 Not Found"), (404, "Not Found"));
        assert_eq!(split_comment(" 200 "), (200, ""));
        assert_eq!(split_comment("offline user"), (0, "offline user"));
        assert_eq!(split_comment("4040 x"), (0, "4040 x"));
        assert_eq!(split_comment(""), (0, ""));
    }
}
