//! `save(domain[, flags[, aor]])`: applies a REGISTER to the location table (RFC 3261 §10.3)
//! and answers it.
//!
//! The whole REGISTER is checked first (AOR, Contacts, `*`, expires, Path), then applied to
//! the AOR in one step under its lock: the bindings are changed on a copy, `max_contacts` is
//! checked on the result, and only then is the copy stored — a refused REGISTER changes
//! nothing. Returns 1 (200 sent) or -1 (error reply sent), as OpenSIPS does.

use siplua_core::context::{Context, Origin};
use siplua_core::log::{self, level};
use siplua_sip::headers::Contact;
use siplua_sip::{HeaderKind, Message};

use super::flags::{PathMode, SaveFlags};
use super::nat;
use super::reply::{contact_lines, send, Rejection};
use super::Registrar;
use crate::usrloc::api::now;
use crate::usrloc::contact::{ContactText, UContact};
use crate::usrloc::record::{Aor, ContactKey, MatchingMode};

/// One Contact of the REGISTER, checked and with its lifetime decided; the text is the
/// REGISTER's, copied once into the stored binding.
#[derive(Clone, Debug)]
struct Binding<'a> {
    uri: &'a str,
    /// Seconds; 0 removes the binding.
    expires: u32,
    q: i32,
    instance: Option<&'a str>,
    reg_id: Option<u32>,
    /// Comma-separated, as [`ContactText::methods`] takes them.
    methods: Option<String>,
    /// Where the user agent really is when it sits behind a NAT.
    received: Option<String>,
}

/// What the REGISTER asks, once checked.
enum Request<'a> {
    /// `Contact: *` with `Expires: 0`: remove every binding.
    RemoveAll,
    /// Add, refresh or remove these bindings (none: only list the current ones).
    Bindings(Vec<Binding<'a>>),
}

/// What is common to every binding of one REGISTER.
struct Common<'a> {
    callid: &'a str,
    cseq: u32,
    path: Option<String>,
    user_agent: Option<&'a str>,
    cflags: u64,
    origin: Option<Origin>,
    persistent: bool,
    now: i64,
}

/// The script function.
pub fn save(
    ctx: &mut Context,
    reg: &Registrar,
    table: &str,
    flags: &SaveFlags,
    aor: Option<&str>,
) -> i32 {
    match process(ctx, reg, table, flags, aor) {
        Ok((mut headers, echo_path)) => {
            reg.accepted.inc();
            if !flags.no_reply {
                if let Some(path) = echo_path {
                    headers.push_str("Path: ");
                    headers.push_str(&path);
                    headers.push_str("\r\n");
                }
                send(ctx, 200, "OK", &headers);
            }
            1
        }
        Err(rej) => {
            reg.rejected.inc();
            if !flags.no_reply {
                let mut headers = rej.headers.clone();
                if rej.code >= 500 && reg.settings.retry_after > 0 {
                    headers.push_str(&format!("Retry-After: {}\r\n", reg.settings.retry_after));
                }
                send(ctx, rej.code, rej.reason, &headers);
            }
            -1
        }
    }
}

/// Checks and applies the REGISTER; the Contact lines of the 200 (every binding the AOR has
/// now) and the Path to echo.
fn process(
    ctx: &Context,
    reg: &Registrar,
    table: &str,
    flags: &SaveFlags,
    aor: Option<&str>,
) -> Result<(String, Option<String>), Rejection> {
    let msg = ctx
        .msg
        .as_ref()
        .ok_or_else(|| Rejection::new(500, "Server Internal Error"))?;
    if msg.method_str() != Some("REGISTER") {
        return Err(Rejection::new(400, "Bad Request (save() needs a REGISTER)"));
    }
    let key = match aor {
        Some(a) => reg.settings.aor.key(a),
        None => {
            let to = msg.to().map_err(|_| Rejection::new(400, "Bad To header"))?;
            reg.settings.aor.key_of_uri(&to.uri())
        }
    }
    .ok_or(Rejection::new(400, "Invalid AOR"))?;
    let callid = msg
        .call_id()
        .map_err(|_| Rejection::new(400, "Bad Call-ID"))?;
    let cseq = msg
        .cseq()
        .map_err(|_| Rejection::new(400, "Bad CSeq"))?
        .number;

    let (path, echo_path) = path_vector(msg, flags.path.unwrap_or(reg.settings.default_path))?;
    let nat_source = flags
        .path_received
        .then(|| first_path_received(msg))
        .flatten();
    let request = parse_request(ctx, msg, reg, flags, nat_source.as_deref())?;

    let nat_bit = reg.usrloc.nat_bflag().map(|b| 1u64 << b);
    let origin = contacts_origin(ctx, msg, reg);
    let persistent = reg
        .settings
        .tcp_persistent_flag
        .is_some_and(|bit| ctx.flags & (1u64 << bit) != 0)
        && origin.is_some_and(|o| o.proto.is_stream());
    let common = Common {
        callid,
        cseq,
        path,
        user_agent: msg.get(HeaderKind::UserAgent),
        cflags: ctx.branch_flags,
        origin,
        persistent,
        now: now(),
    };
    let domain = reg.usrloc.domain(table, &ctx.core.stats);
    let max_contacts = flags.max_contacts.unwrap_or(reg.settings.max_contacts) as usize;
    let mode = reg.usrloc.matching_mode();
    let lines = domain
        .update(&key, |record| match &request {
            Request::RemoveAll => {
                record.delete_where(|_| true);
                Ok(String::new())
            }
            Request::Bindings(list) => {
                // Kept only when the result may be refused, to put back then.
                let before = (max_contacts > 0 && !flags.force).then(|| record.clone());
                record.expire(common.now);
                for b in list {
                    apply(record, b, &common, mode, nat_bit);
                }
                let over = record.contacts().len().saturating_sub(max_contacts);
                if max_contacts > 0 && over > 0 {
                    if let Some(before) = before {
                        *record = before;
                        return Err(Rejection::new(503, "Too Many Registered Contacts"));
                    }
                    for _ in 0..over {
                        record.delete(0);
                    }
                }
                Ok(contact_lines(record.contacts(), common.now))
            }
        })
        .map_err(|e| {
            log::emit(
                level::ERR,
                "registrar",
                &format!("save(\"{table}\") of {key}: {e}"),
            );
            Rejection::new(500, "Server Internal Error")
        })??;
    Ok((lines, echo_path))
}

/// Where the REGISTER's contacts are reached from: the socket it came in on, or the one that
/// the `sock_hdr_name` header names when that is one of ours (a proxy in front added it with
/// `add_sock_hdr`; its TCP connection, if any, is then not the way to the contacts).
fn contacts_origin(ctx: &Context, msg: &Message, reg: &Registrar) -> Option<Origin> {
    let mut origin = ctx.origin?;
    let Some(name) = reg.settings.sock_hdr_name.as_deref() else {
        return Some(origin);
    };
    let Some(text) = msg
        .find_name(name)
        .next()
        .map(|(_, h)| msg.text(h.value_span()))
    else {
        return Some(origin);
    };
    match siplua_core::corefn::socket_named(ctx, text) {
        Some(socket) if socket != origin.socket => {
            origin.socket = socket;
            origin.conn = None;
        }
        Some(_) => {}
        None => log::emit(
            level::WARN,
            "registrar",
            &format!("{name}: {text} is not a socket siplua listens on; using the receiving one"),
        ),
    }
    Some(origin)
}

/// Applies one Contact to the AOR (RFC 3261 §10.3 steps 6–7).
fn apply(work: &mut Aor, b: &Binding, common: &Common, mode: MatchingMode, nat_bit: Option<u64>) {
    let key = ContactKey {
        uri: b.uri,
        callid: common.callid,
        instance: b.instance.zip(b.reg_id),
    };
    let found = work.find(&key, mode);
    if let Some(i) = found {
        let old = &work.contacts()[i];
        if old.callid() == common.callid && common.cseq <= old.cseq {
            // Out of order or a retransmission: the stored binding stands.
            return;
        }
    }
    if b.expires == 0 {
        if let Some(i) = found {
            work.delete(i);
        }
        return;
    }
    let mut c = UContact::new(ContactText {
        uri: b.uri,
        callid: common.callid,
        received: b.received.as_deref(),
        path: common.path.as_deref(),
        user_agent: common.user_agent,
        instance: b.instance,
        methods: b.methods.as_deref(),
    });
    c.expires = common.now + i64::from(b.expires);
    c.q = b.q;
    c.cseq = common.cseq;
    c.socket = common.origin.map(|o| o.socket);
    c.conn = common
        .origin
        .and_then(|o| o.conn)
        .filter(|_| common.persistent);
    c.cflags = common.cflags;
    if b.received.is_some() {
        c.cflags |= nat_bit.unwrap_or(0);
    }
    c.reg_id = b.reg_id;
    c.last_modified = common.now;
    match found {
        Some(i) => work.update(i, c),
        None => work.insert(c),
    }
}

/// Reads the Contacts and lifetimes of the REGISTER.
fn parse_request<'a>(
    ctx: &Context,
    msg: &'a Message,
    reg: &Registrar,
    flags: &SaveFlags,
    path_received: Option<&str>,
) -> Result<Request<'a>, Rejection> {
    let s = &reg.settings;
    let header_expires = msg
        .expires()
        .map_err(|_| Rejection::new(400, "Invalid Expires"))?;
    let contacts: Vec<Contact> = msg
        .contacts()
        .collect::<Result<_, _>>()
        .map_err(|_| Rejection::new(400, "Invalid Contact"))?;
    if contacts.iter().any(|c| matches!(c, Contact::Star)) {
        // RFC 3261 §10.3 step 6: `*` only alone and with Expires: 0.
        return if contacts.len() == 1 && header_expires == Some(0) {
            Ok(Request::RemoveAll)
        } else {
            Err(Rejection::new(400, "Invalid * Contact"))
        };
    }
    let min = flags.min_expires.unwrap_or(s.min_expires);
    let max = flags.max_expires.unwrap_or(s.max_expires);
    let nat_flagged = reg
        .usrloc
        .nat_bflag()
        .is_some_and(|bit| ctx.branch_flags & (1u64 << bit) != 0);
    // Contacts that name no methods accept what the Allow header lists (all when absent).
    let top_via = msg.top_via().ok();
    let via = top_via.as_ref().map(|v| (v.host(), v.port()));
    let allow: Option<String> = msg.find(HeaderKind::Allow).is_some().then(|| {
        let tokens: Vec<&str> = msg.tokens(HeaderKind::Allow).flatten().collect();
        tokens.join(",")
    });
    let mut out = Vec::with_capacity(contacts.len());
    for contact in &contacts {
        let Contact::Addr(na) = contact else { continue };
        let mut expires = na.expires().or(header_expires).unwrap_or(s.default_expires);
        if expires != 0 && min > 0 && expires < min {
            return Err(Rejection::new(423, "Interval Too Brief")
                .with_header("Min-Expires", &min.to_string()));
        }
        if max > 0 && expires > max {
            expires = max;
        }
        let q = match na.q() {
            Some(text) => parse_q(text).ok_or(Rejection::new(400, "Invalid q value"))?,
            None => s.default_q,
        };
        let reg_id = match na.params().value("reg-id") {
            Some(r) => Some(
                r.parse()
                    .map_err(|_| Rejection::new(400, "Invalid reg-id"))?,
            ),
            None => None,
        };
        let received = match path_received {
            Some(r) => Some(r.to_owned()),
            None => ctx
                .origin
                .and_then(|o| nat::received(na, via, &o, nat_flagged)),
        };
        out.push(Binding {
            uri: na.uri().as_str(),
            expires,
            q,
            instance: na.params().value("+sip.instance"),
            reg_id,
            methods: na
                .params()
                .value("methods")
                .map(|m| split_methods(m.trim_matches('"')))
                .or_else(|| allow.clone()),
            received,
        });
    }
    Ok(Request::Bindings(out))
}

/// A q-value (`0`, `0.5`, `1.000`: RFC 3261 §25.1 qvalue) in thousandths.
fn parse_q(text: &str) -> Option<i32> {
    let (int, frac) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{frac:0<3}").parse::<i32>().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The methods of a `methods="INVITE, BYE"` parameter, comma-separated without spaces.
fn split_methods(list: &str) -> String {
    let methods: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .collect();
    methods.join(",")
}

/// The Path vector to store and the one to echo in the 200, per the path mode (RFC 3327).
fn path_vector(
    msg: &Message,
    mode: PathMode,
) -> Result<(Option<String>, Option<String>), Rejection> {
    let values: Vec<&str> = msg.values(HeaderKind::Path).map(|v| v.text).collect();
    if values.is_empty() || mode == PathMode::Ignore {
        return Ok((None, None));
    }
    if msg.paths().any(|p| p.is_err()) {
        return Err(Rejection::new(400, "Invalid Path"));
    }
    let path = values.join(",");
    let supported = msg
        .tokens(HeaderKind::Supported)
        .flatten()
        .any(|t| t.eq_ignore_ascii_case("path"));
    match mode {
        PathMode::Ignore => Ok((None, None)),
        PathMode::Off => Ok((Some(path), None)),
        PathMode::Lazy => Ok((Some(path.clone()), supported.then_some(path))),
        PathMode::Strict if !supported => Err(Rejection::new(420, "Bad Extension")
            .with_header("Unsupported", "path")
            .with_header("Path", &path)),
        PathMode::Strict => Ok((Some(path.clone()), Some(path))),
    }
}

/// The `received` parameter of the first Path URI (`path-received`), as a URI.
fn first_path_received(msg: &Message) -> Option<String> {
    let first = msg.paths().next()?.ok()?;
    let received = first.uri().params().value("received")?.trim_matches('"');
    Some(siplua_sip::escape::decode(received).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_values() {
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("0.125"), Some(125));
        assert_eq!(parse_q("1.5"), None);
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q("x"), None);
    }
}
