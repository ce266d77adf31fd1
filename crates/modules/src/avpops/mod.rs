//! `avpops`: `is_avp_set(name[/flags])`, `avp_check(name, "op/value[/flags]")`,
//! `avp_delete(name[/g])`, `avp_pushto`, `avp_copy`, `avp_subst`, `avp_op`, `avp_shuffle`,
//! `avp_print` on `$avp(...)` variables, and, on the MySQL database of `db_url`, `avp_db_query(query[, dest])` and
//! `avp_db_load` / `avp_db_store` / `avp_db_delete` on the `usr_preferences` table, with
//! OpenSIPS 3.x names, argument syntax and return codes.

mod check;
mod copy;
mod dbops;
mod names;
mod op;
mod presence;
mod print;
mod pushto;
mod query;
mod shuffle;
mod subst;
mod subst_expr;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::RouteMask;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("db_url"),
    ModParamSpec::str("avp_table"),
    ModParamSpec::int("use_domain"),
    ModParamSpec::str("uuid_column"),
    ModParamSpec::str("username_column"),
    ModParamSpec::str("domain_column"),
    ModParamSpec::str("attribute_column"),
    ModParamSpec::str("value_column"),
    ModParamSpec::str("type_column"),
    ModParamSpec::str("db_scheme"),
];

/// The module.
#[derive(Default)]
pub struct AvpOps {
    db_url: Option<String>,
    db: Option<Arc<siplua_db::Db>>,
    columns: dbops::Columns,
}

/// The AVP name of a `$avp(name)` argument (a load error for anything else).
fn fixup_avp_name(args: &mut [PreparedArg]) -> Result<(), String> {
    let text = names::raw_text(&args[0]).ok_or("the first argument must be \"$avp(name)\"")?;
    args[0] = PreparedArg::Str(names::avp_name(&text)?.into());
    Ok(())
}

/// `avp_check`: the AVP name, and the operation parsed (its regular expression compiled) once
/// when it is a constant. A bad constant operation is left as it is: the call logs it and
/// returns -1, as a variable one does.
fn fixup_avp_check(args: &mut [PreparedArg]) -> Result<(), String> {
    fixup_avp_name(args)?;
    if let Some(PreparedArg::Str(op)) = args.get(1) {
        if let Ok(c) = check::Check::parse(op) {
            args[1] = PreparedArg::Custom(Arc::new(c));
        }
    }
    Ok(())
}

fn avp_name(args: &Args) -> &str {
    match args.get(0) {
        PreparedArg::Str(s) => s,
        _ => "",
    }
}

impl Module for AvpOps {
    fn name(&self) -> &'static str {
        "avpops"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            // OpenSIPS may number a URL ("1 mysql://..."); siplua has one database.
            "db_url" => {
                let text = value.as_str();
                let url = match text.trim().split_once(' ') {
                    Some((id, url)) if id.chars().all(|c| c.is_ascii_digit()) => url.trim(),
                    _ => text.trim(),
                };
                self.db_url = Some(url.to_owned());
            }
            "avp_table" => self.columns.table = value.as_str().trim().to_owned(),
            "use_domain" => self.columns.use_domain = value.as_str().trim() != "0",
            "uuid_column" => self.columns.uuid = value.as_str().trim().to_owned(),
            "username_column" => self.columns.username = value.as_str().trim().to_owned(),
            "domain_column" => self.columns.domain = value.as_str().trim().to_owned(),
            "attribute_column" => self.columns.attribute = value.as_str().trim().to_owned(),
            "value_column" => self.columns.value = value.as_str().trim().to_owned(),
            "type_column" => self.columns.kind = value.as_str().trim().to_owned(),
            // Accepted; a name using a scheme (`$avp(*)/$scheme`) fails the load.
            "db_scheme" => {}
            _ => return Err(format!("module avpops has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        if let Some(url) = &self.db_url {
            if !url.starts_with("mysql://") && !url.starts_with("sqlite://") {
                return Err(format!(
                    "avpops db_url {url:?}: avp_db_query runs SQL, which needs a mysql:// or sqlite:// database"
                ));
            }
            self.db = Some(Arc::new(crate::sql::open(env, "avpops", url)?));
        }
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let name_arg = || ParamSpec::req("name", ParamKind::Var);
        vec![
            FunctionDecl::new(
                "is_avp_set",
                vec![ParamSpec::req("name", ParamKind::Str)],
                RouteMask::ALL,
                presence::is_set,
            )
            .with_fixup(presence::fixup_is_set),
            FunctionDecl::new(
                "avp_check",
                vec![name_arg(), ParamSpec::req("op", ParamKind::Str)],
                RouteMask::ALL,
                |ctx: &mut Context, args: &Args| {
                    if let Some(c) = args.custom::<check::Check>(1) {
                        return c.run(ctx.avps.all(avp_name(args)));
                    }
                    let op = args.str(ctx, 1).unwrap_or_default().into_owned();
                    match check::Check::parse(&op) {
                        Ok(c) => c.run(ctx.avps.all(avp_name(args))),
                        Err(e) => {
                            siplua_core::log::emit(
                                siplua_core::log::level::ERR,
                                "avpops",
                                &format!("avp_check: {e}"),
                            );
                            -1
                        }
                    }
                },
            )
            .with_fixup(fixup_avp_check),
            FunctionDecl::new(
                "avp_delete",
                vec![ParamSpec::req("name", ParamKind::Str)],
                RouteMask::ALL,
                presence::delete,
            )
            .with_fixup(presence::fixup_delete),
            FunctionDecl::new(
                "avp_pushto",
                vec![
                    ParamSpec::req("destination", ParamKind::Str),
                    ParamSpec::req("name", ParamKind::Str),
                ],
                RouteMask::ALL,
                pushto::run,
            )
            .with_fixup(pushto::fixup),
            FunctionDecl::new(
                "avp_copy",
                vec![
                    ParamSpec::req("from_avp", ParamKind::Str),
                    ParamSpec::req("to_avp", ParamKind::Str),
                ],
                RouteMask::ALL,
                copy::run,
            )
            .with_fixup(copy::fixup),
            FunctionDecl::new(
                "avp_subst",
                vec![
                    ParamSpec::req("avps", ParamKind::Str),
                    ParamSpec::req("subst", ParamKind::Str),
                ],
                RouteMask::ALL,
                subst::run,
            )
            .with_fixup(subst::fixup),
            FunctionDecl::new(
                "avp_op",
                vec![
                    ParamSpec::req("name", ParamKind::Str),
                    ParamSpec::req("op_value", ParamKind::Str),
                ],
                RouteMask::ALL,
                op::run,
            )
            .with_fixup(op::fixup),
            FunctionDecl::new(
                "avp_shuffle",
                vec![name_arg()],
                RouteMask::ALL,
                |ctx: &mut Context, args: &Args| shuffle::run(ctx, avp_name(args)),
            )
            .with_fixup(fixup_avp_name),
            FunctionDecl::new("avp_print", vec![], RouteMask::ALL, |ctx, _| {
                print::run(ctx)
            }),
            self.db_query(),
            self.db_op("avp_db_load", true, dbops::load),
            self.db_op("avp_db_store", false, dbops::store),
            self.db_op("avp_db_delete", false, dbops::delete),
        ]
    }
}

/// What `avp_db_load`, `avp_db_store` and `avp_db_delete` run.
type DbOp = fn(&siplua_db::Db, &dbops::Columns, &mut Context, &Args) -> i32;

impl AvpOps {
    /// `avp_db_load` (with a prefix argument), `avp_db_store`, `avp_db_delete`; without
    /// `db_url` every call fails with a message. `db_id` is accepted: siplua has one database.
    fn db_op(&self, name: &'static str, prefix: bool, op: DbOp) -> FunctionDecl {
        let db = self.db.clone();
        let columns = self.columns.clone();
        let mut params = vec![
            ParamSpec::req("source", ParamKind::Str),
            ParamSpec::req("name", ParamKind::Str),
            ParamSpec::opt("db_id", ParamKind::Str),
        ];
        if prefix {
            params.push(ParamSpec::opt("prefix", ParamKind::Str));
        }
        FunctionDecl::new(
            name,
            params,
            RouteMask::ALL,
            move |ctx: &mut Context, args: &Args| {
                let Some(db) = &db else {
                    return no_db(name);
                };
                op(db, &columns, ctx, args)
            },
        )
        .with_fixup(dbops::fixup)
    }

    /// `avp_db_query(query[, dest])`; without `db_url` every call fails with a message.
    fn db_query(&self) -> FunctionDecl {
        let db = self.db.clone();
        FunctionDecl::new(
            "avp_db_query",
            vec![
                ParamSpec::req("query", ParamKind::Str),
                ParamSpec::opt("dest", ParamKind::Str),
                ParamSpec::opt("db_id", ParamKind::Int),
            ],
            RouteMask::ALL,
            move |ctx: &mut Context, args: &Args| {
                let Some(db) = &db else {
                    return no_db("avp_db_query");
                };
                let sql = args.str(ctx, 0).unwrap_or_default().into_owned();
                let dest: Vec<String> = args.custom::<Vec<String>>(1).cloned().unwrap_or_default();
                query::run(db, ctx, &sql, &dest)
            },
        )
        .async_capable()
        .with_fixup(|args| {
            // The destination names AVPs: it is read as written, never expanded.
            let text = match args.get(1) {
                Some(PreparedArg::Str(d)) => d.to_string(),
                Some(PreparedArg::Pv(pv)) => pv.text.to_string(),
                Some(PreparedArg::Format(f)) => f.source_text(),
                _ => return Ok(()),
            };
            args[1] = PreparedArg::Custom(Arc::new(query::parse_dest(&text)?));
            Ok(())
        })
    }
}

/// A database function called without `db_url`: logged, -1.
fn no_db(function: &str) -> i32 {
    siplua_core::log::emit(
        siplua_core::log::level::ERR,
        "avpops",
        &format!("{function}: no db_url for avpops"),
    );
    -1
}
