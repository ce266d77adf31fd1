//! `$json(id)`, `$json_compact(id)` and `$json_pretty(id)`: the same variables read in three
//! print styles. The path is parsed at load (a malformed constant path is a load error); a
//! name computed from a variable (`$json($var(n))`) is parsed at each use.

use std::any::Any;
use std::borrow::Cow;
use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::pv::{CompiledPv, Index, Inner, PvClass, PvInstance, PvLookup, Resolved};
use siplua_core::value::Value;
use siplua_script::AssignOp;
use tracing::{debug, error};

use super::node::{self, Json};
use super::path::{self, Iter, Path};
use super::print::Style;
use super::store;

/// One of the three variable names and the print style it reads objects in.
pub struct JsonClass {
    /// `json`, `json_compact` or `json_pretty`.
    pub name: &'static str,
    /// How objects, arrays and other non-scalar values read back.
    pub style: Style,
}

impl PvClass for JsonClass {
    fn name(&self) -> &'static str {
        self.name
    }

    fn compile(
        &self,
        inner: &Inner,
        index: Option<&Index>,
        lookup: &dyn PvLookup,
    ) -> Result<Arc<dyn PvInstance>, String> {
        if !matches!(index, None | Some(Index::All)) {
            return Err(format!(
                "${}: the only index supported is [*], in for each statements",
                self.name
            ));
        }
        let name = match inner {
            Inner::None => return Err(format!("${} needs a name: ${}(id)", self.name, self.name)),
            Inner::Text(t) => Name::Parsed(path::parse(t, lookup)?),
            Inner::Dynamic(pv) => Name::Computed(pv.clone()),
        };
        Ok(Arc::new(JsonPv {
            name,
            style: self.style,
        }))
    }
}

/// The name of one use of a json variable.
#[derive(Debug)]
enum Name {
    /// Written in the script, parsed at load.
    Parsed(Path),
    /// Read from a variable and parsed at each use.
    Computed(Box<CompiledPv>),
}

/// One prepared use of `$json(...)` (or its compact and pretty forms).
#[derive(Debug)]
pub struct JsonPv {
    name: Name,
    style: Style,
}

impl JsonPv {
    /// The variable name and the resolved steps, or why they cannot be had now.
    /// A name written in the script is borrowed, not copied, on each use.
    pub fn locate(
        &self,
        ctx: &Context,
    ) -> Result<(Cow<'_, str>, Vec<path::Resolved>, Iter), String> {
        match &self.name {
            Name::Parsed(p) => Ok((Cow::Borrowed(p.name.as_str()), p.resolve(ctx)?, p.iter)),
            Name::Computed(pv) => {
                let p = path::parse(&pv.get(ctx).as_str(), ctx.core)?;
                let steps = p.resolve(ctx)?;
                Ok((Cow::Owned(p.name), steps, p.iter))
            }
        }
    }

    /// The node this use names, if it exists.
    pub fn node(&self, ctx: &Context) -> Option<node::Node> {
        match self.locate(ctx) {
            Ok((name, steps, _)) => store::get(&name, &steps),
            Err(e) => {
                error!("json: cannot expand variables in path: {e}");
                None
            }
        }
    }

    /// Stores a node (or deletes with `None`) where this use points.
    pub fn store(&self, ctx: &Context, value: Option<node::Node>) -> Result<(), String> {
        let (name, steps, _) = self.locate(ctx)?;
        store::set(&name, &steps, value)
    }

    /// Position `i` of a `for each` walk: an object's i-th key (`.keys`) or value, an array's
    /// i-th element; NULL past the end ends the loop.
    fn iterate(&self, n: &node::Node, iter: Iter, i: i64) -> Value {
        let Ok(i) = usize::try_from(i) else {
            return Value::Null;
        };
        let item = match (&*n.borrow(), iter) {
            (Json::Object(members), Iter::Keys) => {
                return members
                    .get(i)
                    .map_or(Value::Null, |(k, _)| Value::from(k.as_str()))
            }
            (Json::Object(members), _) => members.get(i).map(|(_, v)| v.clone()),
            (Json::Array(items), Iter::Default) => items.get(i).cloned(),
            _ => {
                debug!("json: can only iterate over arrays, or objects with .keys/.values");
                None
            }
        };
        item.map_or(Value::Null, |v| node::to_value(&v, self.style))
    }
}

impl PvInstance for JsonPv {
    fn get(&self, ctx: &Context, index: Option<Resolved>) -> Value {
        let (name, steps, iter) = match self.locate(ctx) {
            Ok(l) => l,
            Err(e) => {
                error!("json: cannot expand variables in path: {e}");
                return Value::Null;
            }
        };
        let Some(n) = store::get(&name, &steps) else {
            return Value::Null;
        };
        match index {
            None => node::to_value(&n, self.style),
            Some(Resolved::At(i)) => self.iterate(&n, iter, i),
            Some(Resolved::All) => {
                error!("json: the [*] index is only supported in for each statements");
                Value::Null
            }
        }
    }

    fn set(&self, ctx: &mut Context, op: AssignOp, value: Value) -> Result<(), String> {
        let new = match (&value, op) {
            (Value::Null, _) => None,
            (_, AssignOp::ColonSet) => match node::parse(&value.as_str()) {
                Ok(n) => Some(n),
                Err(e) => {
                    // OpenSIPS deletes the target when the text does not parse.
                    let _ = self.store(ctx, None);
                    return Err(format!("error parsing json: {e}"));
                }
            },
            _ => Some(node::from_value(&value)),
        };
        self.store(ctx, new)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
