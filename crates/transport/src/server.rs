//! Starting the transport layer (bind everything, then spawn threads) and stopping it.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use socket2::Socket;

use crate::config::TransportConfig;
use crate::dispatch::tcp_worker_loop;
use crate::handler::{HandlerFactory, WorkerInfo, WorkerKind};
use crate::socket_info::{ListenSpec, Proto, SocketId, SocketInfo};
use crate::stop::Stop;
use crate::tcp::{listener, TcpContext, TcpLimits};
use crate::tls::context::TlsContext;
use crate::transports::Transports;
use crate::udp;

/// Bound on the self-connect that wakes an acceptor at shutdown.
const WAKE_TIMEOUT: Duration = Duration::from_millis(200);

/// How often shutdown looks whether threads have finished.
const JOIN_POLL: Duration = Duration::from_millis(5);

/// A started transport layer; dropping it shuts it down as [`Running::shutdown`] does.
pub struct Running {
    transports: Arc<Transports>,
    stop: Arc<Stop>,
    tcp: Arc<TcpContext>,
    threads: Vec<JoinHandle<()>>,
    tcp_listeners: Vec<SocketAddr>,
    shutdown_timeout: Duration,
}

/// Binds every socket of `specs`, then starts the worker, acceptor and reader threads.
///
/// All binds happen before any thread starts, so a configuration error (address in use,
/// address not local) returns `Err` naming the address and leaves nothing running.
/// `factory` is called once per worker, inside the worker's thread.
pub fn start(
    specs: &[ListenSpec],
    cfg: TransportConfig,
    factory: HandlerFactory,
) -> io::Result<Running> {
    check_config(specs, &cfg)?;
    let tls = tls_context(specs, &cfg)?;
    let stop = Arc::new(Stop::new());
    let (queue_txs, queue_rxs): (Vec<_>, Vec<_>) = (0..cfg.tcp_workers.max(1))
        .map(|_| crossbeam_channel::bounded(cfg.queue_capacity))
        .unzip();
    let limits = TcpLimits {
        max_message_size: cfg.max_message_size,
        lifetime: cfg.tcp_connection_lifetime,
        send_timeout: cfg.tcp_send_timeout,
        connect_timeout: cfg.tcp_connect_timeout,
        max_msg_time: cfg.tcp_max_msg_time,
        ws: cfg.ws,
        wss: cfg.wss,
    };
    let tcp = Arc::new(TcpContext::new(
        queue_txs,
        Arc::clone(&stop),
        limits,
        cfg.tcp_max_connections,
        cfg.tcp_max_connections_per_source,
    ));

    let mut infos = Vec::with_capacity(specs.len());
    let mut udp_socks = Vec::with_capacity(specs.len());
    let mut listeners = Vec::new();
    for (index, spec) in specs.iter().enumerate() {
        let id =
            SocketId(u16::try_from(index).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidInput, "too many listen sockets")
            })?);
        match spec.proto {
            Proto::Udp => {
                let group = named(
                    spec,
                    udp::bind_group(spec.addr, cfg.udp_socket_buffer, cfg.udp_workers),
                )?;
                infos.push(SocketInfo::new(id, spec, local_addr(&group[0], spec)?));
                udp_socks.push(Some(group));
            }
            Proto::Tcp | Proto::Tls | Proto::Ws | Proto::Wss => {
                let sock = named(spec, listener::bind(spec.addr))?;
                let addr = local_addr(&sock, spec)?;
                infos.push(SocketInfo::new(id, spec, addr));
                udp_socks.push(None);
                listeners.push((id, sock, addr, spec.proto));
            }
        }
    }

    let transports = Arc::new(Transports::new(
        infos,
        udp_socks,
        Arc::clone(&tcp),
        tls.clone(),
        Arc::clone(&stop),
    ));
    let mut running = Running {
        transports: Arc::clone(&transports),
        stop,
        tcp,
        threads: Vec::new(),
        tcp_listeners: listeners.iter().map(|(_, _, addr, _)| *addr).collect(),
        shutdown_timeout: cfg.shutdown_timeout,
    };
    // On a spawn failure, dropping `running` stops and joins what already started.
    running.spawn_all(&cfg, &factory, listeners, queue_rxs, tls)?;
    Ok(running)
}

impl Running {
    /// The shared send path and socket list, for the engine's timers and non-worker threads.
    pub fn transports(&self) -> Arc<Transports> {
        Arc::clone(&self.transports)
    }

    /// Stops receiving, lets each worker finish the message in hand and joins all threads.
    ///
    /// Takes at most about `shutdown_timeout`; threads still busy then (a handler stuck in a
    /// script) are left to finish on their own and a warning is logged.
    pub fn shutdown(self) {
        // The work is done in `Drop`, so a dropped `Running` never leaks threads either.
    }

    fn spawn_all(
        &mut self,
        cfg: &TransportConfig,
        factory: &HandlerFactory,
        listeners: Vec<(SocketId, Socket, SocketAddr, Proto)>,
        queue_rxs: Vec<crossbeam_channel::Receiver<crate::message::Received>>,
        tls: Option<Arc<TlsContext>>,
    ) -> io::Result<()> {
        // Each worker reports once its handler is built (the modules' per-worker start-up,
        // e.g. the Lua script loaded), so that `start` returns with every worker ready.
        let (ready_tx, ready_rx) = crossbeam_channel::unbounded::<()>();
        let mut worker_id = 0;
        let udp_ids: Vec<SocketId> = self
            .transports
            .sockets()
            .iter()
            .filter(|s| s.proto == Proto::Udp)
            .map(|s| s.id)
            .collect();
        for socket in udp_ids {
            for member in 0..cfg.udp_workers {
                let info = self.worker_info(worker_id, WorkerKind::Udp { socket });
                let factory = Arc::clone(factory);
                let max = cfg.max_message_size;
                let overload = cfg.overload_queue_percent;
                let stop = Arc::clone(&self.stop);
                let ready = ready_tx.clone();
                self.spawn(format!("udp-worker-{worker_id}"), move || {
                    let mut handler = factory(&info);
                    report_ready(ready);
                    if let Some(sock) = info.transports.udp_receiver(socket, member) {
                        udp::worker_loop(sock, socket, max, overload, &stop, &mut *handler);
                    }
                })?;
                worker_id += 1;
            }
        }
        if listeners.is_empty() {
            wait_ready(ready_tx, &ready_rx);
            return Ok(());
        }
        for queue in queue_rxs {
            let info = self.worker_info(worker_id, WorkerKind::Tcp);
            let factory = Arc::clone(factory);
            let overload = cfg.overload_queue_percent;
            let stop = Arc::clone(&self.stop);
            let ready = ready_tx.clone();
            self.spawn(format!("tcp-worker-{worker_id}"), move || {
                let mut handler = factory(&info);
                report_ready(ready);
                tcp_worker_loop(&queue, overload, &stop, &mut *handler);
            })?;
            worker_id += 1;
        }
        for (socket, listener_sock, _, proto) in listeners {
            let ctx = Arc::clone(&self.tcp);
            let tls = tls.clone().filter(|_| proto.is_secure());
            self.spawn(format!("tcp-accept-{}", socket.0), move || {
                listener::accept_loop(&listener_sock, socket, &ctx, proto, tls.as_deref());
            })?;
        }
        wait_ready(ready_tx, &ready_rx);
        Ok(())
    }

    fn worker_info(&self, id: usize, kind: WorkerKind) -> WorkerInfo {
        WorkerInfo {
            id,
            kind,
            transports: Arc::clone(&self.transports),
        }
    }

    fn spawn(&mut self, name: String, f: impl FnOnce() + Send + 'static) -> io::Result<()> {
        let handle = std::thread::Builder::new().name(name).spawn(f)?;
        self.threads.push(handle);
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.trigger();
        self.transports.wake_udp_receivers();
        self.tcp.table.close_all();
        for addr in &self.tcp_listeners {
            listener::wake(*addr, WAKE_TIMEOUT);
        }
        let deadline = Instant::now() + self.shutdown_timeout;
        let mut threads = std::mem::take(&mut self.threads);
        // Readers may still be registered by an acceptor that was just woken: collect them last.
        join_until(&mut threads, deadline);
        let mut readers = self.tcp.take_readers();
        self.tcp.table.close_all();
        join_until(&mut readers, deadline);
        let left = threads.len() + readers.len();
        if left > 0 {
            tracing::warn!(
                threads = left,
                "transport threads still busy after shutdown timeout; leaving them"
            );
        }
    }
}

/// Tells [`wait_ready`] that one worker's handler is built.
fn report_ready(ready: crossbeam_channel::Sender<()>) {
    // The receiver is gone only once `spawn_all` returned; nobody waits any more then.
    let _ = ready.send(());
}

/// Waits until every worker has reported ready, or has ended without reporting (its handler
/// failed to build: its sender is dropped unsent, which still ends the wait).
fn wait_ready(own: crossbeam_channel::Sender<()>, ready: &crossbeam_channel::Receiver<()>) {
    drop(own);
    while ready.recv().is_ok() {}
}

/// Joins the threads that finish before `deadline`; those still running stay in `threads`.
fn join_until(threads: &mut Vec<JoinHandle<()>>, deadline: Instant) {
    loop {
        let (done, busy): (Vec<_>, Vec<_>) = threads.drain(..).partition(|h| h.is_finished());
        *threads = busy;
        for handle in done {
            if handle.join().is_err() {
                tracing::error!("transport thread panicked");
            }
        }
        if threads.is_empty() || Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(JOIN_POLL);
    }
}

/// Rejects configurations that could never work, before anything is bound.
fn check_config(specs: &[ListenSpec], cfg: &TransportConfig) -> io::Result<()> {
    let invalid = |what: &str| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            what.to_string(),
        ))
    };
    let has = |proto| specs.iter().any(|s| s.proto == proto);
    if has(Proto::Udp) && cfg.udp_workers == 0 {
        return invalid("udp_workers must be at least 1 when listening on UDP");
    }
    if specs.iter().any(|s| s.proto.is_stream()) && cfg.tcp_workers == 0 {
        return invalid("tcp_workers must be at least 1 when listening on TCP, TLS, WS or WSS");
    }
    if has(Proto::Tls) && cfg.tls.is_none() {
        return invalid("a tls: socket needs TLS settings (load tls_mgm and proto_tls)");
    }
    if has(Proto::Wss) && cfg.tls.is_none() {
        return invalid("a wss: socket needs TLS settings (load tls_mgm and proto_wss)");
    }
    if cfg.max_message_size == 0 || cfg.queue_capacity == 0 {
        return invalid("max_message_size and queue_capacity must be at least 1");
    }
    if cfg.overload_queue_percent > 100 {
        return invalid("overload_queue_percent must be 0 to 100");
    }
    Ok(())
}

/// Loads the TLS certificates before anything is bound, so a bad file stops the start.
fn tls_context(specs: &[ListenSpec], cfg: &TransportConfig) -> io::Result<Option<Arc<TlsContext>>> {
    let Some(opts) = &cfg.tls else {
        return Ok(None);
    };
    let need_server = specs.iter().any(|s| s.proto.is_secure());
    TlsContext::build(opts, need_server)
        .map(|c| Some(Arc::new(c)))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("tls: {e}")))
}

/// A bind result whose error names the protocol and address of the listen spec.
fn named<T>(spec: &ListenSpec, bound: io::Result<T>) -> io::Result<T> {
    bound.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot listen on {}:{}: {e}", spec.proto, spec.addr),
        )
    })
}

/// The address the kernel actually bound (resolves port 0).
fn local_addr(sock: &Socket, spec: &ListenSpec) -> io::Result<SocketAddr> {
    sock.local_addr()?.as_socket().ok_or_else(|| {
        io::Error::other(format!(
            "{}:{} bound to a non-IP address",
            spec.proto, spec.addr
        ))
    })
}
