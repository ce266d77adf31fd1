//! OpenSIPS 3.x auto-scaling syntax in global parameters, read so that configs using it load:
//! a profile definition `auto_scaling_profile = NAME scale up to 6 on 70% for 4 cycles
//! within 5 scale down to 2 on 18% for 10 cycles` (kept as one text value) and the
//! `use_auto_scaling_profile NAME` suffix of a worker count (`udp_workers = 4
//! use_auto_scaling_profile NAME`, dropped: the count is the value). siplua's worker pools
//! have a fixed size; docs/script.md says so.

use super::toplevel::is_bare_value_byte;
use super::{PResult, Parser};
use crate::error::Diagnostic;
use crate::span::Span;

/// The words of a profile description besides numbers and percentages.
const PROFILE_WORDS: &[&str] = &["scale", "up", "down", "to", "on", "for", "cycles", "within"];

impl Parser {
    /// The rest of `auto_scaling_profile = NAME ...` after the name: every word that belongs
    /// to the description, appended to `text`.
    pub(super) fn auto_scaling_description(&mut self, text: &mut String) -> PResult<()> {
        while let Some(word) = self.raw_word_if(|w| {
            PROFILE_WORDS.contains(&w)
                || w.trim_end_matches('%').bytes().all(|c| c.is_ascii_digit()) && !w.is_empty()
        }) {
            text.push(' ');
            text.push_str(&word);
        }
        Ok(())
    }

    /// Skips `use_auto_scaling_profile NAME` after a global value, if it follows.
    pub(super) fn skip_auto_scaling_use(&mut self) -> PResult<()> {
        if self
            .raw_word_if(|w| w == "use_auto_scaling_profile")
            .is_some()
        {
            let (name, span) = self.raw_word(is_bare_value_byte)?;
            if name.is_empty() {
                return Err(Diagnostic::new(
                    span,
                    "expected a profile name after `use_auto_scaling_profile`",
                ));
            }
        }
        Ok(())
    }

    /// The next raw word when `keep` accepts it (consumed); otherwise nothing is consumed.
    fn raw_word_if(&mut self, keep: impl Fn(&str) -> bool) -> Option<String> {
        let lx = self.src.raw()?;
        let save = lx.raw_pos();
        if lx.skip_trivia().is_some() {
            lx.rewind(save);
            return None;
        }
        let (word, span) = lx.raw_eat_while(is_bare_value_byte);
        if word.is_empty() || !keep(&word) {
            lx.rewind(save);
            return None;
        }
        self.prev_end = Span {
            start: span.end,
            ..span
        };
        Some(word)
    }
}

/// The profile name as written (`PROFILE_UDP`, or a quoted name).
pub(super) fn global_value_text(v: &crate::ast::GlobalValue) -> String {
    use crate::ast::GlobalValue;
    match v {
        GlobalValue::Int(n) => n.to_string(),
        GlobalValue::Str(s) | GlobalValue::Id(s) => s.clone(),
        GlobalValue::Bool(b) => b.to_string(),
        GlobalValue::Socket(_) | GlobalValue::List(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::GlobalValue;

    fn globals(text: &str) -> Vec<(String, GlobalValue)> {
        let (script, _) = crate::parse_str("t.cfg", text).expect("parses");
        script
            .globals
            .into_iter()
            .map(|g| (g.name, g.value))
            .collect()
    }

    #[test]
    fn a_profile_definition_is_one_text_value() {
        let g = globals(
            "auto_scaling_profile = PROFILE_UDP\n\
             \x20    scale up to 6 on 70% for 4 cycles within 5\n\
             \x20    scale down to 2 on 18% for 10 cycles\n\
             udp_workers = 4 use_auto_scaling_profile PROFILE_UDP\n\
             timer_workers = 2 use_auto_scaling_profile PROFILE_UDP # comment\n\
             log_level = 3\n",
        );
        assert_eq!(
            g,
            vec![
                (
                    "auto_scaling_profile".into(),
                    GlobalValue::Str(
                        "PROFILE_UDP scale up to 6 on 70% for 4 cycles within 5 \
                         scale down to 2 on 18% for 10 cycles"
                            .into()
                    )
                ),
                ("udp_workers".into(), GlobalValue::Int(4)),
                ("timer_workers".into(), GlobalValue::Int(2)),
                ("log_level".into(), GlobalValue::Int(3)),
            ]
        );
    }

    #[test]
    fn a_missing_profile_name_is_an_error() {
        let err = crate::parse_str("t.cfg", "udp_workers = 4 use_auto_scaling_profile\n")
            .expect_err("an error");
        assert!(
            err[0].to_string().contains("expected a profile name"),
            "{err:?}"
        );
    }
}
