//! The table of callable functions: core functions first, then each module's in load order,
//! the first of a name winning — the lookup order OpenSIPS' `moduleFunc` documents.

use std::collections::HashMap;
use std::sync::Arc;

use crate::function::FunctionDecl;

/// Every function a script or `moduleFunc` can call, by name.
#[derive(Default)]
pub struct FunctionTable {
    by_name: HashMap<&'static str, Arc<FunctionDecl>>,
    /// (module name, function name) in registration order, for `which`/docs.
    order: Vec<(&'static str, &'static str)>,
}

impl FunctionTable {
    /// Adds the functions of one module (or of the core); a name already present keeps its
    /// first owner.
    pub fn register(&mut self, module: &'static str, functions: Vec<FunctionDecl>) {
        for f in functions {
            let name = f.name;
            if !self.by_name.contains_key(name) {
                self.by_name.insert(name, Arc::new(f));
                self.order.push((module, name));
            }
        }
    }

    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<FunctionDecl>> {
        self.by_name.get(name).cloned()
    }

    /// Every (module, function) pair, in registration order.
    pub fn list(&self) -> &[(&'static str, &'static str)] {
        &self.order
    }
}
