//! `json`: OpenSIPS' JSON variables. `$json(id)` holds a JSON value per worker and is read
//! and written by path (`$json(obj/list[-1]/key)`); `$json_compact(id)` and `$json_pretty(id)`
//! read the same variables printed compactly or indented; `json_link($json(dst),
//! $json(src))` makes `dst` a reference to the object at `src`.

mod link;
mod node;
mod path;
mod print;
mod pv;
mod store;

use std::sync::Arc;

use siplua_core::function::FunctionDecl;
use siplua_core::module::Module;
use siplua_core::pv::PvClass;

use print::Style;
use pv::JsonClass;

/// The module.
#[derive(Default)]
pub struct Json;

impl Module for Json {
    fn name(&self) -> &'static str {
        "json"
    }

    fn pv_classes(&self) -> Vec<Arc<dyn PvClass>> {
        [
            ("json", Style::Spaced),
            ("json_compact", Style::Plain),
            ("json_pretty", Style::Pretty),
        ]
        .into_iter()
        .map(|(name, style)| Arc::new(JsonClass { name, style }) as Arc<dyn PvClass>)
        .collect()
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        vec![link::declaration()]
    }
}
