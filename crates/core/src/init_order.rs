//! The order modules are initialised in. OpenSIPS 3.x sorts its modules by their declared
//! dependencies before initialising them, so a script may `loadmodule "registrar.so"` before
//! `loadmodule "usrloc.so"`; siplua does the same: every module comes after the loaded
//! modules it needs (or may use), and otherwise in the order of the `loadmodule` lines.

use crate::module::Module;

/// Indexes of `modules` in the order to initialise them.
pub(crate) fn init_order(modules: &[Box<dyn Module>]) -> Vec<usize> {
    let names: Vec<&str> = modules.iter().map(|m| m.name()).collect();
    let deps: Vec<Vec<&str>> = modules
        .iter()
        .map(|m| {
            let mut d = m.dependencies().to_vec();
            d.extend_from_slice(m.optional_dependencies());
            d
        })
        .collect();
    order(&names, &deps)
}

/// Depth-first: each module after its dependencies that are loaded, load order otherwise; a
/// dependency cycle keeps the load order of the modules in it.
fn order(names: &[&str], deps: &[Vec<&str>]) -> Vec<usize> {
    fn visit(
        i: usize,
        names: &[&str],
        deps: &[Vec<&str>],
        seen: &mut [bool],
        out: &mut Vec<usize>,
    ) {
        if seen[i] {
            return;
        }
        seen[i] = true;
        for dep in &deps[i] {
            if let Some(j) = names.iter().position(|n| n == dep) {
                visit(j, names, deps, seen, out);
            }
        }
        out.push(i);
    }
    let mut seen = vec![false; names.len()];
    let mut out = Vec::with_capacity(names.len());
    for i in 0..names.len() {
        visit(i, names, deps, &mut seen, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::order;

    #[test]
    fn dependencies_come_first_and_the_rest_keeps_the_load_order() {
        let names = ["sl", "registrar", "tm", "usrloc", "dialog"];
        let deps = [vec![], vec!["usrloc"], vec![], vec![], vec!["tm"]];
        assert_eq!(order(&names, &deps), vec![0, 3, 1, 2, 4]);
    }

    #[test]
    fn a_dependency_that_is_not_loaded_is_ignored() {
        let names = ["topology_hiding", "tm"];
        let deps = [vec!["tm", "dialog"], vec![]];
        assert_eq!(order(&names, &deps), vec![1, 0]);
    }

    #[test]
    fn a_cycle_does_not_loop() {
        let names = ["a", "b"];
        let deps = [vec!["b"], vec!["a"]];
        assert_eq!(order(&names, &deps), vec![1, 0]);
    }
}
