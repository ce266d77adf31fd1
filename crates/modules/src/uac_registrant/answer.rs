//! Taking the final answer tm hands back for a REGISTER. A 200 registers for the expiry the
//! registrar granted our binding, refreshed `timer_interval` seconds before it runs out (at
//! half of it when it is not longer than `timer_interval`); a 401/407 is answered once with
//! the row's credentials (the digest of `uac_auth`); a 423 is retried with its Min-Expires;
//! anything else, or no answer within tm's `fr_timeout`, is retried after
//! `failure_retry_interval` (or the expiry) with a new Call-ID.

use std::sync::Arc;
use std::time::Duration;

use siplua_sip::Message;
use siplua_transport::Transports;

use super::client::log;
use super::engine::Engine;
use super::message;
use super::registration::Registration;
use super::state::RegState;
use crate::uac::credentials::{Credential, Secret};
use crate::uac::digest::{answer, cnonce, pick_challenge, Request};

/// The earliest refresh of a registration granted very little time.
const MIN_REFRESH: Duration = Duration::from_millis(500);

impl Engine {
    /// tm's callback for request number `id` of `reg`: its final status and the reply
    /// (`None` when tm ended the transaction itself, with a 408, after `fr_timeout`). The
    /// answer to a request that is no longer the one waiting is ignored.
    pub fn answered(
        self: &Arc<Self>,
        transports: &Arc<Transports>,
        reg: &Arc<Registration>,
        id: u64,
        code: u16,
        reply: Option<&Message>,
    ) {
        let mut live = reg.live.lock();
        if live.tx.as_ref().is_none_or(|tx| tx.id != id) {
            return;
        }
        let Some(tx) = live.tx.take() else {
            return;
        };
        if live.retired && !tx.unregister {
            return;
        }
        let row = &reg.row;
        let Some(msg) = reply else {
            log(
                siplua_core::log::level::WARN,
                &format!("no answer from {} for {}", row.registrar, row.aor),
            );
            self.failed(reg, &mut live, RegState::RegisterTimeout);
            return;
        };
        match code {
            200..=299 if tx.unregister => {
                live.state = RegState::NotRegistered;
            }
            200..=299 => {
                let exp = message::granted_expiry(msg, &row.binding_uri)
                    .filter(|e| *e > 0)
                    .unwrap_or(live.expires);
                live.expires = exp;
                live.state = RegState::Registered;
                let ti = self.settings.timer_interval;
                let delay = if exp > ti {
                    Duration::from_secs(u64::from(exp - ti))
                } else {
                    log(
                        siplua_core::log::level::ERR,
                        &format!(
                            "please decrease timer_interval={ti}: the registrar granted {} only {exp} s; refreshing at half of it",
                            row.aor
                        ),
                    );
                    Duration::from_millis(u64::from(exp) * 500).max(MIN_REFRESH)
                };
                self.schedule(reg, &mut live, delay, false);
            }
            401 | 407 => {
                if row.username.is_empty() || row.password.is_empty() {
                    log(
                        siplua_core::log::level::ERR,
                        &format!("credentials not provisioned for {}", row.aor),
                    );
                    self.failed(reg, &mut live, RegState::WrongCredentials);
                    return;
                }
                if tx.authenticated {
                    log(
                        siplua_core::log::level::WARN,
                        &format!("wrong credentials for {}", row.aor),
                    );
                    self.failed(reg, &mut live, RegState::WrongCredentials);
                    return;
                }
                match self.authorization(reg, msg) {
                    Some(auth) => {
                        drop(live);
                        self.send(transports, reg, Some((auth.0, auth.1)), tx.unregister);
                    }
                    None => self.failed(reg, &mut live, RegState::InternalError),
                }
            }
            423 => match message::min_expires(msg) {
                Some(m) if m > 0 => {
                    live.expires = m;
                    drop(live);
                    self.send(transports, reg, None, tx.unregister);
                }
                _ => self.failed(reg, &mut live, RegState::RegistrarError),
            },
            408 => self.failed(reg, &mut live, RegState::RegisterTimeout),
            300..=399 => {
                log(
                    siplua_core::log::level::ERR,
                    &format!(
                        "redirection of the REGISTER for {} is not supported",
                        row.aor
                    ),
                );
                self.failed(reg, &mut live, RegState::InternalError);
            }
            _ => self.failed(reg, &mut live, RegState::RegistrarError),
        }
    }

    /// The header answering the challenge of `reply` with the row's credentials.
    fn authorization(&self, reg: &Registration, reply: &Message) -> Option<(&'static str, String)> {
        let Some((ch, name)) = pick_challenge(reply, &[]) else {
            log(
                siplua_core::log::level::ERR,
                &format!("no usable Digest challenge for {}", reg.row.aor),
            );
            return None;
        };
        let cred = Credential {
            user: reg.row.username.clone(),
            realm: ch.realm.clone(),
            secret: Secret::Password(reg.row.password.clone()),
        };
        let cnonce = cnonce()?;
        let value = answer(
            &ch,
            &cred,
            &Request {
                method: "REGISTER",
                uri: &reg.row.registrar,
                body: b"",
                cnonce: &cnonce,
            },
        )?;
        Some((name, value))
    }
}
