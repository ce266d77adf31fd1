//! `mi_fifo`: the management interface over a named pipe, as OpenSIPS 3.x's `mi_fifo` — the
//! transport `opensips-cli` uses by default.
//!
//! A client creates its own reply FIFO in `reply_dir`, writes `:REPLY_NAME:` followed by a
//! JSON-RPC 2.0 request to siplua's FIFO, and reads the JSON reply from
//! `reply_dir/REPLY_NAME` (an empty name asks for no reply).
//!
//! Parameters: `fifo_name` (default `/tmp/opensips_fifo`), `fifo_mode` (default 0660, written
//! in octal as in OpenSIPS scripts), `reply_dir` (default `/tmp/`); `fifo_user`,
//! `fifo_group`, `trace_destination`, `trace_bwlist` are accepted and have no effect.

mod frame;
mod reader;
mod reply;

use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use siplua_core::engine::Core;
use siplua_core::module::{ModParamKind, ModParamSpec, ModParamValue, Module};

use reader::Running;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "fifo_name",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "fifo_mode",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "fifo_group",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "fifo_user",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "reply_dir",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "trace_destination",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "trace_bwlist",
        kind: ModParamKind::Str,
    },
];

/// Where the FIFO is and how it is created.
#[derive(Clone, Debug)]
pub struct FifoSettings {
    /// The FIFO siplua reads commands from.
    pub fifo_name: PathBuf,
    /// Its permission bits.
    pub mode: u32,
    /// Where clients' reply FIFOs are.
    pub reply_dir: PathBuf,
}

/// The module.
pub struct MiFifo {
    settings: FifoSettings,
    running: Mutex<Option<Running>>,
}

impl Default for MiFifo {
    fn default() -> Self {
        MiFifo {
            settings: FifoSettings {
                fifo_name: "/tmp/opensips_fifo".into(),
                mode: 0o660,
                reply_dir: "/tmp/".into(),
            },
            running: Mutex::new(None),
        }
    }
}

/// Reads `fifo_mode` as OpenSIPS users write it: `0600` is octal even when the script
/// parser saw the decimal number 600.
fn octal_mode(v: i64) -> Result<u32, String> {
    let digits = v.to_string();
    if v < 0 || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return Err(format!(
            "fifo_mode {v} is not an octal permission like 0660"
        ));
    }
    u32::from_str_radix(&digits, 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or_else(|| format!("fifo_mode {v} is not a permission (0 to 0777)"))
}

impl Module for MiFifo {
    fn name(&self) -> &'static str {
        "mi_fifo"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "fifo_name" => self.settings.fifo_name = value.as_str().into(),
            "fifo_mode" => self.settings.mode = octal_mode(value.as_int())?,
            "reply_dir" => self.settings.reply_dir = value.as_str().into(),
            _ => {}
        }
        Ok(())
    }

    fn start(&self, core: &Arc<Core>) -> Result<(), String> {
        let running = reader::start(self.settings.clone(), core.clone())?;
        core.processes.register("MI FIFO");
        *self.running.lock() = Some(running);
        Ok(())
    }

    fn shutdown(&self) {
        if let Some(r) = self.running.lock().take() {
            r.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_octal() {
        assert_eq!(octal_mode(600), Ok(0o600));
        assert_eq!(octal_mode(660), Ok(0o660));
        assert!(octal_mode(680).is_err());
        assert!(octal_mode(7777).is_err());
    }
}
