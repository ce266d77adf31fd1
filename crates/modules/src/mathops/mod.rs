//! `mathops`: floating point arithmetic in the script, as OpenSIPS 3.x has it —
//! `math_eval()` (infix expressions, tinyexpr's rules), `math_rpn()` (Reverse Polish
//! Notation), `math_trunc()`, `math_floor()`, `math_ceil()`, `math_round()`,
//! `math_round_sf()`, `math_compare()` and the `decimal_digits` parameter.
//!
//! Results are written as OpenSIPS writes them: `math_eval`, `math_rpn`, `math_round_sf`
//! and `math_round` with decimals print `printf("%.*f")` text (`decimal_digits`, default 6,
//! so 3 is "3.000000"); `math_trunc`, `math_floor`, `math_ceil` and `math_round` without
//! decimals store a C `int`. The number arguments are read as `strtod()` reads them: text
//! that is not a number counts as 0.

mod infix;
mod number;
mod rpn;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::module::{ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::RouteMask;
use siplua_core::value::Value;
use siplua_script::AssignOp;

use infix::Expr;
use rpn::Program;

const PARAMS: &[ModParamSpec] = &[ModParamSpec::int("decimal_digits")];

/// The most decimals printed (OpenSIPS prints into a 256-byte buffer).
const MAX_DECIMALS: i64 = 100;

/// The module.
pub struct MathOps {
    decimal_digits: i64,
}

impl Default for MathOps {
    fn default() -> Self {
        MathOps { decimal_digits: 6 }
    }
}

fn error(text: &str) {
    siplua_core::log::emit(siplua_core::log::level::ERR, "mathops", text);
}

/// Stores `value` in the function's result variable (argument `i`): 1, or -1 when it
/// cannot be written.
fn store(ctx: &mut Context, args: &Args, i: usize, value: Value) -> i32 {
    match args.pv(i).map(|pv| pv.set(ctx, AssignOp::Set, value)) {
        Some(Ok(())) => 1,
        _ => {
            error("cannot write the result variable");
            -1
        }
    }
}

/// The value of the infix expression in argument `i`, parsed at load time when constant.
fn eval_arg(ctx: &Context, args: &Args, i: usize, function: &str) -> Option<f64> {
    let parsed;
    let expr = match args.custom::<Expr>(i) {
        Some(e) => e,
        None => {
            let text = args.str(ctx, i).unwrap_or_default();
            match Expr::parse(text.trim()) {
                Ok(e) => {
                    parsed = e;
                    &parsed
                }
                Err(e) => {
                    error(&format!("{function}: bad expression <{text}>: {e}"));
                    return None;
                }
            }
        }
    };
    let value = expr.eval();
    if value.is_nan() {
        error(&format!("{function}: the expression gives no number (NaN)"));
        return None;
    }
    Some(value)
}

/// The number in argument `i`, read as `strtod()` reads it (0 when it is not a number).
fn number_arg(ctx: &Context, args: &Args, i: usize) -> f64 {
    let text = args.str(ctx, i).unwrap_or_default();
    let n = number::strtod(&text);
    if n.out_of_range {
        siplua_core::log::emit(
            siplua_core::log::level::WARN,
            "mathops",
            &format!("overflow in parsing the number <{text}>"),
        );
    }
    n.value
}

/// Constant expressions (the arguments at `positions`) are parsed when the script loads;
/// a bad one is a load error.
fn infix_fixup(positions: &'static [usize]) -> impl Fn(&mut [PreparedArg]) -> Result<(), String> {
    move |args| {
        for &i in positions {
            if let Some(PreparedArg::Str(text)) = args.get(i) {
                let e = Expr::parse(text.trim())
                    .map_err(|e| format!("bad expression <{text}>: {e}"))?;
                args[i] = PreparedArg::Custom(Arc::new(e));
            }
        }
        Ok(())
    }
}

/// A constant RPN program is parsed when the script loads; a bad one is a load error.
fn rpn_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(PreparedArg::Str(text)) = args.first() {
        let p = Program::parse(text).map_err(|e| format!("bad RPN expression <{text}>: {e}"))?;
        args[0] = PreparedArg::Custom(Arc::new(p));
    }
    Ok(())
}

/// A constant decimals/figures count must be 0 to [`MAX_DECIMALS`] (negative decimals mean
/// 6 in OpenSIPS, as C's printf takes them; they are accepted).
fn digits_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    match args.get(2) {
        Some(PreparedArg::Int(n)) if *n > MAX_DECIMALS => {
            Err(format!("{n} digits: at most {MAX_DECIMALS}"))
        }
        _ => Ok(()),
    }
}

/// The digits count of argument 2 per call: `None` (logged) when it is not an integer or
/// is too big.
fn digits_arg(ctx: &Context, args: &Args, function: &str) -> Option<i64> {
    match args.int(ctx, 2) {
        Some(n) if n <= MAX_DECIMALS => Some(n),
        _ => {
            error(&format!("{function}: invalid digits count"));
            None
        }
    }
}

fn math_rpn(ctx: &mut Context, args: &Args, decimals: i64) -> i32 {
    let parsed;
    let program = match args.custom::<Program>(0) {
        Some(p) => p,
        None => {
            let text = args.str(ctx, 0).unwrap_or_default();
            match Program::parse(text.trim()) {
                Ok(p) => {
                    parsed = p;
                    &parsed
                }
                Err(e) => {
                    error(&format!("math_rpn: bad RPN expression <{text}>: {e}"));
                    return -1;
                }
            }
        }
    };
    match program.run() {
        Ok(x) => store(ctx, args, 1, Value::Str(number::fixed(x, decimals))),
        Err(e) => {
            error(&format!("math_rpn: {e}"));
            -1
        }
    }
}

/// `math_round(number, var[, decimals])`: an `int` rounded half away from zero, or with
/// decimals the `printf` text (ties of the exact binary value go to even, as glibc).
fn round_dp(ctx: &mut Context, args: &Args, x: f64, decimals: i64) -> i32 {
    let v = if decimals == 0 {
        Value::Int(number::c_int(x.round()))
    } else {
        Value::Str(number::fixed(x, decimals))
    };
    store(ctx, args, 1, v)
}

/// `math_round_sf(number, var, figures)`: rounded to `figures` significant figures, printed
/// with `decimal_digits` decimals.
fn round_sf(x: f64, figures: i64, decimal_digits: i64) -> String {
    let factor = 10f64.powf(figures as f64 - x.abs().log10().ceil());
    number::fixed((x * factor).round() / factor, decimal_digits)
}

impl Module for MathOps {
    fn name(&self) -> &'static str {
        "mathops"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "decimal_digits" => {
                let d = value.as_int();
                if !(0..=MAX_DECIMALS).contains(&d) {
                    return Err(format!(
                        "decimal_digits must be 0 to {MAX_DECIMALS}, got {d}"
                    ));
                }
                self.decimal_digits = d;
                Ok(())
            }
            _ => Err(format!("module mathops has no parameter {name}")),
        }
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let all = RouteMask::ALL;
        let digits = self.decimal_digits;
        let expr_var = || {
            vec![
                ParamSpec::req("expression", ParamKind::Str),
                ParamSpec::req("result_var", ParamKind::Var),
            ]
        };
        let number_var = |third: Option<&'static str>| {
            let mut p = vec![
                ParamSpec::req("number", ParamKind::Str),
                ParamSpec::req("result_var", ParamKind::Var),
            ];
            p.extend(third.map(|n| ParamSpec::opt(n, ParamKind::Int)));
            p
        };
        let mut out = vec![
            FunctionDecl::new(
                "math_eval",
                expr_var(),
                all,
                move |ctx: &mut Context, args: &Args| match eval_arg(ctx, args, 0, "math_eval") {
                    Some(x) => store(ctx, args, 1, Value::Str(number::fixed(x, digits))),
                    None => -1,
                },
            )
            .with_fixup(infix_fixup(&[0])),
            FunctionDecl::new(
                "math_rpn",
                expr_var(),
                all,
                move |ctx: &mut Context, args: &Args| math_rpn(ctx, args, digits),
            )
            .with_fixup(rpn_fixup),
            FunctionDecl::new(
                "math_round",
                number_var(Some("decimals")),
                all,
                |ctx: &mut Context, args: &Args| {
                    let x = number_arg(ctx, args, 0);
                    let decimals = if args.has(2) {
                        match digits_arg(ctx, args, "math_round") {
                            Some(d) => d,
                            None => return -1,
                        }
                    } else {
                        0
                    };
                    round_dp(ctx, args, x, decimals)
                },
            )
            .with_fixup(digits_fixup),
            FunctionDecl::new(
                "math_round_sf",
                number_var(Some("figures")),
                all,
                move |ctx: &mut Context, args: &Args| {
                    let x = number_arg(ctx, args, 0);
                    if !args.has(2) {
                        return round_dp(ctx, args, x, 0);
                    }
                    match digits_arg(ctx, args, "math_round_sf") {
                        Some(f) => store(ctx, args, 1, Value::Str(round_sf(x, f, digits))),
                        None => -1,
                    }
                },
            )
            .with_fixup(digits_fixup),
            FunctionDecl::new(
                "math_compare",
                vec![
                    ParamSpec::req("exp1", ParamKind::Str),
                    ParamSpec::req("exp2", ParamKind::Str),
                    ParamSpec::req("result_var", ParamKind::Var),
                ],
                all,
                |ctx: &mut Context, args: &Args| {
                    let Some(a) = eval_arg(ctx, args, 0, "math_compare") else {
                        return -1;
                    };
                    let Some(b) = eval_arg(ctx, args, 1, "math_compare") else {
                        return -1;
                    };
                    let order = if a > b {
                        1
                    } else if a < b {
                        -1
                    } else {
                        0
                    };
                    store(ctx, args, 2, Value::Int(order))
                },
            )
            .with_fixup(infix_fixup(&[0, 1])),
        ];
        for (name, op) in [
            ("math_trunc", f64::trunc as fn(f64) -> f64),
            ("math_floor", f64::floor),
            ("math_ceil", f64::ceil),
        ] {
            out.push(FunctionDecl::new(
                name,
                number_var(None),
                all,
                move |ctx: &mut Context, args: &Args| {
                    let x = number_arg(ctx, args, 0);
                    store(ctx, args, 1, Value::Int(number::c_int(op(x))))
                },
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::round_sf;

    #[test]
    fn significant_figures_as_the_documentation_lists_them() {
        let x = 17892.987;
        let got: Vec<String> = (1..=7).map(|f| round_sf(x, f, 2)).collect();
        assert_eq!(
            got,
            ["20000.00", "18000.00", "17900.00", "17890.00", "17893.00", "17893.00", "17892.99"]
        );
        assert_eq!(round_sf(3.141492, 4, 6), "3.141000");
        assert_eq!(round_sf(-0.012345, 2, 4), "-0.0120");
    }
}
