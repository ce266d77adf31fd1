//! A registrant's state, numbered and named as OpenSIPS' `reg_list` shows it.

/// Where a registration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegState {
    /// No REGISTER sent yet (or disabled, or unregistered).
    NotRegistered = 0,
    /// Waiting for the answer to a REGISTER without credentials.
    Registering = 1,
    /// Waiting for the answer to a REGISTER with credentials.
    Authenticating = 2,
    /// The registrar accepted the binding.
    Registered = 3,
    /// No final answer in time.
    RegisterTimeout = 4,
    /// The REGISTER could not be sent or the answer not used.
    InternalError = 5,
    /// Challenged again after answering a challenge, or no credentials to answer with.
    WrongCredentials = 6,
    /// The registrar refused.
    RegistrarError = 7,
    /// Waiting for the answer to an unREGISTER without credentials.
    Unregistering = 8,
    /// Waiting for the answer to an unREGISTER with credentials.
    AuthenticatingUnregister = 9,
}

impl RegState {
    /// The name `reg_list` prints.
    pub fn name(self) -> &'static str {
        match self {
            RegState::NotRegistered => "NOT_REGISTERED_STATE",
            RegState::Registering => "REGISTERING_STATE",
            RegState::Authenticating => "AUTHENTICATING_STATE",
            RegState::Registered => "REGISTERED_STATE",
            RegState::RegisterTimeout => "REGISTER_TIMEOUT_STATE",
            RegState::InternalError => "INTERNAL_ERROR_STATE",
            RegState::WrongCredentials => "WRONG_CREDENTIALS_STATE",
            RegState::RegistrarError => "REGISTRAR_ERROR_STATE",
            RegState::Unregistering => "UNREGISTERING_STATE",
            RegState::AuthenticatingUnregister => "AUTHENTICATING_UNREGISTER_STATE",
        }
    }

    /// The state while waiting for the answer to a request with (or without) credentials,
    /// registering or unregistering.
    pub fn waiting(unregister: bool, authenticated: bool) -> RegState {
        match (unregister, authenticated) {
            (false, false) => RegState::Registering,
            (false, true) => RegState::Authenticating,
            (true, false) => RegState::Unregistering,
            (true, true) => RegState::AuthenticatingUnregister,
        }
    }

    /// True after a failure (the next try starts a new Call-ID, as in OpenSIPS).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            RegState::RegisterTimeout
                | RegState::InternalError
                | RegState::WrongCredentials
                | RegState::RegistrarError
        )
    }
}
