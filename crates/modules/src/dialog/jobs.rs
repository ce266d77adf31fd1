//! The one thread that runs the dialogs' end jobs ([`EndWatcher`]s, such as rtpproxy's `D`
//! delete): they wait on the network, so they may not run on a worker nor under the table's
//! lock, and a thread per ended call would mean thousands of thread creations a second.
//!
//! The thread starts with the first job and then waits for more for the rest of the run; it
//! runs them one at a time, in the order the dialogs ended. It is detached, so it never keeps
//! the process alive at shutdown (jobs still queued then are lost, as the calls are).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;

use siplua_core::log::{emit, level};

use super::table::EndWatcher;

/// The queue into the thread; `None` when the thread could not be started.
static QUEUE: OnceLock<Option<Sender<EndWatcher>>> = OnceLock::new();

/// Starts the thread; `None` (after logging why) when the system refuses one.
fn start() -> Option<Sender<EndWatcher>> {
    let (tx, rx) = channel::<EndWatcher>();
    let spawned = std::thread::Builder::new()
        .name("dlg-end".into())
        .spawn(move || {
            for job in rx {
                if catch_unwind(AssertUnwindSafe(job)).is_err() {
                    emit(
                        level::ERR,
                        "dialog",
                        "a dialog end job panicked; the following ones still run",
                    );
                }
            }
        });
    match spawned {
        Ok(_) => Some(tx),
        Err(e) => {
            emit(
                level::ERR,
                "dialog",
                &format!("cannot start the dialog end-job thread: {e}"),
            );
            None
        }
    }
}

/// Queues the end jobs of one dialog behind those of the dialogs that ended before it.
pub(super) fn run_later(jobs: Vec<EndWatcher>) {
    let Some(tx) = QUEUE.get_or_init(start) else {
        emit(
            level::ERR,
            "dialog",
            &format!(
                "{} dialog end job(s) dropped: no thread to run them",
                jobs.len()
            ),
        );
        return;
    };
    for job in jobs {
        // The receiver lives as long as the thread, which never returns while we hold `tx`.
        let _ = tx.send(job);
    }
}
