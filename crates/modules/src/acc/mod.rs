//! `acc`: accounting — `do_accounting("log"[, flags])` writes one structured log line when
//! the transaction of the request gets its final reply. Params `early_media`,
//! `report_cancels`, `detect_direction` (accepted), `log_level`, `log_facility`.
//! The database backend (`do_accounting("db")`) comes with the storage issue.

use std::sync::Arc;

use parking_lot::Mutex;
use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::log;
use siplua_core::module::{ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_sip::HeaderKind;

use crate::tm::api::TmApi;
use crate::tm::FinalInfo;

/// The module.
pub struct Acc {
    report_cancels: bool,
    level: i32,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            report_cancels: false,
            level: log::level::NOTICE,
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
];

/// Which transactions a `do_accounting` call asks for.
#[derive(Clone, Copy, Debug, Default)]
struct What {
    /// Also negative final replies ("failed").
    failed: bool,
    /// Also negative final replies to INVITE ("missed").
    missed: bool,
}

impl Module for Acc {
    fn name(&self) -> &'static str {
        "acc"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    /// `report_cancels` and `log_level` take effect; the others are accepted (`early_media`
    /// and `detect_direction` change nothing for transaction records).
    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "report_cancels" => self.report_cancels = value.as_int() != 0,
            "log_level" => self.level = value.as_int() as i32,
            _ => {}
        }
        Ok(())
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["tm"]
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let (report_cancels, level) = (self.report_cancels, self.level);
        vec![FunctionDecl::new(
            "do_accounting",
            vec![
                ParamSpec::req("type", ParamKind::StaticStr),
                ParamSpec::opt("flags", ParamKind::StaticStr),
                ParamSpec::opt("table", ParamKind::Str),
            ],
            RouteMask::of(&[RouteType::Request, RouteType::Failure, RouteType::Branch]),
            move |ctx: &mut Context, args: &Args| do_accounting(ctx, args, report_cancels, level),
        )
        .with_fixup(fixup)]
    }
}

/// Checks the backend list (`log`; `db` is for the storage issue) and the flags at load time.
fn fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(PreparedArg::Str(kinds)) = args.first() {
        for k in kinds.split('|').map(str::trim) {
            match k {
                "log" => {}
                "db" | "aaa" | "evi" => {
                    return Err(format!(
                        "accounting backend '{k}' is not available yet (use \"log\")"
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

fn do_accounting(ctx: &mut Context, args: &Args, report_cancels: bool, level: i32) -> i32 {
    let Some(tm) = ctx.core.apis.get::<TmApi>() else {
        return -1;
    };
    let flags = args.str(ctx, 1).unwrap_or_default();
    let asked = What {
        failed: flags.contains("failed"),
        missed: flags.contains("missed"),
    };
    if let Some(Requested(what)) = ctx.ext::<Requested>() {
        let mut w = what.lock();
        w.failed |= asked.failed;
        w.missed |= asked.missed;
        return 1;
    }
    let what = Arc::new(Mutex::new(asked));
    ctx.set_ext(Requested(what.clone()));
    tm.on_final(
        ctx,
        Box::new(move |info: &FinalInfo| {
            if let Some(line) = record(info, *what.lock(), report_cancels) {
                log::emit(level, "acc", &line);
            }
        }),
    );
    1
}

/// The accounting line for a final reply, or `None` when it is not to be reported.
fn record(info: &FinalInfo, what: What, report_cancels: bool) -> Option<String> {
    let method = info.request.method_str().unwrap_or("");
    let event = if info.code < 300 {
        "transaction answered"
    } else if info.code == 487 && !report_cancels {
        return None;
    } else if what.missed && method == "INVITE" {
        "call missed"
    } else if what.failed {
        "transaction failed"
    } else {
        return None;
    };
    let from_tag = info
        .request
        .from()
        .ok()
        .and_then(|f| f.tag().map(str::to_owned))
        .unwrap_or_default();
    Some(format!(
        "ACC: {event}: timestamp={};method={method};from_tag={from_tag};to_tag={};call_id={};code={};reason={};duration_ms={}",
        chrono_now(),
        info.to_tag,
        info.request.get(HeaderKind::CallId).unwrap_or(""),
        info.code,
        info.reason,
        info.elapsed.as_millis()
    ))
}

fn chrono_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
