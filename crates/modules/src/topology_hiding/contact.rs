//! Our Contact: the proxy's address (the socket the dialog's INVITE arrived on, as rr's
//! `record_route` uses), the dialog's token in `;did=`, the user part with flag `U`, and the
//! Contact parameters `th_passed_contact_uri_params` / `th_passed_contact_params` name.

use siplua_core::context::Context;
use siplua_sip::{HeaderKind, Message};
use siplua_transport::Proto;

/// The URI parameter carrying the dialog's token.
pub const TOKEN_PARAM: &str = "did";

/// Our address for Contacts: `host:port` of the socket `ctx`'s message arrived on, with
/// `;transport=` for TCP and TLS.
pub fn proxy_address(ctx: &Context) -> Option<String> {
    let origin = ctx.origin?;
    let socket = ctx.worker.transports.as_deref()?.socket(origin.socket)?;
    let host = ctx.advertised.host(socket);
    let bracket = host.contains(':') && !host.starts_with('[');
    let mut out = if bracket {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    out.push(':');
    out.push_str(itoa::Buffer::new().format(ctx.advertised.port(socket)));
    match socket.proto {
        Proto::Udp => {}
        Proto::Tcp => out.push_str(";transport=tcp"),
        Proto::Tls => out.push_str(";transport=tls"),
        Proto::Ws => out.push_str(";transport=ws"),
        Proto::Wss => out.push_str(";transport=wss"),
    }
    Some(out)
}

/// What a side's Contact tells: its URI, user part, and the passed URI and header
/// parameters (each `;name[=value]...`).
pub struct Seen {
    /// The Contact URI.
    pub uri: String,
    /// Its user part.
    pub user: Option<String>,
    /// The passed URI parameters.
    pub uri_params: String,
    /// The passed header parameters.
    pub params: String,
}

/// The first Contact of `msg`, read for hiding.
pub fn read(msg: &Message, uri_names: &[String], names: &[String]) -> Option<Seen> {
    let contact = msg.contacts().next()?.ok()?;
    let na = contact.addr()?;
    let uri = na.uri();
    let pick = |params: siplua_sip::params::Params, list: &[String]| {
        let mut out = String::new();
        for name in list {
            match params.get(name) {
                Some(Some(v)) => out.push_str(&format!(";{name}={v}")),
                Some(None) => out.push_str(&format!(";{name}")),
                None => {}
            }
        }
        out
    };
    Some(Seen {
        uri: uri.as_str().to_owned(),
        user: uri.user().filter(|u| !u.is_empty()).map(str::to_owned),
        uri_params: pick(uri.params(), uri_names),
        params: pick(na.params(), names),
    })
}

/// Our Contact value: `<sip:[user@]proxy;did=token[passed uri params]>[passed params]`.
pub fn ours(proxy: &str, token: &str, user: Option<&str>, passed: &(String, String)) -> String {
    let mut out = String::with_capacity(proxy.len() + token.len() + 32);
    out.push_str("<sip:");
    if let Some(u) = user {
        out.push_str(u);
        out.push('@');
    }
    out.push_str(proxy);
    out.push(';');
    out.push_str(TOKEN_PARAM);
    out.push('=');
    out.push_str(token);
    out.push_str(&passed.0);
    out.push('>');
    out.push_str(&passed.1);
    out
}

/// Replaces every Contact of `msg` by `value` (the first line rewritten, others removed).
pub fn replace(ctx: &mut Context, msg: &Message, value: &str) -> Result<(), String> {
    let lines: Vec<usize> = msg.find_all(HeaderKind::Contact).map(|(i, _)| i).collect();
    for (n, i) in lines.into_iter().enumerate() {
        let r = if n == 0 {
            ctx.edits.replace_value(msg, i, value)
        } else {
            ctx.edits.remove_header(msg, i)
        };
        r.map_err(|e| format!("cannot replace Contact: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_builds_contacts() {
        let text = "INVITE sip:b@y SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
                    From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\
                    Contact: \"A\" <sip:alice@10.0.0.1:5062;ob;x=1>;+sip.instance=\"<u>\";q=1\r\n\
                    Content-Length: 0\r\n\r\n";
        let msg = Message::parse_slice(text.as_bytes()).unwrap();
        let names = vec!["+sip.instance".to_owned()];
        let seen = read(&msg, &["ob".to_owned(), "y".to_owned()], &names).unwrap();
        assert_eq!(seen.uri, "sip:alice@10.0.0.1:5062;ob;x=1");
        assert_eq!(seen.user.as_deref(), Some("alice"));
        assert_eq!(seen.uri_params, ";ob");
        assert_eq!(seen.params, ";+sip.instance=\"<u>\"");
        let passed = (seen.uri_params, seen.params);
        assert_eq!(
            ours("192.0.2.1:5060", "ab12", Some("alice"), &passed),
            "<sip:alice@192.0.2.1:5060;did=ab12;ob>;+sip.instance=\"<u>\""
        );
        let none = (String::new(), String::new());
        assert_eq!(
            ours("192.0.2.1:5060", "t", None, &none),
            "<sip:192.0.2.1:5060;did=t>"
        );
    }
}
