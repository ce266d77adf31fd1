//! PIDF documents (RFC 3863): checking a published one, merging a presentity's publications
//! into one NOTIFY body as OpenSIPS' presence_xml does, and the `closed` body of an offline
//! presentity. Documents are read with quick-xml; the merged document is the newest one
//! with the root children of the older ones appended — all of an older document's children
//! when its first `<tuple>`'s id is not in the result yet, none otherwise. A copied child
//! takes along the namespace declarations of its old root that the result's root lacks.

use std::ops::Range;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// A parsed document: where its parts lie in the text.
struct Doc<'a> {
    text: &'a str,
    /// The root start tag (`<presence ...>` or `<presence .../>`).
    root_tag: Range<usize>,
    /// The root's qualified name.
    root_name: String,
    /// The root's content (empty for `<presence/>`).
    inner: Range<usize>,
    /// Where the text after the root's end tag starts.
    after: usize,
    /// The root's namespace declarations (`xmlns` or `xmlns:p`, URI).
    ns: Vec<(String, String)>,
    /// The root's element children: their text and where their name ends.
    children: Vec<(Range<usize>, usize)>,
    /// The ids of the root's `<tuple>` children, in order.
    tuple_ids: Vec<String>,
}

/// Checks a published body: well-formed XML whose root element is `presence`.
pub fn validate(text: &str) -> Result<(), String> {
    parse(text).map(|_| ())
}

/// The merged document of a presentity's publications (oldest first); `None` without any.
pub fn aggregate(_pres_uri: &str, bodies: &[&str]) -> Option<String> {
    let docs: Vec<Doc> = bodies.iter().filter_map(|b| parse(b).ok()).collect();
    let (base, older) = docs.split_last()?;
    let mut seen = base.tuple_ids.clone();
    let mut appended = String::new();
    for doc in older.iter().rev() {
        if doc.tuple_ids.first().is_some_and(|id| seen.contains(id)) {
            continue;
        }
        seen.extend(doc.tuple_ids.iter().cloned());
        let missing: String = doc
            .ns
            .iter()
            .filter(|d| !base.ns.contains(d))
            .map(|(k, v)| format!(" {k}=\"{v}\""))
            .collect();
        for (range, name_end) in &doc.children {
            appended.push('\n');
            appended.push_str(&doc.text[range.start..*name_end]);
            appended.push_str(&missing);
            appended.push_str(&doc.text[*name_end..range.end]);
        }
    }
    let t = base.text;
    let mut out = String::with_capacity(t.len() + appended.len() + 16);
    out.push_str(&t[..base.root_tag.start]);
    let tag = &t[base.root_tag.clone()];
    match tag.strip_suffix("/>") {
        Some(open) => {
            out.push_str(open.trim_end());
            out.push('>');
            out.push_str(&appended);
            out.push_str(&format!("\n</{}>", base.root_name));
        }
        None => {
            out.push_str(tag);
            out.push_str(&t[base.inner.clone()]);
            if !appended.is_empty() {
                out.push_str(appended.trim_start_matches('\n'));
                out.push('\n');
            }
            out.push_str(&t[base.inner.end..base.after]);
        }
    }
    out.push_str(&t[base.after..]);
    Some(out)
}

/// The body notified for a presentity without publications (`notify_offline_body`).
pub fn offline(pres_uri: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{}\">\n\
         <tuple id=\"offline\">\n<status><basic>closed</basic></status>\n</tuple>\n\
         </presence>\n",
        quick_xml::escape::escape(pres_uri)
    )
}

fn parse(text: &str) -> Result<Doc<'_>, String> {
    let mut reader = Reader::from_str(text);
    let mut depth = 0usize;
    let mut doc: Option<Doc> = None;
    let mut open_child: Option<(usize, usize)> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| format!("not well-formed XML at byte {before}: {e}"))?;
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(e) | Event::Empty(e) if depth == 0 => {
                if doc.is_some() {
                    return Err("more than one root element".into());
                }
                let empty = text[before..after].ends_with("/>");
                doc = Some(root(text, &e, before..after)?);
                if !empty {
                    depth = 1;
                }
            }
            Event::Start(e) => {
                if depth == 1 {
                    note_child(doc.as_mut(), &e)?;
                    open_child = Some((before, before + 1 + e.name().as_ref().len()));
                }
                depth += 1;
            }
            Event::Empty(e) if depth == 1 => {
                note_child(doc.as_mut(), &e)?;
                if let Some(d) = doc.as_mut() {
                    d.children
                        .push((before..after, before + 1 + e.name().as_ref().len()));
                }
            }
            Event::End(_) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or("an end tag without its start tag")?;
                match (depth, doc.as_mut()) {
                    (0, Some(d)) => {
                        d.inner.end = before;
                        d.after = after;
                    }
                    (1, Some(d)) => {
                        if let Some((start, name_end)) = open_child.take() {
                            d.children.push((start..after, name_end));
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if depth == 0 && !t.iter().all(u8::is_ascii_whitespace) => {
                return Err("text outside the root element".into());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err("an element is not closed".into());
    }
    doc.ok_or_else(|| "no root element".into())
}

/// The root: it must be `presence` (any prefix).
fn root<'a>(text: &'a str, e: &BytesStart, tag: Range<usize>) -> Result<Doc<'a>, String> {
    if e.local_name().as_ref() != b"presence" {
        return Err(format!(
            "the root element is {}, not presence",
            String::from_utf8_lossy(e.name().as_ref())
        ));
    }
    let mut ns = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        if key == "xmlns" || key.starts_with("xmlns:") {
            ns.push((key, String::from_utf8_lossy(&a.value).into_owned()));
        }
    }
    Ok(Doc {
        text,
        root_name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
        inner: tag.end..tag.end,
        after: tag.end,
        root_tag: tag,
        ns,
        children: Vec::new(),
        tuple_ids: Vec::new(),
    })
}

/// Records a root child's tuple id.
fn note_child(doc: Option<&mut Doc>, e: &BytesStart) -> Result<(), String> {
    let Some(doc) = doc else {
        return Ok(());
    };
    if e.local_name().as_ref() == b"tuple" {
        for a in e.attributes() {
            let a = a.map_err(|e| format!("bad attribute: {e}"))?;
            if a.key.as_ref() == b"id" {
                doc.tuple_ids
                    .push(String::from_utf8_lossy(&a.value).into_owned());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "<?xml version=\"1.0\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:bob@h\">\n<tuple id=\"t1\"><status><basic>open</basic></status></tuple>\n</presence>\n";
    const B: &str = "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" entity=\"sip:bob@h\"><tuple id=\"t2\"><status><basic>closed</basic></status></tuple><dm:person id=\"p\"/></presence>";

    #[test]
    fn validation() {
        assert!(validate(A).is_ok());
        assert!(validate("<presence><tuple></presence>").is_err());
        assert!(validate("<other/>").is_err());
        assert!(validate("<presence/><presence/>").is_err());
        assert!(validate("<presence>").is_err());
        assert!(validate("just text").is_err());
    }

    #[test]
    fn merges_new_tuples_and_their_namespaces() {
        let merged = aggregate("sip:bob@h", &[B, A]).unwrap();
        // The newest document is the base; the older one's children follow its own.
        let t1 = merged.find("id=\"t1\"").unwrap();
        let t2 = merged.find("id=\"t2\"").unwrap();
        assert!(t1 < t2, "{merged}");
        assert!(
            merged.contains(
                "<dm:person xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" id=\"p\"/>"
            ),
            "{merged}"
        );
        assert!(validate(&merged).is_ok(), "{merged}");
        assert!(merged.starts_with("<?xml version=\"1.0\"?>"));
    }

    #[test]
    fn same_tuple_id_keeps_the_newest_only() {
        let newer = A.replace("open", "closed");
        let merged = aggregate("sip:bob@h", &[A, &newer]).unwrap();
        assert_eq!(merged, newer);
        assert_eq!(aggregate("sip:bob@h", &[]), None);
    }

    #[test]
    fn empty_root_takes_children() {
        let merged = aggregate(
            "x",
            &[A, "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"/>"],
        )
        .unwrap();
        assert!(
            merged
                .starts_with("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\">\n<tuple id=\"t1\">"),
            "{merged}"
        );
        assert!(validate(&merged).is_ok());
        assert!(validate(&offline("sip:a&b@h")).is_ok());
        assert!(offline("sip:a&b@h").contains("sip:a&amp;b@h"));
    }
}
