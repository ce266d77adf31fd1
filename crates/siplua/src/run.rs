//! Running the server: start-up route, transports and workers, timer routes, and a clean
//! shutdown on SIGINT/SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use siplua_core::engine::Core;
use siplua_core::timer::TimerThread;
use siplua_core::worker::{self, Worker};
use siplua_transport::{Handler, HandlerFactory, TransportConfig, WorkerInfo};
use tracing::{error, info};

/// Runs until SIGINT or SIGTERM.
pub fn serve(core: Core) -> Result<(), String> {
    let core = Arc::new(core);
    worker::check_worker_init(&core)?;
    worker::run_startup_route(&core);

    let cfg = transport_config(&core);
    let factory_core = core.clone();
    let factory: HandlerFactory = Arc::new(move |info: &WorkerInfo| -> Box<dyn Handler> {
        match Worker::new(factory_core.clone(), info) {
            Ok(w) => Box::new(w),
            Err(e) => {
                error!("worker {} failed to start: {e}", info.id);
                std::process::exit(1);
            }
        }
    });
    let mut signals = Signals::new([SIGINT, SIGTERM])
        .map_err(|e| format!("cannot install signal handlers: {e}"))?;
    let running = siplua_transport::start(&core.config.listen, cfg, factory)
        .map_err(|e| format!("cannot start: {e}"))?;
    let _ = core.transports.set(running.transports());

    let sockets: Vec<String> = running
        .transports()
        .sockets()
        .iter()
        .map(|s| format!("{}:{}", s.proto.as_str(), s.addr))
        .collect();
    register_processes(&core, &running.transports());
    let timer_thread = TimerThread::start(core.clone(), usize::MAX);
    core.processes.register("timer");
    worker::schedule_timer_routes(&core);
    if let Err(e) = start_modules(&core) {
        timer_thread.stop();
        running.shutdown();
        shutdown_modules(&core);
        return Err(e);
    }
    info!(
        "siplua {} started: config {} ({} modules, {} MI commands), {} UDP worker(s) per socket, \
         {} TCP worker(s), listening on {}",
        env!("CARGO_PKG_VERSION"),
        core.script_path
            .as_ref()
            .map_or("<embedded default>".into(), |p| p.display().to_string()),
        core.modules.len(),
        core.mi.all().len(),
        core.config.udp_workers,
        core.config.tcp_workers,
        sockets.join(", ")
    );
    let signal = signals.forever().next();
    info!("received signal {}, shutting down", signal.unwrap_or(0));
    timer_thread.stop();
    running.shutdown();
    shutdown_modules(&core);
    let totals: Vec<String> = core
        .stats
        .snapshot()
        .into_iter()
        .filter(|(_, v)| *v != 0)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    info!(
        "siplua stopped; totals: {}",
        if totals.is_empty() {
            "none".into()
        } else {
            totals.join(" ")
        }
    );
    Ok(())
}

/// Runs every module's `start` hook (the MI transports start their threads there), in load
/// order; the first error stops start-up.
fn start_modules(core: &Arc<Core>) -> Result<(), String> {
    for m in &core.modules {
        m.start(core)
            .map_err(|e| format!("module {}: {e}", m.name()))?;
    }
    Ok(())
}

/// Stops what the modules started (threads, FIFOs), in load order.
fn shutdown_modules(core: &Core) {
    for m in &core.modules {
        m.shutdown();
    }
}

/// Lists the threads the binary started, as `ps` shows them (OpenSIPS' process names).
fn register_processes(core: &Core, transports: &siplua_transport::Transports) {
    let p = &core.processes;
    p.register("attendant");
    let mut tcp = false;
    for s in transports.sockets() {
        match s.proto {
            siplua_transport::Proto::Udp => {
                for _ in 0..core.config.udp_workers {
                    p.register(format!("SIP receiver udp:{}", s.addr));
                }
            }
            siplua_transport::Proto::Tcp
            | siplua_transport::Proto::Tls
            | siplua_transport::Proto::Ws
            | siplua_transport::Proto::Wss => tcp = true,
        }
    }
    if tcp {
        p.register("TCP main");
        for _ in 0..core.config.tcp_workers {
            p.register("SIP receiver TCP");
        }
    }
}

fn transport_config(core: &Core) -> TransportConfig {
    let c = &core.config;
    TransportConfig {
        udp_workers: c.udp_workers,
        tcp_workers: c.tcp_workers,
        tcp_connection_lifetime: Duration::from_secs(c.tcp_connection_lifetime),
        tcp_connect_timeout: Duration::from_millis(c.tcp_connect_timeout),
        tcp_max_connections: c.tcp_max_connections,
        tls: c.tls.clone(),
        ws: c.ws,
        wss: c.wss,
        tcp_max_connections_per_source: c.tcp_max_connections_per_source,
        tcp_max_msg_time: Duration::from_secs(c.tcp_max_msg_time),
        max_message_size: c.max_message_size,
        udp_socket_buffer: c.udp_socket_buffer,
        overload_queue_percent: c.overload_queue_percent,
        ..TransportConfig::default()
    }
}
