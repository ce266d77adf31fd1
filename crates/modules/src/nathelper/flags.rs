//! Flag arguments of nathelper's functions: OpenSIPS 3.x writes them as a comma-separated
//! list of names (`"private-contact,diff-ip-src-via"`), older scripts as a number (the sum
//! of the bits). Both are read.

use siplua_core::context::Context;
use siplua_core::function::{Args, PreparedArg};

/// The flag names one function knows, with the bit each stands for.
pub struct FlagNames {
    /// The function, for messages.
    pub function: &'static str,
    /// Name and bit of each flag.
    pub names: &'static [(&'static str, i64)],
}

impl FlagNames {
    /// Reads a flags argument: a number, or a comma-separated list of names.
    pub fn parse(&self, text: &str) -> Result<i64, String> {
        let text = text.trim();
        if let Ok(n) = text.parse::<i64>() {
            return Ok(n);
        }
        let mut flags = 0;
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let Some((_, bit)) = self
                .names
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            else {
                let known: Vec<&str> = self.names.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "{}: unknown flag '{name}' (known: {})",
                    self.function,
                    known.join(", ")
                ));
            };
            flags |= bit;
        }
        Ok(flags)
    }

    /// Load-time fixup of argument `i`: a constant list is read once (a bad one refused).
    pub fn fixup(&self, args: &mut [PreparedArg], i: usize) -> Result<(), String> {
        if let Some(PreparedArg::Str(s)) = args.get(i) {
            args[i] = PreparedArg::Int(self.parse(s)?);
        }
        Ok(())
    }

    /// Argument `i` at run time; a bad list from a variable is logged and gives `None`.
    pub fn arg(&self, ctx: &Context, args: &Args, i: usize) -> Option<i64> {
        if let PreparedArg::Int(n) = args.get(i) {
            return Some(*n);
        }
        match self.parse(&args.str(ctx, i).unwrap_or_default()) {
            Ok(f) => Some(f),
            Err(e) => {
                siplua_core::log::emit(siplua_core::log::level::ERR, "nathelper", &e);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: FlagNames = FlagNames {
        function: "f",
        names: &[("one", 1), ("two", 2), ("four", 4)],
    };

    #[test]
    fn by_number_or_name() {
        assert_eq!(NAMES.parse("6"), Ok(6));
        assert_eq!(NAMES.parse(" one , four"), Ok(5));
        assert_eq!(NAMES.parse("TWO"), Ok(2));
        let err = NAMES.parse("one,three").unwrap_err();
        assert!(
            err.contains("'three'") && err.contains("one, two, four"),
            "{err}"
        );
    }
}
