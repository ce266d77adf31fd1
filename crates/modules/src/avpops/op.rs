//! `avp_op(name, op_value)`: integer arithmetic on AVP values, as in OpenSIPS 3.x.
//!
//! `name` is `$avp(src)[/$avp(dst)]`; the result is added in front of `dst`'s values (`src`
//! when no `dst` is given: the old value stays behind the new one unless `d` deletes it).
//! `op_value` is `op/value[/flags]`: `add sub mul div mod and or xor not`; the value an
//! integer (`345`, `i:345`, `i:0xabcd`) or a variable (an AVP gives its newest integer
//! value). `not` stores the bitwise negation of the value, as OpenSIPS computes it. Only
//! integer values of `src` take part (strings are skipped, as in OpenSIPS); flags: `g` every
//! integer value of `src` (newest first, each result added in turn), not only the newest
//! one; `d` delete the `src` values used. Division or modulo by 0 logs and gives 0, as in
//! OpenSIPS. Arithmetic is on 64-bit integers and wraps on overflow.
//! Returns 1, or -1 when `src` (or an AVP value) has no integer value.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, PreparedArg};
use siplua_core::value::Value;

use super::names::{avp_name, fail, flags, raw_text, Var};

/// An operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
    Xor,
    Not,
}

impl Op {
    fn parse(name: &str) -> Option<Op> {
        Some(match name.to_ascii_lowercase().as_str() {
            "add" => Op::Add,
            "sub" => Op::Sub,
            "mul" => Op::Mul,
            "div" => Op::Div,
            "mod" => Op::Mod,
            "and" => Op::And,
            "or" => Op::Or,
            "xor" => Op::Xor,
            "not" => Op::Not,
            _ => return None,
        })
    }

    /// `a op b`; `Err` (with the result 0 to store) for a division or modulo by 0.
    pub fn apply(self, a: i64, b: i64) -> Result<i64, &'static str> {
        Ok(match self {
            Op::Add => a.wrapping_add(b),
            Op::Sub => a.wrapping_sub(b),
            Op::Mul => a.wrapping_mul(b),
            Op::Div if b == 0 => return Err("division by 0"),
            Op::Div => a.wrapping_div(b),
            Op::Mod if b == 0 => return Err("modulo by 0"),
            Op::Mod => a.wrapping_rem(b),
            Op::And => a & b,
            Op::Or => a | b,
            Op::Xor => a ^ b,
            Op::Not => !b,
        })
    }
}

/// The operand.
enum Operand {
    Const(i64),
    Var(Var),
}

/// The prepared call.
pub struct AvpOp {
    src: String,
    dst: Option<String>,
    op: Op,
    operand: Operand,
    all: bool,
    delete: bool,
}

/// An integer as avpops writes one: decimal, or `0x` hexadecimal, optionally after `i:`.
fn parse_int(text: &str) -> Option<i64> {
    let t = text
        .strip_prefix("i:")
        .or_else(|| text.strip_prefix("I:"))
        .unwrap_or(text);
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => siplua_core::value::parse_int(t),
    }
}

/// Parses `op/value[/flags]`.
fn parse_op_value(text: &str) -> Result<(Op, Operand, String), String> {
    let bad = || format!("bad operation {text:?} (want op/value[/flags])");
    let mut parts = text.trim().splitn(3, '/');
    let op = parts.next().ok_or_else(bad)?;
    let op = Op::parse(op.trim()).ok_or_else(|| format!("unknown operation {op:?}"))?;
    let value = parts
        .next()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(bad)?;
    let operand = if value.starts_with('$') {
        Operand::Var(Var::parse(value)?)
    } else {
        Operand::Const(
            parse_int(value).ok_or_else(|| format!("the value {value:?} must be an integer"))?,
        )
    };
    let f = flags(parts.next().unwrap_or("").trim(), "gd")?;
    Ok((op, operand, f))
}

/// Parses both arguments once, at load time.
pub fn fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    let names = raw_text(&args[0]).ok_or("the first argument must be \"$avp(src)[/$avp(dst)]\"")?;
    let (src, dst) = match names.trim().split_once('/') {
        Some((s, d)) => (avp_name(s)?, Some(avp_name(d)?)),
        None => (avp_name(&names)?, None),
    };
    let op_text = raw_text(&args[1]).ok_or("the operation must be a string \"op/value\"")?;
    let (op, operand, f) = parse_op_value(&op_text)?;
    args[0] = PreparedArg::Custom(Arc::new(AvpOp {
        src,
        dst,
        op,
        operand,
        all: f.contains('g'),
        delete: f.contains('d'),
    }));
    Ok(())
}

/// Runs a prepared call.
pub fn run(ctx: &mut Context, args: &Args) -> i32 {
    let Some(p) = args.custom::<AvpOp>(0) else {
        return -1;
    };
    let operand = match &p.operand {
        Operand::Const(n) => *n,
        Operand::Var(Var::Avp(name)) => match ctx.avps.all(name).find_map(int_of) {
            Some(n) => n,
            None => return -1,
        },
        Operand::Var(Var::Pv(pv)) => match pv.get(ctx).to_int() {
            Some(n) => n,
            None => return fail("avp_op", &format!("{} is not an integer", pv.text)),
        },
    };
    let take = if p.all { usize::MAX } else { 1 };
    // (index among the values of src, newest first; value)
    let used: Vec<(usize, i64)> = ctx
        .avps
        .all(&p.src)
        .enumerate()
        .filter_map(|(i, v)| int_of(v).map(|n| (i, n)))
        .take(take)
        .collect();
    let inputs: Vec<i64> = match (used.is_empty(), p.op) {
        (true, Op::Not) => vec![0],
        (true, _) => return -1,
        (false, _) => used.iter().map(|(_, n)| *n).collect(),
    };
    if p.delete {
        for (i, _) in used.iter().rev() {
            ctx.avps.remove_at(&p.src, *i as i64);
        }
    }
    let dst = p.dst.as_deref().unwrap_or(&p.src);
    for a in inputs {
        let result = p.op.apply(a, operand).unwrap_or_else(|e| {
            fail("avp_op", e);
            0
        });
        ctx.avps.add(dst, Value::Int(result));
    }
    1
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic() {
        assert_eq!(Op::Add.apply(5, 3), Ok(8));
        assert_eq!(Op::Sub.apply(5, 7), Ok(-2));
        assert_eq!(Op::Mul.apply(-4, 3), Ok(-12));
        assert_eq!(Op::Div.apply(7, 2), Ok(3));
        assert_eq!(Op::Mod.apply(7, 4), Ok(3));
        assert_eq!(Op::And.apply(6, 3), Ok(2));
        assert_eq!(Op::Or.apply(4, 1), Ok(5));
        assert_eq!(Op::Xor.apply(6, 3), Ok(5));
        assert_eq!(Op::Not.apply(99, 5), Ok(-6));
        assert!(Op::Div.apply(1, 0).is_err());
        assert!(Op::Mod.apply(1, 0).is_err());
        assert_eq!(
            Op::Div.apply(i64::MIN, -1),
            Ok(i64::MIN),
            "wraps, never panics"
        );
        assert_eq!(Op::Add.apply(i64::MAX, 1), Ok(i64::MIN));
    }

    #[test]
    fn operation_strings() {
        let (op, v, f) = parse_op_value("ADD/345/g").unwrap();
        assert!(matches!(
            (op, v, f.as_str()),
            (Op::Add, Operand::Const(345), "g")
        ));
        let (op, v, f) = parse_op_value("xor/i:0xff/Dg").unwrap();
        assert!(matches!(
            (op, v, f.as_str()),
            (Op::Xor, Operand::Const(255), "dg")
        ));
        let (_, v, _) = parse_op_value("sub/i:-3").unwrap();
        assert!(matches!(v, Operand::Const(-3)));
        let (_, v, f) = parse_op_value("sub/$avp(n2)/d").unwrap();
        assert!(matches!((v, f.as_str()), (Operand::Var(Var::Avp(n)), "d") if n == "n2"));
        assert!(matches!(
            parse_op_value("mul/$var(k)"),
            Ok((_, Operand::Var(Var::Pv(_)), _))
        ));
        assert!(matches!(parse_op_value("pow/2"), Err(e) if e.contains("unknown operation")));
        assert!(parse_op_value("add/s:abc").is_err());
        assert!(parse_op_value("add/abc").is_err());
        assert!(parse_op_value("add").is_err());
        assert!(parse_op_value("add//g").is_err());
        assert!(parse_op_value("add/1/x").is_err());
    }
}
