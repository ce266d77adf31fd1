//! `math_rpn()` expressions: words separated by white space, run on a stack of at most 100
//! numbers, as OpenSIPS' mathops does. A word starting with a digit (or `-` and a digit) is a
//! number, read as `strtod()` reads it (the rest of the word is the next word); the others
//! are operators: `+ - * / mod pow` (two numbers), `neg exp ln log10 abs sqrt cbrt floor ceil
//! round nearbyint trunc` (one), `e pi` (constants), `drop dup swap`. OpenSIPS' table
//! recognises `log` for `log10` (and not `log10` itself); both names are accepted here.

use super::number::strtod;

/// The stack's size in OpenSIPS.
const MAX_STACK: usize = 100;

/// One word of an RPN program.
#[derive(Clone, Copy, Debug)]
pub enum Word {
    /// Pushes a number.
    Num(f64),
    /// Pops two numbers, pushes the result.
    Binary(fn(f64, f64) -> f64),
    /// Pops one number, pushes the result.
    Unary(fn(f64) -> f64),
    /// Pops and forgets the top.
    Drop,
    /// Pushes the top again.
    Dup,
    /// Exchanges the two top numbers.
    Swap,
}

/// A parsed program.
#[derive(Clone, Debug)]
pub struct Program(Vec<Word>);

fn operator(word: &str) -> Option<Word> {
    Some(match word {
        "+" => Word::Binary(|a, b| a + b),
        "-" => Word::Binary(|a, b| a - b),
        "*" => Word::Binary(|a, b| a * b),
        "/" => Word::Binary(|a, b| a / b),
        "mod" => Word::Binary(|a, b| a % b),
        "pow" => Word::Binary(f64::powf),
        "neg" => Word::Unary(|a| -a),
        "exp" => Word::Unary(f64::exp),
        "ln" => Word::Unary(f64::ln),
        "log" | "log10" => Word::Unary(f64::log10),
        "abs" => Word::Unary(f64::abs),
        "sqrt" => Word::Unary(f64::sqrt),
        "cbrt" => Word::Unary(f64::cbrt),
        "floor" => Word::Unary(f64::floor),
        "ceil" => Word::Unary(f64::ceil),
        "round" => Word::Unary(f64::round),
        "nearbyint" => Word::Unary(f64::round_ties_even),
        "trunc" => Word::Unary(f64::trunc),
        "e" => Word::Num(std::f64::consts::E),
        "pi" => Word::Num(std::f64::consts::PI),
        "drop" => Word::Drop,
        "dup" => Word::Dup,
        "swap" => Word::Swap,
        _ => return None,
    })
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

impl Program {
    /// Parses a program; the error names the word that is neither a number nor an operator,
    /// or the number that overflows.
    pub fn parse(text: &str) -> Result<Program, String> {
        let mut words = Vec::new();
        let mut rest = text.trim_start_matches(is_space);
        while !rest.is_empty() {
            let b = rest.as_bytes();
            let numeric =
                b[0].is_ascii_digit() || (b[0] == b'-' && b.get(1).is_some_and(u8::is_ascii_digit));
            if numeric {
                let n = strtod(rest);
                if n.out_of_range {
                    return Err(format!("number out of range: '{}'", &rest[..n.len]));
                }
                words.push(Word::Num(n.value));
                rest = &rest[n.len..];
            } else {
                let end = rest.find(is_space).unwrap_or(rest.len());
                let word = &rest[..end];
                words.push(operator(word).ok_or_else(|| format!("unknown operator '{word}'"))?);
                rest = &rest[end..];
            }
            rest = rest.trim_start_matches(is_space);
        }
        Ok(Program(words))
    }

    /// Runs the program: the one number left on the stack, or an error (a stack that
    /// underflows, overflows or ends with other than one number).
    pub fn run(&self) -> Result<f64, String> {
        let mut stack: Vec<f64> = Vec::new();
        let pop = |s: &mut Vec<f64>| s.pop().ok_or_else(|| "the stack is empty".to_owned());
        for w in &self.0 {
            match *w {
                Word::Num(n) => stack.push(n),
                Word::Binary(f) => {
                    let b = pop(&mut stack)?;
                    let a = pop(&mut stack)?;
                    stack.push(f(a, b));
                }
                Word::Unary(f) => {
                    let a = pop(&mut stack)?;
                    stack.push(f(a));
                }
                Word::Drop => {
                    pop(&mut stack)?;
                }
                Word::Dup => {
                    let a = pop(&mut stack)?;
                    stack.extend([a, a]);
                }
                Word::Swap => {
                    let b = pop(&mut stack)?;
                    let a = pop(&mut stack)?;
                    stack.extend([b, a]);
                }
            }
            if stack.len() > MAX_STACK {
                return Err(format!("the stack holds more than {MAX_STACK} numbers"));
            }
        }
        match stack.as_slice() {
            [x] => Ok(*x),
            s => Err(format!("the stack ends with {} numbers", s.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<f64, String> {
        Program::parse(text)?.run()
    }

    #[test]
    fn evaluates_programs() {
        assert_eq!(run("1 2 +"), Ok(3.0));
        assert_eq!(run("10 4 -"), Ok(6.0));
        assert_eq!(run("2 10 pow"), Ok(1024.0));
        assert_eq!(run("7 3 mod"), Ok(1.0));
        assert_eq!(run("5 neg"), Ok(-5.0));
        assert_eq!(run("1 2 swap -"), Ok(1.0));
        assert_eq!(run("3 dup *"), Ok(9.0));
        assert_eq!(run("1 2 drop"), Ok(1.0));
        assert_eq!(run("1000 log"), Ok(3.0));
        assert_eq!(run("27 cbrt"), Ok(3.0));
        assert_eq!(run("2.5 nearbyint 2.5 round +"), Ok(5.0));
        assert_eq!(run("-2 3 *"), Ok(-6.0));
        assert_eq!(run("1-2 +"), Ok(-1.0), "a number ends where strtod stops");
        let third = run("1 3 swap swap dup drop / exp ln 1 swap /").unwrap_or(0.0);
        assert!((third - 3.0).abs() < 1e-12);
        assert_eq!(run("pi"), Ok(std::f64::consts::PI));
        assert_eq!(run("e"), Ok(std::f64::consts::E));
    }

    #[test]
    fn errors() {
        assert!(run("1 +").is_err());
        assert!(run("1 2").is_err());
        assert!(run("").is_err());
        assert!(run("1 foo").is_err());
        assert!(run("1e999").is_err());
        assert!(
            Program::parse(".5").is_err(),
            "not a number: no digit first"
        );
        assert!(run(&"1 ".repeat(101)).is_err(), "the stack holds 100");
        assert!(run(&format!("{}{}", "1 ".repeat(100), "+ ".repeat(99))).is_ok());
    }
}
