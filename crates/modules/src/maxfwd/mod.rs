//! `maxfwd`: `mf_process_maxfwd_header(max)` — loop protection with the Max-Forwards header
//! (RFC 3261 §16.6 step 3), with OpenSIPS' return codes and its `max_limit` parameter — and
//! `is_maxfwd_lt(max)`, the check alone.

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_sip::edit::Position;
use siplua_sip::HeaderKind;

/// The module.
pub struct MaxFwd {
    max_limit: u32,
}

impl Default for MaxFwd {
    fn default() -> Self {
        MaxFwd { max_limit: 256 }
    }
}

const PARAMS: &[ModParamSpec] = &[ModParamSpec {
    name: "max_limit",
    kind: ModParamKind::Int,
}];

impl Module for MaxFwd {
    fn name(&self) -> &'static str {
        "maxfwd"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, _name: &str, value: ModParamValue) -> Result<(), String> {
        let v = value.as_int();
        if !(1..=256).contains(&v) {
            return Err(format!("max_limit must be 1..256, got {v}"));
        }
        self.max_limit = v as u32;
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let limit = self.max_limit;
        let routes = RouteMask::of(&[RouteType::Request, RouteType::Failure, RouteType::Branch]);
        vec![
            FunctionDecl::new(
                "mf_process_maxfwd_header",
                vec![ParamSpec::req("max_value", ParamKind::Int)],
                routes,
                move |ctx: &mut Context, args: &Args| {
                    process(ctx, args.int(ctx, 0).unwrap_or(70), limit)
                },
            ),
            FunctionDecl::new(
                "is_maxfwd_lt",
                vec![ParamSpec::req("max_value", ParamKind::Int)],
                routes,
                |ctx: &mut Context, args: &Args| less_than(ctx, args.int(ctx, 0).unwrap_or(0)),
            ),
        ]
    }
}

/// `is_maxfwd_lt`, with OpenSIPS' codes: 1 when the received Max-Forwards is below `max`, -1
/// when it is not, -2 when the header is missing, -3 when it is malformed.
fn less_than(ctx: &mut Context, max: i64) -> i32 {
    let Some(msg) = ctx.msg.as_ref() else {
        return -3;
    };
    let Some((_, h)) = msg.find(HeaderKind::MaxForwards) else {
        return -2;
    };
    match msg.value_of(h).trim().parse::<u32>() {
        Ok(v) if i64::from(v) < max => 1,
        Ok(_) => -1,
        Err(_) => -3,
    }
}

/// Returns 2 when the header was missing and `max` was added, 1 when it was decremented, -1
/// when it reached 0 (the caller answers 483), -2 when it is malformed.
fn process(ctx: &mut Context, max: i64, limit: u32) -> i32 {
    let Some(msg) = ctx.msg.as_ref() else {
        return -2;
    };
    match msg.find(HeaderKind::MaxForwards) {
        None => {
            let value = max.clamp(0, limit as i64).to_string();
            match ctx
                .edits
                .add_header(msg, "Max-Forwards", &value, Position::End)
            {
                Ok(()) => 2,
                Err(_) => -2,
            }
        }
        Some((index, h)) => {
            let Ok(current) = msg.value_of(h).trim().parse::<u32>() else {
                return -2;
            };
            if current == 0 {
                return -1;
            }
            let next = (current - 1).min(limit);
            match ctx
                .edits
                .replace_value(msg, index, itoa::Buffer::new().format(next))
            {
                Ok(()) => 1,
                Err(_) => -2,
            }
        }
    }
}
