//! `dialplan`: string translations from the `dialplan` table — `dp_translate(id, input,
//! [out_var], [attrs_var])` — as OpenSIPS 3.x does them (the residential template's
//! `dp_translate(0, "$rU", $rU)`). The rules are read into memory at start-up and again on
//! MI `dp_reload`; `dp_translate` is also an MI command.
//!
//! A rule with a `timerec` applies only inside its windows. Not done: partitions (a
//! `partition` parameter fails the load).

mod rules;

use std::sync::Arc;

use serde_json::{json, Value};
use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::mi::{MiCommand, MiError, MiParam};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::value::Value as PvValue;
use siplua_script::AssignOp;

use crate::auth_db::store::{self, Store};
use crate::snapshot::Snapshot;
use rules::{Columns, Rules};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("db_url"),
    ModParamSpec::str("table_name"),
    ModParamSpec::str("partition"),
    ModParamSpec::str("dpid_col"),
    ModParamSpec::str("pr_col"),
    ModParamSpec::str("match_op_col"),
    ModParamSpec::str("match_exp_col"),
    ModParamSpec::str("match_flags_col"),
    ModParamSpec::str("subst_exp_col"),
    ModParamSpec::str("repl_exp_col"),
    ModParamSpec::str("timerec_col"),
    ModParamSpec::str("disabled_col"),
    ModParamSpec::str("attrs_col"),
];

/// The rules in use and where they come from.
struct Shared {
    store: Box<dyn Store>,
    columns: Columns,
    rules: Snapshot<Rules>,
}

impl Shared {
    /// Reads the table (logging what was discarded).
    fn read(&self) -> Result<Rules, String> {
        let (rules, discarded) = Rules::load(self.store.as_ref(), &self.columns)?;
        for why in &discarded {
            log(siplua_core::log::level::ERR, &format!("discarded {why}"));
        }
        log(
            siplua_core::log::level::INFO,
            &format!(
                "{} rules loaded ({} discarded)",
                rules.len(),
                discarded.len()
            ),
        );
        Ok(rules)
    }

    /// Reads the table again; the rules in use stay when that fails.
    fn reload(&self) -> Result<(), String> {
        self.rules.reload(|| self.read())
    }

    /// The first read, at start-up.
    fn load_once(&self) -> Result<(), String> {
        self.rules
            .load_once(|| self.read())
            .map_err(|e| format!("cannot load the dialplan table: {e}"))
    }

    fn rules(&self) -> Arc<Rules> {
        self.rules.get()
    }
}

fn log(level: i32, text: &str) {
    siplua_core::log::emit(level, "dialplan", text);
}

/// The module.
#[derive(Default)]
pub struct Dialplan {
    db_url: Option<String>,
    columns: Columns,
    shared: Option<Arc<Shared>>,
}

impl Module for Dialplan {
    fn name(&self) -> &'static str {
        "dialplan"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let column = |i: usize, cols: &mut Columns| cols.names[i] = value.as_str();
        match name {
            "db_url" => self.db_url = Some(value.as_str()),
            "table_name" => self.columns.table = value.as_str(),
            "partition" => {
                return Err(
                    "dialplan partitions are not supported: use db_url and table_name".into(),
                )
            }
            "dpid_col" => column(1, &mut self.columns),
            "pr_col" => column(2, &mut self.columns),
            "match_op_col" => column(3, &mut self.columns),
            "match_exp_col" => column(4, &mut self.columns),
            "match_flags_col" => column(5, &mut self.columns),
            "subst_exp_col" => column(6, &mut self.columns),
            "repl_exp_col" => column(7, &mut self.columns),
            "disabled_col" => column(8, &mut self.columns),
            "attrs_col" => column(9, &mut self.columns),
            "timerec_col" => column(10, &mut self.columns),
            _ => return Err(format!("module dialplan has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let url = crate::db_mysql::url_or_default(env, self.db_url.as_deref());
        self.shared = Some(Arc::new(Shared {
            store: store::open(env, "dialplan", &url)?,
            columns: self.columns.clone(),
            rules: Snapshot::default(),
        }));
        Ok(())
    }

    fn worker_init(&self, _worker_id: usize) -> Result<(), String> {
        match &self.shared {
            Some(s) => s.load_once(),
            None => Ok(()),
        }
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(shared) = self.shared.clone() else {
            return Vec::new();
        };
        let routes = RouteMask::of(&[
            RouteType::Request,
            RouteType::Failure,
            RouteType::Branch,
            RouteType::OnReply,
            RouteType::Local,
            RouteType::Startup,
            RouteType::Timer,
            RouteType::Event,
        ]);
        vec![FunctionDecl::new(
            "dp_translate",
            vec![
                ParamSpec::req("id", ParamKind::Int),
                ParamSpec::req("input", ParamKind::Str),
                ParamSpec::opt("out_var", ParamKind::Var),
                ParamSpec::opt("attrs_var", ParamKind::Var),
                ParamSpec::opt("partition", ParamKind::Str),
            ],
            routes,
            move |ctx: &mut Context, args: &Args| translate(&shared, ctx, args),
        )]
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        let Some(shared) = self.shared.clone() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (reload, translate) in [
            ("dp_reload", "dp_translate"),
            ("dialplan:reload", "dialplan:translate"),
        ] {
            let (a, b) = (shared.clone(), shared.clone());
            out.push(MiCommand::new(
                reload,
                "reads the dialplan table again",
                vec![MiParam::opt("partition")],
                move |_, p| {
                    if p.str("partition")?.is_some_and(|name| name != "default") {
                        return Err(MiError::new(400, "dialplan partitions are not supported"));
                    }
                    a.reload()
                        .map_err(|e| MiError::new(500, format!("Failed to reload: {e}")))?;
                    Ok(Value::from("OK"))
                },
            ));
            out.push(MiCommand::new(
                translate,
                "translates an input string with the rules of one dialplan id",
                vec![
                    MiParam::req("dpid"),
                    MiParam::req("input"),
                    MiParam::opt("partition"),
                ],
                move |_, p| {
                    let dpid: i64 = p
                        .req_str("dpid")?
                        .trim()
                        .parse()
                        .map_err(|_| MiError::bad_param("dpid", "not a number"))?;
                    let input = p.req_str("input")?;
                    match b
                        .rules()
                        .translate(dpid, &input, chrono::Utc::now().timestamp())
                    {
                        Some(Ok(t)) => Ok(json!({
                            "Output": t.output.unwrap_or(input),
                            "ATTRIBUTES": t.attrs,
                        })),
                        Some(Err(e)) => Err(MiError::new(500, e)),
                        None => Err(MiError::new(404, "No translation")),
                    }
                },
            ));
        }
        out
    }
}

/// `dp_translate`: 1 when a rule of the id matched (its output and attributes stored),
/// -1 when none did or its substitution failed.
fn translate(shared: &Shared, ctx: &mut Context, args: &Args) -> i32 {
    if args.has(4) && args.str(ctx, 4).is_some_and(|p| p != "default") {
        log(
            siplua_core::log::level::ERR,
            "dp_translate: partitions are not supported",
        );
        return -1;
    }
    let Some(dpid) = args.int(ctx, 0) else {
        log(
            siplua_core::log::level::ERR,
            "dp_translate: the id is not a number",
        );
        return -1;
    };
    let input = args.str(ctx, 1).unwrap_or_default().into_owned();
    let translation = match shared
        .rules()
        .translate(dpid, &input, chrono::Utc::now().timestamp())
    {
        None => return -1,
        Some(Err(e)) => {
            log(siplua_core::log::level::ERR, &e);
            return -1;
        }
        Some(Ok(t)) => t,
    };
    let mut store = |pv: Option<&siplua_core::pv::CompiledPv>, value: String| {
        if let Some(pv) = pv {
            if let Err(e) = pv.set(ctx, AssignOp::Set, PvValue::Str(value)) {
                log(siplua_core::log::level::ERR, &format!("dp_translate: {e}"));
            }
        }
    };
    if let Some(out) = translation.output {
        store(args.pv(2), out);
    }
    store(args.pv(3), translation.attrs);
    1
}
