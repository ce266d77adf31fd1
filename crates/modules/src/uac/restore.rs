//! Restoring From/To on sequential requests (`restore_mode` manual and auto): when an initial
//! request's From/To is replaced, the original and new URIs go into our Record-Route as a
//! parameter (`vsf` / `vst`, through rr's `add_rr_param`); an in-dialog request that carries
//! it in its top Route gets the header of either direction swapped back.
//!
//! The parameter is siplua's own encoding (`hex(original).hex(new)`, XOR-ed with
//! `restore_passwd` when set): only siplua reads it back.

use siplua_core::context::Context;
use siplua_core::function::{Args, PreparedArg};
use siplua_sip::headers::name_addr::NameAddr;
use siplua_sip::{HeaderKind, Message};

use super::replace::{new_value, Which};
use crate::auth::digest::hex;

/// How replaced headers are restored (`restore_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Nothing stored.
    None,
    /// Stored; `uac_restore_from()`/`_to()` restore sequential requests.
    Manual,
    /// Stored and restored on every sequential request (OpenSIPS' default).
    #[default]
    Auto,
}

impl Mode {
    /// Parses `none` / `manual` / `auto` (case-insensitive).
    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Mode::None),
            "manual" => Some(Mode::Manual),
            "auto" => Some(Mode::Auto),
            _ => None,
        }
    }
}

/// The storing settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `restore_mode`.
    pub mode: Mode,
    /// `restore_passwd` (empty: no scrambling).
    pub passwd: String,
    /// `rr_from_store_param`.
    pub from_param: String,
    /// `rr_to_store_param`.
    pub to_param: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Auto,
            passwd: String::new(),
            from_param: "vsf".into(),
            to_param: "vst".into(),
        }
    }
}

impl Settings {
    fn param(&self, which: Which) -> &str {
        match which {
            Which::From => &self.from_param,
            Which::To => &self.to_param,
        }
    }

    fn scramble(&self, data: &[u8]) -> Vec<u8> {
        let key = self.passwd.as_bytes();
        if key.is_empty() {
            return data.to_vec();
        }
        data.iter()
            .zip(key.iter().cycle())
            .map(|(b, k)| b ^ k)
            .collect()
    }

    /// The parameter value for a replacement `original` → `new`.
    pub fn encode(&self, original: &str, new: &str) -> String {
        format!(
            "{}.{}",
            hex(&self.scramble(original.as_bytes())),
            hex(&self.scramble(new.as_bytes()))
        )
    }

    /// The (original, new) pair of a parameter value.
    pub fn decode(&self, value: &str) -> Option<(String, String)> {
        let (a, b) = value.split_once('.')?;
        let one = |h: &str| {
            let bytes: Option<Vec<u8>> = (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
                .collect();
            String::from_utf8(self.scramble(&bytes?)).ok()
        };
        Some((one(a)?, one(b)?))
    }

    /// After a replacement on an initial request: stores the pair in our Record-Route.
    pub fn store(&self, ctx: &mut Context, which: Which, original: &str, new: &str) {
        let initial = ctx
            .msg
            .as_ref()
            .and_then(|m| m.to().ok().map(|t| t.tag().is_none()))
            .unwrap_or(false);
        if self.mode == Mode::None || !initial || original == new {
            return;
        }
        let Some(add) = ctx.core.functions.get("add_rr_param") else {
            return;
        };
        let param = format!(";{}={}", self.param(which), self.encode(original, new));
        (add.handler)(ctx, &Args(vec![PreparedArg::Str(param.into())]));
    }

    /// Restores the header `which` replaced on a sequential request whose top Route carries
    /// the stored pair: 1 when a header was rewritten, -1 otherwise.
    pub fn restore(&self, ctx: &mut Context, which: Which) -> i32 {
        let Some(msg) = ctx.msg else {
            return -1;
        };
        let Some((original, new)) = stored(msg, self.param(which)).and_then(|v| self.decode(&v))
        else {
            return -1;
        };
        let uri_of = |kind| {
            let (i, h) = msg.find(kind)?;
            let na = NameAddr::parse(msg.value_of(h)).ok()?;
            Some((i, na.uri().as_str().to_owned()))
        };
        let (same, other) = match which {
            Which::From => (HeaderKind::From, HeaderKind::To),
            Which::To => (HeaderKind::To, HeaderKind::From),
        };
        // Downstream the header still has the original URI; upstream the other header
        // carries the new one.
        let target = match (uri_of(same), uri_of(other)) {
            (Some((i, u)), _) if u == original => Some((i, new)),
            (_, Some((i, u))) if u == new => Some((i, original)),
            _ => None,
        };
        let Some((index, uri)) = target else {
            return -1;
        };
        let Some(old) = msg.header(index).map(|h| msg.value_of(h).to_owned()) else {
            return -1;
        };
        match new_value(&old, None, &uri).map(|v| ctx.edits.replace_value(msg, index, &v)) {
            Ok(Ok(())) => 1,
            _ => -1,
        }
    }
}

/// The value of parameter `name` on the top Route of `msg`.
fn stored(msg: &Message, name: &str) -> Option<String> {
    let route = msg.routes().next()?.ok()?;
    route.uri().params().value(name).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_decodes_with_and_without_password() {
        let mut s = Settings::default();
        let v = s.encode("sip:alice@a.example", "sip:+1555@trunk");
        assert!(v.bytes().all(|b| b.is_ascii_hexdigit() || b == b'.'));
        assert_eq!(
            s.decode(&v),
            Some(("sip:alice@a.example".into(), "sip:+1555@trunk".into()))
        );
        s.passwd = "secret".into();
        let w = s.encode("sip:alice@a.example", "sip:+1555@trunk");
        assert_ne!(v, w);
        assert_eq!(s.decode(&w).unwrap().1, "sip:+1555@trunk");
        assert_eq!(s.decode("zz.00"), None);
        assert_eq!(Mode::parse("AUTO"), Some(Mode::Auto));
        assert_eq!(Mode::parse("sometimes"), None);
    }
}
