//! `force_send_socket(socket)`: the local socket that the request's forwarded copies leave
//! from (`forward()`, `t_relay()`), as in OpenSIPS' core. The socket is written
//! `[proto:]host[:port]`, quoted or bare (`force_send_socket(udp:10.0.0.1:5060)`), and must be
//! one this server listens on; replies still leave from the socket the request came in on.

use std::sync::Arc;

use siplua_script::SocketSpec;
use siplua_transport::{SocketId, SocketInfo};

use crate::config::parse_socket_text;
use crate::context::Context;
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use crate::log::{self, level};
use crate::route_type::RouteMask;

/// The declaration.
pub fn functions() -> Vec<FunctionDecl> {
    vec![FunctionDecl::new(
        "force_send_socket",
        vec![ParamSpec::req("socket", ParamKind::Str)],
        RouteMask::REQUEST_LIKE,
        force_send_socket,
    )
    .with_fixup(prepare)]
}

/// A socket as the script wrote it, read into its parts.
struct Written {
    text: String,
    spec: SocketSpec,
}

impl Written {
    fn read(text: &str) -> Option<Written> {
        let spec = parse_socket_text(text.trim()).ok()?;
        (!spec.host.is_empty()).then(|| Written {
            text: text.to_owned(),
            spec,
        })
    }
}

/// A constant socket is read once, at load time (one that is not a socket is a load error);
/// the sockets it may name are bound later, so which one it is is looked up per call.
fn prepare(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(slot) = args.first_mut() {
        if let PreparedArg::Str(text) = slot {
            let written = Written::read(text)
                .ok_or_else(|| format!("\"{text}\" is not a socket ([proto:]host[:port])"))?;
            *slot = PreparedArg::Custom(Arc::new(written));
        }
    }
    Ok(())
}

fn force_send_socket(ctx: &mut Context, args: &Args) -> i32 {
    let read_now;
    let written = match args.custom::<Written>(0) {
        Some(w) => Some(w),
        None => {
            read_now = args.str(ctx, 0).and_then(|t| Written::read(&t));
            read_now.as_ref()
        }
    };
    let found = written.and_then(|w| find(ctx.worker.transports.as_ref()?.sockets(), w));
    match found {
        Some(id) => {
            ctx.send_socket = Some(id);
            1
        }
        None => {
            let text = written.map_or_else(
                || args.str(ctx, 0).unwrap_or_default().into_owned(),
                |w| w.text.clone(),
            );
            log::emit(
                level::ERR,
                "core",
                &format!("force_send_socket: {text} is not a socket siplua listens on"),
            );
            -1
        }
    }
}

/// The listening socket that `text` (`[proto:]host[:port]`) names, if it is one of ours: for
/// functions that read a socket from a message, such as the registrar's `sock_hdr_name`.
pub fn socket_named(ctx: &Context, text: &str) -> Option<SocketId> {
    let written = Written::read(text)?;
    find(ctx.worker.transports.as_ref()?.sockets(), &written)
}

/// The listening socket that `w` names: the protocol and port must match when given; the
/// host is the bound IP or the advertised name.
fn find(sockets: &[SocketInfo], w: &Written) -> Option<SocketId> {
    sockets.iter().find(|s| names(&w.spec, s)).map(|s| s.id)
}

/// Whether the written socket `w` names the listening socket `s`.
fn names(w: &SocketSpec, s: &SocketInfo) -> bool {
    let proto_ok = w
        .proto
        .as_deref()
        .is_none_or(|p| p.eq_ignore_ascii_case(s.proto.as_str()));
    let port_ok = w
        .port
        .is_none_or(|p| p == s.addr.port() || p == s.advertised_port);
    let host_ok = match w.host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip == s.addr.ip(),
        Err(_) => w.host.eq_ignore_ascii_case(&s.advertised_host),
    };
    proto_ok && port_ok && host_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use siplua_transport::Proto;

    fn socket(id: u16, proto: Proto, addr: &str, advertised: &str) -> SocketInfo {
        let addr: std::net::SocketAddr = addr.parse().unwrap();
        SocketInfo {
            id: SocketId(id),
            proto,
            addr,
            advertised_host: advertised.to_owned(),
            advertised_port: addr.port(),
        }
    }

    #[test]
    fn finds_the_socket_by_proto_host_and_port() {
        let sockets = [
            socket(0, Proto::Udp, "127.0.0.1:5060", "127.0.0.1"),
            socket(1, Proto::Tcp, "127.0.0.1:5060", "127.0.0.1"),
            socket(2, Proto::Udp, "10.0.0.1:5070", "sip.example.com"),
            socket(3, Proto::Udp, "[::1]:5060", "::1"),
        ];
        let pick = |t: &str| {
            Written::read(t)
                .and_then(|w| find(&sockets, &w))
                .map(|id| id.0)
        };
        assert_eq!(pick("udp:127.0.0.1:5060"), Some(0));
        assert_eq!(pick("TCP:127.0.0.1:5060"), Some(1));
        assert_eq!(pick("127.0.0.1"), Some(0));
        assert_eq!(pick("udp:10.0.0.1"), Some(2));
        assert_eq!(pick("udp:sip.example.com:5070"), Some(2));
        assert_eq!(pick("udp:[::1]:5060"), Some(3));
        assert_eq!(pick("udp:127.0.0.1:5070"), None);
        assert_eq!(pick("tls:127.0.0.1:5060"), None);
        assert_eq!(pick("udp:192.0.2.1:5060"), None);
        assert_eq!(pick("udp:127.0.0.1:port"), None);
        assert_eq!(pick(""), None);
    }

    #[test]
    fn a_constant_that_is_no_socket_fails_the_load() {
        let mut ok = [PreparedArg::Str("tcp:127.0.0.1:5060".into())];
        prepare(&mut ok).unwrap();
        assert!(matches!(ok[0], PreparedArg::Custom(_)));
        let mut bad = [PreparedArg::Str("udp:".into())];
        assert!(prepare(&mut bad).unwrap_err().contains("is not a socket"));
    }
}
