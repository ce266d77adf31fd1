//! What proto_hep offers the capture modules (`tracer`, `siptrace`): find a `hep_id` by
//! name once at load, then hand it captured messages to encode and queue.

use std::collections::HashMap;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::OnceLock;

use siplua_core::log::{emit, level};
use siplua_core::stats::Counter;

use super::encode::{encode_v12, encode_v3, Capture};
use super::hep_id::HepId;
use super::sender::Queued;

/// A `hep_id` found by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HepDest(usize);

/// proto_hep's published API.
pub struct HepApi {
    ids: Vec<HepId>,
    by_name: HashMap<String, usize>,
    capture_id: u32,
    queue: SyncSender<Queued>,
    /// Set once the first packet could not be queued, so the log says it once.
    full_logged: OnceLock<()>,
    dropped: Counter,
}

impl HepApi {
    pub(super) fn new(
        ids: Vec<HepId>,
        capture_id: u32,
        queue: SyncSender<Queued>,
        dropped: Counter,
    ) -> HepApi {
        let by_name = ids
            .iter()
            .enumerate()
            .map(|(i, h)| (h.name.clone(), i))
            .collect();
        HepApi {
            ids,
            by_name,
            capture_id,
            queue,
            full_logged: OnceLock::new(),
            dropped,
        }
    }

    /// The `hep_id` called `name`.
    pub fn find(&self, name: &str) -> Option<HepDest> {
        self.by_name.get(name).map(|&i| HepDest(i))
    }

    /// Encodes `capture` in the destination's HEP version and queues it for the sender
    /// thread; a packet that does not fit HEP or the queue is dropped and counted.
    pub fn send(&self, dest: HepDest, capture: &Capture) {
        let Some(id) = self.ids.get(dest.0) else {
            return;
        };
        let packet = match id.version {
            3 => encode_v3(capture, self.capture_id),
            v => Some(encode_v12(v, capture, self.capture_id)),
        };
        let Some(packet) = packet else {
            self.dropped.inc();
            return;
        };
        match self.queue.try_send((dest.0, packet)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.inc();
                if self.full_logged.set(()).is_ok() {
                    emit(
                        level::WARN,
                        "proto_hep",
                        "HEP queue full: captured messages are dropped (counted in proto_hep:dropped_packets)",
                    );
                }
            }
        }
    }
}
