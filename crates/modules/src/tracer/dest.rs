//! A trace id's destinations, resolved at load, and the sending of one captured message to
//! them: HEP through `proto_hep`'s queue, `sip:` as the plain message in a UDP datagram.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;

use siplua_core::log::{emit, level};

use crate::proto_hep::api::{HepApi, HepDest};
use crate::proto_hep::encode::Capture;

/// One destination of a trace id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceDest {
    /// A `proto_hep` destination.
    Hep(HepDest),
    /// A plain copy to this address.
    Sip(SocketAddr),
}

/// What sending needs: proto_hep's API (when loaded) and the duplication sockets.
pub struct Outputs {
    hep: Option<Arc<HepApi>>,
    v4: Option<UdpSocket>,
    v6: Option<UdpSocket>,
}

impl Outputs {
    /// Opens the duplication sockets (non-blocking: a full buffer drops the copy).
    pub fn new(hep: Option<Arc<HepApi>>, duplicate: bool) -> Outputs {
        let open = |a: &str| {
            UdpSocket::bind(a)
                .and_then(|s| s.set_nonblocking(true).map(|()| s))
                .ok()
        };
        Outputs {
            hep,
            v4: duplicate.then(|| open("0.0.0.0:0")).flatten(),
            v6: duplicate.then(|| open("[::]:0")).flatten(),
        }
    }

    /// Sends `capture` to every destination.
    pub fn send(&self, dests: &[TraceDest], capture: &Capture) {
        for d in dests {
            match *d {
                TraceDest::Hep(h) => {
                    if let Some(api) = &self.hep {
                        api.send(h, capture);
                    }
                }
                TraceDest::Sip(addr) => {
                    let sock = if addr.is_ipv4() { &self.v4 } else { &self.v6 };
                    if let Some(Err(e)) = sock.as_ref().map(|s| s.send_to(capture.payload, addr)) {
                        emit(
                            level::DBG,
                            "tracer",
                            &format!("copy to sip:{addr} not sent: {e}"),
                        );
                    }
                }
            }
        }
    }
}
