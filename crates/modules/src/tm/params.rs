//! tm's parameters, with OpenSIPS' names, defaults and units.

use std::time::Duration;

use siplua_core::module::{ModParamKind, ModParamSpec, ModParamValue};

/// The declared parameters.
pub const SPECS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "fr_timeout",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "fr_inv_timeout",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "restart_fr_on_each_reply",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "onreply_avp_mode",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "T1_timer",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "T2_timer",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "wt_timer",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "auto_100trying",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "pass_provisional_replies",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "disable_6xx_block",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "enable_stats",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tm_auto_100trying",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tm_replies_prefix",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "cross_cancel",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "ruri_matching",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "via1_matching",
        kind: ModParamKind::Int,
    },
];

/// Timer and behaviour settings of the transaction layer.
#[derive(Clone, Debug)]
pub struct TmParams {
    /// No final reply to a non-INVITE (or no reply at all to an INVITE) within this: 408.
    pub fr_timeout: Duration,
    /// No final reply to an INVITE within this after a provisional one: 408.
    pub fr_inv_timeout: Duration,
    /// Restart the INVITE final-response timer on every provisional reply.
    pub restart_fr_on_each_reply: bool,
    /// 1: the transaction's AVPs are visible in onreply routes (0: the reply's own, empty).
    pub onreply_avp_mode: i64,
    /// RFC 3261 T1 (retransmission base).
    pub t1: Duration,
    /// RFC 3261 T2 (retransmission cap).
    pub t2: Duration,
    /// How long a completed transaction is kept to absorb retransmissions.
    pub wait: Duration,
    /// Send 100 Trying when relaying an INVITE.
    pub auto_100trying: bool,
    /// A 6xx from one branch cancels the others (RFC 3261 §16.7 step 5).
    pub cancel_on_6xx: bool,
    /// What an RFC 2543 request (no `z9hG4bK` branch) is matched on besides Call-ID, CSeq
    /// and From tag (`ruri_matching`, `via1_matching`).
    pub matching: Matching,
}

/// The optional keys of RFC 2543 transaction matching; RFC 3261 requests are matched on
/// their branch whatever these say, as in OpenSIPS.
#[derive(Clone, Copy, Debug)]
pub struct Matching {
    /// The Request-URI must be the same (`ruri_matching`, default 1).
    pub ruri: bool,
    /// The top Via must be the same (`via1_matching`, default 1).
    pub via1: bool,
}

impl Default for Matching {
    fn default() -> Self {
        Matching {
            ruri: true,
            via1: true,
        }
    }
}

impl Default for TmParams {
    fn default() -> Self {
        TmParams {
            fr_timeout: Duration::from_secs(5),
            fr_inv_timeout: Duration::from_secs(120),
            restart_fr_on_each_reply: true,
            onreply_avp_mode: 0,
            t1: Duration::from_millis(500),
            t2: Duration::from_millis(4000),
            wait: Duration::from_secs(5),
            auto_100trying: true,
            cancel_on_6xx: true,
            matching: Matching::default(),
        }
    }
}

impl TmParams {
    /// Applies one `modparam`; timeouts are seconds, T1/T2 milliseconds, as in OpenSIPS.
    pub fn set(&mut self, name: &str, v: ModParamValue) -> Result<(), String> {
        let n = v.as_int();
        let positive = |what: &str| {
            if n > 0 {
                Ok(n as u64)
            } else {
                Err(format!("{what} must be positive, got {n}"))
            }
        };
        match name {
            "fr_timeout" => self.fr_timeout = Duration::from_secs(positive(name)?),
            "fr_inv_timeout" => self.fr_inv_timeout = Duration::from_secs(positive(name)?),
            "restart_fr_on_each_reply" => self.restart_fr_on_each_reply = n != 0,
            "onreply_avp_mode" => self.onreply_avp_mode = n,
            "T1_timer" => self.t1 = Duration::from_millis(positive(name)?),
            "T2_timer" => self.t2 = Duration::from_millis(positive(name)?),
            "wt_timer" => self.wait = Duration::from_secs(positive(name)?),
            "auto_100trying" | "tm_auto_100trying" => self.auto_100trying = n != 0,
            "disable_6xx_block" => self.cancel_on_6xx = n == 0,
            "ruri_matching" => self.matching.ruri = n != 0,
            "via1_matching" => self.matching.via1 = n != 0,
            _ => {}
        }
        Ok(())
    }
}
