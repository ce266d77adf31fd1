//! The proxies of one module and how it talks to them: the sets, the choice of a proxy for
//! a call, one command with the proxy disabled when it does not answer, and the ping at
//! start-up — what rtpproxy and rtpengine do alike around their own payloads.

use std::time::Duration;

use super::control::{self, Timing};
use super::proxies::{Proxy, ProxySet};

/// Why a command to one proxy did not work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer: the proxy is disabled for a while, another one of the set may be tried.
    Silent,
    /// The proxy answered with an error (already logged): trying another would not help.
    Refused,
}

/// A module's proxies.
pub struct Pool {
    /// Every set of the module's `*_sock` parameter.
    pub sets: Vec<ProxySet>,
    /// Timeout and attempts per command.
    pub timing: Timing,
    /// How long a proxy that did not answer is skipped (`*_disable_tout`).
    pub disable_for: Duration,
    /// The module, for messages.
    pub module: &'static str,
}

impl Pool {
    fn log(&self, level: i32, text: &str) {
        siplua_core::log::emit(level, self.module, text);
    }

    /// The proxy for the call `call_id` in set `id` (`None`: set 0, else the first set);
    /// logs why when there is none.
    pub fn pick(&self, id: Option<i64>, call_id: &str) -> Option<&Proxy> {
        let set = match id {
            Some(id) => self.sets.iter().find(|s| s.id == id),
            None => self.sets.iter().find(|s| s.id == 0).or(self.sets.first()),
        };
        let Some(set) = set else {
            let err = match id {
                Some(id) => format!("no RTP proxy set {id} (see {}_sock)", self.module),
                None => format!("no {}_sock configured", self.module),
            };
            self.log(siplua_core::log::level::ERR, &err);
            return None;
        };
        let proxy = set.pick(call_id);
        if proxy.is_none() {
            self.log(
                siplua_core::log::level::ERR,
                &format!(
                    "no RTP proxy of set {} is available (all disabled after not answering)",
                    set.id
                ),
            );
        }
        proxy
    }

    /// Runs `attempt` on the call's proxy and, while proxies do not answer, on the next one
    /// the set offers (a silent proxy is disabled, so the choice moves on), as OpenSIPS
    /// fails over within a set. `None` when no proxy worked; each proxy is tried once.
    pub fn with_failover<'p, T>(
        &'p self,
        set: Option<i64>,
        call_id: &str,
        mut attempt: impl FnMut(&'p Proxy) -> Result<T, Failure>,
    ) -> Option<(&'p Proxy, T)> {
        let mut tried: Vec<&str> = Vec::new();
        loop {
            let proxy = self.pick(set, call_id)?;
            if tried.contains(&proxy.url.as_str()) {
                return None;
            }
            tried.push(&proxy.url);
            match attempt(proxy) {
                Ok(v) => return Some((proxy, v)),
                Err(Failure::Silent) => continue,
                Err(Failure::Refused) => return None,
            }
        }
    }

    /// Sends one command; a proxy that does not answer is disabled for a while.
    pub fn exchange(&self, proxy: &Proxy, payload: &[u8]) -> Result<Vec<u8>, Failure> {
        control::exchange(proxy.addr, payload, self.timing).map_err(|e| {
            proxy.disable_for(self.disable_for);
            self.log(
                siplua_core::log::level::ERR,
                &format!(
                    "RTP proxy {} disabled for {} s: {e}",
                    proxy.url,
                    self.disable_for.as_secs()
                ),
            );
            Failure::Silent
        })
    }

    /// Sends `ping` to every proxy once (a single attempt); the silent ones start disabled.
    pub fn ping_all(&self, ping: &[u8]) {
        let once = Timing {
            attempts: 1,
            ..self.timing
        };
        for proxy in self.sets.iter().flat_map(|s| &s.proxies) {
            match control::exchange(proxy.addr, ping, once) {
                Ok(answer) => self.log(
                    siplua_core::log::level::INFO,
                    &format!(
                        "RTP proxy {} answers ({})",
                        proxy.url,
                        String::from_utf8_lossy(&answer).trim_end()
                    ),
                ),
                Err(e) => {
                    proxy.disable_for(self.disable_for);
                    self.log(
                        siplua_core::log::level::WARN,
                        &format!(
                            "RTP proxy {} does not answer ({e}); disabled for {} s",
                            proxy.url,
                            self.disable_for.as_secs()
                        ),
                    );
                }
            }
        }
    }
}
