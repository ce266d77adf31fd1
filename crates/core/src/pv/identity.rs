//! Pseudo-variables of the caller-identity and transfer headers: `$ai` (P-Asserted-Identity
//! URI), `$re` (Remote-Party-ID URI), `$di`/`$dip`/`$dir` (Diversion URI, `privacy` and
//! `reason` parameters) and `$rt` (Refer-To URI), read from the first value of the first
//! such header as OpenSIPS does; null when the header is missing or does not parse.

use siplua_sip::headers::NameAddr;
use siplua_sip::{first_list_value, Message};

use crate::value::Value;

/// One of the identity variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentityPv {
    /// `$ai`
    AssertedIdentity,
    /// `$re`
    RemotePartyId,
    /// `$di`
    DiversionUri,
    /// `$dip`
    DiversionPrivacy,
    /// `$dir`
    DiversionReason,
    /// `$rt`
    ReferTo,
}

impl IdentityPv {
    /// The variable called `$name`, if it is one of these.
    pub fn by_name(name: &str) -> Option<IdentityPv> {
        Some(match name {
            "ai" => IdentityPv::AssertedIdentity,
            "re" => IdentityPv::RemotePartyId,
            "di" => IdentityPv::DiversionUri,
            "dip" => IdentityPv::DiversionPrivacy,
            "dir" => IdentityPv::DiversionReason,
            "rt" => IdentityPv::ReferTo,
            _ => return None,
        })
    }

    fn header(self) -> &'static str {
        match self {
            IdentityPv::AssertedIdentity => "P-Asserted-Identity",
            IdentityPv::RemotePartyId => "Remote-Party-ID",
            IdentityPv::ReferTo => "Refer-To",
            _ => "Diversion",
        }
    }

    /// Reads the variable from `msg`.
    pub fn get(self, msg: &Message) -> Value {
        let Some(text) = msg
            .find_name(self.header())
            .next()
            .map(|(_, h)| msg.value_of(h))
        else {
            return Value::Null;
        };
        let Ok(na) = NameAddr::parse(first_list_value(text)) else {
            return Value::Null;
        };
        let param = |name: &str| na.params().value(name).map_or(Value::Null, Value::from);
        match self {
            IdentityPv::DiversionPrivacy => param("privacy"),
            IdentityPv::DiversionReason => param("reason"),
            _ => Value::from(na.uri().as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(extra: &str) -> Message {
        let text = format!(
            "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\n\
             To: <sip:b@h>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n{extra}\r\n"
        );
        Message::parse_slice(text.as_bytes()).unwrap()
    }

    #[test]
    fn identity_headers() {
        let m = msg(
            "P-Asserted-Identity: \"Alice, A\" <sip:alice@h>, <tel:+1555>\r\n\
             Diversion: <sip:fwd@h>;reason=unconditional;privacy=off, <sip:x@h>\r\n\
             Refer-To: <sip:carol@h?Replaces=abc>\r\n",
        );
        let get = |name| IdentityPv::by_name(name).unwrap().get(&m);
        assert_eq!(get("ai"), Value::from("sip:alice@h"));
        assert_eq!(get("di"), Value::from("sip:fwd@h"));
        assert_eq!(get("dir"), Value::from("unconditional"));
        assert_eq!(get("dip"), Value::from("off"));
        assert_eq!(get("rt"), Value::from("sip:carol@h?Replaces=abc"));
        assert_eq!(get("re"), Value::Null);
        assert_eq!(IdentityPv::by_name("rx"), None);
    }
}
