//! Edits ("lumps"): changes to a message written out over the original bytes.
//!
//! A proxy never re-serializes a message. It records edits against the
//! parsed [`Message`] — each edit is a byte range of the original buffer and
//! the text that replaces it (an empty range is an insertion) — and
//! [`Edits::apply`] copies the buffer once, splicing the edits in. Bytes no
//! edit touches are copied unchanged, so unknown headers, odd spacing and
//! compact forms pass through exactly as received.
//!
//! # Conflicts
//!
//! Edits are recorded independently and resolved at `apply` time:
//! - removals win: overlapping removals merge, and a replacement that
//!   overlaps a removed range is dropped (removing a header and then
//!   replacing its value removes it, in either order);
//! - of two overlapping replacements, the one recorded first wins;
//! - an insertion strictly inside a removed or replaced range is dropped; an
//!   insertion at the start of a range goes before it and one at its end after;
//! - insertions at the same offset come out in the order they were recorded
//!   (so two `insert_via` calls put the first-recorded Via on top).
//!
//! An `Edits` list belongs to the message it was built against; ranges that do
//! not fit the message given to `apply` are ignored.

use std::fmt;
use std::ops::Range;

use smallvec::SmallVec;

use crate::chars::is_token_str;
use crate::header_kind::HeaderKind;
use crate::list::ListSplit;
use crate::message::Message;
use crate::uri::Uri;

/// Where a new header goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    /// First header, right after the start line.
    Top,
    /// Last header, right before the empty line.
    End,
    /// Before the header line with this index.
    Before(usize),
    /// After the header line with this index.
    After(usize),
}

/// Why an edit was refused (nothing is recorded then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditError {
    /// The header name is not a token.
    BadName,
    /// The value contains a line break or control character (header injection).
    BadValue,
    /// The new Request-URI does not parse.
    BadUri,
    /// No header line with this index, or no Via to remove.
    NoSuchHeader,
    /// The edit applies to requests only (Request-URI rewrite).
    NotARequest,
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EditError::BadName => "header name is not a token",
            EditError::BadValue => "header value contains control characters",
            EditError::BadUri => "invalid Request-URI",
            EditError::NoSuchHeader => "no such header",
            EditError::NotARequest => "not a request",
        })
    }
}

impl std::error::Error for EditError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OpKind {
    Insert,
    Remove,
    Replace,
}

/// One piece of an edited message being written: the source range `start..end` it replaces
/// (empty for an insert), its order among pieces at the same offset, its recording order,
/// and its new text in the arena.
type Segment = (usize, usize, u8, usize, Range<usize>);

#[derive(Clone, Debug)]
struct Op {
    kind: OpKind,
    start: usize,
    end: usize,
    text: Range<usize>,
    seq: usize,
}

/// An ordered list of edits against one message.
#[derive(Debug, Default)]
pub struct Edits {
    ops: Vec<Op>,
    arena: Vec<u8>,
    /// The order number of the next operation (kept growing when operations are dropped).
    next_seq: usize,
    /// The operations of the last `replace_body` (the body, its Content-Length and
    /// Content-Type): a later `replace_body` drops them, so the latest body wins.
    body_ops: Vec<usize>,
    /// Where the latest body is in `arena`.
    body_text: Option<Range<usize>>,
}

fn check_value(v: &str) -> Result<(), EditError> {
    if v.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        Err(EditError::BadValue)
    } else {
        Ok(())
    }
}

/// Spare room a list gets when it first grows or is copied: enough for the edits a
/// message usually gets (a branch's Via and Request-URI, a Record-Route), so that these do
/// not reallocate it one by one.
const SPARE_OPS: usize = 8;
const SPARE_TEXT: usize = 512;

impl Clone for Edits {
    /// A copy with spare room: tm copies the script's edits into each branch, which then
    /// adds its own Via.
    fn clone(&self) -> Self {
        let mut ops = Vec::with_capacity(self.ops.len() + SPARE_OPS);
        ops.extend_from_slice(&self.ops);
        let mut arena = Vec::with_capacity(self.arena.len() + SPARE_TEXT);
        arena.extend_from_slice(&self.arena);
        Edits {
            ops,
            arena,
            next_seq: self.next_seq,
            body_ops: self.body_ops.clone(),
            body_text: self.body_text.clone(),
        }
    }
}

impl Edits {
    /// An empty list.
    pub fn new() -> Self {
        Edits::default()
    }

    /// Number of recorded edits.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Bytes allocated for the list (its new text and its operations), so that a caller
    /// keeping it for the next message can tell when one message made it large.
    pub fn capacity(&self) -> usize {
        self.arena.capacity() + self.ops.capacity() * std::mem::size_of::<Op>()
    }

    /// Forgets all edits, keeping the allocations for the next message.
    pub fn clear(&mut self) {
        self.ops.clear();
        self.arena.clear();
        self.next_seq = 0;
        self.body_ops.clear();
        self.body_text = None;
    }

    fn push(&mut self, kind: OpKind, start: usize, end: usize, parts: &[&[u8]]) {
        let need: usize = parts.iter().map(|p| p.len()).sum();
        if self.arena.capacity() - self.arena.len() < need {
            self.arena.reserve(need.max(SPARE_TEXT));
        }
        if self.ops.len() == self.ops.capacity() {
            self.ops.reserve(SPARE_OPS);
        }
        let from = self.arena.len();
        for p in parts {
            self.arena.extend_from_slice(p);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.ops.push(Op {
            kind,
            start,
            end,
            text: from..self.arena.len(),
            seq,
        });
    }

    /// The body as the edits leave it: the latest `replace_body`'s, else the message's. Body
    /// functions read it, so that several in one route (`codec_delete` twice,
    /// `fix_nated_sdp` then an RTP proxy) build on each other.
    pub fn body<'a>(&'a self, msg: &'a Message) -> &'a [u8] {
        match &self.body_text {
            Some(r) => self.arena.get(r.clone()).unwrap_or_default(),
            None => msg.body(),
        }
    }

    fn offset(msg: &Message, at: Position) -> Result<usize, EditError> {
        let line = |i: usize| {
            msg.header(i)
                .map(|h| h.line_span())
                .ok_or(EditError::NoSuchHeader)
        };
        Ok(match at {
            Position::Top => msg.headers_start(),
            Position::End => msg.head_end(),
            Position::Before(i) => line(i)?.start as usize,
            Position::After(i) => line(i)?.end as usize,
        })
    }

    /// Adds `name: value` as a new header line.
    pub fn add_header(
        &mut self,
        msg: &Message,
        name: &str,
        value: &str,
        at: Position,
    ) -> Result<(), EditError> {
        if !is_token_str(name) {
            return Err(EditError::BadName);
        }
        check_value(value)?;
        let off = Self::offset(msg, at)?;
        self.push(
            OpKind::Insert,
            off,
            off,
            &[name.as_bytes(), b": ", value.as_bytes(), b"\r\n"],
        );
        Ok(())
    }

    /// Replaces the value of a header line this list inserted: `index` is what `len()` was
    /// just before the `add_header` (or `insert_*`) call. Lets a module amend a header it
    /// added earlier in the same script run (rr's `add_rr_param` after `record_route`).
    pub fn amend_inserted(
        &mut self,
        index: usize,
        name: &str,
        value: &str,
    ) -> Result<(), EditError> {
        check_value(value)?;
        let op = self.ops.get(index).ok_or(EditError::NoSuchHeader)?;
        if op.kind != OpKind::Insert {
            return Err(EditError::NoSuchHeader);
        }
        let from = self.arena.len();
        for p in [name.as_bytes(), b": ", value.as_bytes(), b"\r\n"] {
            self.arena.extend_from_slice(p);
        }
        let to = self.arena.len();
        self.ops[index].text = from..to;
        Ok(())
    }

    /// Takes back a header line this list inserted (`index` as for [`Self::amend_inserted`]):
    /// it inserts nothing any more. Lets rr's `remove_record_route` undo `record_route`.
    pub fn cancel_inserted(&mut self, index: usize) -> Result<(), EditError> {
        let op = self.ops.get_mut(index).ok_or(EditError::NoSuchHeader)?;
        if op.kind != OpKind::Insert {
            return Err(EditError::NoSuchHeader);
        }
        op.text = 0..0;
        Ok(())
    }

    /// A mark naming the next operation recorded, for [`Edits::amend_replaced`]; unlike an
    /// index it stays right when a later `replace_body` drops earlier operations.
    pub fn mark(&self) -> usize {
        self.next_seq
    }

    /// Drops the operations recorded from `from` up to (not including) `to`, both marks
    /// from [`Edits::mark`]: a module takes back what it did earlier in the same run
    /// (sipmsgops gives a removed Content-Type back when a body part is added again).
    pub fn retract(&mut self, from: usize, to: usize) {
        self.ops.retain(|o| o.seq < from || o.seq >= to);
    }

    /// Replaces the text of the value replacement recorded right after `mark()` returned
    /// `mark` (`replace_value`, `replace_range`). Lets a module rewrite the same bytes again in
    /// one script run (sipmsgops' `list_hdr_*`, `change_reply_status`), where a second
    /// replacement of them would be dropped.
    pub fn amend_replaced(&mut self, mark: usize, text: &str) -> Result<(), EditError> {
        check_value(text)?;
        let pos = self
            .ops
            .iter()
            .position(|o| o.seq == mark && o.kind == OpKind::Replace)
            .ok_or(EditError::NoSuchHeader)?;
        let from = self.arena.len();
        self.arena.extend_from_slice(text.as_bytes());
        let to = self.arena.len();
        self.ops[pos].text = from..to;
        Ok(())
    }

    /// Removes the header line with this index (folded lines included).
    pub fn remove_header(&mut self, msg: &Message, index: usize) -> Result<(), EditError> {
        let line = msg
            .header(index)
            .ok_or(EditError::NoSuchHeader)?
            .line_span();
        self.push(OpKind::Remove, line.start as usize, line.end as usize, &[]);
        Ok(())
    }

    /// Removes every header with this name (compact forms included for known
    /// names); returns how many lines were removed.
    pub fn remove_headers_named(&mut self, msg: &Message, name: &str) -> usize {
        let lines: Vec<_> = msg.find_name(name).map(|(_, h)| h.line_span()).collect();
        for l in &lines {
            self.push(OpKind::Remove, l.start as usize, l.end as usize, &[]);
        }
        lines.len()
    }

    /// Replaces the whole value of the header line with this index.
    pub fn replace_value(
        &mut self,
        msg: &Message,
        index: usize,
        value: &str,
    ) -> Result<(), EditError> {
        check_value(value)?;
        let v = msg
            .header(index)
            .ok_or(EditError::NoSuchHeader)?
            .value_span();
        self.push(
            OpKind::Replace,
            v.start as usize,
            v.end as usize,
            &[value.as_bytes()],
        );
        Ok(())
    }

    /// Replaces the bytes `start..end` of the message with `text` (no control characters but
    /// TAB): what a regular-expression substitution over the headers (`subst`) needs.
    pub fn replace_range(
        &mut self,
        msg: &Message,
        start: usize,
        end: usize,
        text: &str,
    ) -> Result<(), EditError> {
        check_value(text)?;
        if start > end || end > msg.as_bytes().len() {
            return Err(EditError::NoSuchHeader);
        }
        self.push(OpKind::Replace, start, end, &[text.as_bytes()]);
        Ok(())
    }

    /// Rewrites the Request-URI (validated, and refused with LWS).
    pub fn set_ruri(&mut self, msg: &Message, uri: &str) -> Result<(), EditError> {
        let span = msg.ruri_span().ok_or(EditError::NotARequest)?;
        Uri::parse(uri).map_err(|_| EditError::BadUri)?;
        self.push(
            OpKind::Replace,
            span.start as usize,
            span.end as usize,
            &[uri.as_bytes()],
        );
        Ok(())
    }

    /// Pushes a Via line on top of the existing ones.
    pub fn insert_via(&mut self, msg: &Message, value: &str) -> Result<(), EditError> {
        let at = msg
            .find(HeaderKind::Via)
            .map_or(Position::Top, |(i, _)| Position::Before(i));
        self.add_header(msg, "Via", value, at)
    }

    /// Removes the topmost Via value: the whole first Via line when it holds
    /// one value, else only its first value and the comma after it.
    pub fn remove_top_via(&mut self, msg: &Message) -> Result<(), EditError> {
        let (index, h) = msg.find(HeaderKind::Via).ok_or(EditError::NoSuchHeader)?;
        let value = msg.value_of(h);
        let mut split = ListSplit::new(value);
        let first = split.next();
        match (first, split.next()) {
            (Some((s, _)), Some((second, _))) => {
                let base = h.value_span().start as usize;
                self.push(OpKind::Remove, base + s, base + second, &[]);
                Ok(())
            }
            _ => self.remove_header(msg, index),
        }
    }

    /// Inserts a Record-Route line above the existing ones (or as the first
    /// header when there is none).
    pub fn insert_record_route(&mut self, msg: &Message, value: &str) -> Result<(), EditError> {
        let at = msg
            .find(HeaderKind::RecordRoute)
            .map_or(Position::Top, |(i, _)| Position::Before(i));
        self.add_header(msg, "Record-Route", value, at)
    }

    /// Replaces the body, fixing every Content-Length value (or adding one)
    /// and, when `content_type` is given, the Content-Type (or adding one).
    pub fn replace_body(
        &mut self,
        msg: &Message,
        body: &[u8],
        content_type: Option<&str>,
    ) -> Result<(), EditError> {
        if let Some(ct) = content_type {
            check_value(ct)?;
        }
        // The previous body replacement, if any, gives way to this one.
        if !self.body_ops.is_empty() {
            let old = std::mem::take(&mut self.body_ops);
            self.ops.retain(|op| !old.contains(&op.seq));
        }
        let first = self.next_seq;
        let result = self.push_body(msg, body, content_type);
        self.body_ops = (first..self.next_seq).collect();
        result
    }

    fn push_body(
        &mut self,
        msg: &Message,
        body: &[u8],
        content_type: Option<&str>,
    ) -> Result<(), EditError> {
        if let Some(ct) = content_type {
            check_value(ct)?;
            match msg.find(HeaderKind::ContentType) {
                Some((i, _)) => self.replace_value(msg, i, ct)?,
                None => self.add_header(msg, "Content-Type", ct, Position::End)?,
            }
        }
        let len = body.len().to_string();
        let mut found = false;
        for (_, h) in msg.find_all(HeaderKind::ContentLength) {
            let v = h.value_span();
            self.push(
                OpKind::Replace,
                v.start as usize,
                v.end as usize,
                &[len.as_bytes()],
            );
            found = true;
        }
        if !found {
            self.add_header(msg, "Content-Length", &len, Position::End)?;
        }
        let b = msg.body_span();
        let sep: &[u8] = if msg.has_blank_line() { b"" } else { b"\r\n" };
        let at = self.arena.len() + sep.len();
        self.push(
            OpKind::Replace,
            b.start as usize,
            b.end as usize,
            &[sep, body],
        );
        self.body_text = Some(at..at + body.len());
        Ok(())
    }

    /// Writes the edited message into a new buffer.
    pub fn apply(&self, msg: &Message) -> Vec<u8> {
        let mut out = Vec::with_capacity(msg.as_bytes().len() + self.arena.len() + 16);
        self.apply_into(msg, &mut out);
        out
    }

    /// Appends the edited message to `out` (reuse one buffer per worker).
    pub fn apply_into(&self, msg: &Message, out: &mut Vec<u8>) {
        let src = msg.as_bytes();
        let fits = |o: &&Op| o.start <= o.end && o.end <= src.len();
        let overlaps = |a: &Op, s: usize, e: usize| a.start < e && s < a.end;

        // The usual message has a handful of edits: the working lists stay on the stack.
        let mut removed: SmallVec<[(usize, usize); 8]> = self
            .ops
            .iter()
            .filter(fits)
            .filter(|o| o.kind == OpKind::Remove && o.start < o.end)
            .map(|o| (o.start, o.end))
            .collect();
        removed.sort_unstable();
        let mut merged: SmallVec<[(usize, usize); 8]> = SmallVec::new();
        for (s, e) in removed {
            match merged.last_mut() {
                Some(last) if s < last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let mut replaced: SmallVec<[&Op; 8]> = SmallVec::new();
        for op in self
            .ops
            .iter()
            .filter(fits)
            .filter(|o| o.kind == OpKind::Replace && o.start < o.end)
        {
            if !merged.iter().any(|&(s, e)| overlaps(op, s, e))
                && !replaced.iter().any(|r| overlaps(op, r.start, r.end))
            {
                replaced.push(op);
            }
        }
        let inside = |p: usize| {
            merged.iter().any(|&(s, e)| s < p && p < e)
                || replaced.iter().any(|r| r.start < p && p < r.end)
        };
        // (start, end, order, seq, text): inserts (order 0) sort before a range at the same
        // offset.
        let mut segs: SmallVec<[Segment; 16]> = SmallVec::new();
        for op in self.ops.iter().filter(fits) {
            let is_insert =
                op.kind == OpKind::Insert || (op.kind == OpKind::Replace && op.start == op.end);
            if is_insert && !inside(op.start) {
                segs.push((op.start, op.start, 0, op.seq, op.text.clone()));
            }
        }
        segs.extend(merged.iter().map(|&(s, e)| (s, e, 1, 0, 0..0)));
        segs.extend(
            replaced
                .iter()
                .map(|r| (r.start, r.end, 1, r.seq, r.text.clone())),
        );
        segs.sort_by_key(|&(s, _, order, seq, _)| (s, order, seq));

        let mut cursor = 0;
        for (s, e, _, _, text) in segs {
            out.extend_from_slice(src.get(cursor..s.max(cursor)).unwrap_or_default());
            out.extend_from_slice(self.arena.get(text).unwrap_or_default());
            cursor = cursor.max(e);
        }
        out.extend_from_slice(src.get(cursor..).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &str = "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2\r\n\
v: SIP/2.0/UDP c;branch=z9hG4bK3\r\n\
To: <sip:bob@biloxi.com>\r\n\
X-A: 1\r\n\
x-a: 2\r\n\
Content-Length: 4\r\n\
\r\n\
body";

    fn msg() -> Message {
        Message::parse_slice(REQ.as_bytes()).unwrap()
    }

    fn apply(f: impl FnOnce(&Message, &mut Edits)) -> String {
        let m = msg();
        let mut e = Edits::new();
        f(&m, &mut e);
        String::from_utf8(e.apply(&m)).unwrap()
    }

    #[test]
    fn cancel_an_inserted_header() {
        let out = apply(|m, e| {
            let at = e.len();
            e.insert_record_route(m, "<sip:p;lr>").unwrap();
            e.add_header(m, "X-Kept", "1", Position::End).unwrap();
            e.cancel_inserted(at).unwrap();
            assert!(e.cancel_inserted(9).is_err());
        });
        assert!(!out.contains("Record-Route"), "{out}");
        assert!(out.contains("\r\nX-Kept: 1\r\n"), "{out}");
    }

    #[test]
    fn amend_an_inserted_header() {
        let out = apply(|m, e| {
            e.remove_header(m, 4).unwrap();
            let at = e.len();
            e.insert_record_route(m, "<sip:p;lr>").unwrap();
            e.amend_inserted(at, "Record-Route", "<sip:p;lr;nat=yes>")
                .unwrap();
            // Only insertions can be amended.
            assert!(e.amend_inserted(0, "X", "y").is_err());
            assert!(e.amend_inserted(9, "X", "y").is_err());
        });
        assert!(
            out.contains("\r\nRecord-Route: <sip:p;lr;nat=yes>\r\nVia:"),
            "{out}"
        );
        assert!(!out.contains("sip:p;lr>"), "{out}");
    }

    #[test]
    fn empty_is_identity() {
        assert_eq!(apply(|_, _| {}), REQ);
    }

    #[test]
    fn header_edits() {
        let out = apply(|m, e| {
            e.add_header(m, "X-Top", "t", Position::Top).unwrap();
            e.add_header(m, "X-End", "e", Position::End).unwrap();
            e.add_header(m, "X-Before", "b", Position::Before(3))
                .unwrap();
            e.add_header(m, "X-After", "a", Position::After(3)).unwrap();
            e.replace_value(m, 2, "<sip:carol@chicago.com>").unwrap();
            assert_eq!(e.remove_headers_named(m, "X-A"), 2);
        });
        assert_eq!(
            out,
            "INVITE sip:bob@biloxi.com SIP/2.0\r\nX-Top: t\r\n\
Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2\r\n\
v: SIP/2.0/UDP c;branch=z9hG4bK3\r\n\
To: <sip:carol@chicago.com>\r\n\
X-Before: b\r\nX-After: a\r\n\
Content-Length: 4\r\nX-End: e\r\n\r\nbody"
        );
    }

    #[test]
    fn via_and_ruri() {
        let out = apply(|m, e| {
            e.insert_via(m, "SIP/2.0/UDP proxy;branch=z9hG4bKp")
                .unwrap();
            e.remove_top_via(m).unwrap();
            e.set_ruri(m, "sip:bob@192.0.2.4:5060").unwrap();
            e.insert_record_route(m, "<sip:proxy;lr>").unwrap();
        });
        let m = Message::parse_slice(out.as_bytes()).unwrap();
        assert_eq!(m.ruri_str(), Some("sip:bob@192.0.2.4:5060"));
        let hosts: Vec<_> = m.vias().map(|v| v.unwrap().host()).collect();
        assert_eq!(hosts, ["proxy", "b", "c"]);
        assert_eq!(
            m.header_value(1),
            Some("<sip:proxy;lr>"),
            "same offset: recording order"
        );
        assert_eq!(m.header_value(2), Some("SIP/2.0/UDP b;branch=z9hG4bK2"));

        let out = apply(|m, e| {
            e.remove_top_via(m).unwrap();
        });
        let m2 = Message::parse_slice(out.as_bytes()).unwrap();
        let out = {
            let mut e = Edits::new();
            e.remove_top_via(&m2).unwrap();
            String::from_utf8(e.apply(&m2)).unwrap()
        };
        assert!(
            out.starts_with("INVITE sip:bob@biloxi.com SIP/2.0\r\nv: SIP/2.0/UDP c"),
            "{out}"
        );
    }

    #[test]
    fn body_replacement() {
        let out = apply(|m, e| {
            e.replace_body(m, b"v=0\r\n", Some("application/sdp"))
                .unwrap()
        });
        let m = Message::parse_slice(out.as_bytes()).unwrap();
        assert_eq!(m.body(), b"v=0\r\n");
        assert_eq!(m.content_length(), Some(5));
        assert_eq!(m.get(HeaderKind::ContentType), Some("application/sdp"));

        let no_cl = Message::parse_slice(
            b"MESSAGE sip:a@b SIP/2.0\r\nContent-Type: text/plain\r\n\r\nhello",
        )
        .unwrap();
        let mut e = Edits::new();
        e.replace_body(&no_cl, b"bye", Some("text/x")).unwrap();
        let m = Message::parse_slice(&e.apply(&no_cl)).unwrap();
        assert_eq!((m.body(), m.content_length()), (&b"bye"[..], Some(3)));
        assert_eq!(m.get(HeaderKind::ContentType), Some("text/x"));

        let no_blank = Message::parse_slice(b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n").unwrap();
        let mut e = Edits::new();
        e.replace_body(&no_blank, b"xy", None).unwrap();
        let m = Message::parse_slice(&e.apply(&no_blank)).unwrap();
        assert_eq!(m.body(), b"xy");
    }

    #[test]
    fn the_latest_body_replacement_wins_and_can_be_read_back() {
        for original in [
            &b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nhello"[..],
            &b"MESSAGE sip:a@b SIP/2.0\r\nX: 1\r\n\r\nhello"[..],
        ] {
            let msg = Message::parse_slice(original).unwrap();
            let mut e = Edits::new();
            assert_eq!(e.body(&msg), b"hello");
            e.add_header(&msg, "X-Before", "1", Position::End).unwrap();
            e.replace_body(&msg, b"first body", Some("text/a")).unwrap();
            assert_eq!(e.body(&msg), b"first body");
            e.replace_body(&msg, b"second", Some("text/b")).unwrap();
            assert_eq!(e.body(&msg), b"second");
            let m = Message::parse_slice(&e.apply(&msg)).unwrap();
            assert_eq!(m.body(), b"second");
            assert_eq!(m.content_length(), Some(6));
            assert_eq!(m.get(HeaderKind::ContentType), Some("text/b"));
            assert_eq!(m.find_all(HeaderKind::ContentLength).count(), 1);
            let text = String::from_utf8_lossy(m.as_bytes()).into_owned();
            assert!(text.contains("X-Before: 1\r\n"), "other edits stay: {text}");
            e.clear();
            assert_eq!(e.body(&msg), b"hello");
        }
    }

    #[test]
    fn conflicts() {
        let out = apply(|m, e| {
            e.replace_value(m, 3, "replaced").unwrap();
            e.remove_header(m, 3).unwrap();
            e.remove_header(m, 3).unwrap();
            e.remove_top_via(m).unwrap();
            e.remove_header(m, 0).unwrap();
            e.replace_value(m, 2, "first").unwrap();
            e.replace_value(m, 2, "second").unwrap();
        });
        assert!(
            !out.contains("replaced")
                && !out.contains("X-A: 1")
                && !out.contains("branch=z9hG4bK2")
        );
        assert!(out.contains("To: first\r\n") && !out.contains("second"));
        assert!(out.contains("x-a: 2"));

        let mut e = Edits::new();
        let m = msg();
        e.add_header(&m, "A", "1", Position::Top).unwrap();
        e.add_header(&m, "B", "2", Position::Top).unwrap();
        let out = String::from_utf8(e.apply(&m)).unwrap();
        assert!(out.contains("A: 1\r\nB: 2\r\nVia"));
        assert_eq!(e.len(), 2);
        e.clear();
        assert!(e.is_empty());
    }

    #[test]
    fn refusals() {
        let m = msg();
        let mut e = Edits::new();
        assert_eq!(
            e.add_header(&m, "Bad Name", "x", Position::End),
            Err(EditError::BadName)
        );
        assert_eq!(
            e.add_header(&m, "X", "a\r\nInjected: 1", Position::End),
            Err(EditError::BadValue)
        );
        assert_eq!(
            e.add_header(&m, "X", "a", Position::After(99)),
            Err(EditError::NoSuchHeader)
        );
        assert_eq!(e.replace_value(&m, 99, "x"), Err(EditError::NoSuchHeader));
        assert_eq!(e.remove_header(&m, 99), Err(EditError::NoSuchHeader));
        assert_eq!(e.set_ruri(&m, "sip:a b"), Err(EditError::BadUri));
        let resp = Message::parse_slice(b"SIP/2.0 200 OK\r\n\r\n").unwrap();
        assert_eq!(e.set_ruri(&resp, "sip:a"), Err(EditError::NotARequest));
        assert_eq!(e.remove_top_via(&resp), Err(EditError::NoSuchHeader));
        assert!(e.is_empty());
        assert!(!EditError::BadUri.to_string().is_empty());
    }
}
