//! The optional `partition` argument of dispatcher's and drouting's functions: siplua has
//! only the default partition of each, so the argument may be absent, empty or `"default"`.

use siplua_core::context::Context;
use siplua_core::function::Args;

/// True when the optional partition argument at `i` is absent or names the default
/// partition; otherwise logged as an error of `module` and false.
pub(crate) fn default_only(module: &str, ctx: &Context, args: &Args, i: usize) -> bool {
    match args.str(ctx, i) {
        None => true,
        Some(p) if p.is_empty() || p == "default" => true,
        Some(p) => {
            siplua_core::log::emit(
                siplua_core::log::level::ERR,
                module,
                &format!("unknown partition {p:?}: only \"default\" exists"),
            );
            false
        }
    }
}
