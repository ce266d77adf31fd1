//! `avp_print()`: a debugging aid that logs, at INFO level, every AVP of the message or
//! transaction (newest first) with its type and value, as OpenSIPS' `avp_print` does.
//! Returns 1.

use siplua_core::context::Context;
use siplua_core::log;
use siplua_core::value::Value;

/// Runs a call.
pub fn run(ctx: &mut Context) -> i32 {
    log::emit(
        log::level::INFO,
        "avpops",
        "----------- All AVPs in this context --------",
    );
    for (name, value) in ctx.avps.iter() {
        log::emit(log::level::INFO, "avpops", &describe(name, value));
    }
    log::emit(
        log::level::INFO,
        "avpops",
        "---------------- END ALL AVPs ---------------",
    );
    1
}

/// One line of the listing.
fn describe(name: &str, value: &Value) -> String {
    match value {
        Value::Int(n) => format!("    name=<{name}> val_int=<{n}>"),
        Value::Str(s) => format!("    name=<{name}> val_str=<{s} / {}>", s.len()),
        Value::Null => format!("    name=<{name}> null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(describe("a", &Value::Int(3)), "    name=<a> val_int=<3>");
        assert_eq!(describe("b", &"xy".into()), "    name=<b> val_str=<xy / 2>");
    }
}
