//! `acc`: accounting — `do_accounting("log|db"[, flags])` writes one structured log line
//! and/or one row of the `acc` table (`missed_calls` for the "missed" flag, see [`db`]) when
//! the transaction of the request gets its final reply; `acc_log_request` / `acc_db_request`
//! report the current request at once ([`request`]). Params `early_media`,
//! `report_cancels`, `detect_direction` (accepted), `log_level`, `log_facility`, `db_url`,
//! `db_table_acc`, `db_table_missed_calls`.

mod db;
mod request;

use std::sync::Arc;

use parking_lot::Mutex;
use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::log;
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_sip::HeaderKind;

use crate::tm::api::TmApi;
use crate::tm::FinalInfo;
use db::AccDb;

/// The module.
pub struct Acc {
    report_cancels: bool,
    level: i32,
    db_url: Option<String>,
    acc_table: String,
    missed_table: String,
    db: Option<Arc<AccDb>>,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            report_cancels: false,
            level: log::level::NOTICE,
            db_url: None,
            acc_table: "acc".into(),
            missed_table: "missed_calls".into(),
            db: None,
        }
    }
}

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "early_media",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "report_cancels",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "detect_direction",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "log_level",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "log_facility",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "failed_transaction_flag",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "extra_fields",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "db_url",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "db_table_acc",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "db_table_missed_calls",
        kind: ModParamKind::Str,
    },
];

/// Which transactions a `do_accounting` call asks for.
#[derive(Clone, Copy, Debug, Default)]
struct What {
    /// Also negative final replies ("failed").
    failed: bool,
    /// Also negative final replies to INVITE ("missed").
    missed: bool,
    /// Report as a log line.
    log: bool,
    /// Report as a database row.
    db: bool,
}

impl Module for Acc {
    fn name(&self) -> &'static str {
        "acc"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    /// `report_cancels`, `log_level` and the `db_*` ones take effect; the others are
    /// accepted (`early_media` and `detect_direction` change nothing for transaction records).
    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "report_cancels" => self.report_cancels = value.as_int() != 0,
            "log_level" => self.level = value.as_int() as i32,
            "db_url" => self.db_url = Some(value.as_str()),
            "db_table_acc" => self.acc_table = db::table_name(name, &value.as_str())?,
            "db_table_missed_calls" => self.missed_table = db::table_name(name, &value.as_str())?,
            _ => {}
        }
        Ok(())
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["tm"]
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let url = self
            .db_url
            .clone()
            .or_else(|| env.config.db_default_url.clone());
        if let Some(url) = url {
            self.db = Some(Arc::new(AccDb::new(
                crate::sql::open(env, "acc", &url)?,
                self.acc_table.clone(),
                self.missed_table.clone(),
            )));
        }
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let (report_cancels, level) = (self.report_cancels, self.level);
        let db = self.db.clone();
        let mut functions = request::functions(level, self.db.clone());
        functions.push(
            FunctionDecl::new(
                "do_accounting",
                vec![
                    ParamSpec::req("type", ParamKind::StaticStr),
                    ParamSpec::opt("flags", ParamKind::StaticStr),
                    ParamSpec::opt("table", ParamKind::Str),
                ],
                RouteMask::of(&[RouteType::Request, RouteType::Failure, RouteType::Branch]),
                move |ctx: &mut Context, args: &Args| {
                    do_accounting(ctx, args, report_cancels, level, db.as_ref())
                },
            )
            .with_fixup(fixup),
        );
        functions.push(
            FunctionDecl::new(
                "drop_accounting",
                vec![
                    ParamSpec::opt("type", ParamKind::StaticStr),
                    ParamSpec::opt("flags", ParamKind::StaticStr),
                ],
                RouteMask::of(&[RouteType::Request, RouteType::Branch]),
                drop_accounting,
            )
            .with_fixup(fixup),
        );
        functions
    }
}

/// `drop_accounting([type[, flags]])`: takes back what `do_accounting` asked for this
/// request — the backends named (all without `type`), or with `flags` only those flags.
/// 1; -1 when no accounting was asked for in this route.
fn drop_accounting(ctx: &mut Context, args: &Args) -> i32 {
    let Some(Requested(what)) = ctx.ext::<Requested>() else {
        return -1;
    };
    let kinds = args.str(ctx, 0);
    let flags = args.str(ctx, 1).unwrap_or_default();
    let mut w = what.lock();
    let named = |k: &str| {
        kinds
            .as_deref()
            .is_none_or(|t| t.split('|').any(|x| x.trim() == k))
    };
    if flags.trim().is_empty() {
        if named("log") {
            w.log = false;
        }
        if named("db") {
            w.db = false;
        }
    } else {
        w.failed &= !flags.contains("failed");
        w.missed &= !flags.contains("missed");
    }
    1
}

/// Checks the backend list (`log`, `db`) and the flags at load time.
fn fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(PreparedArg::Str(kinds)) = args.first() {
        for k in kinds.split('|').map(str::trim) {
            match k {
                "log" | "db" => {}
                "aaa" | "evi" => {
                    return Err(format!(
                        "accounting backend '{k}' is not available (use \"log\" or \"db\")"
                    ))
                }
                other => return Err(format!("unknown accounting backend '{other}'")),
            }
        }
    }
    if let Some(PreparedArg::Str(flags)) = args.get(1) {
        for f in flags.split('|').map(str::trim).filter(|f| !f.is_empty()) {
            if !matches!(f, "cdr" | "missed" | "failed") {
                return Err(format!(
                    "unknown accounting flag '{f}' (cdr, missed, failed)"
                ));
            }
        }
    }
    Ok(())
}

/// The accounting asked for the current request; a second `do_accounting` call adds its
/// flags to the first instead of logging twice (OpenSIPS sets flags on the transaction).
struct Requested(Arc<Mutex<What>>);

fn do_accounting(
    ctx: &mut Context,
    args: &Args,
    report_cancels: bool,
    level: i32,
    db: Option<&Arc<AccDb>>,
) -> i32 {
    let Some(tm) = ctx.core.apis.get::<TmApi>() else {
        return -1;
    };
    let kinds = args.str(ctx, 0).unwrap_or_default();
    let to_log = kinds.split('|').any(|k| k.trim() == "log");
    let to_db = kinds.split('|').any(|k| k.trim() == "db");
    if to_db && db.is_none() {
        log::emit(
            log::level::ERR,
            "acc",
            "do_accounting(\"db\"): no database: set modparam(\"acc\", \"db_url\", ...)",
        );
        return -1;
    }
    let flags = args.str(ctx, 1).unwrap_or_default();
    let asked = What {
        failed: flags.contains("failed"),
        missed: flags.contains("missed"),
        log: to_log,
        db: to_db,
    };
    if let Some(Requested(what)) = ctx.ext::<Requested>() {
        let mut w = what.lock();
        w.failed |= asked.failed;
        w.missed |= asked.missed;
        w.log |= asked.log;
        w.db |= asked.db;
        return 1;
    }
    let what = Arc::new(Mutex::new(asked));
    ctx.set_ext(Requested(what.clone()));
    let db = db.cloned();
    tm.on_final(
        ctx,
        Box::new(move |info: &FinalInfo| {
            let what = *what.lock();
            let Some(event) = classify(info, what, report_cancels) else {
                return;
            };
            if what.log {
                log::emit(level, "acc", &record(info, event));
            }
            if let (true, Some(db)) = (what.db, &db) {
                db.write(info, event == Event::Missed, now_ms());
            }
        }),
    );
    1
}

/// What a reported final reply is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    /// `acc_log_request`: the request itself, reported at once.
    Request,
    Answered,
    Missed,
    Failed,
}

/// Whether (and as what) a final reply is reported.
fn classify(info: &FinalInfo, what: What, report_cancels: bool) -> Option<Event> {
    let method = info.request.method_str().unwrap_or("");
    if info.code < 300 {
        Some(Event::Answered)
    } else if info.code == 487 && !report_cancels {
        None
    } else if what.missed && method == "INVITE" {
        Some(Event::Missed)
    } else if what.failed {
        Some(Event::Failed)
    } else {
        None
    }
}

/// The accounting line for a reported final reply.
fn record(info: &FinalInfo, event: Event) -> String {
    let event = match event {
        Event::Request => "request acknowledged",
        Event::Answered => "transaction answered",
        Event::Missed => "call missed",
        Event::Failed => "transaction failed",
    };
    let from_tag = from_tag(info);
    let method = info.request.method_str().unwrap_or("");
    format!(
        "ACC: {event}: timestamp={};method={method};from_tag={from_tag};to_tag={};call_id={};code={};reason={};duration_ms={}",
        now_ms() / 1000,
        info.to_tag,
        info.request.get(HeaderKind::CallId).unwrap_or(""),
        info.code,
        info.reason,
        info.elapsed.as_millis()
    )
}

/// The From-tag of the reported request (empty when it has none), for the line and the row.
fn from_tag(info: &FinalInfo) -> String {
    info.request
        .from()
        .ok()
        .and_then(|f| f.tag().map(str::to_owned))
        .unwrap_or_default()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
