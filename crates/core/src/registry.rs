//! The table of callable functions: core functions first, then each module's in load order,
//! the first of a name winning — the lookup order OpenSIPS' `moduleFunc` documents. As in
//! OpenSIPS, which finds a function by its name and its number of arguments, a later
//! function of a name already taken is kept when it takes other numbers of arguments: a 2.x
//! configuration loading both `auth_db` (3.x `db_does_uri_exist(uri, table)`) and `uri`
//! (2.x `db_does_uri_exist()`) gets each call by its arity.

use std::collections::HashMap;
use std::sync::Arc;

use crate::function::FunctionDecl;

/// Every function a script or `moduleFunc` can call, by name.
#[derive(Default)]
pub struct FunctionTable {
    /// The declarations of each name, in registration order, no two of overlapping arity.
    by_name: HashMap<&'static str, Vec<Arc<FunctionDecl>>>,
    /// (module name, function name) in registration order, for `which`/docs.
    order: Vec<(&'static str, &'static str)>,
}

/// Whether two declarations accept a common number of arguments.
fn arities_overlap(a: &FunctionDecl, b: &FunctionDecl) -> bool {
    a.min_args() <= b.params.len() && b.min_args() <= a.params.len()
}

impl FunctionTable {
    /// Adds the functions of one module (or of the core); a name already present keeps its
    /// first owner for every number of arguments that owner takes.
    pub fn register(&mut self, module: &'static str, functions: Vec<FunctionDecl>) {
        for f in functions {
            let name = f.name;
            let same = self.by_name.entry(name).or_default();
            if same.iter().any(|d| arities_overlap(d, &f)) {
                continue;
            }
            same.push(Arc::new(f));
            self.order.push((module, name));
        }
    }

    /// The function called `name` (the first registered, whatever its arity).
    pub fn get(&self, name: &str) -> Option<Arc<FunctionDecl>> {
        self.by_name.get(name).and_then(|d| d.first()).cloned()
    }

    /// The function called `name` that takes `args` arguments, or the first of that name
    /// when none does (the caller then reports the wrong number of arguments).
    pub fn get_for(&self, name: &str, args: usize) -> Option<Arc<FunctionDecl>> {
        let same = self.by_name.get(name)?;
        same.iter()
            .find(|d| (d.min_args()..=d.params.len()).contains(&args))
            .or_else(|| same.first())
            .cloned()
    }

    /// Every (module, function) pair, in registration order.
    pub fn list(&self) -> &[(&'static str, &'static str)] {
        &self.order
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::{ParamKind, ParamSpec};
    use crate::route_type::RouteMask;

    fn decl(n_req: usize, n_opt: usize, rc: i32) -> FunctionDecl {
        let mut params = vec![ParamSpec::req("a", ParamKind::Str); n_req];
        params.extend(vec![ParamSpec::opt("b", ParamKind::Str); n_opt]);
        FunctionDecl::new("f", params, RouteMask::ALL, move |_, _| rc)
    }

    #[test]
    fn a_name_is_shared_by_arity() {
        let mut t = FunctionTable::default();
        t.register("first", vec![decl(2, 0, 1)]);
        t.register("second", vec![decl(0, 0, 2), decl(1, 1, 3)]);
        t.register("third", vec![decl(3, 0, 4)]);
        assert_eq!(t.list(), &[("first", "f"), ("second", "f"), ("third", "f")]);
        let params = |n| t.get_for("f", n).map(|d| d.params.len());
        assert_eq!(params(2), Some(2), "the first owner of two arguments");
        assert_eq!(params(0), Some(0));
        assert_eq!(params(3), Some(3));
        assert_eq!(
            params(1),
            Some(2),
            "no taker of one: the first, for the error"
        );
        assert_eq!(t.get("f").map(|d| d.params.len()), Some(2));
        assert!(t.get_for("g", 0).is_none());
    }
}
