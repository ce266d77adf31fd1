//! The dialog pseudo-variables: `$DLG_status`, `$DLG_dir`, `$DLG_lifetime`, `$DLG_timeout`,
//! `$DLG_did`, `$DLG_end_reason`, `$DLG_count` and `$dlg_val(name)` — null when the message
//! has no dialog.
//! `$DLG_timeout` and `$dlg_val` can be written.

use std::sync::Arc;
use std::time::{Duration, Instant};

use siplua_core::context::Context;
use siplua_core::pv::{PvDecl, PvSetter};
use siplua_core::value::Value;

use super::table::{Current, Dialog, Direction, Table};

fn of_dialog(
    table: &Arc<Table>,
    name: &'static str,
    read: fn(&Dialog, &Current) -> Value,
) -> PvDecl {
    let table = table.clone();
    PvDecl {
        name,
        takes_inner: false,
        get: Arc::new(move |ctx: &Context, _| {
            ctx.ext::<Current>()
                .and_then(|cur| table.with(&cur.key, |d| read(d, cur)))
                .unwrap_or(Value::Null)
        }),
        set: None,
    }
}

/// `$DLG_timeout = seconds`: the current dialog ends that many seconds from now (its
/// timeout route, if any, runs then).
fn set_timeout(table: &Arc<Table>) -> PvSetter {
    let table = table.clone();
    Arc::new(move |ctx: &mut Context, _, value| {
        let Some(key) = ctx.ext::<Current>().map(|c| c.key.clone()) else {
            return Err("no dialog for this message (create_dialog first)".into());
        };
        let secs = value
            .to_int()
            .filter(|s| *s >= 0)
            .ok_or("$DLG_timeout takes a number of seconds (0 or more)")?;
        table
            .with(&key, |d| {
                d.timeout = d.start.elapsed() + Duration::from_secs(secs as u64);
            })
            .ok_or("the dialog has ended")?;
        super::timeout::rearm(ctx.core, &table, &key);
        Ok(())
    })
}

/// Every dialog pseudo-variable.
pub fn declarations(table: Arc<Table>) -> Vec<PvDecl> {
    let count = table.clone();
    let read_val = table.clone();
    let write_val = table.clone();
    vec![
        of_dialog(&table, "DLG_status", |d, _| Value::Int(d.state)),
        of_dialog(&table, "DLG_dir", |_, cur| {
            Value::Str(
                match cur.dir {
                    Direction::Downstream => "DOWNSTREAM",
                    Direction::Upstream => "UPSTREAM",
                }
                .to_owned(),
            )
        }),
        of_dialog(&table, "DLG_lifetime", |d, _| {
            Value::Int(d.start.elapsed().as_secs() as i64)
        }),
        PvDecl {
            set: Some(set_timeout(&table)),
            ..of_dialog(&table, "DLG_timeout", |d, _| {
                Value::Int(d.left(Instant::now()).as_secs() as i64)
            })
        },
        of_dialog(&table, "DLG_did", |d, _| Value::Str(d.id.to_string())),
        of_dialog(&table, "DLG_end_reason", |d, _| {
            d.end_reason.map_or(Value::Null, Value::from)
        }),
        PvDecl {
            name: "DLG_count",
            takes_inner: false,
            get: Arc::new(move |_: &Context, _| Value::Int(count.active() as i64)),
            set: None,
        },
        PvDecl {
            name: "dlg_val",
            takes_inner: true,
            get: Arc::new(move |ctx: &Context, name| {
                let (Some(cur), Some(name)) = (ctx.ext::<Current>(), name) else {
                    return Value::Null;
                };
                read_val
                    .with(&cur.key, |d| d.values.get(name).cloned())
                    .flatten()
                    .map_or(Value::Null, Value::Str)
            }),
            set: Some(Arc::new(move |ctx: &mut Context, name, value| {
                let (Some(cur), Some(name)) = (ctx.ext::<Current>(), name) else {
                    return Err("no dialog for this message".into());
                };
                write_val
                    .with(&cur.key, |d| match value {
                        Value::Null => {
                            d.values.remove(name);
                        }
                        v => {
                            d.values.insert(name.to_owned(), v.to_string());
                        }
                    })
                    .ok_or_else(|| "the dialog has ended".to_owned())
            })),
        },
    ]
}
