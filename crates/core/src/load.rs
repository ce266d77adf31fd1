//! Loading a configuration: global parameters, `loadmodule`, `modparam`, module
//! initialisation, and compilation of the routes — every check done before a socket opens.
//! All errors are collected and rendered `FILE:LINE:COL: message`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use regex::Regex;
use siplua_script::{Literal, Script, SourceMap, Span};
use siplua_transport::Proto;

use crate::config::CoreConfig;
use crate::engine::Core;
use crate::module::{
    Apis, InitEnv, MessageHooks, ModParamKind, ModParamValue, Module, ModuleFactory,
};
use crate::registry::FunctionTable;
use crate::stats::{CoreStats, Stats};
use crate::timer::TimerService;

/// The built-in modules the binary offers, by name (the binary joins the lists of the
/// module crates).
pub type Catalogue<'a> = &'a [(&'static str, ModuleFactory)];

/// Command-line settings that override the script's global parameters.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `-l`: listen addresses (replace the script's sockets).
    pub listen: Vec<siplua_script::SocketSpec>,
    /// `-n`: worker count.
    pub workers: Option<usize>,
    /// `-L`: log level.
    pub log_level: Option<i32>,
    /// `-o name=value`: options the script reads as `$argv(name)`.
    pub argv: Vec<(String, String)>,
}

/// Loads a configuration file.
pub fn load_file(
    path: &Path,
    catalogue: Catalogue,
    overrides: &Overrides,
) -> Result<Core, Vec<String>> {
    let (script, sources) = siplua_script::parse_file(path).map_err(|diags| render_all(&diags))?;
    let mut core = load_script(&script, sources, catalogue, overrides)?;
    core.script_path = Some(path.to_path_buf());
    Ok(core)
}

/// Re-reads `path` and compiles its routes against the running engine's functions and
/// pseudo-variables (`reload_routes`). Global parameters and `modparam`s are not applied;
/// a different set of `loadmodule`s is an error, as modules are loaded once.
pub fn compile_routes(path: &Path, core: &Core) -> Result<crate::interp::Program, Vec<String>> {
    let (script, sources) = siplua_script::parse_file(path).map_err(|diags| render_all(&diags))?;
    let mut wanted: Vec<&str> = script.modules.iter().map(|m| m.name.as_str()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut loaded: Vec<&str> = core.modules.iter().map(|m| m.name()).collect();
    loaded.sort_unstable();
    if wanted != loaded {
        return Err(vec![format!(
            "the loadmodule lines changed ({} now, {} loaded): modules are loaded once, restart \
             siplua to change them",
            wanted.join(" "),
            loaded.join(" ")
        )]);
    }
    crate::interp::compile(
        &script,
        Arc::new(sources),
        &core.functions,
        &crate::pv::ModuleLookup {
            decls: &core.module_pvs,
            classes: &core.module_pv_classes,
        },
    )
}

/// Loads a configuration given as text (the embedded default, tests).
pub fn load_str(
    name: &str,
    text: &str,
    catalogue: Catalogue,
    overrides: &Overrides,
) -> Result<Core, Vec<String>> {
    let (script, sources) =
        siplua_script::parse_str(name, text).map_err(|diags| render_all(&diags))?;
    load_script(&script, sources, catalogue, overrides)
}

fn render_all(diags: &[siplua_script::Diagnostic]) -> Vec<String> {
    diags.iter().map(ToString::to_string).collect()
}

/// Loads a parsed script.
pub fn load_script(
    script: &Script,
    sources: SourceMap,
    catalogue: Catalogue,
    overrides: &Overrides,
) -> Result<Core, Vec<String>> {
    let sources = Arc::new(sources);
    let mut errors = Vec::new();
    let mut err = |span: Span, msg: String| errors.push(sources.render(span, &msg));

    let mut config = CoreConfig::default();
    for g in &script.globals {
        if let Err(e) = config.apply(g) {
            err(g.span, format!("global parameter '{}': {e}", g.name));
        }
    }
    apply_overrides(&mut config, overrides).unwrap_or_else(|e| err(Span::default(), e));
    config.advertise_globally();

    let (mut modules, names) = instantiate_modules(script, catalogue, &mut err);
    set_modparams(script, &mut modules, &mut err);
    check_dependencies(script, &modules, &mut err);
    check_sockets(script, &mut config, &names, &mut err);
    if !errors.is_empty() {
        return Err(errors);
    }
    crate::dns::configure(config.dns.clone());

    let stats = Stats::default();
    let core_stats = CoreStats::register(&stats);
    let timers = Arc::new(TimerService::default());
    let mut apis = Apis::default();
    let main_file = Path::new(sources.name(siplua_script::FileId(0)));
    let script_dir = main_file.parent().unwrap_or(Path::new(""));
    for i in crate::init_order::init_order(&modules) {
        let m = &mut modules[i];
        let mut env = InitEnv {
            apis: &mut apis,
            config: &mut config,
            loaded: &names,
            stats: &stats,
            timers: &timers,
            script_dir,
        };
        if let Err(e) = m.init(&mut env) {
            errors.push(format!("module {}: initialisation failed: {e}", m.name()));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut functions = FunctionTable::default();
    functions.register("core", crate::corefn::functions());
    let mut module_pvs = HashMap::new();
    let mut module_pv_classes = HashMap::new();
    for m in &modules {
        functions.register(m.name(), m.functions());
        for pv in m.pseudo_variables() {
            module_pvs.entry(pv.name).or_insert_with(|| Arc::new(pv));
        }
        for class in m.pv_classes() {
            module_pv_classes.entry(class.name()).or_insert(class);
        }
    }
    let lookup = crate::pv::ModuleLookup {
        decls: &module_pvs,
        classes: &module_pv_classes,
    };
    let program = crate::interp::compile(script, sources.clone(), &functions, &lookup)?;
    let mi = mi_registry(&modules)?;
    let hooked = |claims: fn(MessageHooks) -> bool| -> Vec<usize> {
        (0..modules.len())
            .filter(|&i| claims(modules[i].message_hooks()))
            .collect()
    };
    let receive_hooks = hooked(|h| h.receive);
    let message_hooks = hooked(|h| h.message);

    Ok(Core {
        config,
        modules,
        receive_hooks,
        message_hooks,
        apis,
        functions,
        module_pvs,
        module_pv_classes,
        program: ArcSwap::from_pointee(program),
        transports: OnceLock::new(),
        started_unix: chrono::Utc::now().timestamp(),
        stats,
        core_stats,
        timers,
        script_path: None,
        mi,
        processes: crate::mi::Processes::default(),
    })
}

/// The MI command table: the core's commands, then each module's in load order.
fn mi_registry(modules: &[Box<dyn Module>]) -> Result<crate::mi::MiRegistry, Vec<String>> {
    let mut mi = crate::mi::MiRegistry::default();
    mi.register("core", crate::mi::commands::all())
        .map_err(|e| vec![e])?;
    for m in modules {
        mi.register(m.name(), m.mi_commands())
            .map_err(|e| vec![e])?;
    }
    Ok(mi)
}

fn apply_overrides(config: &mut CoreConfig, o: &Overrides) -> Result<(), String> {
    if let Some(n) = o.workers {
        config.udp_workers = n.max(1);
        config.tcp_workers = n.max(1);
    }
    if let Some(l) = o.log_level {
        config.log_level = l;
    }
    config.argv.extend(o.argv.iter().cloned());
    if !o.listen.is_empty() {
        config.listen.clear();
        for s in &o.listen {
            let g = siplua_script::GlobalParam {
                name: "socket".into(),
                value: siplua_script::GlobalValue::Socket(s.clone()),
                span: Span::default(),
            };
            config
                .apply(&g)
                .map_err(|e| format!("-l {}: {e}", s.host))?;
        }
    }
    Ok(())
}

/// Creates the modules named by `loadmodule`, in order; unknown names are errors that list
/// what is available, a repeated name is loaded once.
fn instantiate_modules(
    script: &Script,
    catalogue: Catalogue,
    err: &mut impl FnMut(Span, String),
) -> (Vec<Box<dyn Module>>, Vec<String>) {
    let mut modules: Vec<Box<dyn Module>> = Vec::new();
    let mut names = Vec::new();
    for lm in &script.modules {
        if names.contains(&lm.name) {
            continue;
        }
        match catalogue.iter().find(|(n, _)| *n == lm.name) {
            Some((_, factory)) => {
                modules.push(factory());
                names.push(lm.name.clone());
            }
            None => {
                let available: Vec<&str> = catalogue.iter().map(|(n, _)| *n).collect();
                err(
                    lm.span,
                    format!(
                        "unknown module '{}' (available: {})",
                        lm.name,
                        available.join(", ")
                    ),
                );
            }
        }
    }
    (modules, names)
}

/// Applies `modparam` lines. The module name may be a regular expression matching several
/// modules (`"usrloc|registrar"`), as OpenSIPS allows.
fn set_modparams(
    script: &Script,
    modules: &mut [Box<dyn Module>],
    err: &mut impl FnMut(Span, String),
) {
    for mp in &script.modparams {
        let pattern = Regex::new(&format!("^(?:{})$", mp.module)).ok();
        let mut matched = false;
        for m in modules.iter_mut() {
            let hit =
                m.name() == mp.module || pattern.as_ref().is_some_and(|p| p.is_match(m.name()));
            if !hit {
                continue;
            }
            matched = true;
            let Some(spec) = m.params().iter().find(|p| p.name == mp.param) else {
                let known: Vec<&str> = m.params().iter().map(|p| p.name).collect();
                let known = if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                };
                err(
                    mp.span,
                    format!(
                        "module {} has no parameter '{}' (it has: {known})",
                        m.name(),
                        mp.param,
                    ),
                );
                continue;
            };
            let value = match (spec.kind, &mp.value) {
                (ModParamKind::Int, Literal::Int(i)) => ModParamValue::Int(*i),
                (ModParamKind::Int, Literal::Str(s)) => match crate::value::parse_int(s) {
                    Some(i) => ModParamValue::Int(i),
                    None => {
                        err(
                            mp.span,
                            format!(
                                "parameter {}:{} expects an integer, got \"{s}\"",
                                m.name(),
                                mp.param
                            ),
                        );
                        continue;
                    }
                },
                (ModParamKind::Str, Literal::Str(s)) => ModParamValue::Str(s.clone()),
                (ModParamKind::Str, Literal::Int(i)) => ModParamValue::Str(i.to_string()),
            };
            if let Err(e) = m.set_param(&mp.param, value) {
                err(mp.span, format!("parameter {}:{}: {e}", m.name(), mp.param));
            }
        }
        if !matched {
            err(
                mp.span,
                format!("modparam for module '{}', which is not loaded", mp.module),
            );
        }
    }
}

fn check_dependencies(
    script: &Script,
    modules: &[Box<dyn Module>],
    err: &mut impl FnMut(Span, String),
) {
    for m in modules {
        for dep in m.dependencies() {
            if !modules.iter().any(|o| o.name() == *dep) {
                let span = script
                    .modules
                    .iter()
                    .find(|l| l.name == m.name())
                    .map_or(Span::default(), |l| l.span);
                err(
                    span,
                    format!(
                        "module {} needs module {dep}: add loadmodule \"{dep}.so\"",
                        m.name()
                    ),
                );
            }
        }
    }
}

/// Sockets need their protocol module (`proto_udp`, `proto_tcp`), as in OpenSIPS 3. With no
/// socket at all, siplua listens on port 5060 of every address for each loaded protocol.
fn check_sockets(
    script: &Script,
    config: &mut CoreConfig,
    names: &[String],
    err: &mut impl FnMut(Span, String),
) {
    let loaded = |p: Proto| names.iter().any(|n| n == proto_module(p));
    if config.listen.is_empty() {
        for p in [Proto::Udp, Proto::Tcp] {
            if loaded(p) && !(p == Proto::Udp && config.udp_workers == 0) {
                config.listen.push(siplua_transport::ListenSpec {
                    proto: p,
                    addr: "0.0.0.0:5060".parse().expect("constant address"),
                    advertised: None,
                });
            }
        }
        if config.listen.is_empty() {
            err(
                Span::default(),
                "no socket to listen on: load proto_udp and/or proto_tcp".into(),
            );
        }
        return;
    }
    for l in &config.listen {
        if l.proto == Proto::Udp && config.udp_workers == 0 {
            err(
                socket_span(script, l),
                format!(
                    "socket udp:{} has no worker to read it: udp_workers is 0",
                    l.addr
                ),
            );
        }
        if !loaded(l.proto) {
            let span = socket_span(script, l);
            err(
                span,
                format!(
                    "socket {} needs module {}: add loadmodule \"{}.so\"",
                    l.addr,
                    proto_module(l.proto),
                    proto_module(l.proto)
                ),
            );
        }
    }
}

/// The `socket=`/`listen=` line that declared `listen`, for the error position.
fn socket_span(script: &Script, listen: &siplua_transport::ListenSpec) -> Span {
    let declares = |g: &siplua_script::GlobalParam| {
        let mut one = CoreConfig::default();
        one.apply(g).is_ok()
            && one
                .listen
                .iter()
                .any(|o| o.proto == listen.proto && o.addr == listen.addr)
    };
    script
        .globals
        .iter()
        .filter(|g| g.name == "socket" || g.name == "listen")
        .find(|g| declares(g))
        .map_or(Span::default(), |g| g.span)
}

fn proto_module(p: Proto) -> &'static str {
    match p {
        Proto::Udp => "proto_udp",
        Proto::Tcp => "proto_tcp",
        Proto::Tls => "proto_tls",
        Proto::Ws => "proto_ws",
        Proto::Wss => "proto_wss",
    }
}
