//! Message and branch flags: `setflag`, `resetflag`, `isflagset`, `setbflag`, `resetbflag`,
//! `isbflagset`.

use crate::context::Context;
use crate::flags::{flag_bit, FlagSet};
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use crate::route_type::RouteMask;

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    let one = || vec![ParamSpec::req("flag", ParamKind::StaticStr)];
    let branch = || {
        vec![
            ParamSpec::req("flag", ParamKind::StaticStr),
            ParamSpec::opt("branch", ParamKind::Int),
        ]
    };
    vec![
        FunctionDecl::new("setflag", one(), RouteMask::ALL, |c, a| {
            msg_flag(c, a, Op::Set)
        })
        .with_fixup(msg_fixup),
        FunctionDecl::new("resetflag", one(), RouteMask::ALL, |c, a| {
            msg_flag(c, a, Op::Reset)
        })
        .with_fixup(msg_fixup),
        FunctionDecl::new("isflagset", one(), RouteMask::ALL, |c, a| {
            msg_flag(c, a, Op::Test)
        })
        .with_fixup(msg_fixup),
        FunctionDecl::new("setbflag", branch(), RouteMask::ALL, |c, a| {
            branch_flag(c, a, Op::Set)
        })
        .with_fixup(branch_fixup),
        FunctionDecl::new("resetbflag", branch(), RouteMask::ALL, |c, a| {
            branch_flag(c, a, Op::Reset)
        })
        .with_fixup(branch_fixup),
        FunctionDecl::new("isbflagset", branch(), RouteMask::ALL, |c, a| {
            branch_flag(c, a, Op::Test)
        })
        .with_fixup(branch_fixup),
    ]
}

#[derive(Clone, Copy)]
enum Op {
    Set,
    Reset,
    Test,
}

fn fixup(set: FlagSet, args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(PreparedArg::Str(s)) = args.first() {
        let bit = flag_bit(set, s)?;
        args[0] = PreparedArg::Int(bit as i64);
    }
    Ok(())
}

fn msg_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    fixup(FlagSet::Message, args)
}

fn branch_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    fixup(FlagSet::Branch, args)
}

fn apply(flags: &mut u64, bit: u32, op: Op) -> i32 {
    let mask = 1u64 << bit;
    match op {
        Op::Set => *flags |= mask,
        Op::Reset => *flags &= !mask,
        Op::Test => return if *flags & mask != 0 { 1 } else { -1 },
    }
    1
}

fn msg_flag(ctx: &mut Context, args: &Args, op: Op) -> i32 {
    match args.int(ctx, 0) {
        Some(bit) => apply(&mut ctx.flags, bit as u32, op),
        None => -1,
    }
}

/// Branch 0 is the message's own branch; 1.. are the appended branches.
fn branch_flag(ctx: &mut Context, args: &Args, op: Op) -> i32 {
    let Some(bit) = args.int(ctx, 0) else {
        return -1;
    };
    let index = args.int(ctx, 1).unwrap_or(0);
    if index <= 0 {
        return apply(&mut ctx.branch_flags, bit as u32, op);
    }
    match ctx.branches.get_mut(index as usize - 1) {
        Some(b) => apply(&mut b.flags, bit as u32, op),
        None => -1,
    }
}
