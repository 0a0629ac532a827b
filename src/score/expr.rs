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

/// The deepest a formula may nest: each parenthesis, function call, and
/// `-` or `NOT` before a term opens a level (SCORING.md §4). Parsing and
/// evaluation recurse once per level; a limit keeps a hostile rules file
/// from exhausting the stack.
pub const MAX_DEPTH: usize = 32;

/// The most tokens (numbers, names, operators, parentheses, commas) a
/// formula may have. A long chain such as `a + a + … + a` nests by one
/// level per operator when evaluated; this bounds it.
pub const MAX_TOKENS: usize = 1_000;

fn too_deep() -> String {
    format!("the formula nests more than {MAX_DEPTH} levels deep (parentheses, functions, - and NOT)")
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
    let mut open = 0usize;
    while i < chars.len() {
        // Deep parentheses are named as such, even in a formula that is
        // also too long.
        match chars[i] {
            '(' => open += 1,
            ')' => open = open.saturating_sub(1),
            _ => {}
        }
        if open > MAX_DEPTH {
            return Err(too_deep());
        }
        if out.len() >= MAX_TOKENS {
            return Err(format!(
                "the formula is longer than {MAX_TOKENS} numbers, names, operators and parentheses"
            ));
        }
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(Tok::Num(
                text.parse().map_err(|_| format!("`{}` is not a number", crate::error::excerpt(&text)))?,
            ));
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
    depth: usize,
}

impl Parser {
    /// Opens a level of nesting; refused beyond [`MAX_DEPTH`].
    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(too_deep());
        }
        Ok(())
    }

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
        let neg = matches!(self.peek(), Some(Tok::Op("-")));
        if neg || self.keyword("NOT") {
            self.at += 1;
            self.enter()?;
            let inner = Box::new(self.unary()?);
            self.depth -= 1;
            return Ok(if neg { Expr::Neg(inner) } else { Expr::Not(inner) });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::Num(n)) => Ok(Expr::Num(n)),
            Some(Tok::LParen) => {
                self.enter()?;
                let e = self.or()?;
                self.depth -= 1;
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
                self.enter()?;
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
                self.depth -= 1;
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
        let mut p = Parser { toks: lex(s)?, at: 0, depth: 0 };
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

/// A measure compared with a number, written with the measure on the left
/// (`0.1 < x` reads as `x > 0.1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub name: String,
    pub op: BinOp,
    pub line: f64,
}

impl Comparison {
    /// Whether `v` satisfies the comparison.
    pub fn holds(&self, v: f64) -> bool {
        match self.op {
            BinOp::Lt => v < self.line,
            BinOp::Le => v <= self.line,
            BinOp::Gt => v > self.line,
            BinOp::Ge => v >= self.line,
            _ => false,
        }
    }

    /// True for `>` and `>=`: the verdict says the measure is high.
    pub fn above(&self) -> bool {
        matches!(self.op, BinOp::Gt | BinOp::Ge)
    }

    pub fn op_text(&self) -> &'static str {
        match self.op {
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            _ => "?",
        }
    }
}

/// How a condition of comparisons came out, and the value each part read.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub holds: bool,
    /// Every comparison, the value it read and whether it held.
    pub parts: Vec<(Comparison, f64, bool)>,
}

impl Expr {
    fn as_comparison(&self) -> Option<Comparison> {
        let Expr::Bin(l, op, r) = self else { return None };
        let flip = |op: BinOp| match op {
            BinOp::Lt => BinOp::Gt,
            BinOp::Le => BinOp::Ge,
            BinOp::Gt => BinOp::Lt,
            BinOp::Ge => BinOp::Le,
            other => other,
        };
        if !matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) {
            return None;
        }
        let num = |e: &Expr| match e {
            Expr::Num(n) => Some(*n),
            Expr::Neg(inner) => match inner.as_ref() {
                Expr::Num(n) => Some(-n),
                _ => None,
            },
            _ => None,
        };
        match (l.as_ref(), r.as_ref()) {
            (Expr::Name(n), _) => num(r).map(|line| Comparison { name: n.clone(), op: *op, line }),
            (_, Expr::Name(n)) => num(l).map(|line| Comparison { name: n.clone(), op: flip(*op), line }),
            _ => None,
        }
    }

    /// The comparisons of a condition that is an AND/OR of comparisons of
    /// a measure with a number, as the bound evidence standard needs (each
    /// measure is then read at the bound that favours the county); an error
    /// saying what else the condition holds.
    pub fn comparisons(&self) -> Result<Vec<Comparison>, String> {
        match self {
            Expr::Bin(a, BinOp::And | BinOp::Or, b) => {
                let mut v = a.comparisons()?;
                v.extend(b.comparisons()?);
                Ok(v)
            }
            e => e.as_comparison().map(|c| vec![c]).ok_or_else(|| {
                "the condition must join comparisons of a measure with a number (`births_under_rate > 0.10`) by AND and OR, so that each measure can be read at the bound that favours the county".to_string()
            }),
        }
    }

    /// Decides an AND/OR of comparisons, each reading the value `pick`
    /// gives for it (a bound or the estimate).
    pub fn decide(&self, pick: &dyn Fn(&Comparison) -> Option<f64>) -> Result<Decision, String> {
        let mut parts = Vec::new();
        let holds = self.decide_into(pick, &mut parts)?;
        Ok(Decision { holds, parts })
    }

    fn decide_into(
        &self,
        pick: &dyn Fn(&Comparison) -> Option<f64>,
        parts: &mut Vec<(Comparison, f64, bool)>,
    ) -> Result<bool, String> {
        match self {
            Expr::Bin(a, op @ (BinOp::And | BinOp::Or), b) => {
                let x = a.decide_into(pick, parts)?;
                let y = b.decide_into(pick, parts)?;
                Ok(if *op == BinOp::And { x && y } else { x || y })
            }
            e => {
                let c = e.as_comparison().ok_or("not a comparison of a measure with a number")?;
                let v = pick(&c).ok_or_else(|| format!("no value for `{}`", c.name))?;
                let h = c.holds(v);
                parts.push((c, v, h));
                Ok(h)
            }
        }
    }

    /// The risk that a condition which holds is wrong, from its parts'
    /// risks (`None` for a part that does not hold): an AND is wrong if any
    /// part is, so it takes the largest; an OR takes the sum of the parts
    /// that hold (Bonferroni), at most 1.
    pub fn risk(&self, part: &dyn Fn(&Comparison) -> Option<f64>) -> Option<f64> {
        match self {
            Expr::Bin(a, BinOp::And, b) => Some(a.risk(part)?.max(b.risk(part)?)),
            Expr::Bin(a, BinOp::Or, b) => match (a.risk(part), b.risk(part)) {
                (None, None) => None,
                (x, y) => Some((x.unwrap_or(0.0) + y.unwrap_or(0.0)).min(1.0)),
            },
            e => e.as_comparison().and_then(|c| part(&c)),
        }
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

    #[test]
    fn conditions_of_comparisons_for_the_bound_standard() {
        let e = Expr::parse("x_p < 0.001 AND 0.10 < x_rate").unwrap();
        let c = e.comparisons().unwrap();
        assert_eq!((c[1].name.as_str(), c[1].op, c[1].line), ("x_rate", BinOp::Gt, 0.10));
        assert!(Expr::parse("x + 1 > 2").unwrap().comparisons().is_err());
        assert!(Expr::parse("NOT x > 2").unwrap().comparisons().is_err());
        assert!(Expr::parse("x == 2").unwrap().comparisons().is_err());
        // Each part reads its own value.
        let d = e.decide(&|c| Some(if c.name == "x_p" { 0.0005 } else { 0.08 })).unwrap();
        assert!(!d.holds && d.parts[0].2 && !d.parts[1].2);
        let risk = |r: f64| e.risk(&|c| Some(if c.name == "x_p" { 0.0005 } else { r }));
        assert_eq!(risk(0.03), Some(0.03));
        let or = Expr::parse("a > 1 OR b > 1").unwrap();
        assert_eq!(or.risk(&|c| if c.name == "a" { Some(0.02) } else { None }), Some(0.02));
        assert_eq!(or.risk(&|_| Some(0.6)), Some(1.0));
    }

    /// Regression: 5,000 nested parentheses or a long NOT chain overflowed
    /// the stack of `check` and `init`.
    #[test]
    fn nesting_and_length_are_bounded() {
        let nested = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(ev(&nested(MAX_DEPTH)), 1.0);
        assert!(Expr::parse(&nested(MAX_DEPTH + 1)).unwrap_err().contains("more than 32 levels"));
        assert!(Expr::parse(&nested(5_000)).unwrap_err().contains("levels"));
        assert!(Expr::parse(&format!("{}1", "NOT ".repeat(40))).unwrap_err().contains("levels"));
        assert!(Expr::parse(&format!("{}1", "NOT ".repeat(100_000))).unwrap_err().contains("longer than"));
        assert!(Expr::parse(&format!("{}1", "-".repeat(33))).unwrap_err().contains("levels"));
        let calls = |n: usize| format!("{}1{}", "ABS(".repeat(n), ")".repeat(n));
        assert_eq!(ev(&calls(MAX_DEPTH)), 1.0);
        assert!(Expr::parse(&calls(MAX_DEPTH + 1)).is_err());
        // The longest formula allowed evaluates on a test thread's stack.
        let chain = |terms: usize| vec!["acc"; terms].join(" + ");
        assert!((ev(&chain(MAX_TOKENS / 2)) - 0.9 * 500.0).abs() < 1e-9);
        assert!(Expr::parse(&chain(MAX_TOKENS / 2 + 1)).unwrap_err().contains("longer than 1000"));
    }
}
