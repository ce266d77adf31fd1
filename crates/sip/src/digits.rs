//! Hexadecimal numbers written as text without the formatting machinery: on the per-message
//! path `format!` costs more than the rest of building a header value. (Decimal numbers: the
//! `itoa` crate.)

/// The hexadecimal digits of a number, in a stack buffer.
#[derive(Clone, Copy, Debug)]
pub struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    /// The lowercase hexadecimal digits of `n`, no leading zeros (what `format!("{n:x}")` writes).
    pub fn hex(mut n: u64) -> Digits {
        const RADIX: u64 = 16;
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 20];
        let mut start = buf.len();
        loop {
            start -= 1;
            if let Some(slot) = buf.get_mut(start) {
                *slot = DIGITS.get((n % RADIX) as usize).copied().unwrap_or(b'0');
            }
            n /= RADIX;
            if n == 0 {
                break;
            }
        }
        Digits { buf, start }
    }

    /// The digits as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.buf.get(self.start..).unwrap_or_default()).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::Digits;

    #[test]
    fn same_as_format() {
        for n in [0u64, 7, 10, 99, 100, 486, 65535, 0xdead_beef, u64::MAX] {
            assert_eq!(Digits::hex(n).as_str(), format!("{n:x}"));
        }
    }
}
