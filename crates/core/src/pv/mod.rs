//! Pseudo-variables (`$ru`, `$hdr(Via)[1]`, `$avp(x)`, `$(var(y){s.len})`, ...): compiled once
//! from their parsed spec, then read or written per message.
//!
//! Compilation resolves the name to a [`PvKind`] (so an unknown variable is a load-time error
//! with its source position), prepares its inner argument, index and transformations. Reading
//! applies the index, then the transformations in order.

mod branch;
mod builtin;
mod class;
pub use class::{ModuleLookup, PvClass, PvInstance};
mod color;
mod identity;
pub use builtin::ErrorInfo;
mod message;
pub mod route;
mod socket;

use std::sync::Arc;

use siplua_script::{AssignOp, PvIndex, PvInner, PvSpec};

use crate::context::Context;
use crate::transform::CompiledTransform;
use crate::value::Value;

pub use builtin::PvKind;

/// Reads a module pseudo-variable (the inner argument, when there is one, as text).
pub type PvGetter = Arc<dyn Fn(&Context, Option<&str>) -> Value + Send + Sync>;

/// Writes a module pseudo-variable.
pub type PvSetter =
    Arc<dyn Fn(&mut Context, Option<&str>, Value) -> Result<(), String> + Send + Sync>;

/// A pseudo-variable exported by a module (tm's `$T_reply_code`, for instance).
pub struct PvDecl {
    /// The name after `$`.
    pub name: &'static str,
    /// Whether it takes an inner argument `$name(arg)`.
    pub takes_inner: bool,
    /// Reads the value (the inner argument, when there is one, is passed as text).
    pub get: PvGetter,
    /// Writes it, when the variable is writable.
    pub set: Option<PvSetter>,
}

/// The inner argument of a pseudo-variable, prepared.
#[derive(Clone, Debug)]
pub enum Inner {
    /// None was given.
    None,
    /// A constant name (`$avp(x)`, `$hdr(Via)`).
    Text(Arc<str>),
    /// A name computed from another variable (`$avp($var(n))`).
    Dynamic(Box<CompiledPv>),
}

/// The index of a pseudo-variable (`[n]`, `[*]`), prepared.
#[derive(Clone, Debug)]
pub enum Index {
    /// A constant position; negative counts from the end.
    At(i64),
    /// Every value (`[*]`).
    All,
    /// A position read from a variable.
    Dynamic(Box<CompiledPv>),
}

/// A pseudo-variable ready to be read or written.
#[derive(Clone, Debug)]
pub struct CompiledPv {
    /// What the variable is.
    pub kind: PvKind,
    /// Its inner argument.
    pub inner: Inner,
    /// Its index, if any.
    pub index: Option<Index>,
    /// Transformations applied, in order, to what is read.
    pub transforms: Vec<CompiledTransform>,
    /// The text it was written as, for messages.
    pub text: Arc<str>,
}

/// Resolves module-exported pseudo-variables by name, at compile time.
pub trait PvLookup {
    /// The module declaration for `$name`, if a loaded module exports one.
    fn module_pv(&self, name: &str) -> Option<Arc<PvDecl>>;

    /// The module variable class for `$name`, if a loaded module exports one. No default:
    /// a lookup that wraps another must pass it on, or `$json` and its kind vanish.
    fn module_pv_class(&self, name: &str) -> Option<Arc<dyn PvClass>>;

    /// The file and line of the statement being compiled, which `$cfg_file` and `$cfg_line`
    /// give; `None` outside a script (Lua's ad-hoc variables), where they are null.
    fn position(&self) -> Option<(String, u32)> {
        None
    }
}

/// No module variables: for compiling outside a loaded engine (tests, Lua's ad-hoc specs use
/// the engine's lookup instead).
pub struct NoModulePvs;

impl PvLookup for NoModulePvs {
    fn module_pv(&self, _name: &str) -> Option<Arc<PvDecl>> {
        None
    }

    fn module_pv_class(&self, _name: &str) -> Option<Arc<dyn PvClass>> {
        None
    }
}

impl CompiledPv {
    /// Compiles a parsed spec; the error says what is wrong with it (unknown name, missing
    /// inner argument, bad transformation).
    pub fn compile(spec: &PvSpec, lookup: &dyn PvLookup) -> Result<CompiledPv, String> {
        let inner = match &spec.inner {
            None => Inner::None,
            Some(PvInner::Text(t)) => Inner::Text(t.as_str().into()),
            Some(PvInner::Pv(p)) => Inner::Dynamic(Box::new(CompiledPv::compile(p, lookup)?)),
        };
        let index = match &spec.index {
            None => None,
            Some(PvIndex::Int(i)) => Some(Index::At(*i)),
            Some(PvIndex::All) => Some(Index::All),
            Some(PvIndex::Pv(p)) => Some(Index::Dynamic(Box::new(CompiledPv::compile(p, lookup)?))),
        };
        let kind = match lookup.module_pv_class(&spec.name) {
            Some(class) => PvKind::Class(class.compile(&inner, index.as_ref(), lookup)?),
            None => builtin::resolve(&spec.name, &inner, lookup)?,
        };
        let transforms = spec
            .transforms
            .iter()
            .map(|t| CompiledTransform::compile(t, lookup))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CompiledPv {
            kind,
            inner,
            index,
            transforms,
            text: render_spec(spec).into(),
        })
    }

    /// Parses and compiles a spec written as text (`"$var(x)"`), as Lua's `pseudoVarSet` and
    /// `moduleFunc` need.
    pub fn parse(text: &str, lookup: &dyn PvLookup) -> Result<CompiledPv, String> {
        let spec = siplua_script::parse_pv(text)?;
        CompiledPv::compile(&spec, lookup)
    }

    /// Reads the value: the variable, then its index, then its transformations.
    pub fn get(&self, ctx: &Context) -> Value {
        let raw = builtin::get(self, ctx);
        self.transforms.iter().fold(raw, |v, t| t.apply(ctx, v))
    }

    /// True when the variable can be assigned to.
    pub fn is_writable(&self) -> bool {
        match self.kind {
            // `$socket_out = "udp:..."` forces the socket; its fields are read-only.
            PvKind::Socket(socket::Which::Out) => matches!(self.inner, Inner::None),
            _ => builtin::is_writable(&self.kind),
        }
    }

    /// Assigns a value with the script's operator semantics (`=` adds an AVP value, `:=`
    /// replaces all of them, `NULL` deletes).
    pub fn set(&self, ctx: &mut Context, op: AssignOp, value: Value) -> Result<(), String> {
        if !self.transforms.is_empty() {
            return Err(format!(
                "cannot assign to {} (it has transformations)",
                self.text
            ));
        }
        builtin::set(self, ctx, op, value)
    }

    /// The inner argument as text (constant or computed).
    pub(crate) fn inner_text(&self, ctx: &Context) -> Option<String> {
        match &self.inner {
            Inner::None => None,
            Inner::Text(t) => Some(t.to_string()),
            Inner::Dynamic(pv) => Some(pv.get(ctx).as_str().into_owned()),
        }
    }

    /// The index resolved to a position or "all".
    pub(crate) fn resolved_index(&self, ctx: &Context) -> Option<Resolved> {
        match &self.index {
            None => None,
            Some(Index::At(i)) => Some(Resolved::At(*i)),
            Some(Index::All) => Some(Resolved::All),
            Some(Index::Dynamic(pv)) => Some(Resolved::At(pv.get(ctx).as_int())),
        }
    }
}

/// An index after reading any variable in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// One position; negative counts from the end.
    At(i64),
    /// Every value (`[*]`).
    All,
}

/// Writes a spec back as script text (`$(avp(x)[1]{s.len})`), for messages.
pub fn render_spec(spec: &PvSpec) -> String {
    let mut s = String::from(&spec.name);
    match &spec.inner {
        None => {}
        Some(PvInner::Text(t)) => s.push_str(&format!("({t})")),
        Some(PvInner::Pv(p)) => s.push_str(&format!("({})", render_spec(p))),
    }
    match &spec.index {
        None => {}
        Some(PvIndex::Int(i)) => s.push_str(&format!("[{i}]")),
        Some(PvIndex::All) => s.push_str("[*]"),
        Some(PvIndex::Pv(p)) => s.push_str(&format!("[{}]", render_spec(p))),
    }
    if spec.transforms.is_empty() && spec.index.is_none() {
        format!("${s}")
    } else {
        let t: String = spec
            .transforms
            .iter()
            .map(|t| format!("{{{}.{}}}", t.class, t.name))
            .collect();
        format!("$({s}{t})")
    }
}
