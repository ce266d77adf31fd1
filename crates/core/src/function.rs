//! Exported script functions: their declaration and their prepared arguments.
//!
//! Every function a script (or Lua's `moduleFunc`) can call is declared once, with its name,
//! typed parameters and the route types that allow it. The loader reads that declaration to
//! check a call and to prepare its arguments once (integers parsed, format strings and
//! regular expressions compiled, route names resolved); at run time the handler only reads
//! the prepared values. `moduleFunc` prepares string arguments through the same code.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use regex::Regex;

use crate::context::Context;
use crate::format::CompiledFormat;
use crate::pv::CompiledPv;
use crate::route_type::RouteMask;
use crate::value::Value;

/// What a function does when called: gets the message context and its prepared arguments,
/// returns the OpenSIPS return code (positive true, negative false, 0 stops the script).
pub type Handler = Arc<dyn Fn(&mut Context, &Args) -> i32 + Send + Sync>;

/// Function-specific preparation run after the generic one, at load time (or once per
/// distinct call in `moduleFunc`): turns arguments into what the handler wants, e.g. a
/// method list into a bit mask, or rejects them with a message the loader prints. A closure,
/// so that a module can prepare with its own state (permissions reads the rule files its
/// calls name, relative to the configuration's directory, once at load time).
pub type Fixup = Arc<dyn Fn(&mut [PreparedArg]) -> Result<(), String> + Send + Sync>;

/// The declared type of one parameter, which decides how its argument is prepared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// An integer: a literal, a string spelling one, or a pseudo-variable read per call.
    Int,
    /// A string with pseudo-variables expanded per call (a format string).
    Str,
    /// A string that must be constant (no pseudo-variables).
    StaticStr,
    /// A writable pseudo-variable the function stores a result into.
    Var,
    /// A regular expression, compiled once when constant.
    Regex,
    /// The name of a route of this kind (`t_on_failure("x")`), resolved at load time.
    Route(siplua_script::RouteKind),
}

/// One declared parameter.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    /// The parameter's name, for messages and documentation.
    pub name: &'static str,
    /// How its argument is checked and prepared.
    pub kind: ParamKind,
    /// Whether it may be omitted (only trailing parameters in practice).
    pub optional: bool,
}

impl ParamSpec {
    /// A mandatory parameter.
    pub const fn req(name: &'static str, kind: ParamKind) -> ParamSpec {
        ParamSpec {
            name,
            kind,
            optional: false,
        }
    }

    /// An optional parameter.
    pub const fn opt(name: &'static str, kind: ParamKind) -> ParamSpec {
        ParamSpec {
            name,
            kind,
            optional: true,
        }
    }
}

/// The declaration of an exported function: what the loader, `moduleFunc`, the checker and
/// the documentation all read.
#[derive(Clone)]
pub struct FunctionDecl {
    /// The name scripts call it by.
    pub name: &'static str,
    /// Its parameters, in order.
    pub params: Vec<ParamSpec>,
    /// The route types that allow it.
    pub routes: RouteMask,
    /// Optional function-specific preparation of arguments.
    pub fixup: Option<Fixup>,
    /// The code that runs.
    pub handler: Handler,
    /// Whether OpenSIPS exports an asynchronous version of it, which is what makes it
    /// usable under `async(...)` and `launch(...)`.
    pub async_capable: bool,
}

impl FunctionDecl {
    /// Declares a function with no fixup.
    pub fn new(
        name: &'static str,
        params: Vec<ParamSpec>,
        routes: RouteMask,
        handler: impl Fn(&mut Context, &Args) -> i32 + Send + Sync + 'static,
    ) -> FunctionDecl {
        FunctionDecl {
            name,
            params,
            routes,
            fixup: None,
            handler: Arc::new(handler),
            async_capable: false,
        }
    }

    /// Marks the function as one OpenSIPS also exports asynchronously, so that
    /// `async(...)` and `launch(...)` accept it.
    pub fn async_capable(mut self) -> FunctionDecl {
        self.async_capable = true;
        self
    }

    /// Adds function-specific preparation.
    pub fn with_fixup(
        mut self,
        fixup: impl Fn(&mut [PreparedArg]) -> Result<(), String> + Send + Sync + 'static,
    ) -> FunctionDecl {
        self.fixup = Some(Arc::new(fixup));
        self
    }

    /// The number of parameters that must be given.
    pub fn min_args(&self) -> usize {
        self.params
            .iter()
            .rposition(|p| !p.optional)
            .map_or(0, |i| i + 1)
    }
}

impl fmt::Debug for FunctionDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionDecl")
            .field("name", &self.name)
            .field("params", &self.params)
            .finish()
    }
}

/// An argument after preparation.
#[derive(Clone)]
pub enum PreparedArg {
    /// The argument was omitted (an optional parameter).
    None,
    /// A constant integer.
    Int(i64),
    /// A constant string.
    Str(Arc<str>),
    /// A string with pseudo-variables, expanded per call.
    Format(Arc<CompiledFormat>),
    /// A pseudo-variable: read per call (Int/Str parameters) or written (Var parameters).
    Pv(Arc<CompiledPv>),
    /// A compiled regular expression.
    Regex(Arc<Regex>),
    /// A regular expression whose text has pseudo-variables: compiled per call.
    DynRegex(Arc<CompiledFormat>),
    /// A resolved route (an index into the script's route table).
    Route(usize),
    /// Whatever a function's fixup made of the argument.
    Custom(Arc<dyn Any + Send + Sync>),
}

impl fmt::Debug for PreparedArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PreparedArg::None => f.write_str("None"),
            PreparedArg::Int(i) => write!(f, "Int({i})"),
            PreparedArg::Str(s) => write!(f, "Str({s:?})"),
            PreparedArg::Format(_) => f.write_str("Format(..)"),
            PreparedArg::Pv(_) => f.write_str("Pv(..)"),
            PreparedArg::Regex(r) => write!(f, "Regex({})", r.as_str()),
            PreparedArg::DynRegex(_) => f.write_str("DynRegex(..)"),
            PreparedArg::Route(i) => write!(f, "Route({i})"),
            PreparedArg::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// The prepared arguments of one call site, handed to the handler.
#[derive(Clone, Debug, Default)]
pub struct Args(pub Vec<PreparedArg>);

impl Args {
    /// The prepared argument at `i` (`PreparedArg::None` when absent).
    pub fn get(&self, i: usize) -> &PreparedArg {
        self.0.get(i).unwrap_or(&PreparedArg::None)
    }

    /// True when argument `i` was given.
    pub fn has(&self, i: usize) -> bool {
        !matches!(self.get(i), PreparedArg::None)
    }

    /// Argument `i` as text, expanding pseudo-variables; `None` when omitted.
    pub fn str<'a>(&'a self, ctx: &Context, i: usize) -> Option<Cow<'a, str>> {
        match self.get(i) {
            PreparedArg::None => None,
            PreparedArg::Int(n) => Some(Cow::Owned(n.to_string())),
            PreparedArg::Str(s) => Some(Cow::Borrowed(s)),
            PreparedArg::Format(f) => Some(Cow::Owned(f.expand(ctx))),
            PreparedArg::Pv(pv) => Some(Cow::Owned(pv.get(ctx).as_str().into_owned())),
            PreparedArg::Regex(r) => Some(Cow::Borrowed(r.as_str())),
            PreparedArg::DynRegex(f) => Some(Cow::Owned(f.expand(ctx))),
            PreparedArg::Route(_) | PreparedArg::Custom(_) => None,
        }
    }

    /// Argument `i` as an integer (a pseudo-variable is read per call); `None` when omitted
    /// or when its value is not an integer.
    pub fn int(&self, ctx: &Context, i: usize) -> Option<i64> {
        match self.get(i) {
            PreparedArg::Int(n) => Some(*n),
            PreparedArg::Pv(pv) => pv.get(ctx).to_int(),
            PreparedArg::Str(s) => crate::value::parse_int(s),
            PreparedArg::Format(f) => crate::value::parse_int(&f.expand(ctx)),
            _ => None,
        }
    }

    /// Argument `i` as a value (for functions that accept either kind).
    pub fn value(&self, ctx: &Context, i: usize) -> Value {
        match self.get(i) {
            PreparedArg::Int(n) => Value::Int(*n),
            PreparedArg::Pv(pv) => pv.get(ctx),
            other => match other {
                PreparedArg::None => Value::Null,
                _ => self
                    .str(ctx, i)
                    .map_or(Value::Null, |s| Value::Str(s.into_owned())),
            },
        }
    }

    /// Argument `i` as a regular expression: the compiled one, or compiled now from a
    /// format string (an invalid expression gives `None`).
    pub fn regex(&self, ctx: &Context, i: usize) -> Option<Cow<'_, Regex>> {
        match self.get(i) {
            PreparedArg::Regex(r) => Some(Cow::Borrowed(r.as_ref())),
            PreparedArg::DynRegex(f) => Regex::new(&f.expand(ctx)).ok().map(Cow::Owned),
            _ => None,
        }
    }

    /// Argument `i` as a writable pseudo-variable.
    pub fn pv(&self, i: usize) -> Option<&CompiledPv> {
        match self.get(i) {
            PreparedArg::Pv(pv) => Some(pv),
            _ => None,
        }
    }

    /// Argument `i` as a resolved route index.
    pub fn route(&self, i: usize) -> Option<usize> {
        match self.get(i) {
            PreparedArg::Route(r) => Some(*r),
            _ => None,
        }
    }

    /// Argument `i` as what the function's fixup stored.
    pub fn custom<T: Any + Send + Sync>(&self, i: usize) -> Option<&T> {
        match self.get(i) {
            PreparedArg::Custom(c) => c.downcast_ref::<T>(),
            _ => None,
        }
    }
}
