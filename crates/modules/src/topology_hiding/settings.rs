//! The module parameters and the flags of `topology_hiding([flags])`.

/// The `modparam` values.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `force_dialog`: `topology_hiding()` creates the dialog when the script did not.
    pub force_dialog: bool,
    /// `th_passed_contact_uri_params`: Contact URI parameters copied to our Contact.
    pub passed_uri_params: Vec<String>,
    /// `th_passed_contact_params`: Contact header parameters copied to our Contact.
    pub passed_params: Vec<String>,
    /// `th_callid_passwd`: the key the hidden Call-ID is scrambled with.
    pub callid_passwd: String,
    /// `th_callid_prefix`: what a hidden Call-ID starts with.
    pub callid_prefix: String,
    /// `th_contact_encode_passwd` (the no-dialog mode, not implemented: accepted only).
    pub contact_encode_passwd: String,
    /// `th_contact_encode_param` (the no-dialog mode, not implemented: accepted only).
    pub contact_encode_param: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            force_dialog: false,
            passed_uri_params: Vec::new(),
            passed_params: Vec::new(),
            callid_passwd: "OpenSIPS".into(),
            callid_prefix: "DLGCH_".into(),
            contact_encode_passwd: "ToPoCtPaSS".into(),
            contact_encode_param: "thinfo".into(),
        }
    }
}

/// A `;`-separated list of parameter names.
pub fn name_list(text: &str) -> Vec<String> {
    text.split(';')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The flags of `topology_hiding([flags])`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `U`: our Contact keeps the user part of the one it replaces.
    pub keep_user: bool,
    /// `C`: the Call-ID is hidden too.
    pub hide_callid: bool,
    /// `D`: no dialog (OpenSIPS' no-dialog mode, refused here).
    pub no_dialog: bool,
}

impl Flags {
    /// Parses the flag letters; an unknown letter is an error.
    pub fn parse(text: &str) -> Result<Flags, String> {
        let mut f = Flags::default();
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            match c {
                'U' => f.keep_user = true,
                'C' => f.hide_callid = true,
                'D' => f.no_dialog = true,
                other => return Err(format!("unknown topology_hiding flag '{other}'")),
            }
        }
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_lists() {
        assert_eq!(
            Flags::parse("UC").unwrap(),
            Flags {
                keep_user: true,
                hide_callid: true,
                no_dialog: false
            }
        );
        assert!(Flags::parse("D").unwrap().no_dialog);
        assert!(Flags::parse("X").is_err());
        assert_eq!(name_list(" a; b ;;"), vec!["a", "b"]);
    }
}
