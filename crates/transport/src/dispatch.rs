//! TCP workers: take complete messages from the shared queue and hand them to their handler.

use crossbeam_channel::{select, Receiver};

use crate::handler::{handle_guarded, Handler};
use crate::message::Received;
use crate::stop::Stop;

/// Runs one TCP worker until shutdown: the message in hand is finished, queued ones are dropped.
pub(crate) fn tcp_worker_loop(queue: &Receiver<Received>, stop: &Stop, handler: &mut dyn Handler) {
    while !stop.is_set() {
        select! {
            recv(queue) -> msg => match msg {
                Ok(msg) => handle_guarded(handler, msg),
                Err(_) => break,
            },
            recv(stop.wait_channel()) -> _ => break,
        }
    }
}
