//! `permissions`: is a peer one of ours? `check_source_address(group[, $context_info[,
//! pattern]])`, `check_address(group, ip, port, proto[, $context_info[, pattern]])` and
//! `get_source_group($var)` against the `address` table (OpenSIPS 3.x names; 1 match, -1
//! none). As in OpenSIPS the table is read once at start-up (an unreadable table stops
//! start-up) and again on MI `address_reload`; `address_dump` lists the rows in use. The
//! table needs `db_url` (no default, as in OpenSIPS 3.x): without it calling these functions
//! is a load error. And may this call be routed? `allow_routing`, `allow_register` and
//! `allow_uri` against allow/deny rule files ([`calls`]). Partitions are not supported.

mod calls;
mod checks;
mod files;
pub(crate) mod matching;
mod rules;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::mi::{MiCommand, MiError};
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::RouteMask;
use siplua_core::value::Value;
use siplua_script::AssignOp;
use siplua_transport::Proto;

use crate::auth_db::store::{self, Store};
use crate::snapshot::Snapshot;
use matching::{Entry, Peer};

const fn p(name: &'static str) -> ModParamSpec {
    ModParamSpec {
        name,
        kind: ModParamKind::Str,
    }
}

const PARAMS: &[ModParamSpec] = &[
    p("db_url"),
    p("address_table"),
    p("grp_col"),
    p("ip_col"),
    p("mask_col"),
    p("port_col"),
    p("proto_col"),
    p("pattern_col"),
    p("info_col"),
    p("partition"),
    p("default_allow_file"),
    p("default_deny_file"),
    ModParamSpec {
        name: "check_all_branches",
        kind: ModParamKind::Int,
    },
    p("allow_suffix"),
    p("deny_suffix"),
];

/// The column names, in [`matching::Entry`] order.
const COLUMNS: [&str; 7] = [
    "grp",
    "ip",
    "mask",
    "port",
    "proto",
    "pattern",
    "context_info",
];

/// The module.
pub struct Permissions {
    db_url: Option<String>,
    table: String,
    columns: [String; 7],
    file_params: files::FileParams,
    check_all_branches: bool,
    shared: Option<Arc<Shared>>,
    rule_files: Option<Arc<files::RuleFiles>>,
}

impl Default for Permissions {
    fn default() -> Self {
        Permissions {
            db_url: None,
            table: "address".into(),
            columns: COLUMNS.map(str::to_owned),
            file_params: files::FileParams::default(),
            check_all_branches: true,
            shared: None,
            rule_files: None,
        }
    }
}

struct Shared {
    store: Box<dyn Store>,
    table: String,
    columns: [String; 7],
    entries: Snapshot<Vec<Entry>>,
}

impl Shared {
    /// Reads the whole table; a row that does not parse is logged and left out (it could
    /// never match).
    fn read(&self) -> Result<Vec<Entry>, String> {
        let cols = self.columns.each_ref().map(String::as_str);
        let rows = self.store.select(&self.table, &cols, &[])?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            match Entry::from_row(row) {
                Some(e) => entries.push(e),
                None => log(
                    siplua_core::log::level::WARN,
                    &format!("an address row that does not parse is left out: {row:?}"),
                ),
            }
        }
        log(
            siplua_core::log::level::INFO,
            &format!("{} addresses loaded", entries.len()),
        );
        Ok(entries)
    }

    /// The first row of `group` (of any group when 0) that matches, from the rows in use.
    fn find(&self, group: i64, peer: &Peer, pattern: Option<&str>) -> Option<Entry> {
        self.entries
            .get()
            .iter()
            .find(|e| (group == 0 || e.group == group) && e.matches(peer, pattern))
            .cloned()
    }
}

fn log(level: i32, text: &str) {
    siplua_core::log::emit(level, "permissions", text);
}

fn log_err(e: &str) -> i32 {
    log(siplua_core::log::level::ERR, e);
    -1
}

/// Stores the entry's context info in `info` when given; 1 for a match, -1 for none.
fn answer(
    ctx: &mut Context,
    found: Option<Entry>,
    info: Option<&siplua_core::pv::CompiledPv>,
) -> i32 {
    let Some(e) = found else { return -1 };
    if let Some(pv) = info {
        let v = e.context_info.map_or(Value::Null, Value::Str);
        if let Err(err) = pv.set(ctx, AssignOp::Set, v) {
            return log_err(&format!("cannot store context_info: {err}"));
        }
    }
    1
}

fn source(ctx: &Context) -> Option<Peer> {
    let o = ctx.origin?;
    Some(Peer {
        ip: o.src.ip(),
        port: o.src.port(),
        proto: match o.proto {
            Proto::Udp => "udp",
            Proto::Tcp => "tcp",
            Proto::Tls => "tls",
            Proto::Ws => "ws",
            Proto::Wss => "wss",
        }
        .to_owned(),
    })
}

impl Module for Permissions {
    fn name(&self) -> &'static str {
        "permissions"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let v = value.as_str();
        match name {
            "db_url" => self.db_url = Some(v),
            "address_table" => self.table = v,
            "partition" => return Err("permissions partitions are not supported".into()),
            "default_allow_file" => self.file_params.default_allow = v,
            "default_deny_file" => self.file_params.default_deny = v,
            "allow_suffix" => self.file_params.allow_suffix = v,
            "deny_suffix" => self.file_params.deny_suffix = v,
            "check_all_branches" => self.check_all_branches = value.as_int() != 0,
            _ => match COLUMNS
                .iter()
                .position(|c| format!("{}_col", short(c)) == name)
            {
                Some(i) => self.columns[i] = v,
                None => return Err(format!("module permissions has no parameter {name}")),
            },
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let files = files::RuleFiles::new(env.script_dir, self.file_params.clone())?;
        self.rule_files = Some(Arc::new(files));
        let Some(url) = &self.db_url else {
            return Ok(());
        };
        self.shared = Some(Arc::new(Shared {
            store: store::open(env, "permissions", url)?,
            table: self.table.clone(),
            columns: self.columns.clone(),
            entries: Snapshot::default(),
        }));
        Ok(())
    }

    fn worker_init(&self, _worker_id: usize) -> Result<(), String> {
        let Some(s) = &self.shared else { return Ok(()) };
        s.entries
            .load_once(|| s.read())
            .map_err(|e| format!("cannot load the address table: {e}"))
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let mut all = address_functions(self.shared.clone());
        if let Some(files) = &self.rule_files {
            all.extend(calls::functions(files, self.check_all_branches));
        }
        all
    }

    fn start(&self, _core: &Arc<siplua_core::engine::Core>) -> Result<(), String> {
        if let Some(files) = &self.rule_files {
            files.started();
        }
        Ok(())
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        let Some(shared) = self.shared.clone() else {
            return Vec::new();
        };
        let reloader = shared.clone();
        vec![
            MiCommand::new(
                "address_reload",
                "reads the address table again (the rows in use stay when that fails)",
                vec![],
                move |_, _| {
                    reloader
                        .entries
                        .reload(|| reloader.read())
                        .map_err(|e| MiError::new(500, format!("Failed to reload: {e}")))?;
                    Ok(serde_json::Value::from("OK"))
                },
            ),
            MiCommand::new(
                "address_dump",
                "lists the address rows in use",
                vec![],
                move |_, _| {
                    let rows: Vec<serde_json::Value> =
                        shared.entries.get().iter().map(Entry::dump).collect();
                    Ok(serde_json::json!({ "Addresses": rows }))
                },
            ),
        ]
    }
}

/// The parameter stem of a column (`context_info` is set with `info_col`).
fn short(col: &str) -> &str {
    if col == "context_info" {
        "info"
    } else {
        col
    }
}

/// The address-table functions, on the table read at start-up. Without a table (no
/// `db_url`) they stay declared, so that a call is a load error that says why.
fn address_functions(shared: Option<Arc<Shared>>) -> Vec<FunctionDecl> {
    let without_table = shared.is_none();
    let (s1, s2, s3) = (shared.clone(), shared.clone(), shared);
    let all = vec![
        FunctionDecl::new(
            "check_source_address",
            vec![
                ParamSpec::req("group_id", ParamKind::Int),
                ParamSpec::opt("context_info", ParamKind::Var),
                ParamSpec::opt("pattern", ParamKind::Str),
            ],
            RouteMask::ALL,
            move |ctx: &mut Context, args: &Args| {
                let group = args.int(ctx, 0).unwrap_or(0);
                let pattern = args.str(ctx, 2).map(|p| p.into_owned());
                let Some(peer) = source(ctx) else { return -1 };
                let Some(s1) = &s1 else { return -1 };
                let found = s1.find(group, &peer, pattern.as_deref());
                answer(ctx, found, args.pv(1))
            },
        ),
        FunctionDecl::new(
            "check_address",
            vec![
                ParamSpec::req("group_id", ParamKind::Int),
                ParamSpec::req("ip", ParamKind::Str),
                ParamSpec::req("port", ParamKind::Int),
                ParamSpec::req("proto", ParamKind::Str),
                ParamSpec::opt("context_info", ParamKind::Var),
                ParamSpec::opt("pattern", ParamKind::Str),
            ],
            RouteMask::ALL,
            move |ctx: &mut Context, args: &Args| {
                let group = args.int(ctx, 0).unwrap_or(0);
                let Ok(ip) = args.str(ctx, 1).unwrap_or_default().trim().parse() else {
                    return -1;
                };
                let peer = Peer {
                    ip,
                    port: args.int(ctx, 2).unwrap_or(0).clamp(0, 65535) as u16,
                    proto: args.str(ctx, 3).unwrap_or_default().to_ascii_lowercase(),
                };
                let pattern = args.str(ctx, 5).map(|p| p.into_owned());
                let Some(s2) = &s2 else { return -1 };
                let found = s2.find(group, &peer, pattern.as_deref());
                answer(ctx, found, args.pv(4))
            },
        ),
        FunctionDecl::new(
            "get_source_group",
            vec![ParamSpec::req("var", ParamKind::Var)],
            RouteMask::ALL,
            move |ctx: &mut Context, args: &Args| {
                let Some(peer) = source(ctx) else { return -1 };
                let Some(s3) = &s3 else { return -1 };
                let found = s3.find(0, &peer, None);
                let Some(pv) = args.pv(0) else { return -1 };
                match found {
                    Some(e) => match pv.set(ctx, AssignOp::Set, Value::Int(e.group)) {
                        Ok(()) => 1,
                        Err(err) => log_err(&format!("get_source_group: {err}")),
                    },
                    None => -1,
                }
            },
        ),
    ];
    if !without_table {
        return all;
    }
    all.into_iter()
        .map(|d| {
            d.with_fixup(|_| {
                Err("the address table needs modparam(\"permissions\", \"db_url\", ...)".into())
            })
        })
        .collect()
}
