//! `math_eval()` expressions: the grammar and functions of the tinyexpr version OpenSIPS
//! bundles in its mathops module (facts carried over, no code).
//!
//! ```text
//! expr   = term {("+" | "-") term}
//! term   = factor {("*" | "/" | "%") factor}
//! factor = power {"^" power}            (left to right: 2^3^2 is 64)
//! power  = {"+" | "-"} base             (so -2^2 is 4)
//! base   = number | function power | "(" expr ")"
//! ```
//!
//! Numbers are read as `strtod()` reads them; names are lower-case letters only; the
//! functions are `abs acos asin atan ceil cos cosh exp floor ln log sin sinh sqrt tan tanh`,
//! `log` being the base-10 logarithm and `ln` the natural one. There are no constants (`pi`,
//! `e`), no commas and no functions of two arguments. `%` is C's `fmod`. No existing crate
//! has exactly these rules (`^` left-associative and weaker than a sign, `log` = log10,
//! function calls without parentheses), hence this small parser.

use super::number::strtod;

/// A one-argument function of the expression language.
type Function = fn(f64) -> f64;

/// The built-in functions, by name.
const FUNCTIONS: &[(&str, Function)] = &[
    ("abs", f64::abs),
    ("acos", f64::acos),
    ("asin", f64::asin),
    ("atan", f64::atan),
    ("ceil", f64::ceil),
    ("cos", f64::cos),
    ("cosh", f64::cosh),
    ("exp", f64::exp),
    ("floor", f64::floor),
    ("ln", f64::ln),
    ("log", f64::log10),
    ("sin", f64::sin),
    ("sinh", f64::sinh),
    ("sqrt", f64::sqrt),
    ("tan", f64::tan),
    ("tanh", f64::tanh),
];

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Mod,
}

/// A parsed expression, evaluated per call (its numbers never change).
#[derive(Clone, Debug)]
pub enum Expr {
    /// A number.
    Num(f64),
    /// A sign that negates.
    Neg(Box<Expr>),
    /// A function applied to its argument.
    Call(Function, Box<Expr>),
    /// A binary operation.
    Bin(Op, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug)]
enum Token {
    End,
    Num(f64),
    Func(Function),
    Op(Op),
    Open,
    Close,
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    token: Token,
}

impl Lexer<'_> {
    /// Moves to the next token; an error names what could not be read.
    fn advance(&mut self) -> Result<(), String> {
        let b = self.text.as_bytes();
        while let Some(c) = b.get(self.pos) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
                continue;
            }
            if c.is_ascii_digit() || *c == b'.' {
                let n = strtod(&self.text[self.pos..]);
                if n.len == 0 {
                    return Err(format!("no number at offset {}", self.pos));
                }
                self.pos += n.len;
                self.token = Token::Num(n.value);
                return Ok(());
            }
            if c.is_ascii_lowercase() {
                let start = self.pos;
                while b.get(self.pos).is_some_and(u8::is_ascii_lowercase) {
                    self.pos += 1;
                }
                let name = &self.text[start..self.pos];
                let f = FUNCTIONS.iter().find(|(n, _)| *n == name);
                return match f {
                    Some((_, f)) => {
                        self.token = Token::Func(*f);
                        Ok(())
                    }
                    None => Err(format!("unknown name '{name}'")),
                };
            }
            self.token = match c {
                b'+' => Token::Op(Op::Add),
                b'-' => Token::Op(Op::Sub),
                b'*' => Token::Op(Op::Mul),
                b'/' => Token::Op(Op::Div),
                b'^' => Token::Op(Op::Pow),
                b'%' => Token::Op(Op::Mod),
                b'(' => Token::Open,
                b')' => Token::Close,
                _ => {
                    let ch = self.text[self.pos..].chars().next().unwrap_or('?');
                    return Err(format!("unexpected '{ch}' at offset {}", self.pos));
                }
            };
            self.pos += 1;
            return Ok(());
        }
        self.token = Token::End;
        Ok(())
    }

    fn base(&mut self) -> Result<Expr, String> {
        match self.token {
            Token::Num(n) => {
                self.advance()?;
                Ok(Expr::Num(n))
            }
            Token::Func(f) => {
                self.advance()?;
                Ok(Expr::Call(f, Box::new(self.power()?)))
            }
            Token::Open => {
                self.advance()?;
                let e = self.expr()?;
                if !matches!(self.token, Token::Close) {
                    return Err("missing ')'".to_owned());
                }
                self.advance()?;
                Ok(e)
            }
            Token::End => Err("the expression ends too early".to_owned()),
            _ => Err(format!("unexpected operator at offset {}", self.pos)),
        }
    }

    fn power(&mut self) -> Result<Expr, String> {
        let mut negative = false;
        while let Token::Op(op @ (Op::Add | Op::Sub)) = self.token {
            negative ^= op == Op::Sub;
            self.advance()?;
        }
        let b = self.base()?;
        Ok(if negative { Expr::Neg(Box::new(b)) } else { b })
    }

    /// One level of left-associative binary operators over `next`.
    fn binary(
        &mut self,
        ops: &[Op],
        next: fn(&mut Self) -> Result<Expr, String>,
    ) -> Result<Expr, String> {
        let mut left = next(self)?;
        while let Token::Op(op) = self.token {
            if !ops.contains(&op) {
                break;
            }
            self.advance()?;
            left = Expr::Bin(op, Box::new(left), Box::new(next(self)?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, String> {
        self.binary(&[Op::Pow], Self::power)
    }

    fn term(&mut self) -> Result<Expr, String> {
        self.binary(&[Op::Mul, Op::Div, Op::Mod], Self::factor)
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.binary(&[Op::Add, Op::Sub], Self::term)
    }
}

impl Expr {
    /// Parses a whole expression; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Expr, String> {
        let mut lx = Lexer {
            text,
            pos: 0,
            token: Token::End,
        };
        lx.advance()?;
        let e = lx.expr()?;
        if !matches!(lx.token, Token::End) {
            return Err(format!("unexpected text at offset {}", lx.pos));
        }
        Ok(e)
    }

    /// The value (NaN or an infinity when the arithmetic gives one).
    pub fn eval(&self) -> f64 {
        match self {
            Expr::Num(n) => *n,
            Expr::Neg(e) => -e.eval(),
            Expr::Call(f, e) => f(e.eval()),
            Expr::Bin(op, l, r) => {
                let (a, b) = (l.eval(), r.eval());
                match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                    Op::Pow => a.powf(b),
                    Op::Mod => a % b,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(text: &str) -> f64 {
        Expr::parse(text).map(|e| e.eval()).unwrap_or(f64::NAN)
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(ev("1 + 2 * 3"), 7.0);
        assert_eq!(ev("(1 + 2) * 3"), 9.0);
        assert_eq!(ev("2^3^2"), 64.0, "left to right");
        assert_eq!(ev("-2^2"), 4.0, "the sign binds tighter");
        assert_eq!(ev("2^-1"), 0.5);
        assert_eq!(ev("--3"), 3.0);
        assert_eq!(ev("10 - 4 - 3"), 3.0);
        assert_eq!(ev("7 % 3"), 1.0);
        assert_eq!(ev("-7 % 3"), -1.0, "fmod keeps the dividend's sign");
        assert_eq!(ev("2 * 3 ^ 2"), 18.0);
    }

    #[test]
    fn functions() {
        assert_eq!(ev("sqrt(16)"), 4.0);
        assert_eq!(ev("sqrt 16"), 4.0, "no parentheses needed");
        assert_eq!(ev("log(1000)"), 3.0, "log is base 10");
        assert_eq!(ev("ln(exp(2))"), 2.0);
        assert_eq!(ev("abs(-2.5)"), 2.5);
        assert_eq!(ev("floor(-2.5) + ceil(2.1)"), 0.0);
        assert_eq!(ev("log10"), 1.0, "names are letters only: log(10)");
        assert_eq!(ev("sqrt 4^2"), 4.0, "(sqrt 4)^2");
    }

    #[test]
    fn numbers() {
        assert_eq!(ev("1e3 + .5"), 1000.5);
        assert_eq!(ev("0x10"), 16.0);
    }

    #[test]
    fn errors() {
        for bad in [
            "", "1 +", "(1", "1)", "()", "pi", "e", "2 * x", "SIN(1)", "1,2", "pow(2,3)", ".",
            "1 $ 2", "3 4",
        ] {
            assert!(Expr::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ev("sqrt(-1)").is_nan());
        assert!(ev("1/0").is_infinite());
    }
}
