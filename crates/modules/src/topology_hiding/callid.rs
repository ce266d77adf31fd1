//! The hidden Call-ID (flag `C`): `th_callid_prefix` and the caller's Call-ID scrambled with
//! `th_callid_passwd`, in hex. siplua keeps both Call-IDs with the dialog, so this is only
//! read back by its prefix; the encoding is siplua's own, not OpenSIPS' base64 one.

use crate::auth::digest::hex;

/// The Call-ID the callee side sees for `callid`.
pub fn encode(prefix: &str, passwd: &str, callid: &str) -> String {
    let key = passwd.as_bytes();
    let scrambled: Vec<u8> = if key.is_empty() {
        callid.as_bytes().to_vec()
    } else {
        callid
            .bytes()
            .zip(key.iter().cycle())
            .map(|(b, k)| b ^ k)
            .collect()
    };
    format!("{prefix}{}", hex(&scrambled))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_the_original_and_keeps_the_prefix() {
        let c = encode("DLGCH_", "OpenSIPS", "abc@10.0.0.1");
        assert!(c.starts_with("DLGCH_"));
        assert!(!c.contains("10.0.0.1"));
        assert!(c.bytes().all(|b| (0x21..=0x7e).contains(&b)));
        assert_ne!(c, encode("DLGCH_", "other", "abc@10.0.0.1"));
        assert_eq!(c, encode("DLGCH_", "OpenSIPS", "abc@10.0.0.1"));
    }
}
