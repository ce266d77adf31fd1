//! `remove(domain, aor[, contact[, next_hop[, sip_instance]]])`: deletes bindings from the
//! script (OpenSIPS 3 signature): all of the AOR's, or those with this Contact URI, those
//! reached through this host (NAT source or Contact host), those of this `+sip.instance`.
//! Returns 1 when at least one binding was deleted, -1 otherwise.

use siplua_core::context::Context;
use siplua_core::function::Args;
use siplua_core::log::{self, level};
use siplua_sip::{uri_eq, Scheme, Uri};

use super::Registrar;
use crate::usrloc::contact::UContact;

/// The script function.
pub fn remove(ctx: &mut Context, reg: &Registrar, args: &Args) -> i32 {
    let given = |i: usize| {
        args.str(ctx, i)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let table = given(0).unwrap_or_default();
    let Some(key) = given(1).and_then(|a| reg.settings.aor.key(&a)) else {
        return -1;
    };
    let Some(domain) = reg.usrloc.find_domain(&table) else {
        return -1;
    };
    let contact = given(2);
    let next_hop = given(3);
    let instance = given(4);
    let removed = domain.update(&key, |record| {
        record.delete_where(|c| {
            contact.as_deref().is_none_or(|u| same_contact(c, u))
                && next_hop.as_deref().is_none_or(|h| reached_through(c, h))
                && instance.as_deref().is_none_or(|i| c.instance() == Some(i))
        })
    });
    let removed = match removed {
        Ok(n) => n,
        Err(e) => {
            log::emit(level::ERR, "registrar", &format!("remove() of {key}: {e}"));
            return -1;
        }
    };
    if removed > 0 {
        1
    } else {
        -1
    }
}

fn same_contact(c: &UContact, uri: &str) -> bool {
    match (Uri::parse(uri), Uri::parse(c.uri())) {
        (Ok(a), Ok(b)) => uri_eq(&a, &b),
        _ => c.uri() == uri,
    }
}

/// Whether requests to `c` go to `host` (`ip`, `ip:port` or a URI): its NAT source when it
/// has one, else its Contact host.
fn reached_through(c: &UContact, host: &str) -> bool {
    let target = c.received().unwrap_or(c.uri());
    let Ok(uri) = Uri::parse(target) else {
        return false;
    };
    let wanted = Uri::parse(host)
        .ok()
        .filter(|u| matches!(u.scheme(), Scheme::Sip | Scheme::Sips))
        .map(|u| (u.host().to_owned(), u.port()))
        .or_else(|| {
            siplua_core::sipview::split_host_port(host)
                .ok()
                .map(|(h, p)| (h.to_owned(), p))
        });
    wanted.is_some_and(|(h, p)| {
        uri.host().eq_ignore_ascii_case(&h) && p.is_none_or(|p| uri.port().unwrap_or(5060) == p)
    })
}
