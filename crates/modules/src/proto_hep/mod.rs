//! `proto_hep`: the HEP (Homer) capture destinations that `tracer`/`siptrace` send copies of
//! SIP messages to. Parameters: `hep_id` (repeatable, [`hep_id`]), `hep_capture_id`,
//! `hep_send_timeout` and `hep_async_local_connect_timeout` (the TCP sender's timeouts);
//! `homer5_on`, `homer5_delim` (they shape JSON payloads siplua never sends), `hep_port`
//! (HEP listeners, which siplua has not), `hep_async`, `hep_max_msg_chunks`,
//! `hep_async_max_postponed_chunks`, `hep_async_local_write_timeout` are accepted and logged
//! as without effect. Packets leave from a thread of the module ([`sender`]).

pub mod api;
pub mod encode;
mod hep_id;
pub(crate) use hep_id::resolve as resolve_destination;
mod sender;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;
use siplua_core::engine::Core;
use siplua_core::log::{emit, level};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};

use api::HepApi;
use hep_id::HepId;
use sender::{Queued, TcpTimeouts};

/// Packets waiting for the sender thread at most.
const QUEUE: usize = 4096;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("hep_id"),
    ModParamSpec::int("hep_capture_id"),
    ModParamSpec::int("hep_send_timeout"),
    ModParamSpec::int("hep_async_local_connect_timeout"),
    ModParamSpec::int("homer5_on"),
    ModParamSpec::str("homer5_delim"),
    ModParamSpec::int("hep_port"),
    ModParamSpec::int("hep_async"),
    ModParamSpec::int("hep_max_msg_chunks"),
    ModParamSpec::int("hep_async_max_postponed_chunks"),
    ModParamSpec::int("hep_async_local_write_timeout"),
];

/// The module.
pub struct ProtoHep {
    ids: Vec<HepId>,
    capture_id: u32,
    timeouts: TcpTimeouts,
    /// The queue's receiving end until `start` hands it to the thread.
    rx: Mutex<Option<Receiver<Queued>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    stop: Arc<AtomicBool>,
}

impl Default for ProtoHep {
    fn default() -> Self {
        ProtoHep {
            ids: Vec::new(),
            capture_id: 1,
            timeouts: TcpTimeouts {
                connect: Duration::from_millis(100),
                write: Duration::from_millis(100),
            },
            rx: Mutex::new(None),
            thread: Mutex::new(None),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Module for ProtoHep {
    fn name(&self) -> &'static str {
        "proto_hep"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let millis = |v: &ModParamValue| -> Result<Duration, String> {
            u64::try_from(v.as_int())
                .ok()
                .filter(|&ms| ms > 0)
                .map(Duration::from_millis)
                .ok_or_else(|| format!("{name} must be a positive number of milliseconds"))
        };
        match name {
            "hep_id" => {
                let id = hep_id::parse(&value.as_str())?;
                if self.ids.iter().any(|h| h.name == id.name) {
                    return Err(format!("hep_id {} defined twice", id.name));
                }
                if let Some(note) = &id.note {
                    emit(level::WARN, "proto_hep", note);
                }
                self.ids.push(id);
            }
            "hep_capture_id" => {
                self.capture_id = u32::try_from(value.as_int())
                    .map_err(|_| "hep_capture_id must be between 0 and 4294967295".to_string())?
            }
            "hep_send_timeout" => self.timeouts.write = millis(&value)?,
            "hep_async_local_connect_timeout" => self.timeouts.connect = millis(&value)?,
            _ => emit(
                level::WARN,
                "proto_hep",
                &format!("parameter {name} has no effect in siplua (accepted, ignored)"),
            ),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let (tx, rx) = sync_channel(QUEUE);
        *self.rx.lock() = Some(rx);
        let dropped = env.stats.counter("proto_hep", "dropped_packets");
        env.apis.publish(Arc::new(HepApi::new(
            self.ids.clone(),
            self.capture_id,
            tx,
            dropped,
        )));
        Ok(())
    }

    fn start(&self, _core: &Arc<Core>) -> Result<(), String> {
        let Some(rx) = self.rx.lock().take() else {
            return Ok(());
        };
        let (ids, timeouts, stop) = (self.ids.clone(), self.timeouts, self.stop.clone());
        let handle = std::thread::Builder::new()
            .name("proto_hep".into())
            .spawn(move || sender::run(ids, rx, timeouts, stop))
            .map_err(|e| format!("cannot start the HEP sender thread: {e}"))?;
        *self.thread.lock() = Some(handle);
        Ok(())
    }

    fn shutdown(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.thread.lock().take() {
            let _ = h.join();
        }
    }
}
