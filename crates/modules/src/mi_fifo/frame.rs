//! Cutting the FIFO's byte stream into commands: `:REPLY_NAME:` then one JSON value. Several
//! clients may write while the FIFO is open, so commands are taken one after the other as
//! soon as each is complete.

/// One command read from the FIFO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The reply FIFO's name in `reply_dir`; `None` when the client asked for no reply.
    pub reply_to: Option<String>,
    /// The JSON-RPC request text (possibly not valid JSON: the MI engine answers that).
    pub body: Vec<u8>,
}

/// What the start of the buffer holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A command, and how many bytes it took.
    Command(Frame, usize),
    /// A command not complete yet: wait for more bytes.
    Incomplete,
    /// Bytes that are not a command (no `:name:` prefix): drop them all.
    Garbage,
}

/// Takes the next command from `buf`; `eof` tells that no more bytes will come, so an
/// incomplete JSON text is handed over as it is (and answered with a parse error).
pub fn next(buf: &[u8], eof: bool) -> Next {
    let start = buf
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(buf.len());
    let rest = &buf[start..];
    if rest.is_empty() {
        return Next::Incomplete;
    }
    if rest[0] != b':' {
        return Next::Garbage;
    }
    let Some(close) = rest[1..].iter().position(|b| *b == b':') else {
        return if eof { Next::Garbage } else { Next::Incomplete };
    };
    let name = String::from_utf8_lossy(&rest[1..1 + close])
        .trim()
        .to_owned();
    let json_start = start + close + 2;
    let json = &buf[json_start..];
    let mut values = serde_json::Deserializer::from_slice(json).into_iter::<serde_json::Value>();
    let end = match values.next() {
        Some(Ok(_)) => json_start + values.byte_offset(),
        Some(Err(e)) if e.is_eof() && !eof => return Next::Incomplete,
        None if !eof => return Next::Incomplete,
        // Not JSON: hand everything over, the engine replies "Parse error".
        _ => buf.len(),
    };
    let frame = Frame {
        reply_to: (!name.is_empty()).then_some(name),
        body: buf[json_start..end].to_vec(),
    };
    Next::Command(frame, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_one_after_the_other() {
        let buf = br#":r1:{"jsonrpc":"2.0","method":"uptime","id":"1"} :r2:{"jsonrpc":"2.0","#;
        let Next::Command(f, used) = next(buf, false) else {
            panic!()
        };
        assert_eq!(f.reply_to.as_deref(), Some("r1"));
        assert!(f.body.ends_with(b"}"));
        assert_eq!(next(&buf[used..], false), Next::Incomplete);
        let Next::Command(f, _) = next(&buf[used..], true) else {
            panic!()
        };
        assert_eq!(f.reply_to.as_deref(), Some("r2"));
        assert_eq!(
            next(b"::{}", false),
            Next::Command(
                Frame {
                    reply_to: None,
                    body: b"{}".to_vec()
                },
                4
            )
        );
        assert_eq!(next(b"hello", false), Next::Garbage);
        assert_eq!(next(b"  \n", true), Next::Incomplete);
        let Next::Command(f, n) = next(b":r:{nope\n", false) else {
            panic!()
        };
        assert_eq!((f.body.as_slice(), n), (&b"{nope\n"[..], 9));
    }
}
