//! The OpenSIPS 3.x routing-script language (`opensips.cfg`) for siplua.
//!
//! This crate turns script text into an AST with source spans and nothing
//! more: it knows no SIP, no modules and no pseudo-variable names. The
//! engine resolves names against its module registry, checks and compiles
//! the [`Script`], and reports its own errors with [`SourceMap::render`].
//!
//! Entry points: [`parse_file`] / [`parse_str`] for scripts, [`parse_pv`] and
//! [`parse_format`] for the strings Lua hands over (`pseudoVarSet("$var(x)")`,
//! `pseudoVar(msg, "user=$fU")`).

#![warn(missing_docs)]

mod ast;
mod error;
mod format;
mod include;
mod lexer;
mod parser;
mod pv;
mod source;
mod span;
mod transform;

use std::path::{Path, PathBuf};

pub use ast::{
    AssignOp, AsyncStmt, BinOp, Block, Call, Case, Expr, ExprKind, GlobalParam, GlobalValue,
    LaunchStmt, Literal, LoadModule, ModParam, RouteDef, RouteKind, RouteRef, Script, SocketSpec,
    Stmt, StmtKind,
};
pub use error::{Diagnostic, Location};
pub use format::{FmtPart, FormatString};
pub use pv::{PvIndex, PvInner, PvSpec};
pub use source::SourceMap;
pub use span::{FileId, Span};
pub use transform::{Transform, TransformArg};

use include::TokenSource;

/// Parses the script at `path` and every file it includes. On failure the
/// diagnostics carry their resolved [`Location`], so they print as
/// `FILE:LINE:COL: message`.
pub fn parse_file(path: &Path) -> Result<(Script, SourceMap), Vec<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Diagnostic::new(
            Span::default(),
            format!("cannot read {}: {e}", path.display()),
        )]
    })?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let dir = path.parent().map(Path::to_path_buf);
    run(path.display().to_string(), text, dir)
}

/// Parses script text; `name` names it in messages, and includes with
/// relative paths resolve against `name`'s directory.
pub fn parse_str(name: &str, text: &str) -> Result<(Script, SourceMap), Vec<Diagnostic>> {
    let dir = Path::new(name).parent().map(Path::to_path_buf);
    run(name.to_string(), text.to_string(), dir)
}

fn run(
    name: String,
    text: String,
    dir: Option<PathBuf>,
) -> Result<(Script, SourceMap), Vec<Diagnostic>> {
    let (script, map, mut diags) = parser::parse_script(TokenSource::new(name, text, dir));
    if diags.is_empty() {
        return Ok((script, map));
    }
    for d in &mut diags {
        d.locate(&map);
    }
    Err(diags)
}

/// Parses one whole pseudo-variable such as `$var(x)` or
/// `$(avp(a)[1]{s.len})`. Spans are byte offsets into `text` (file 0).
pub fn parse_pv(text: &str) -> Result<PvSpec, String> {
    if !text.starts_with('$') {
        return Err(format!(
            "`{text}` is not a pseudo-variable: it must start with `$`"
        ));
    }
    let (spec, end) = pv::parse_pv_at(text, 0, FileId(0), 0)
        .map_err(|e| format!("{} (at offset {})", e.message, e.offset))?;
    if end != text.len() {
        return Err(format!(
            "unexpected `{}` after the pseudo-variable",
            text.get(end..).unwrap_or("")
        ));
    }
    Ok(spec)
}

/// Parses text with embedded pseudo-variables (`"user=$fU"`). No escape
/// processing: the caller's string is taken as it is.
pub fn parse_format(text: &str) -> Result<FormatString, String> {
    format::parse_format_in(text, FileId(0))
        .map_err(|e| format!("{} (at offset {})", e.message, e.offset))
}
