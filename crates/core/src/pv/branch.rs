//! `$branch(field)`: the branches `append_branch`/`lookup` added, as OpenSIPS 3.x reads them
//! — `$branch(uri)` is the first, `$(branch(uri)[1])` the second, `$(branch(uri)[*])` all of
//! them (comma-separated); fields `uri`, `duri`, `q`, `path`, `flags`, `socket`. And
//! `$RANDOM`, a fresh non-negative random number at each read.

use std::hash::{BuildHasher, Hasher};

use super::{Inner, Resolved};
use crate::context::{Branch, Context};
use crate::value::Value;

/// The fields OpenSIPS 3.x knows.
const FIELDS: [&str; 6] = ["uri", "duri", "q", "path", "flags", "socket"];

/// Refuses an unknown constant field when the script is loaded.
pub(super) fn check_field(inner: &Inner) -> Result<(), String> {
    match inner {
        Inner::Text(f) if !FIELDS.contains(&f.as_ref()) => Err(format!(
            "unknown branch field '{f}' (known: {})",
            FIELDS.join(", ")
        )),
        _ => Ok(()),
    }
}

fn field(ctx: &Context, b: &Branch, name: &str) -> Value {
    match name {
        "uri" => Value::Str(b.uri.clone()),
        "duri" => b.dst_uri.clone().map_or(Value::Null, Value::Str),
        "q" if b.q < 0 => Value::Null,
        "q" => Value::Str(format!("{}", f64::from(b.q) / 1000.0)),
        "path" => b.path.clone().map_or(Value::Null, Value::Str),
        "flags" => Value::Int(b.flags as i64),
        "socket" => b
            .socket
            .and_then(|id| ctx.worker.transports.as_ref()?.socket(id).cloned())
            .map_or(Value::Null, |s| {
                Value::Str(format!(
                    "{}:{}",
                    s.proto.as_str().to_ascii_lowercase(),
                    s.addr
                ))
            }),
        _ => Value::Null,
    }
}

/// Reads `$branch(name)` at `index` (none: the first).
pub(super) fn get(ctx: &Context, name: &str, index: Option<Resolved>) -> Value {
    match index {
        Some(Resolved::All) => {
            super::builtin::join(ctx.branches.iter().map(|b| field(ctx, b, name)))
        }
        Some(Resolved::At(i)) => {
            let n = ctx.branches.len() as i64;
            let i = if i < 0 { n + i } else { i };
            usize::try_from(i)
                .ok()
                .and_then(|i| ctx.branches.get(i))
                .map_or(Value::Null, |b| field(ctx, b, name))
        }
        None => ctx
            .branches
            .first()
            .map_or(Value::Null, |b| field(ctx, b, name)),
    }
}

/// `$RANDOM`: 0 to 2^31-1, like the C library's `rand()` OpenSIPS uses. Not for secrets.
pub(super) fn random() -> Value {
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    Value::Int((bits >> 33) as i64)
}
