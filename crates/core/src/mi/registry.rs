//! Every MI command by name, with the module that exports it (`help` says "Exported by").
//! Built once at load time — the core's commands first, then each module's in load order —
//! and read-only afterwards, so transports look commands up without a lock.

use std::collections::HashMap;

use super::command::MiCommand;

/// One registered command and its owner.
#[derive(Clone, Debug)]
pub struct Registered {
    /// `core` or the module's name.
    pub module: &'static str,
    /// The command.
    pub command: MiCommand,
}

/// The command table.
#[derive(Clone, Debug, Default)]
pub struct MiRegistry {
    commands: Vec<Registered>,
    by_name: HashMap<&'static str, usize>,
}

impl MiRegistry {
    /// Adds `module`'s commands; a name already taken is an error (it names both owners).
    pub fn register(
        &mut self,
        module: &'static str,
        commands: Vec<MiCommand>,
    ) -> Result<(), String> {
        for command in commands {
            if let Some(&i) = self.by_name.get(command.name) {
                return Err(format!(
                    "MI command {} of module {module} is already exported by {}",
                    command.name, self.commands[i].module
                ));
            }
            self.by_name.insert(command.name, self.commands.len());
            self.commands.push(Registered { module, command });
        }
        Ok(())
    }

    /// The command called `name`.
    pub fn get(&self, name: &str) -> Option<&Registered> {
        self.by_name.get(name).map(|&i| &self.commands[i])
    }

    /// Every command, in registration order (what `which` lists).
    pub fn all(&self) -> &[Registered] {
        &self.commands
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn names_are_unique() {
        let cmd = || MiCommand::new("uptime", "", vec![], |_, _| Ok(Value::Null));
        let mut r = MiRegistry::default();
        r.register("core", vec![cmd()]).unwrap();
        let e = r.register("other", vec![cmd()]).unwrap_err();
        assert!(e.contains("already exported by core"), "{e}");
        assert_eq!(r.get("uptime").unwrap().module, "core");
        assert_eq!(r.all().len(), 1);
    }
}
