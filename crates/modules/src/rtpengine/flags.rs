//! The `flags` argument of the rtpengine functions, as OpenSIPS 3.x writes it — words
//! separated by spaces (`"trust-address replace-origin ICE=remove RTP/AVP"`) — turned into
//! the entries of an rtpengine "ng" command.

use std::collections::HashMap;

use serde_bencode::value::Value;

/// A flags string read into ng dictionary entries, plus the few options siplua acts on.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// Entries added to the command dictionary.
    pub entries: HashMap<Vec<u8>, Value>,
    /// `via-branch=1|2|auto`: which Via's branch identifies the call leg.
    pub via_branch: Option<String>,
}

fn text(s: &str) -> Value {
    Value::Bytes(s.as_bytes().to_vec())
}

/// Keys whose values are lists in the ng protocol (`direction=internal direction=external`).
const LIST_KEYS: [&str; 5] = ["direction", "rtcp-mux", "SDES", "replace", "T.38"];

impl Flags {
    fn push_list(&mut self, key: &str, value: &str) {
        let entry = self
            .entries
            .entry(key.as_bytes().to_vec())
            .or_insert_with(|| Value::List(Vec::new()));
        if let Value::List(items) = entry {
            items.push(text(value));
        }
    }

    fn push_codec(&mut self, op: &str, value: &str) {
        let codec = self
            .entries
            .entry(b"codec".to_vec())
            .or_insert_with(|| Value::Dict(HashMap::new()));
        if let Value::Dict(ops) = codec {
            let list = ops
                .entry(op.as_bytes().to_vec())
                .or_insert_with(|| Value::List(Vec::new()));
            if let Value::List(items) = list {
                items.extend(value.split(',').map(text));
            }
        }
    }
}

/// Reads the words. Bare words go to the `flags` list (`trust-address`, `symmetric`,
/// `asymmetric`, `force`, ...); `replace-X`, `rtcp-mux-X`, `SDES-X` and `direction=X` to
/// their lists; `codec-OP=A,B` to the `codec` dictionary; `RTP/AVP` and the other
/// transport names to `transport-protocol`; any other `key=value` to its own entry.
pub fn parse(input: &str) -> Result<Flags, String> {
    let mut f = Flags::default();
    for word in input.split_whitespace() {
        if let Some((key, value)) = word.split_once('=') {
            if key.is_empty() {
                return Err(format!("rtpengine flag '{word}' has no name"));
            }
            match key {
                "via-branch" => {
                    if !matches!(value, "1" | "2" | "auto") {
                        return Err(format!(
                            "rtpengine flag '{word}': via-branch is 1, 2 or auto (extra_id_pv is not supported)"
                        ));
                    }
                    f.via_branch = Some(value.to_owned());
                }
                k if LIST_KEYS.contains(&k) => f.push_list(k, value),
                k if k.starts_with("codec-") => f.push_codec(&k["codec-".len()..], value),
                k => {
                    f.entries.insert(k.as_bytes().to_vec(), text(value));
                }
            }
            continue;
        }
        if let Some(what) = word.strip_prefix("replace-") {
            f.push_list("replace", what);
        } else if let Some(what) = word.strip_prefix("rtcp-mux-") {
            f.push_list("rtcp-mux", what);
        } else if let Some(what) = word.strip_prefix("SDES-") {
            f.push_list("SDES", what);
        } else if word.contains('/') && word.to_ascii_uppercase().contains("RTP") {
            f.entries.insert(b"transport-protocol".to_vec(), text(word));
        } else {
            f.push_list("flags", word);
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(f: &Flags, key: &str) -> Vec<String> {
        match f.entries.get(key.as_bytes()) {
            Some(Value::List(items)) => items
                .iter()
                .map(|v| match v {
                    Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                    _ => String::new(),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn words_become_ng_entries() {
        let f = parse("trust-address replace-origin replace-session-connection ICE=remove RTP/AVP direction=internal direction=external codec-strip=PCMA,G729 via-branch=1").unwrap();
        assert_eq!(list(&f, "flags"), ["trust-address"]);
        assert_eq!(list(&f, "replace"), ["origin", "session-connection"]);
        assert_eq!(list(&f, "direction"), ["internal", "external"]);
        assert!(matches!(f.entries.get(&b"ICE"[..]), Some(Value::Bytes(b)) if b == b"remove"));
        assert!(
            matches!(f.entries.get(&b"transport-protocol"[..]), Some(Value::Bytes(b)) if b == b"RTP/AVP")
        );
        assert!(
            matches!(f.entries.get(&b"codec"[..]), Some(Value::Dict(d)) if d.contains_key(&b"strip"[..]))
        );
        assert_eq!(f.via_branch.as_deref(), Some("1"));
        assert!(parse("via-branch=9").is_err());
        assert!(parse("=x").is_err());
    }
}
