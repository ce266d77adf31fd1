//! `tls_openssl` / `tls_wolfssl`: in OpenSIPS 3.x, `tls_mgm` needs one of these to provide
//! the TLS library, and every TLS script loads one (the templates load `tls_wolfssl.so`).
//! siplua's TLS is always rustls, so loading either only says so; they have no functions.
//! Their parameters (none in 3.x's `tls_wolfssl`; `tls_openssl` has a few tuning ones) are
//! refused like any unknown parameter.

use siplua_core::module::{InitEnv, Module};

/// One of the two library modules, by the name it was loaded as.
pub struct TlsLibrary {
    /// `tls_openssl` or `tls_wolfssl`.
    pub name: &'static str,
}

impl Module for TlsLibrary {
    fn name(&self) -> &'static str {
        self.name
    }

    fn init(&mut self, _env: &mut InitEnv) -> Result<(), String> {
        siplua_core::log::emit(
            siplua_core::log::level::INFO,
            self.name,
            "siplua's TLS is rustls (TLS 1.2 and 1.3); this module only stands for the library",
        );
        Ok(())
    }
}
