//! `force_send_socket(socket)`: the local socket that the request's forwarded copies leave
//! from (`forward()`, `t_relay()`), as in OpenSIPS' core. The socket is written
//! `[proto:]host[:port]`, quoted or bare (`force_send_socket(udp:10.0.0.1:5060)`), and must be
//! one this server listens on; replies still leave from the socket the request came in on.

use siplua_script::SocketSpec;
use siplua_transport::{SocketId, SocketInfo};

use crate::config::parse_socket_text;
use crate::context::Context;
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use crate::log::{self, level};
use crate::route_type::RouteMask;

/// The declaration.
pub fn functions() -> Vec<FunctionDecl> {
    vec![FunctionDecl::new(
        "force_send_socket",
        vec![ParamSpec::req("socket", ParamKind::Str)],
        RouteMask::REQUEST_LIKE,
        force_send_socket,
    )]
}

fn force_send_socket(ctx: &mut Context, args: &Args) -> i32 {
    let Some(text) = args.str(ctx, 0).map(|t| t.into_owned()) else {
        return -1;
    };
    let found = ctx
        .worker
        .transports
        .as_ref()
        .and_then(|t| find_socket(t.sockets(), &text));
    match found {
        Some(id) => {
            ctx.send_socket = Some(id);
            1
        }
        None => {
            log::emit(
                level::ERR,
                "core",
                &format!("force_send_socket: {text} is not a socket siplua listens on"),
            );
            -1
        }
    }
}

/// The listening socket that `text` (`[proto:]host[:port]`) names: the protocol and port
/// must match when given; the host is the bound IP or the advertised name.
pub fn find_socket(sockets: &[SocketInfo], text: &str) -> Option<SocketId> {
    let wanted = parse_socket_text(text.trim()).ok()?;
    if wanted.host.is_empty() {
        return None;
    }
    sockets.iter().find(|s| names(&wanted, s)).map(|s| s.id)
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
        let find = |t: &str| find_socket(&sockets, t).map(|id| id.0);
        assert_eq!(find("udp:127.0.0.1:5060"), Some(0));
        assert_eq!(find("TCP:127.0.0.1:5060"), Some(1));
        assert_eq!(find("127.0.0.1"), Some(0));
        assert_eq!(find("udp:10.0.0.1"), Some(2));
        assert_eq!(find("udp:sip.example.com:5070"), Some(2));
        assert_eq!(find("udp:[::1]:5060"), Some(3));
        assert_eq!(find("udp:127.0.0.1:5070"), None);
        assert_eq!(find("tls:127.0.0.1:5060"), None);
        assert_eq!(find("udp:192.0.2.1:5060"), None);
        assert_eq!(find("udp:127.0.0.1:port"), None);
        assert_eq!(find(""), None);
    }
}
