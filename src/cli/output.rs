//! `--format table|csv|json`, on every command that prints a table. A table
//! is for people: aligned by display width, in the `--lang` language. CSV
//! and JSON are for programs: the same keys whatever the language (the
//! values — names, grades, verdicts — follow `--lang`), documented in
//! OUTPUT.md and kept stable: keys are added, never renamed or removed.

use clap::ValueEnum;
use serde_json::Value;

/// How a command prints its table.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Aligned columns for a terminal, in the --lang language.
    #[default]
    #[value(alias = "text")]
    Table,
    /// CSV with a header row of fixed English keys (UTF-8, no BOM).
    Csv,
    /// One JSON document (OUTPUT.md gives its shape).
    Json,
}

/// The `--format` option, shared by every command that prints a table.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct FormatArg {
    /// Print the table for people (table) or for programs (csv, json; their
    /// keys are listed in OUTPUT.md).
    #[arg(long, value_enum, default_value_t = Format::Table, value_name = "FORMAT")]
    pub format: Format,
}

/// A JSON value as one CSV cell: text defused against spreadsheet formulas,
/// numbers and booleans as JSON writes them, null empty, a list joined by
/// `; `.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => crate::cell::defuse(s).into_owned(),
        Value::Array(items) => {
            let joined: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            crate::cell::defuse(&joined.join("; ")).into_owned()
        }
        other => other.to_string(),
    }
}

/// CSV of `rows` (JSON objects), one column per key of `columns`, in that
/// order; lines end in `\n`.
pub fn csv(columns: &[&str], rows: &[Value]) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    // Writing to memory cannot fail.
    w.write_record(columns).expect("write to memory");
    for r in rows {
        let cells: Vec<String> = columns.iter().map(|k| cell(r.get(*k).unwrap_or(&Value::Null))).collect();
        w.write_record(&cells).expect("write to memory");
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// CSV of rows of text, the first the header: cells defused, lines ending
/// in `\n`, no byte-order mark.
pub fn csv_rows(rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| crate::cell::defuse(c).into_owned()).collect();
        // Writing to memory cannot fail.
        w.write_record(&cells).expect("write to memory");
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A JSON document, indented, with a final newline.
pub fn json(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("a JSON value serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_cells_are_defused_and_lists_joined() {
        let rows =
            vec![json!({"code": "130921", "name": "=沧县", "points": -2.5, "vetoes": ["a", "b"], "x": null})];
        let s = csv(&["code", "name", "points", "vetoes", "x"], &rows);
        assert_eq!(s, "code,name,points,vetoes,x\n130921,'=沧县,-2.5,a; b,\n");
    }
}
