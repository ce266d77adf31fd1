//! The REGISTER text a registrant sends, and the expiry the registrar granted in its 200.

use siplua_sip::headers::Contact;
use siplua_sip::{HeaderKind, Message};

use super::record::Row;

/// What changes from one REGISTER of a registration to the next.
pub struct Dialog<'a> {
    /// The constant Call-ID.
    pub call_id: &'a str,
    /// The constant From tag.
    pub from_tag: &'a str,
    /// This request's CSeq number.
    pub cseq: u32,
    /// The expiry asked for; 0 removes the binding.
    pub expires: u32,
    /// `(header name, value)` answering a challenge.
    pub auth: Option<(&'a str, &'a str)>,
}

/// The REGISTER for `row`: Request-URI the registrar, To the AOR, From the third party
/// registrant or the AOR, Contact the binding with its parameters and `expires`, and an
/// Expires header. No Via: tm adds it with the branch of its client transaction.
pub fn register(row: &Row, d: &Dialog) -> String {
    let from = row.third_party_registrant.as_deref().unwrap_or(&row.aor);
    let mut out = format!(
        "REGISTER {registrar} SIP/2.0\r\nMax-Forwards: 70\r\n\
         From: <{from}>;tag={tag}\r\nTo: <{aor}>\r\nCall-ID: {call_id}\r\n\
         CSeq: {cseq} REGISTER\r\nContact: <{binding}>{params};expires={expires}\r\n\
         Expires: {expires}\r\n",
        registrar = row.registrar,
        tag = d.from_tag,
        aor = row.aor,
        call_id = d.call_id,
        cseq = d.cseq,
        binding = row.binding_uri,
        params = row.binding_params,
        expires = d.expires,
    );
    if let Some((name, value)) = d.auth {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

/// The expiry a 200 grants our binding: the `expires` parameter of the Contact whose URI is
/// `binding`, else the Expires header; `None` when neither says.
pub fn granted_expiry(reply: &Message, binding: &str) -> Option<u32> {
    let from_contact = reply.values(HeaderKind::Contact).find_map(|v| {
        let c = Contact::parse(v.text).ok()?;
        let a = c.addr()?;
        (a.uri().as_str() == binding).then(|| a.expires())?
    });
    from_contact.or_else(|| reply.get(HeaderKind::Expires)?.trim().parse().ok())
}

/// The Min-Expires of a 423 reply.
pub fn min_expires(reply: &Message) -> Option<u32> {
    reply.get(HeaderKind::MinExpires)?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        Row {
            registrar: "sip:reg.example.com".into(),
            proxy: None,
            aor: "sip:alice@example.com".into(),
            third_party_registrant: Some("sip:pbx@example.com".into()),
            username: "alice".into(),
            password: "pw".into(),
            binding_uri: "sip:alice@10.0.0.1:5060".into(),
            binding_params: ";reg-id=1".into(),
            expiry: 600,
            forced_socket: None,
            cluster_shtag: None,
            enabled: true,
        }
    }

    #[test]
    fn builds_a_valid_register() {
        let text = register(
            &row(),
            &Dialog {
                call_id: "cid",
                from_tag: "ft",
                cseq: 7,
                expires: 600,
                auth: Some(("Authorization", "Digest username=\"alice\"")),
            },
        );
        assert!(!text.contains("Via:"), "tm adds the Via: {text}");
        let with_via = text.replacen(
            "\r\n",
            "\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\n",
            1,
        );
        let m = Message::parse_slice(with_via.as_bytes()).unwrap();
        assert!(siplua_sip::validate::check_request(&m).is_ok(), "{text}");
        assert_eq!(m.ruri_str(), Some("sip:reg.example.com"));
        assert_eq!(
            m.get(HeaderKind::From),
            Some("<sip:pbx@example.com>;tag=ft")
        );
        assert_eq!(m.get(HeaderKind::To), Some("<sip:alice@example.com>"));
        assert_eq!(
            m.get(HeaderKind::Contact),
            Some("<sip:alice@10.0.0.1:5060>;reg-id=1;expires=600")
        );
        assert_eq!(m.get(HeaderKind::Expires), Some("600"));
        assert!(text.contains("\r\nAuthorization: Digest username=\"alice\"\r\n"));
        assert!(text.contains("CSeq: 7 REGISTER\r\n"));
    }

    #[test]
    fn reads_the_granted_expiry_of_our_binding() {
        let reply = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\n\
             From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>;tag=2\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n\
             Contact: <sip:other@10.0.0.9>;expires=30, <sip:alice@10.0.0.1:5060>;expires=45\r\n\
             Expires: 99\r\nContent-Length: 0\r\n\r\n";
        let m = Message::parse_slice(reply.as_bytes()).unwrap();
        assert_eq!(granted_expiry(&m, "sip:alice@10.0.0.1:5060"), Some(45));
        assert_eq!(granted_expiry(&m, "sip:nobody@10.0.0.1"), Some(99));
        let bare = reply.replace("Expires: 99\r\n", "");
        let m = Message::parse_slice(bare.as_bytes()).unwrap();
        assert_eq!(granted_expiry(&m, "sip:nobody@10.0.0.1"), None);
    }
}
