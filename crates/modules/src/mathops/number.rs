//! Reading and printing numbers the way the C library does it for OpenSIPS' mathops:
//! `strtod()` reads the longest number at the start of a text (the rest is ignored),
//! `printf("%.*f")` prints fixed decimals, and a cast to `int` turns a result into an integer.

/// A number read from the start of a text, as `strtod()` reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Parsed {
    /// The value; 0 when nothing was read.
    pub value: f64,
    /// How many bytes were read (0 when the text does not start with a number).
    pub len: usize,
    /// `strtod()` would set `ERANGE`: the number overflows, or underflows to zero or a
    /// subnormal value.
    pub out_of_range: bool,
}

/// Reads the number at the start of `text` as `strtod()` does: leading white space, a sign,
/// then a decimal number with an optional exponent, a `0x` hexadecimal integer, `inf`,
/// `infinity` or `nan` (any case).
pub fn strtod(text: &str) -> Parsed {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let start = i;
    let negative = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let sign = if negative { -1.0 } else { 1.0 };
    let rest = &text[i..];
    let lower = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
    for (word, value) in [
        ("infinity", f64::INFINITY),
        ("inf", f64::INFINITY),
        ("nan", f64::NAN),
    ] {
        if lower.starts_with(word) {
            return Parsed {
                value: sign * value,
                len: i + word.len(),
                out_of_range: false,
            };
        }
    }
    if (rest.starts_with("0x") || rest.starts_with("0X"))
        && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        let digits = rest[2..].bytes().take_while(u8::is_ascii_hexdigit).count();
        let value = rest[2..2 + digits].bytes().fold(0.0, |acc, d| {
            acc * 16.0 + f64::from((d as char).to_digit(16).unwrap_or(0))
        });
        return Parsed {
            value: sign * value,
            len: i + 2 + digits,
            out_of_range: value.is_infinite(),
        };
    }
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int_digits = digits(i);
    let mut end = i + int_digits;
    let mut frac_digits = 0;
    if b.get(end) == Some(&b'.') {
        frac_digits = digits(end + 1);
        end += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return Parsed {
            value: 0.0,
            len: 0,
            out_of_range: false,
        };
    }
    let mantissa_end = end;
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_digits = digits(j);
        if exp_digits > 0 {
            end = j + exp_digits;
        }
    }
    let value: f64 = text[start..end].parse().unwrap_or(0.0);
    let nonzero_mantissa = b[i..mantissa_end].iter().any(|c| (b'1'..=b'9').contains(c));
    Parsed {
        value,
        len: end,
        out_of_range: value.is_infinite()
            || (nonzero_mantissa && (value == 0.0 || value.is_subnormal())),
    }
}

/// `printf("%.*f", decimals, value)`: fixed decimals (a negative count means 6, as in C),
/// `inf`/`-inf`, `nan`/`-nan` by the sign bit as glibc prints them.
pub fn fixed(value: f64, decimals: i64) -> String {
    let decimals = usize::try_from(decimals).unwrap_or(6);
    if value.is_nan() {
        return if value.is_sign_negative() {
            "-nan"
        } else {
            "nan"
        }
        .to_owned();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-inf" } else { "inf" }.to_owned();
    }
    format!("{value:.decimals$}")
}

/// `(int)value` as compiled for x86-64: the value truncated towards zero, or `INT_MIN` when
/// it is not a number or does not fit 32 bits.
pub fn c_int(value: f64) -> i64 {
    let t = value.trunc();
    if t.is_nan() || t < f64::from(i32::MIN) || t > f64::from(i32::MAX) {
        i64::from(i32::MIN)
    } else {
        t as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtod_reads_the_longest_prefix() {
        assert_eq!(strtod("  3.25abc").value, 3.25);
        assert_eq!(strtod("  3.25abc").len, 6);
        assert_eq!(strtod("-1e3x").value, -1000.0);
        assert_eq!(strtod("2e").len, 1, "an exponent needs digits");
        assert_eq!(strtod(".5").value, 0.5);
        assert_eq!(strtod("0x1F").value, 31.0);
        assert_eq!(strtod("abc").len, 0);
        assert_eq!(strtod("abc").value, 0.0);
        assert_eq!(strtod(".").len, 0);
        assert!(strtod("-inf").value.is_infinite());
        assert!(strtod("NaN").value.is_nan());
    }

    #[test]
    fn strtod_flags_range_errors() {
        assert!(strtod("1e999").out_of_range);
        assert!(strtod("1e-400").out_of_range);
        assert!(!strtod("0.000").out_of_range);
        assert!(!strtod("1e300").out_of_range);
    }

    #[test]
    fn fixed_prints_as_printf() {
        assert_eq!(fixed(3.0, 6), "3.000000");
        assert_eq!(fixed(2.0 / 3.0, 2), "0.67");
        assert_eq!(fixed(0.125, 2), "0.12", "exact ties go to even, as glibc");
        assert_eq!(fixed(2.675, 2), "2.67", "2.675 is 2.67499... in binary");
        assert_eq!(fixed(1.5, -1), "1.500000");
        assert_eq!(fixed(f64::INFINITY, 3), "inf");
        assert_eq!(fixed(-f64::NAN, 3), "-nan");
        assert_eq!(fixed(7.5, 0), "8");
    }

    #[test]
    fn c_int_truncates_or_gives_int_min() {
        assert_eq!(c_int(3.9), 3);
        assert_eq!(c_int(-2.9), -2);
        assert_eq!(c_int(f64::NAN), -2_147_483_648);
        assert_eq!(c_int(1e12), -2_147_483_648);
    }
}
