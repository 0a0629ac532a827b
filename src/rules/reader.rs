//! A small reader over toml's spanned document tree. It reads typed values,
//! remembers where each came from, and collects every problem (unknown keys,
//! wrong types, missing keys) instead of stopping at the first, each located
//! at `file:line:column`.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::{Diag, Diags, Loc};

/// A table of the document with the dotted path that led to it.
#[derive(Clone, Copy)]
pub struct Table<'t, 'i> {
    pub t: &'t DeTable<'i>,
    pub span: (usize, usize),
    pub path: &'t str,
}

/// Reads a TOML document and collects diagnostics against `file`.
pub struct Reader<'s> {
    pub file: String,
    line_starts: Vec<usize>,
    src: &'s str,
    pub diags: Diags,
}

impl<'s> Reader<'s> {
    pub fn new(file: &str, src: &'s str) -> Reader<'s> {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Reader { file: file.to_string(), line_starts, src, diags: Diags::default() }
    }

    /// Line and column (counted in characters) of a byte offset.
    pub fn loc(&self, offset: usize) -> Loc {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let end = offset.min(self.src.len());
        let col = self.src.get(start..end).map_or(1, |s| s.chars().count() + 1);
        Loc { line: line as u64, col: col as u64 }
    }

    pub fn err_at(&mut self, span: Range<usize>, msg: impl Into<String>) {
        let loc = self.loc(span.start);
        self.diags.push(Diag::error(&self.file, Some(loc), msg));
    }

    pub fn warn_at(&mut self, span: Range<usize>, msg: impl Into<String>) {
        let loc = self.loc(span.start);
        self.diags.push(Diag::warning(&self.file, Some(loc), msg));
    }

    /// Reports keys of `t` that are not in `known`, suggesting a close match.
    pub fn known_keys(&mut self, t: Table<'_, '_>, known: &[&str]) {
        for (k, _) in t.t.iter() {
            let key: &str = k.get_ref();
            if known.contains(&key) {
                continue;
            }
            let near = known.iter().map(|c| (strsim::levenshtein(key, c), c)).filter(|(d, _)| *d <= 2).min();
            let hint = match near {
                Some((_, c)) => format!("; did you mean `{c}`?"),
                None => format!("; expected one of: {}", known.join(", ")),
            };
            let place =
                if t.path.is_empty() { "at the top level".to_string() } else { format!("in [{}]", t.path) };
            self.err_at(k.span(), format!("unknown key `{key}` {place}{hint}"));
        }
    }

    pub fn get<'t, 'i>(&self, t: Table<'t, 'i>, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        t.t.get(key)
    }

    /// The value at `key`, reporting it missing when required.
    fn value<'t, 'i>(
        &mut self,
        t: Table<'t, 'i>,
        key: &str,
        required: bool,
    ) -> Option<&'t Spanned<DeValue<'i>>> {
        let v = self.get(t, key);
        if v.is_none() && required {
            self.missing(t, key);
        }
        v
    }

    fn missing(&mut self, t: Table<'_, '_>, key: &str) {
        let place =
            if t.path.is_empty() { "at the top level".to_string() } else { format!("in [{}]", t.path) };
        self.err_at(t.span.0..t.span.1, format!("missing key `{key}` {place}"));
    }

    fn wrong_type(&mut self, v: &Spanned<DeValue<'_>>, key: &str, want: &str) {
        self.err_at(v.span(), format!("`{key}` must be {want}, found {}", v.get_ref().type_str()));
    }

    /// A sub-table. Reports a type error if `key` holds something else.
    pub fn table<'t, 'i>(
        &mut self,
        t: Table<'t, 'i>,
        key: &str,
        path: &'t str,
        required: bool,
    ) -> Option<Table<'t, 'i>> {
        let v = self.value(t, key, required)?;
        self.as_table(v, key, path)
    }

    pub fn as_table<'t, 'i>(
        &mut self,
        v: &'t Spanned<DeValue<'i>>,
        key: &str,
        path: &'t str,
    ) -> Option<Table<'t, 'i>> {
        match v.get_ref() {
            DeValue::Table(tt) => Some(Table { t: tt, span: (v.span().start, v.span().end), path }),
            _ => {
                self.wrong_type(v, key, "a table");
                None
            }
        }
    }

    /// An array of tables (`[[key]]`), or a single inline table.
    pub fn tables<'t, 'i>(&mut self, t: Table<'t, 'i>, key: &str, path: &'t str) -> Vec<Table<'t, 'i>> {
        match self.get(t, key) {
            None => Vec::new(),
            Some(v) => match v.get_ref() {
                DeValue::Array(a) => a.iter().filter_map(|e| self.as_table(e, key, path)).collect(),
                _ => {
                    self.wrong_type(v, key, "an array of tables ([[...]])");
                    Vec::new()
                }
            },
        }
    }

    pub fn string(&mut self, t: Table<'_, '_>, key: &str, required: bool) -> Option<(String, Loc)> {
        let v = self.value(t, key, required)?;
        match v.get_ref() {
            DeValue::String(s) => Some((s.to_string(), self.loc(v.span().start))),
            _ => {
                self.wrong_type(v, key, "a string");
                None
            }
        }
    }

    pub fn uint(&mut self, t: Table<'_, '_>, key: &str, required: bool) -> Option<(u64, Loc)> {
        let v = self.value(t, key, required)?;
        self.as_uint(v, key)
    }

    pub fn as_uint(&mut self, v: &Spanned<DeValue<'_>>, key: &str) -> Option<(u64, Loc)> {
        match v.get_ref() {
            DeValue::Integer(i) => match u64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some((n, self.loc(v.span().start))),
                Err(_) => {
                    self.err_at(v.span(), format!("`{key}` must be a whole number ≥ 0"));
                    None
                }
            },
            _ => {
                self.wrong_type(v, key, "a whole number");
                None
            }
        }
    }

    /// A rate: a TOML number as written (`0.10` read exactly as 1/10), or a
    /// string such as `"10%"`.
    pub fn rate(&mut self, t: Table<'_, '_>, key: &str, required: bool) -> Option<(crate::plan::Rate, Loc)> {
        let v = self.value(t, key, required)?;
        let text = match v.get_ref() {
            DeValue::Float(f) => f.as_str().to_string(),
            DeValue::Integer(i) if i.radix() == 10 => i.as_str().to_string(),
            DeValue::String(s) => s.to_string(),
            _ => {
                self.wrong_type(v, key, "a rate like 0.05 or \"5%\"");
                return None;
            }
        };
        match crate::plan::Rate::parse(&text) {
            Ok(rate) => Some((rate, self.loc(v.span().start))),
            Err(why) => {
                self.err_at(v.span(), format!("`{key}`: {why}"));
                None
            }
        }
    }

    /// A number: a rate as written, or any TOML number.
    pub fn rate_or_number(&mut self, t: Table<'_, '_>, key: &str, required: bool) -> Option<f64> {
        let v = self.value(t, key, required)?;
        let parsed = match v.get_ref() {
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            DeValue::Integer(i) => i.as_str().parse::<f64>().ok(),
            _ => None,
        };
        match parsed {
            None => self.wrong_type(v, key, "a number"),
            Some(x) if !x.is_finite() => self.err_at(v.span(), format!("`{key}` must be a finite number")),
            Some(_) => {}
        }
        parsed.filter(|x| x.is_finite())
    }

    pub fn boolean(&mut self, t: Table<'_, '_>, key: &str) -> Option<(bool, Loc)> {
        match self.get(t, key) {
            None => None,
            Some(v) => match v.get_ref() {
                DeValue::Boolean(b) => Some((*b, self.loc(v.span().start))),
                _ => {
                    self.wrong_type(v, key, "true or false");
                    None
                }
            },
        }
    }

    /// A TOML local date (`2008-11-24`), returned as that text.
    pub fn date(&mut self, t: Table<'_, '_>, key: &str, required: bool) -> Option<(String, Loc)> {
        let v = self.value(t, key, required)?;
        match v.get_ref() {
            DeValue::Datetime(d) if d.time.is_none() && d.offset.is_none() => {
                let d = d.date.as_ref()?;
                Some((format!("{:04}-{:02}-{:02}", d.year, d.month, d.day), self.loc(v.span().start)))
            }
            _ => {
                self.wrong_type(v, key, "a date like 2008-11-24 (no quotes)");
                None
            }
        }
    }

    /// An array of strings.
    pub fn strings(&mut self, t: Table<'_, '_>, key: &str, required: bool) -> Option<Vec<(String, Loc)>> {
        let v = self.value(t, key, required)?;
        let DeValue::Array(a) = v.get_ref() else {
            self.wrong_type(v, key, "an array of strings");
            return None;
        };
        let mut out = Vec::with_capacity(a.len());
        for e in a.iter() {
            match e.get_ref() {
                DeValue::String(s) => out.push((s.to_string(), self.loc(e.span().start))),
                _ => self.wrong_type(e, key, "an array of strings"),
            }
        }
        Some(out)
    }
}

/// Parses TOML text into the spanned tree, reporting every syntax error.
pub fn parse_document<'i>(reader: &mut Reader<'_>, src: &'i str) -> Option<Spanned<DeTable<'i>>> {
    let (doc, errors) = DeTable::parse_recoverable(src);
    if errors.is_empty() {
        return Some(doc);
    }
    for e in errors {
        let span = e.span().unwrap_or(0..0);
        reader.err_at(span, format!("TOML syntax: {}", e.message().trim()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_characters() {
        let src = "a = 1\n名称 = \"x\"\n";
        let r = Reader::new("f.toml", src);
        let off = src.find('=').unwrap();
        assert_eq!(r.loc(off), Loc { line: 1, col: 3 });
        let off2 = src.rfind('=').unwrap();
        assert_eq!(r.loc(off2), Loc { line: 2, col: 4 });
    }
}
