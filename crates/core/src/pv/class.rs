//! Module variables with a name syntax of their own (`$json(obj/list[-1])`): the module parses
//! the inner argument and the index once at load, so a malformed constant name is a load error
//! with its position, and reads and writes see the index and the assignment operator that the
//! plain [`super::PvDecl`] interface does not pass on.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use siplua_script::AssignOp;

use super::{Index, Inner, PvDecl, PvLookup, Resolved};
use crate::context::Context;
use crate::value::Value;

/// A family of module variables (`$json`, `$json_pretty`), registered by name.
pub trait PvClass: Send + Sync {
    /// The name after `$`.
    fn name(&self) -> &'static str;

    /// Prepares one use of the variable from its inner argument and index, or says what is
    /// wrong with them (the loader adds the position).
    fn compile(
        &self,
        inner: &Inner,
        index: Option<&Index>,
        lookup: &dyn PvLookup,
    ) -> Result<Arc<dyn PvInstance>, String>;
}

/// One prepared use of a [`PvClass`] variable.
pub trait PvInstance: Send + Sync {
    /// Reads it; `index` is the resolved `[...]` (the `for each` loop passes positions).
    fn get(&self, ctx: &Context, index: Option<Resolved>) -> Value;

    /// Writes it with the script's operator (`=` or `:=`; the arithmetic ones arrive as `=`
    /// with the computed value); `Value::Null` deletes.
    fn set(&self, ctx: &mut Context, op: AssignOp, value: Value) -> Result<(), String>;

    /// The concrete type, for functions taking such a variable (`json_link`).
    fn as_any(&self) -> &dyn Any;
}

impl fmt::Debug for dyn PvInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PvInstance")
    }
}

/// The loaded modules' variables, both kinds, as the compiler looks them up.
pub struct ModuleLookup<'a> {
    /// Variables declared with [`PvDecl`].
    pub decls: &'a HashMap<&'static str, Arc<PvDecl>>,
    /// Variables declared with [`PvClass`].
    pub classes: &'a HashMap<&'static str, Arc<dyn PvClass>>,
}

impl PvLookup for ModuleLookup<'_> {
    fn module_pv(&self, name: &str) -> Option<Arc<PvDecl>> {
        self.decls.get(name).cloned()
    }

    fn module_pv_class(&self, name: &str) -> Option<Arc<dyn PvClass>> {
        self.classes.get(name).cloned()
    }
}
