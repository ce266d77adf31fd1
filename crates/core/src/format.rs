//! Format strings: script text with pseudo-variables inside (`"user $fU from $si"`), compiled
//! once and expanded per message.

use std::fmt::Write;

use siplua_script::{FmtPart, FormatString};

use crate::context::Context;
use crate::pv::{CompiledPv, PvLookup};

/// One piece of a compiled format string.
#[derive(Clone, Debug)]
enum Piece {
    Text(String),
    Pv(CompiledPv),
}

/// A format string ready to expand.
#[derive(Clone, Debug)]
pub struct CompiledFormat {
    pieces: Vec<Piece>,
}

impl CompiledFormat {
    /// Compiles a parsed format string (each variable resolved now).
    pub fn compile(f: &FormatString, lookup: &dyn PvLookup) -> Result<CompiledFormat, String> {
        let pieces = f
            .parts
            .iter()
            .map(|p| match p {
                FmtPart::Text(t) => Ok(Piece::Text(t.clone())),
                FmtPart::Pv(spec) => CompiledPv::compile(spec, lookup).map(Piece::Pv),
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(CompiledFormat { pieces })
    }

    /// Parses and compiles text at run time (Lua's `pseudoVar`, `moduleFunc` arguments).
    pub fn parse(text: &str, lookup: &dyn PvLookup) -> Result<CompiledFormat, String> {
        CompiledFormat::compile(&siplua_script::parse_format(text)?, lookup)
    }

    /// The constant text, when the string has no variables (so it can be used as-is).
    pub fn as_constant(&self) -> Option<&str> {
        match self.pieces.as_slice() {
            [] => Some(""),
            [Piece::Text(t)] => Some(t),
            _ => None,
        }
    }

    /// The string as written, variables by their source text: for functions whose argument
    /// names variables instead of reading them (avpops' `"$avp(a);$avp(b)"` destinations).
    pub fn source_text(&self) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Pv(pv) => out.push_str(&pv.text),
            }
        }
        out
    }

    /// Expands the string for this message; unset variables print as `<null>`.
    pub fn expand(&self, ctx: &Context) -> String {
        if let Some(c) = self.as_constant() {
            return c.to_owned();
        }
        let mut out = String::new();
        self.expand_into(ctx, &mut out);
        out
    }

    /// Expands the string, appending to `out` (no allocation when `out` has room).
    pub fn expand_into(&self, ctx: &Context, out: &mut String) {
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Pv(pv) => {
                    let _ = write!(out, "{}", pv.get(ctx));
                }
            }
        }
    }
}
