//! `exec`: runs external commands from the script, as OpenSIPS 3.x's module does with
//! `exec(command[, stdin[, stdout[, stderr[, envavp]]]])` (also under `async()`/`launch()`,
//! which siplua runs synchronously). The command goes through `/bin/sh -c`; the call returns
//! 1 once the captured streams are closed, whatever the command's exit status, and -1 when
//! the shell cannot be started or a variable cannot be set. Without stdout/stderr variables
//! it does not wait at all. The values of `envavp` become `OSIPS_EXEC_0`, `OSIPS_EXEC_1`...
//! (index 0 is the AVP's last added value, `$(avp(x)[0])`).
//!
//! Not done (docs/compatibility.md): `setvars=1` (the SIP_HF_*/SIP_RURI... environment).

mod run;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::log::{self, level};
use siplua_core::module::{ModParamSpec, ModParamValue, Module};
use siplua_core::pv::{CompiledPv, Index, PvKind};
use siplua_core::route_type::RouteMask;
use siplua_core::value::Value;
use siplua_script::AssignOp;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::int("setvars"),
    ModParamSpec::int("time_to_kill"),
];

/// The module: its `time_to_kill` parameter.
#[derive(Default)]
pub struct Exec {
    time_to_kill: u64,
}

impl Module for Exec {
    fn name(&self) -> &'static str {
        "exec"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match (name, value.as_int()) {
            ("setvars", 0) => {}
            ("setvars", _) => {
                return Err(
                    "setvars=1 (SIP_HF_* environment variables) is not supported by siplua".into(),
                )
            }
            ("time_to_kill", n) if n >= 0 => self.time_to_kill = n as u64,
            ("time_to_kill", n) => return Err(format!("time_to_kill must be >= 0, got {n}")),
            _ => return Err(format!("module exec has no parameter {name}")),
        }
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let time_to_kill = self.time_to_kill;
        vec![FunctionDecl::new(
            "exec",
            vec![
                ParamSpec::req("command", ParamKind::Str),
                ParamSpec::opt("stdin", ParamKind::Str),
                ParamSpec::opt("stdout", ParamKind::Var),
                ParamSpec::opt("stderr", ParamKind::Var),
                ParamSpec::opt("envavp", ParamKind::Var),
            ],
            RouteMask::ALL,
            move |ctx: &mut Context, args: &Args| exec(ctx, args, time_to_kill),
        )
        .async_capable()
        .with_fixup(|args| match args.get(4) {
            Some(PreparedArg::Pv(pv)) if !matches!(pv.kind, PvKind::Avp) => {
                Err(format!("envavp must be an AVP, got {}", pv.text))
            }
            _ => Ok(()),
        })]
    }
}

fn error(text: &str) -> i32 {
    log::emit(level::ERR, "exec", text);
    -1
}

fn exec(ctx: &mut Context, args: &Args, time_to_kill: u64) -> i32 {
    let command = args.str(ctx, 0).unwrap_or_default().into_owned();
    let input = args.str(ctx, 1).unwrap_or_default().into_owned();
    let env = match args.pv(4) {
        Some(avp) => match env_from_avp(ctx, avp) {
            Some(env) => env,
            None => return error(&format!("exec: {} has no value", avp.text)),
        },
        None => Vec::new(),
    };
    let job = run::Job {
        command: &command,
        input: &input,
        stdout: args.pv(2).is_some(),
        stderr: args.pv(3).is_some(),
        env,
        time_to_kill,
    };
    let out = match run::run(&job) {
        Ok(out) => out,
        Err(e) => return error(&format!("exec {command:?}: {e}")),
    };
    for (i, bytes) in [(2, out.stdout), (3, out.stderr)] {
        // As in OpenSIPS, an empty stream leaves the variable as it was.
        if let (Some(pv), false) = (args.pv(i), bytes.is_empty()) {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if let Err(e) = pv.set(ctx, AssignOp::Set, Value::Str(text)) {
                return error(&format!("exec: cannot set {}: {e}", pv.text));
            }
        }
    }
    1
}

/// `OSIPS_EXEC_<i>` = `$(avp(x)[i])`; `None` when the AVP has no value.
fn env_from_avp(ctx: &Context, avp: &CompiledPv) -> Option<Vec<(String, String)>> {
    let mut pv = avp.clone();
    let mut env = Vec::new();
    for i in 0..10_000 {
        pv.index = Some(Index::At(i));
        let v = pv.get(ctx);
        if v.is_null() {
            break;
        }
        env.push((format!("OSIPS_EXEC_{i}"), v.as_str().into_owned()));
    }
    (!env.is_empty()).then_some(env)
}
