//! The small formula language of `kind = "formula"` indicators and of veto
//! conditions: numbers, names of measures, + − * /, comparisons, AND, OR,
//! NOT, and IF, MIN, MAX, ABS, ROUND, DIV. Division by zero gives 0 (DIV
//! lets the rule choose); no formula can produce NaN or infinity.
//! SCORING.md §4 gives the grammar.

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    Name(String),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(Box<Expr>, BinOp, Box<Expr>),
    Call(String, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

const FUNCTIONS: [(&str, usize, usize); 6] =
    [("IF", 3, 3), ("MIN", 1, 64), ("MAX", 1, 64), ("ABS", 1, 1), ("ROUND", 1, 2), ("DIV", 3, 3)];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(Tok::Num(text.parse().map_err(|_| format!("`{text}` is not a number"))?));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = ["<=", ">=", "==", "!="].into_iter().find(|o| *o == two);
            if let Some(op) = op {
                out.push(Tok::Op(op));
                i += 2;
                continue;
            }
            out.push(match c {
                '(' => Tok::LParen,
                ')' => Tok::RParen,
                ',' => Tok::Comma,
                '+' => Tok::Op("+"),
                '-' => Tok::Op("-"),
                '*' => Tok::Op("*"),
                '/' => Tok::Op("/"),
                '<' => Tok::Op("<"),
                '>' => Tok::Op(">"),
                _ => return Err(format!("unexpected character `{c}`")),
            });
            i += 1;
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while self.keyword("OR") {
            self.at += 1;
            e = Expr::Bin(Box::new(e), BinOp::Or, Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.cmp()?;
        while self.keyword("AND") {
            self.at += 1;
            e = Expr::Bin(Box::new(e), BinOp::And, Box::new(self.cmp()?));
        }
        Ok(e)
    }

    fn cmp(&mut self) -> Result<Expr, String> {
        let e = self.sum()?;
        let op = match self.peek() {
            Some(Tok::Op("<")) => BinOp::Lt,
            Some(Tok::Op("<=")) => BinOp::Le,
            Some(Tok::Op(">")) => BinOp::Gt,
            Some(Tok::Op(">=")) => BinOp::Ge,
            Some(Tok::Op("==")) => BinOp::Eq,
            Some(Tok::Op("!=")) => BinOp::Ne,
            _ => return Ok(e),
        };
        self.at += 1;
        Ok(Expr::Bin(Box::new(e), op, Box::new(self.sum()?)))
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut e = self.prod()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("+")) => BinOp::Add,
                Some(Tok::Op("-")) => BinOp::Sub,
                _ => return Ok(e),
            };
            self.at += 1;
            e = Expr::Bin(Box::new(e), op, Box::new(self.prod()?));
        }
    }

    fn prod(&mut self) -> Result<Expr, String> {
        let mut e = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("*")) => BinOp::Mul,
                Some(Tok::Op("/")) => BinOp::Div,
                _ => return Ok(e),
            };
            self.at += 1;
            e = Expr::Bin(Box::new(e), op, Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if matches!(self.peek(), Some(Tok::Op("-"))) {
            self.at += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.keyword("NOT") {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::Num(n)) => Ok(Expr::Num(n)),
            Some(Tok::LParen) => {
                let e = self.or()?;
                match self.next() {
                    Some(Tok::RParen) => Ok(e),
                    _ => Err("a `)` is missing".into()),
                }
            }
            Some(Tok::Ident(name)) => {
                if !matches!(self.peek(), Some(Tok::LParen)) {
                    return Ok(Expr::Name(name));
                }
                self.at += 1;
                let upper = name.to_ascii_uppercase();
                let Some(&(_, min, max)) = FUNCTIONS.iter().find(|f| f.0 == upper) else {
                    return Err(format!("unknown function `{name}`; known: IF, MIN, MAX, ABS, ROUND, DIV"));
                };
                let mut args = Vec::new();
                if !matches!(self.peek(), Some(Tok::RParen)) {
                    loop {
                        args.push(self.or()?);
                        match self.next() {
                            Some(Tok::Comma) => continue,
                            Some(Tok::RParen) => break,
                            _ => return Err(format!("expected `,` or `)` in {upper}(…)")),
                        }
                    }
                } else {
                    self.at += 1;
                }
                if args.len() < min || args.len() > max {
                    return Err(format!(
                        "{upper} takes {}",
                        if min == max {
                            format!("{min} arguments")
                        } else {
                            format!("{min} to {max} arguments")
                        }
                    ));
                }
                Ok(Expr::Call(upper, args))
            }
            Some(t) => Err(format!("unexpected {t:?}")),
            None => Err("the formula ends too early".into()),
        }
    }
}

impl Expr {
    pub fn parse(s: &str) -> Result<Expr, String> {
        let mut p = Parser { toks: lex(s)?, at: 0 };
        let e = p.or()?;
        if p.at < p.toks.len() {
            return Err(format!("unexpected {:?} after the end of the formula", p.toks[p.at]));
        }
        Ok(e)
    }

    /// Every name the formula reads.
    pub fn names(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Name(n) = e {
                out.push(n.as_str());
            }
        });
        out
    }

    fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Neg(e) | Expr::Not(e) => e.walk(f),
            Expr::Bin(a, _, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.walk(f)),
            Expr::Num(_) | Expr::Name(_) => {}
        }
    }

    /// Evaluates with the values of names; an unknown name is an error.
    pub fn eval(&self, value: &dyn Fn(&str) -> Option<f64>) -> Result<f64, String> {
        let b = |x: bool| if x { 1.0 } else { 0.0 };
        let v = match self {
            Expr::Num(n) => *n,
            Expr::Name(n) => value(n).ok_or_else(|| format!("no value for `{n}`"))?,
            Expr::Neg(e) => -e.eval(value)?,
            Expr::Not(e) => b(e.eval(value)? == 0.0),
            Expr::Bin(l, op, r) => {
                let (x, y) = (l.eval(value)?, r.eval(value)?);
                match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    BinOp::Div => {
                        if y == 0.0 {
                            0.0
                        } else {
                            x / y
                        }
                    }
                    BinOp::Lt => b(x < y),
                    BinOp::Le => b(x <= y),
                    BinOp::Gt => b(x > y),
                    BinOp::Ge => b(x >= y),
                    BinOp::Eq => b(x == y),
                    BinOp::Ne => b(x != y),
                    BinOp::And => b(x != 0.0 && y != 0.0),
                    BinOp::Or => b(x != 0.0 || y != 0.0),
                }
            }
            Expr::Call(f, args) => {
                let a: Result<Vec<f64>, String> = args.iter().map(|e| e.eval(value)).collect();
                let a = a?;
                match f.as_str() {
                    "IF" => {
                        if a[0] != 0.0 {
                            a[1]
                        } else {
                            a[2]
                        }
                    }
                    "MIN" => a.iter().copied().fold(f64::INFINITY, f64::min),
                    "MAX" => a.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    "ABS" => a[0].abs(),
                    "ROUND" => {
                        let p = 10f64.powi(a.get(1).copied().unwrap_or(0.0) as i32);
                        (a[0] * p).round() / p
                    }
                    "DIV" => {
                        if a[1] == 0.0 {
                            a[2]
                        } else {
                            a[0] / a[1]
                        }
                    }
                    _ => return Err(format!("unknown function {f}")),
                }
            }
        };
        if v.is_finite() { Ok(v) } else { Err("the formula gave a value that is not a finite number".into()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(s: &str) -> f64 {
        let vals = |n: &str| match n {
            "acc" => Some(0.9),
            "zero" => Some(0.0),
            _ => None,
        };
        Expr::parse(s).unwrap().eval(&vals).unwrap()
    }

    #[test]
    fn evaluates() {
        assert_eq!(ev("1 + 2 * 3"), 7.0);
        assert_eq!(ev("IF(acc >= 0.95, 10, 10 * acc)"), 9.0);
        assert_eq!(ev("MIN(3, 1, 2) + MAX(1, 5)"), 6.0);
        assert_eq!(ev("ROUND(2.345, 2)"), 2.35);
        assert_eq!(ev("5 / zero"), 0.0);
        assert_eq!(ev("DIV(5, zero, 7)"), 7.0);
        assert_eq!(ev("acc > 0.5 AND NOT zero"), 1.0);
        assert_eq!(ev("-ABS(-2)"), -2.0);
    }

    #[test]
    fn errors_are_clear() {
        assert!(Expr::parse("SQRT(2)").unwrap_err().contains("unknown function"));
        assert!(Expr::parse("IF(1, 2)").unwrap_err().contains("3 arguments"));
        assert!(Expr::parse("(1 + 2").unwrap_err().contains(")"));
        assert!(Expr::parse("1 2").is_err());
        assert_eq!(Expr::parse("a + b * c").unwrap().names(), ["a", "b", "c"]);
    }
}
