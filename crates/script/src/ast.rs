//! The syntax tree of an `opensips.cfg` script. It records what was written,
//! with spans, and resolves nothing: module names, function names, PV names
//! and parameter names are checked by the engine against its registry.

use crate::format::FormatString;
use crate::pv::PvSpec;
use crate::span::Span;

/// A whole script (all included files merged, in source order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    /// `name = value` lines (`udp_workers = 4`, `socket = udp:*:5060`...).
    pub globals: Vec<GlobalParam>,
    /// `loadmodule "x.so"` lines.
    pub modules: Vec<LoadModule>,
    /// `modparam("mod", "param", value)` lines.
    pub modparams: Vec<ModParam>,
    /// Route blocks of every kind.
    pub routes: Vec<RouteDef>,
}

/// A global parameter assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalParam {
    /// The parameter name, as written (not checked here).
    pub name: String,
    /// Its value.
    pub value: GlobalValue,
    /// From the name to the end of the value.
    pub span: Span,
}

/// The value of a global parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GlobalValue {
    /// A decimal, hex (`0x..`) or negative integer.
    Int(i64),
    /// A quoted string.
    Str(String),
    /// `yes`/`no`/`on`/`off`/`true`/`false` (any case).
    Bool(bool),
    /// Any other bare word: `LOG_LOCAL0`, `1.2.3.4`, `sip.example.com`.
    Id(String),
    /// `socket=`, `listen=` and unquoted `alias=` values.
    Socket(SocketSpec),
    /// Comma-separated values.
    List(Vec<GlobalValue>),
}

/// A listening socket, as in `udp:127.0.0.1:5060 as 1.2.3.4:5060 use_workers 2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketSpec {
    /// `udp`, `tcp`, `tls`, `ws`... when given.
    pub proto: Option<String>,
    /// IP, host name, interface name or `*`; IPv6 without its brackets.
    pub host: String,
    /// The port, when given.
    pub port: Option<u16>,
    /// The `as host[:port]` advertised address.
    pub advertised: Option<(String, Option<u16>)>,
    /// Further socket options in order: `use_workers 2` is
    /// `("use_workers", Some("2"))`, `anycast` is `("anycast", None)`.
    pub options: Vec<(String, Option<String>)>,
    /// The whole spec.
    pub span: Span,
}

/// `loadmodule "path/name.so"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadModule {
    /// The path as written.
    pub path: String,
    /// The module name: the path's base name without `.so`.
    pub name: String,
    /// The whole directive.
    pub span: Span,
}

/// `modparam("module", "param", value)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModParam {
    /// The module name; may be a pattern like `usrloc|registrar`, kept raw.
    pub module: String,
    /// The parameter name.
    pub param: String,
    /// The value.
    pub value: Literal,
    /// The whole directive.
    pub span: Span,
}

/// A constant value (modparam values).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// An integer.
    Int(i64),
    /// A string, escapes processed.
    Str(String),
}

/// A route block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteDef {
    /// Which kind of route.
    pub kind: RouteKind,
    /// The `[name]`; `None` for the main request route (`route { }`), the
    /// main reply route (`onreply_route { }`) and the unnamed kinds.
    pub name: Option<String>,
    /// Seconds between runs, for `timer_route[name, 60]`.
    pub timer_interval: Option<u32>,
    /// The `async`/`sync` of `event_route[E_NAME, async]`.
    pub event_mode: Option<String>,
    /// The statements.
    pub body: Block,
    /// From the keyword to the closing `}`.
    pub span: Span,
}

/// The route kinds of OpenSIPS 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteKind {
    /// `route` / `route[name]`.
    Request,
    /// `failure_route[name]`.
    Failure,
    /// `onreply_route` / `onreply_route[name]`.
    OnReply,
    /// `branch_route[name]`.
    Branch,
    /// `local_route`.
    Local,
    /// `startup_route`.
    Startup,
    /// `timer_route[name, seconds]`.
    Timer,
    /// `error_route`.
    Error,
    /// `event_route[E_NAME]`.
    Event,
}

/// A sequence of statements.
pub type Block = Vec<Stmt>;

/// One statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    /// What it is.
    pub kind: StmtKind,
    /// From its first token to its `;` or `}`.
    pub span: Span,
}

/// The statement forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StmtKind {
    /// `if (cond) ... [else ...]`; `else if` is an `If` alone in `otherwise`.
    If {
        /// The condition.
        cond: Expr,
        /// Taken when true.
        then: Block,
        /// Taken when false.
        otherwise: Option<Block>,
    },
    /// `while (cond) { }`.
    While {
        /// The condition.
        cond: Expr,
        /// The loop body.
        body: Block,
    },
    /// `for ($var(v) in $(avp(list)[*])) { }`.
    For {
        /// The loop variable.
        var: PvSpec,
        /// The multi-valued PV iterated over.
        iter: PvSpec,
        /// The loop body.
        body: Block,
    },
    /// `switch (expr) { case ...: ... default: ... }`, C fall-through.
    Switch {
        /// The value switched on.
        subject: Expr,
        /// Cases in source order.
        cases: Vec<Case>,
    },
    /// `$pv op expr;`.
    Assign {
        /// The PV written.
        target: PvSpec,
        /// Which assignment operator.
        op: AssignOp,
        /// The value.
        value: Expr,
    },
    /// A function call, `name(args);` or `name;`.
    Call(Call),
    /// `exit;`.
    Exit,
    /// `drop;`.
    Drop,
    /// `return;`, `return(expr);`, `return expr;`.
    Return(Option<Expr>),
    /// `break;`.
    Break,
    /// `async(function(args), resume_route[, timeout]);`.
    Async(AsyncStmt),
    /// `launch(function(args)[, report_route[, report_param]]);`.
    Launch(LaunchStmt),
}

/// `async(function(args), resume_route[, timeout])`: the function runs, then the script
/// continues in `resume_route` with `$rc` set; what follows the statement is never run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsyncStmt {
    /// The function started.
    pub call: Call,
    /// The route the script resumes in.
    pub resume: RouteRef,
    /// The optional timeout, in seconds.
    pub timeout: Option<Expr>,
}

/// `launch(function(args)[, report_route[, report_param]])`: the function runs detached
/// from the script, which goes on after the statement; the report route, if any, runs when
/// the function is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchStmt {
    /// The function started.
    pub call: Call,
    /// The route run when it is done.
    pub report: Option<RouteRef>,
    /// The value handed to the report route as `$param(1)`.
    pub param: Option<Expr>,
}

/// A route named by a statement (`async`'s resume route, `launch`'s report route).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRef {
    /// The route's name.
    pub name: String,
    /// Where the name is written.
    pub span: Span,
}

/// One `case value:` or `default:` arm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The value (a string or integer literal); `None` for `default`.
    pub value: Option<Expr>,
    /// Statements up to the next arm; falls through unless it ends in `break`.
    pub body: Block,
    /// From `case`/`default` to the end of its last statement.
    pub span: Span,
}

/// The assignment operators of OpenSIPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssignOp {
    /// `=`.
    Set,
    /// `+=`.
    Add,
    /// `-=`.
    Sub,
    /// `*=`.
    Mul,
    /// `/=`.
    Div,
    /// `%=`.
    Mod,
    /// `|=`.
    BitOr,
    /// `&=`.
    BitAnd,
    /// `^=`.
    BitXor,
    /// `:=`: replace all values of a multi-valued PV (AVP) by this one.
    ColonSet,
}

/// A function call: a module or core function, or `route(name, args...)`
/// (a call named `route` whose first argument is an [`ExprKind::Ident`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The function name.
    pub name: String,
    /// Arguments in order.
    pub args: Vec<Expr>,
    /// From the name to the `)` (or the name alone).
    pub span: Span,
}

/// An expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Its extent.
    pub span: Span,
}

/// The expression forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// An integer (a `-` directly before a literal is folded into it).
    Int(i64),
    /// A quoted string: text with PVs expanded at run time.
    Str(FormatString),
    /// `NULL`.
    Null,
    /// A bare word: route names, flags, module constants (`route(relay)`),
    /// an IP address written bare (`10.0.0.1`), or a zero-argument function
    /// written without parentheses in a condition.
    Ident(String),
    /// A pseudo-variable.
    Pv(PvSpec),
    /// A function call used for its return code.
    Call(Call),
    /// `!e` / `not e`.
    Not(Box<Expr>),
    /// `-e`.
    Neg(Box<Expr>),
    /// `~e`.
    BitNot(Box<Expr>),
    /// `lhs op rhs`.
    Binary {
        /// The operator.
        op: BinOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
}

/// Binary operators, lowest precedence first: `||`; `&&`; comparisons and
/// matches; `|`; `^`; `&`; `<<` `>>`; `+` `-`; `*` `/` `%`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `&&` / `and`.
    And,
    /// `||` / `or`.
    Or,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `=~` (regex match).
    Match,
    /// `!~`.
    NotMatch,
    /// `<`.
    Lt,
    /// `>`.
    Gt,
    /// `<=`.
    Le,
    /// `>=`.
    Ge,
    /// `+` (also string concatenation).
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `&`.
    BitAnd,
    /// `|`.
    BitOr,
    /// `^`.
    BitXor,
    /// `<<`.
    Shl,
    /// `>>`.
    Shr,
}
