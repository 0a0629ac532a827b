//! Cell values by field kind: counts, amounts in yuan, yes/no, dates, text,
//! as inspectors and county clerks type them.

use crate::error::excerpt;
use crate::rules::{Field, Kind};

/// A parsed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Count(u64),
    /// Yuan in fen (hundredths), exact.
    Amount(u64),
    YesNo(bool),
    /// YYYY-MM-DD.
    Date(String),
    Text(String),
    /// The id of a `choice` field's answer.
    Choice(String),
}

impl Value {
    /// The number a constraint compares (yes = 1, no = 0).
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Count(n) => Some(*n as f64),
            Value::Amount(f) => Some(*f as f64 / 100.0),
            Value::YesNo(b) => Some(f64::from(u8::from(*b))),
            Value::Date(_) | Value::Text(_) | Value::Choice(_) => None,
        }
    }
}

/// A number as Excel may display and save it, with thousands separators
/// (`1,412`, `12,345,678`, `1,412.50`): the number without them. Commas
/// must group the whole part in threes; anything else (`14,12`, a
/// full-width `，`) is refused, saying how to write it.
pub fn ungroup(raw: &str) -> Result<std::borrow::Cow<'_, str>, String> {
    use std::borrow::Cow;
    if !raw.contains([',', '，']) {
        return Ok(Cow::Borrowed(raw));
    }
    let q = excerpt(raw);
    let unsigned = raw.strip_prefix(['-', '+']).unwrap_or(raw);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let groups: Vec<&str> = int.split(',').collect();
    let grouped = groups[0].len() <= 3
        && groups.iter().all(|g| digits(g))
        && groups[1..].iter().all(|g| g.len() == 3)
        && (frac.is_empty() || digits(frac));
    if !grouped {
        return Err(format!(
            "`{q}` is not a number: a thousands separator is an ASCII comma between groups of three digits (1,412 or 12,345,678); or write the number without separators"
        ));
    }
    Ok(Cow::Owned(raw.replace(',', "")))
}

/// Parses `raw` (already trimmed, non-empty) as `kind`. Counts and
/// amounts may have thousands separators (`1,412`), as Excel shows them.
pub fn parse(kind: Kind, raw: &str) -> Result<Value, String> {
    let q = excerpt(raw);
    let grouped = match kind {
        Kind::Count | Kind::Amount => ungroup(raw)?,
        _ => std::borrow::Cow::Borrowed(raw),
    };
    let raw: &str = &grouped;
    match kind {
        Kind::Count => {
            if let Some(rest) = raw.strip_prefix('-')
                && rest.parse::<u64>().is_ok()
            {
                return Err(format!("`{q}` is negative; counts are 0 or more"));
            }
            raw.parse::<u64>().map(Value::Count).map_err(|_| {
                if raw.bytes().all(|b| b.is_ascii_digit()) {
                    format!("`{q}` is too large")
                } else {
                    format!("`{q}` is not a whole number")
                }
            })
        }
        Kind::Amount => parse_amount(raw).map(Value::Amount),
        Kind::YesNo => match raw.to_lowercase().as_str() {
            "是" | "有" | "yes" | "y" | "1" | "true" | "√" => Ok(Value::YesNo(true)),
            "否" | "无" | "no" | "n" | "0" | "false" | "×" => Ok(Value::YesNo(false)),
            _ => Err(format!("`{q}` is not 是 or 否")),
        },
        Kind::Date => parse_date(raw).map(Value::Date),
        Kind::Text => Ok(Value::Text(raw.to_string())),
        Kind::Choice => Err(format!("`{q}`: a choice is read against its field's options")),
    }
}

/// Parses `raw` (already trimmed, non-empty) for `field`: a `choice` as one
/// of its options, by the words on the form or the option's id; every other
/// kind as [`parse`] does.
pub fn parse_field(field: &Field, raw: &str) -> Result<Value, String> {
    if field.kind != Kind::Choice {
        return parse(field.kind, raw);
    }
    field
        .options
        .iter()
        .find(|o| o.name == raw || o.id == raw || o.name_en.as_deref() == Some(raw))
        .map(|o| Value::Choice(o.id.clone()))
        .ok_or_else(|| {
            let names: Vec<&str> = field.options.iter().map(|o| o.name.as_str()).collect();
            format!("`{}` is not one of {}", excerpt(raw), names.join(", "))
        })
}

/// Whether a parsed count or amount is plausible for its field: at most
/// the field's `max` (or the default for its kind and level), and, when the
/// rules set `max_per_size`, at most `factor` × the row's value of that
/// frame size column. `size` gives that value for the row's village (or
/// county). Returns why not.
pub fn plausible(
    field: &Field,
    raw: &str,
    v: &Value,
    size: &dyn Fn(&str) -> Option<u64>,
) -> Result<(), String> {
    let x = match v {
        Value::Count(n) => *n as f64,
        Value::Amount(fen) => *fen as f64 / 100.0,
        _ => return Ok(()),
    };
    let level = field.level.name();
    let shown = excerpt(raw);
    if let Some((max, from_rules)) = field.max_value()
        && x > max
    {
        return Err(if from_rules {
            format!("{shown} is more than {}, the most the rules allow (`max`); check the figure", num(max))
        } else {
            format!(
                "{shown} is more than {}, the most a {level}-level {} may be unless the rules' [[field]] sets `max`; check the figure",
                num(max),
                field.kind.name()
            )
        });
    }
    if let Some(p) = &field.max_per_size
        && let Some(s) = size(&p.size)
    {
        let limit = p.factor * s as f64;
        if x > limit * (1.0 + 1e-12) {
            return Err(format!(
                "{shown} is more than {} × the {level}'s {} ({s}) = {}, the most the rules allow (`max_per_size`); check the figure",
                p.factor,
                p.size,
                num(limit)
            ));
        }
    }
    Ok(())
}

/// A count or yuan amount for messages: whole numbers without decimals.
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x:.2}") }
}

/// Yuan with at most two decimals, as fen.
fn parse_amount(raw: &str) -> Result<u64, String> {
    let q = excerpt(raw);
    let t = raw.trim_end_matches('元');
    if t.starts_with('-') {
        return Err(format!("`{q}` is negative; amounts are 0 or more"));
    }
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(int) || !(frac.is_empty() || digits(frac)) {
        return Err(format!("`{q}` is not an amount in yuan"));
    }
    if frac.len() > 2 {
        return Err(format!("`{q}` has more than two decimals (fen)"));
    }
    let yuan: u64 = int.parse().map_err(|_| format!("`{q}` is too large"))?;
    let fen: u64 = format!("{frac:0<2}").parse().unwrap_or(0);
    yuan.checked_mul(100).and_then(|v| v.checked_add(fen)).ok_or(format!("`{q}` is too large"))
}

/// YYYY-MM-DD, also with / or . or 年月日.
pub fn parse_date(raw: &str) -> Result<String, String> {
    crate::time::parse_day(raw)
        .map(crate::time::iso)
        .ok_or_else(|| format!("`{}` is not a date like 2009-02-15", excerpt(raw)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(parse(Kind::Count, "12"), Ok(Value::Count(12)));
        assert!(parse(Kind::Count, "-3").unwrap_err().contains("negative"));
        assert!(parse(Kind::Count, "1.5").is_err());
        assert_eq!(parse(Kind::Amount, "1000.5"), Ok(Value::Amount(100_050)));
        assert_eq!(parse(Kind::Amount, "3000元"), Ok(Value::Amount(300_000)));
        assert!(parse(Kind::Amount, "1.234").is_err());
        // Thousands separators as Excel shows them are read; others are not.
        assert_eq!(parse(Kind::Count, "1,412"), Ok(Value::Count(1412)));
        assert_eq!(parse(Kind::Count, "12,345,678"), Ok(Value::Count(12_345_678)));
        assert_eq!(parse(Kind::Amount, "1,412.50"), Ok(Value::Amount(141_250)));
        assert!(parse(Kind::Count, "-1,412").unwrap_err().contains("negative"));
        for bad in ["14,12", "1,4120", ",412", "1,,412", "1，412", "1412,"] {
            let e = parse(Kind::Count, bad).unwrap_err();
            assert!(e.contains("groups of three digits"), "{bad}: {e}");
        }
        assert!(parse(Kind::Text, "1,2").is_ok());
        assert_eq!(parse(Kind::YesNo, "是"), Ok(Value::YesNo(true)));
        assert_eq!(parse(Kind::Date, "2009年2月9日"), Ok(Value::Date("2009-02-09".into())));
        assert!(parse(Kind::Date, "2009-02-30").is_err());
    }

    #[test]
    fn plausible_figures() {
        let (rules, d) = crate::rules::parse(
            "r.toml",
            &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rules/ok/minimal.toml"))
                .unwrap()
                .replace("township = \"township\"\n", "township = \"township\"\nsizes = [\"population\"]\n")
                .replace(
                    "[[stage]]",
                    "[[field]]\nid = \"births\"\nname = \"出生\"\nkind = \"count\"\nmax_per_size = { size = \"population\", factor = 0.1 }\n\n[[field]]\nid = \"spent\"\nname = \"投入\"\nkind = \"amount\"\nlevel = \"county\"\nmax = 5000\n\n[[stage]]",
                ),
        );
        assert!(!d.has_errors(), "{d}");
        let rules = rules.unwrap();
        let (births, spent) = (&rules.inspection.fields[0], &rules.inspection.fields[1]);
        let size = |col: &str| (col == "population").then_some(1000);
        let check = |f, raw: &str, kind| plausible(f, raw, &parse(kind, raw).unwrap(), &size);
        assert!(check(births, "100", Kind::Count).is_ok());
        assert!(
            check(births, "101", Kind::Count)
                .unwrap_err()
                .contains("0.1 × the village's population (1000) = 100")
        );
        assert!(check(births, "1000001", Kind::Count).unwrap_err().contains("more than 1000000"));
        assert!(check(spent, "5000.00", Kind::Amount).is_ok());
        assert!(check(spent, "5000.01", Kind::Amount).unwrap_err().contains("`max`"));
        // Without a size the per-size limit cannot apply; the maximum still does.
        assert!(plausible(births, "500", &Value::Count(500), &|_| None).is_ok());
    }
}
