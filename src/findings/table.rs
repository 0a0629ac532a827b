//! Reading the tables people bring — CSV (UTF-8 or GB18030) or Excel `.xlsx`
//! — into rows of text with their positions, so that every problem can be
//! named by file, sheet, row and column.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use crate::error::{Diag, Diags, Loc};
use crate::text::{self, Encoding};

/// A table: header and rows, with where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The file name used in messages.
    pub file: String,
    /// The worksheet, for `.xlsx`.
    pub sheet: Option<String>,
    pub header: Vec<String>,
    /// Row number (1-based, as Excel or a text editor shows it) of the header.
    pub header_row: u64,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub number: u64,
    pub cells: Vec<String>,
}

impl Sheet {
    /// Where a cell is, for messages: `file[sheet]` and row/column.
    pub fn place(&self) -> String {
        match &self.sheet {
            Some(s) => format!("{}[{s}]", self.file),
            None => self.file.clone(),
        }
    }

    pub fn diag(&self, row: u64, col: Option<usize>, msg: impl Into<String>) -> Diag {
        let msg = msg.into();
        let loc = Loc { line: row, col: col.map_or(0, |c| c as u64 + 1) };
        match col {
            Some(c) if self.sheet.is_some() => {
                Diag::error(&self.place(), Some(loc), format!("column {}: {msg}", column_letters(c)))
            }
            _ => Diag::error(&self.place(), Some(loc), msg),
        }
    }

    /// The cell at `col` of `row`, trimmed; "" when absent.
    pub fn cell<'a>(&self, row: &'a Row, col: usize) -> &'a str {
        row.cells.get(col).map_or("", |c| c.trim())
    }
}

/// Excel's column letters for a 0-based index: 0 → A, 26 → AA.
pub fn column_letters(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Reads a table. `.xlsx` is recognised by its content; `prefer_sheet`
/// names the worksheet to read when present (otherwise the first).
pub fn read(file: &str, bytes: &[u8], enc: Encoding, prefer_sheet: Option<&str>) -> Result<Sheet, Diags> {
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(file, bytes, prefer_sheet)
    } else {
        read_csv(file, bytes, enc)
    }
}

fn read_csv(file: &str, bytes: &[u8], enc: Encoding) -> Result<Sheet, Diags> {
    let (text, _) = text::decode(file, bytes, enc).map_err(|d| Diags(vec![d]))?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut sheet =
        Sheet { file: file.to_string(), sheet: None, header: Vec::new(), header_row: 1, rows: Vec::new() };
    let mut diags = Diags::default();
    for (i, rec) in rdr.records().enumerate() {
        match rec {
            Ok(r) => {
                let number = text::record_line(text.as_bytes(), r.position());
                let cells: Vec<String> =
                    r.iter().map(|c| c.trim().trim_start_matches('\u{feff}').to_string()).collect();
                if i == 0 {
                    sheet.header = cells;
                    sheet.header_row = number;
                } else if cells.iter().any(|c| !c.is_empty()) {
                    sheet.rows.push(Row { number, cells });
                }
            }
            Err(e) => diags.push(Diag::error(
                file,
                e.position().map(|p| Loc::line(p.line())),
                format!("unreadable CSV: {e}"),
            )),
        }
    }
    if sheet.header.is_empty() {
        diags.push(Diag::error(file, None, "the file is empty: expected a header row"));
    }
    if diags.has_errors() { Err(diags) } else { Ok(sheet) }
}

fn read_xlsx(file: &str, bytes: &[u8], prefer_sheet: Option<&str>) -> Result<Sheet, Diags> {
    let err = |m: String| Diags(vec![Diag::error(file, None, m)]);
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| err(format!("not a readable .xlsx workbook: {e}")))?;
    let names = wb.sheet_names();
    let name = prefer_sheet
        .and_then(|p| names.iter().find(|n| n.as_str() == p).cloned())
        .or_else(|| names.first().cloned())
        .ok_or_else(|| err("the workbook has no worksheet".into()))?;
    let range = wb.worksheet_range(&name).map_err(|e| err(format!("worksheet {name}: {e}")))?;
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut sheet = Sheet {
        file: file.to_string(),
        sheet: Some(name),
        header: Vec::new(),
        header_row: 1,
        rows: Vec::new(),
    };
    for (i, r) in range.rows().enumerate() {
        let number = u64::from(row0) + i as u64 + 1;
        // Columns before the range's first one are empty.
        let mut cells = vec![String::new(); col0 as usize];
        cells.extend(r.iter().map(cell_text));
        if sheet.header.is_empty() {
            if cells.iter().any(|c| !c.is_empty()) {
                sheet.header = cells;
                sheet.header_row = number;
            }
        } else if cells.iter().any(|c| !c.is_empty()) {
            sheet.rows.push(Row { number, cells });
        }
    }
    if sheet.header.is_empty() {
        return Err(err(format!(
            "worksheet {} is empty: expected a header row",
            sheet.sheet.unwrap_or_default()
        )));
    }
    Ok(sheet)
}

/// A cell as the text a person would type: whole numbers without ".0",
/// dates as YYYY-MM-DD.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => format!("{f}"),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(dt) => excel_date(dt.as_f64()),
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#ERROR {e:?}"),
    }
}

/// An Excel serial date (1900 system) as YYYY-MM-DD.
pub fn excel_date(serial: f64) -> String {
    // Outside Excel's own date range (1900-01-01 to 9999-12-31) the number is
    // not a date: keep it as written, so the date check refuses it.
    if !(1.0..=2_958_465.0).contains(&serial) {
        return format!("{serial}");
    }
    // Serial 60 is Excel's fictional 1900-02-29; later serials count from
    // 1899-12-30, earlier ones from 1899-12-31.
    let days = serial.floor() as i64;
    let from_epoch = if days >= 60 { days - 25569 } else { days - 25568 };
    let (y, m, d) = civil_from_days(from_epoch);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_dates() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        // 2009-02-09 is Excel serial 39853; 1970-01-01 is 25569.
        assert_eq!(excel_date(39853.0), "2009-02-09");
        assert_eq!(excel_date(25569.0), "1970-01-01");
        // Out of Excel's date range: kept as the number, never a panic.
        assert_eq!(excel_date(3e6), "3000000");
        assert!(!excel_date(1e300).contains('-'));
        assert_eq!(excel_date(f64::NAN), "NaN");
    }

    #[test]
    fn csv_rows_keep_their_line_numbers() {
        let s = read("f.csv", "a,b\n\n1,2\n3,4\n".as_bytes(), Encoding::Auto, None).unwrap();
        assert_eq!(s.header, ["a", "b"]);
        assert_eq!(s.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [3, 4]);
    }
}
