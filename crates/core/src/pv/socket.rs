//! `$socket_in(field)` and `$socket_out(field)`: the socket a message came in on and the one
//! forced for sending it (`force_send_socket`), as OpenSIPS 3.x names them. Without a field
//! the whole socket (`udp:127.0.0.1:5060`); the current templates test
//! `$socket_in(proto) == "tcp"`. `$socket_out = "udp:10.0.0.1:5060"` forces the socket as
//! `force_send_socket` does, `$socket_out = NULL` lets the routing choose again.

use super::Inner;
use crate::context::Context;
use crate::corefn::socket_named;
use crate::value::Value;

/// Which socket the variable names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// `$socket_in`: where the message was received.
    In,
    /// `$socket_out`: the socket forced for sending; NULL when none is.
    Out,
}

/// The fields OpenSIPS 3.x knows.
const FIELDS: [&str; 9] = [
    "ip", "port", "proto", "name", "tag", "anycast", "af", "adv_ip", "adv_port",
];

/// Refuses an unknown constant field when the script is loaded.
pub(super) fn check_field(inner: &Inner) -> Result<(), String> {
    match inner {
        Inner::Text(f) if !FIELDS.contains(&f.as_ref()) => Err(format!(
            "unknown socket field '{f}' (known: {})",
            FIELDS.join(", ")
        )),
        _ => Ok(()),
    }
}

/// Reads the variable; `field` is `None` for the whole socket.
pub(super) fn get(ctx: &Context, which: Which, field: Option<&str>) -> Value {
    let id = match which {
        Which::In => ctx.origin.as_ref().map(|o| o.socket),
        Which::Out => ctx.send_socket,
    };
    let Some(sock) = id.and_then(|id| {
        ctx.worker
            .transports
            .as_ref()
            .and_then(|t| t.socket(id).cloned())
    }) else {
        return Value::Null;
    };
    let proto = sock.proto.as_str().to_ascii_lowercase();
    match field {
        None => Value::Str(format!("{proto}:{}", sock.addr)),
        Some("ip") => Value::Str(sock.addr.ip().to_string()),
        Some("port") => Value::Int(i64::from(sock.addr.port())),
        Some("proto") => Value::Str(proto),
        Some("af") => Value::from(if sock.addr.is_ipv6() { "INET6" } else { "INET" }),
        Some("adv_ip") => Value::Str(sock.advertised_host.clone()),
        Some("adv_port") => Value::Int(i64::from(sock.advertised_port)),
        Some("anycast") => Value::Int(0),
        // siplua's sockets have no names or tags.
        _ => Value::Null,
    }
}

/// `$socket_out = value`: a socket of ours (`[proto:]host[:port]`) forces it, NULL or "" clears
/// the forced socket; anything else is an error and leaves the socket as it was.
pub(super) fn set_out(ctx: &mut Context, value: Value) -> Result<(), String> {
    if value.is_null() || value.as_str().is_empty() {
        ctx.send_socket = None;
        return Ok(());
    }
    let text = value.as_str().into_owned();
    let id = socket_named(ctx, &text)
        .ok_or_else(|| format!("$socket_out: {text} is not a socket siplua listens on"))?;
    ctx.send_socket = Some(id);
    Ok(())
}
