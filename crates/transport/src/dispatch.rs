//! TCP workers: take complete messages from their own queue and hand them to their handler.

use crossbeam_channel::{select, Receiver};

use crate::handler::{handle_guarded, Handler};
use crate::message::Received;
use crate::stop::Stop;

/// Runs one TCP worker until shutdown: the message in hand is finished, queued ones are dropped.
///
/// A message taken while the queue is over `overload_percent` full goes to the handler's
/// overload path.
pub(crate) fn tcp_worker_loop(
    queue: &Receiver<Received>,
    overload_percent: u8,
    stop: &Stop,
    handler: &mut dyn Handler,
) {
    let capacity = queue.capacity().unwrap_or(0) as u64;
    while !stop.is_set() {
        select! {
            recv(queue) -> msg => match msg {
                Ok(msg) => {
                    let backlog = queue.len() as u64;
                    let overloaded = crate::overload::over(backlog, capacity, overload_percent);
                    handle_guarded(handler, msg, overloaded)
                }
                Err(_) => break,
            },
            recv(stop.wait_channel()) -> _ => break,
        }
    }
}
