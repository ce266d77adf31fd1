//! A transaction: the server side (the request we received, the replies we sent back) and its
//! client branches (the requests we forwarded and what came back on each).
//!
//! The immutable part (request, origin, keys) sits directly in [`Tx`]; everything that changes
//! is in [`TxState`] behind one mutex per transaction. The lock is never held while a script
//! route runs (a route may call back into tm for the same transaction).

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use siplua_core::avp::AvpList;
use siplua_core::context::Origin;
use siplua_core::forward::Target;
use siplua_core::timer::TimerHandle;
use siplua_sip::edit::Edits;
use siplua_sip::Message;
use siplua_transport::SocketId;

/// One transaction.
pub struct Tx {
    /// Unique number, also part of every branch id.
    pub id: u64,
    /// The server-transaction key this request was filed under.
    pub key: String,
    /// The request as received.
    pub request: Message,
    /// Where it came from (replies go back there).
    pub origin: Origin,
    /// True for INVITE (different timers, ACK and CANCEL rules).
    pub is_invite: bool,
    /// Reply to the source port even without `rport` (`force_rport()` was called).
    pub force_rport: bool,
    /// When the request arrived.
    pub created: std::time::Instant,
    /// Everything that changes.
    pub state: Mutex<TxState>,
}

/// The changing part of a transaction.
#[derive(Default)]
pub struct TxState {
    /// Edits the request route made (applied to every branch, also in serial forking).
    pub edits: Edits,
    /// The Request-URI when the request was relayed (`$ru` of the failure route).
    pub ruri: String,
    /// `$du` when the request was relayed.
    pub dst_uri: Option<String>,
    /// The transaction's AVPs (visible in its failure, branch and reply routes).
    pub avps: AvpList,
    /// Message flags.
    pub flags: u64,
    /// Armed `failure_route`.
    pub on_failure: Option<usize>,
    /// Armed `onreply_route[...]`.
    pub on_reply: Option<usize>,
    /// Armed `branch_route`.
    pub on_branch: Option<usize>,
    /// Final-response timeout for non-INVITE (and INVITE before any provisional).
    pub fr: Duration,
    /// Final-response timeout for INVITE after a provisional reply.
    pub fr_inv: Duration,
    /// Client branches, in creation order.
    pub branches: Vec<Branch>,
    /// The first branch of the latest round: a failure route that relays again starts a new
    /// one (OpenSIPS' `first_branch`), and `get_redirects` reads only that round's replies.
    pub first_branch: usize,
    /// What was sent upstream.
    pub uas: UasState,
    /// A CANCEL for this INVITE arrived.
    pub cancelled: bool,
    /// The final decision is being made (failure route running): other events wait.
    pub completing: bool,
    /// The cleanup timer is armed.
    pub cleanup_armed: bool,
    /// Called once when the final reply goes upstream.
    pub on_final: Vec<super::shared::FinalCallback>,
    /// `t_add_hdrs`: header lines (name, value) added to every branch sent from now on and
    /// to their CANCELs and ACKs.
    pub extra_hdrs: Vec<(String, String)>,
}

/// The server side: the last reply sent upstream.
#[derive(Default)]
pub struct UasState {
    /// Status of the last reply sent (0: none yet).
    pub status: u16,
    /// Its bytes, resent when the request is retransmitted.
    pub last_reply: Option<Arc<Vec<u8>>>,
    /// The ACK for our negative final reply arrived (stops retransmitting it).
    pub acked: bool,
    /// Retransmission of the final reply (Timer G).
    pub retransmit: Option<TimerHandle>,
}

impl UasState {
    /// True once a final reply went upstream.
    pub fn is_final(&self) -> bool {
        self.status >= 200
    }
}

/// One forwarded copy of the request.
pub struct Branch {
    /// Our Via branch parameter (the client-transaction key).
    pub id: String,
    /// Where it was sent.
    pub target: Target,
    /// From which local socket.
    pub socket: SocketId,
    /// The bytes sent (retransmissions), and their parse (to build CANCEL and ACK).
    pub sent: Arc<Vec<u8>>,
    /// Highest status received (0: none; a locally generated 408 counts).
    pub status: u16,
    /// The final reply received, kept to relay it if it is the best one.
    pub final_reply: Option<Message>,
    /// The final status was generated here (timeout), not received.
    pub local: bool,
    /// A CANCEL was sent on this branch.
    pub cancel_sent: bool,
    /// A CANCEL must be sent as soon as a provisional reply arrives.
    pub cancel_pending: bool,
    /// Retransmission timer (Timer A / E).
    pub retransmit: Option<TimerHandle>,
    /// Final-response timer; `fr_generation` tells a restarted timer from a stale one.
    pub fr_timer: Option<TimerHandle>,
    /// Bumped on each restart of the final-response timer.
    pub fr_generation: u64,
    /// What DNS failover needs: the branch as built and the targets not tried yet.
    pub failover: Option<(super::uac::BranchSpec, Vec<Target>)>,
    /// A copy sent by `t_replicate`: its replies stay here (never relayed upstream, no
    /// onreply or failure route) and it takes no part in choosing the final reply.
    pub replica: bool,
    /// The `t_add_hdrs` lines it was sent with (`Name: value\r\n` each), repeated in its
    /// CANCEL and ACK.
    pub extra_hdrs: String,
}

impl Branch {
    /// Where the branch's requests (retransmissions, CANCEL, ACK) go: its target, from the
    /// socket it was sent from.
    pub fn destination(&self) -> siplua_transport::Destination {
        siplua_transport::Destination {
            proto: self.target.proto,
            addr: self.target.addr,
            socket: Some(self.socket),
            conn: None,
        }
    }

    /// The request sent on the branch, parsed again (only a CANCEL or a hop-by-hop ACK needs
    /// it, so it is not kept parsed for every branch).
    pub fn sent_message(&self) -> Option<Message> {
        Message::parse(bytes::Bytes::copy_from_slice(&self.sent)).ok()
    }

    /// True once the branch has a final status.
    pub fn is_final(&self) -> bool {
        self.status >= 200
    }

    /// Stops its timers.
    pub fn stop_timers(&mut self) {
        if let Some(t) = self.retransmit.take() {
            t.cancel();
        }
        if let Some(t) = self.fr_timer.take() {
            t.cancel();
        }
    }
}

impl TxState {
    /// The branches that decide the transaction's final reply (replicas do not), with
    /// their index.
    pub fn relayed(&self) -> impl Iterator<Item = (usize, &Branch)> {
        self.branches.iter().enumerate().filter(|(_, b)| !b.replica)
    }

    /// True when every relayed branch has a final status (and there is at least one).
    pub fn all_final(&self) -> bool {
        self.relayed().next().is_some() && self.relayed().all(|(_, b)| b.is_final())
    }
}

/// A shared transaction handle.
pub type TxRef = Arc<Tx>;
