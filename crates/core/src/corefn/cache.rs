//! The core `cache_*` functions (OpenSIPS 3.x): key-value operations on the storage a
//! cachedb module registered under the id given as first argument (`"local"`,
//! `"memcached:group1"`). See [`crate::cachedb`].

use std::sync::Arc;

use siplua_script::AssignOp;

use crate::cachedb::{CacheBackend, CacheRegistry};
use crate::context::Context;
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use crate::route_type::RouteMask;
use crate::value::Value;

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    use ParamKind::{Int, Str, Var};
    let p = ParamSpec::req;
    vec![
        FunctionDecl::new(
            "cache_store",
            vec![
                p("storage_id", Str),
                p("attribute", Str),
                p("value", Str),
                ParamSpec::opt("timeout", Int),
            ],
            RouteMask::ALL,
            store,
        ),
        FunctionDecl::new(
            "cache_remove",
            vec![p("storage_id", Str), p("attribute", Str)],
            RouteMask::ALL,
            remove,
        ),
        FunctionDecl::new(
            "cache_fetch",
            vec![p("storage_id", Str), p("attribute", Str), p("result", Var)],
            RouteMask::ALL,
            fetch,
        ),
        FunctionDecl::new(
            "cache_counter_fetch",
            vec![
                p("storage_id", Str),
                p("counter_attribute", Str),
                p("result", Var),
            ],
            RouteMask::ALL,
            counter_fetch,
        ),
        FunctionDecl::new(
            "cache_add",
            vec![
                p("storage_id", Str),
                p("attribute", Str),
                p("increment", Int),
                p("expire", Int),
                ParamSpec::opt("new_val", Var),
            ],
            RouteMask::ALL,
            |ctx: &mut Context, args: &Args| add(ctx, args, 1),
        ),
        FunctionDecl::new(
            "cache_sub",
            vec![
                p("storage_id", Str),
                p("attribute", Str),
                p("decrement", Int),
                p("expire", Int),
                ParamSpec::opt("new_val", Var),
            ],
            RouteMask::ALL,
            |ctx: &mut Context, args: &Args| add(ctx, args, -1),
        ),
    ]
}

/// The backend named by argument 0 and the key (argument 1); logs why there is none.
fn target(ctx: &Context, args: &Args) -> Option<(Arc<dyn CacheBackend>, String)> {
    let id = args.str(ctx, 0)?.into_owned();
    let key = args.str(ctx, 1)?.into_owned();
    let backend = ctx
        .core
        .apis
        .get::<CacheRegistry>()
        .and_then(|r| r.get(&id));
    match backend {
        Some(b) => Some((b, key)),
        None => {
            crate::log::emit(
                crate::log::level::ERR,
                "core",
                &format!("cache: no cachedb backend for '{id}' (loadmodule and cachedb_url?)"),
            );
            None
        }
    }
}

fn failed(op: &str, e: &str) -> i32 {
    crate::log::emit(crate::log::level::ERR, "core", &format!("{op}: {e}"));
    -1
}

fn expire(ctx: &Context, args: &Args, i: usize) -> u32 {
    args.int(ctx, i).unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32
}

fn set(ctx: &mut Context, args: &Args, i: usize, value: Value) -> i32 {
    match args.pv(i).cloned() {
        Some(pv) => match pv.set(ctx, AssignOp::Set, value) {
            Ok(()) => 1,
            Err(e) => failed("cache", &e),
        },
        None => 1,
    }
}

fn store(ctx: &mut Context, args: &Args) -> i32 {
    let Some((b, key)) = target(ctx, args) else {
        return -1;
    };
    let value = args.str(ctx, 2).unwrap_or_default().into_owned();
    match b.store(&key, &value, expire(ctx, args, 3)) {
        Ok(()) => 1,
        Err(e) => failed("cache_store", &e),
    }
}

fn remove(ctx: &mut Context, args: &Args) -> i32 {
    let Some((b, key)) = target(ctx, args) else {
        return -1;
    };
    match b.remove(&key) {
        Ok(()) => 1,
        Err(e) => failed("cache_remove", &e),
    }
}

/// 1 with the value stored in `result`, -2 when the key is absent, -1 on error.
fn fetch(ctx: &mut Context, args: &Args) -> i32 {
    let Some((b, key)) = target(ctx, args) else {
        return -1;
    };
    match b.fetch(&key) {
        Ok(Some(v)) => set(ctx, args, 2, Value::Str(v)),
        Ok(None) => -2,
        Err(e) => failed("cache_fetch", &e),
    }
}

/// Like `cache_fetch`, for an integer counter.
fn counter_fetch(ctx: &mut Context, args: &Args) -> i32 {
    let Some((b, key)) = target(ctx, args) else {
        return -1;
    };
    match b.counter_fetch(&key) {
        Ok(Some(v)) => set(ctx, args, 2, Value::Int(v)),
        Ok(None) => -2,
        Err(e) => failed("cache_counter_fetch", &e),
    }
}

/// `cache_add` (`sign` 1) and `cache_sub` (`sign` -1).
fn add(ctx: &mut Context, args: &Args, sign: i64) -> i32 {
    let Some((b, key)) = target(ctx, args) else {
        return -1;
    };
    let Some(delta) = args.int(ctx, 2) else {
        return failed("cache_add", "the increment is not an integer");
    };
    match b.add(&key, sign * delta, expire(ctx, args, 3)) {
        Ok(v) => set(ctx, args, 4, Value::Int(v)),
        Err(e) => failed(if sign > 0 { "cache_add" } else { "cache_sub" }, &e),
    }
}
