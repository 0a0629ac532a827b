//! Reading the tables people bring — CSV (UTF-8 or GB18030) or Excel `.xlsx`
//! — into rows of text with their positions, so that every problem can be
//! named by file, sheet, row and column.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx, open_workbook_from_rs};

use crate::error::{Diag, Diags, Loc, excerpt};
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

#[derive(Debug, Clone, Default, PartialEq)]
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

    /// Makes the first row that `is_header` accepts the header, when the
    /// first row is not one (a form's title rows above its table). Returns
    /// the rows above the header.
    pub fn header_at(&mut self, is_header: impl Fn(&[String]) -> bool) -> Vec<Row> {
        if is_header(&self.header) {
            return Vec::new();
        }
        let Some(i) = self.rows.iter().position(|r| is_header(&r.cells)) else {
            return Vec::new();
        };
        let mut above = vec![Row { number: self.header_row, cells: std::mem::take(&mut self.header) }];
        let rest = self.rows.split_off(i + 1);
        let head = self.rows.pop().expect("the header row");
        above.append(&mut self.rows);
        self.header = head.cells;
        self.header_row = head.number;
        self.rows = rest;
        above
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
    let table = open_csv(file, bytes, enc)?;
    let mut rows = Vec::new();
    let mut each = table.rows();
    while let Some(row) = each.next_row() {
        rows.push(row.clone());
    }
    let mut sheet = table.sheet;
    sheet.rows = rows;
    Ok(sheet)
}

/// A table read a row at a time. A CSV's rows are read from its text as
/// they are asked for, into one row that is reused, so that they are never
/// held together: as a table of strings, a national self-report of half a
/// million rows would take ten times its size. A workbook is read whole,
/// within [`XLSX_LIMITS`].
pub struct Table<'b> {
    /// The header and where the table comes from; `rows` is empty for a
    /// CSV, whose rows [`Table::rows`] reads.
    pub sheet: Sheet,
    text: Option<Cow<'b, str>>,
}

impl<'b> Table<'b> {
    /// Reads a table's header, as [`read`] reads the whole table.
    pub fn read(
        file: &str,
        bytes: &'b [u8],
        enc: Encoding,
        prefer_sheet: Option<&str>,
    ) -> Result<Table<'b>, Diags> {
        if bytes.starts_with(b"PK\x03\x04") {
            Ok(Table { sheet: read_xlsx(file, bytes, prefer_sheet)?, text: None })
        } else {
            open_csv(file, bytes, enc)
        }
    }

    /// The rows below the header that hold something, in order.
    pub fn rows(&self) -> Rows<'_> {
        let mut rows =
            Rows { held: self.sheet.rows.iter(), csv: None, rec: Default::default(), row: Row::default() };
        if let Some(text) = &self.text {
            let mut scanner = crate::csvscan::Scanner::new(text);
            // The header, read again to start after it.
            scanner.next_record(&mut rows.rec);
            rows.csv = Some((scanner, text));
        }
        rows
    }
}

/// The rows of a [`Table`], one at a time.
pub struct Rows<'a> {
    held: std::slice::Iter<'a, Row>,
    csv: Option<(crate::csvscan::Scanner<'a>, &'a str)>,
    rec: crate::csvscan::Record,
    row: Row,
}

impl Rows<'_> {
    /// The next row that holds something; `None` at the end.
    pub fn next_row(&mut self) -> Option<&Row> {
        let Some((scanner, text)) = &mut self.csv else { return self.held.next() };
        while scanner.next_record(&mut self.rec) {
            let cells = &mut self.row.cells;
            cells.resize_with(self.rec.len(), String::new);
            for (cell, field) in cells.iter_mut().zip(self.rec.fields(text)) {
                cell.clear();
                cell.push_str(csv_cell(field));
            }
            if cells.iter().any(|c| !c.is_empty()) {
                self.row.number = self.rec.line;
                return Some(&self.row);
            }
        }
        None
    }
}

/// A CSV cell as a table holds it: trimmed, without a byte-order mark.
fn csv_cell(field: &str) -> &str {
    field.trim().trim_start_matches('\u{feff}')
}

/// Decodes a CSV and reads its header; the rows are read by [`Table::rows`].
fn open_csv<'b>(file: &str, bytes: &'b [u8], enc: Encoding) -> Result<Table<'b>, Diags> {
    let (text, _) = text::decode_cow(file, bytes, enc).map_err(|d| Diags(vec![d]))?;
    let mut sheet =
        Sheet { file: file.to_string(), sheet: None, header: Vec::new(), header_row: 1, rows: Vec::new() };
    let mut rec = crate::csvscan::Record::default();
    if crate::csvscan::Scanner::new(&text).next_record(&mut rec) {
        sheet.header = rec.fields(&text).map(|c| csv_cell(c).to_string()).collect();
        sheet.header_row = rec.line;
    }
    if sheet.header.is_empty() {
        return Err(Diags(vec![Diag::error(file, None, "the file is empty: expected a header row")]));
    }
    Ok(Table { sheet, text: Some(text) })
}

/// Bounds on what an `.xlsx` may hold. A workbook is a zip of XML parts,
/// and a file of a few kilobytes can claim, or unpack to, gigabytes: a
/// shared-strings table announcing 2^31 entries, one cell a gigabyte long,
/// a cell at XFD1048576 that spans a grid of 17 billion cells. Every claim
/// is checked against these bounds before anything is allocated for it, so
/// a workbook is read within bounded memory and time, or refused with the
/// reason. They are far above any real findings form or self-report
/// (README, "Limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlsxLimits {
    /// Parts (files) in the zip.
    pub parts: usize,
    /// Bytes of all parts together, unpacked.
    pub unpacked: u64,
    /// The longest run of XML from one `<` to the next: a tag, or a tag and
    /// the text after it (a cell's text, a shared string).
    pub token: u64,
    /// Entries in the shared-strings table, announced or present.
    pub shared_strings: u64,
    /// Cells of the sheet as held in memory: each row from column A to its
    /// last value.
    pub cells: u64,
    /// Bytes of text in the sheet's cells, a shared string counted at each
    /// use.
    pub text: u64,
}

/// The bounds spotcheck reads `.xlsx` files within.
pub const XLSX_LIMITS: XlsxLimits = XlsxLimits {
    parts: 1_000,
    unpacked: 128 << 20,
    token: 1 << 20,
    shared_strings: 1 << 20,
    cells: 4_000_000,
    text: 64 << 20,
};

fn read_xlsx(file: &str, bytes: &[u8], prefer_sheet: Option<&str>) -> Result<Sheet, Diags> {
    read_xlsx_within(file, bytes, prefer_sheet, &XLSX_LIMITS)
}

/// Reads a workbook within the given limits.
pub fn read_xlsx_within(
    file: &str,
    bytes: &[u8],
    prefer_sheet: Option<&str>,
    lim: &XlsxLimits,
) -> Result<Sheet, Diags> {
    let mut wb = open_xlsx(file, bytes, lim)?;
    let names = wb.sheet_names();
    let name = prefer_sheet
        .and_then(|p| names.iter().find(|n| n.as_str() == p).cloned())
        .or_else(|| names.first().cloned())
        .ok_or_else(|| Diags(vec![Diag::error(file, None, "the workbook has no worksheet")]))?;
    read_sheet(file, &mut wb, &name, lim, &mut (0, 0))
}

/// Reads the worksheets whose names `pick` accepts, in the workbook's
/// order, within the given limits (cells and text counted over all of
/// them). A CSV file is one table, returned when `csv_too`.
pub fn read_sheets(
    file: &str,
    bytes: &[u8],
    enc: Encoding,
    pick: impl Fn(&str) -> bool,
    csv_too: bool,
) -> Result<Vec<Sheet>, Diags> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return if csv_too { read_csv(file, bytes, enc).map(|s| vec![s]) } else { Ok(Vec::new()) };
    }
    let lim = &XLSX_LIMITS;
    let mut wb = open_xlsx(file, bytes, lim)?;
    let mut used = (0, 0);
    let mut out = Vec::new();
    for name in wb.sheet_names().into_iter().filter(|n| pick(n)) {
        out.push(read_sheet(file, &mut wb, &name, lim, &mut used)?);
    }
    Ok(out)
}

type Book<'b> = Xlsx<Cursor<&'b [u8]>>;

/// Checks a workbook's package against the limits, then opens it.
fn open_xlsx<'b>(file: &str, bytes: &'b [u8], lim: &XlsxLimits) -> Result<Book<'b>, Diags> {
    let err = |m: String| Diags(vec![Diag::error(file, None, m)]);
    check_package(bytes, lim).map_err(err)?;
    open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::XlsxError| {
        err(format!("not a readable .xlsx workbook: {}", excerpt(&e.to_string())))
    })
}

/// Reads one worksheet; `used` counts the text and cells read so far from
/// the workbook, against the limits.
fn read_sheet(
    file: &str,
    wb: &mut Book<'_>,
    name: &str,
    lim: &XlsxLimits,
    used: &mut (u64, u64),
) -> Result<Sheet, Diags> {
    let err = |m: String| Diags(vec![Diag::error(file, None, m)]);
    let shown = excerpt(name);
    let unreadable = |e: calamine::XlsxError| err(format!("worksheet {shown}: {}", excerpt(&e.to_string())));
    let too_large = |what: String| {
        err(format!("worksheet {shown} is too large for spotcheck: {what}; split it into smaller files"))
    };
    let mut sheet = Sheet {
        file: file.to_string(),
        sheet: Some(name.to_string()),
        header: Vec::new(),
        header_row: 1,
        rows: Vec::new(),
    };
    let mut diags = Diags::default();
    // Cells are streamed and kept by row, so that only cells holding
    // something take memory: a grid over the used area could be enormous.
    let mut by_row: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    let (text, cells) = used;
    {
        let mut reader = wb.worksheet_cells_reader(name).map_err(unreadable)?;
        while let Some(c) = reader.next_cell_with_formula_metadata().map_err(unreadable)? {
            let (r, col) = c.pos;
            if c.formula.is_some() && c.value == DataRef::Empty {
                // Some programs save formulas without their results; read as
                // blank, the figure would be lost without a word.
                diags.push(sheet.diag(
                    u64::from(r) + 1,
                    Some(col as usize),
                    "a formula without a stored value; open the file in Excel and save it again, or type the value",
                ));
                continue;
            }
            let t = cell_text(&c.value);
            if t.is_empty() {
                continue;
            }
            *text += t.len() as u64;
            *cells += 1;
            if *text > lim.text {
                return Err(too_large(format!("more than {} of text in its cells", size_text(lim.text))));
            }
            if *cells > lim.cells {
                return Err(too_large(format!("more than {} cells", lim.cells)));
            }
            by_row.entry(r).or_default().push((col, t));
        }
    }
    let span: u64 = by_row.values().map(|v| v.iter().map(|c| u64::from(c.0) + 1).max().unwrap_or(0)).sum();
    if span > lim.cells {
        return Err(too_large(format!(
            "its rows span more than {} cells from column A to their last values",
            lim.cells
        )));
    }
    for (r, values) in by_row {
        let width = values.iter().map(|c| c.0 as usize + 1).max().unwrap_or(0);
        let mut row = vec![String::new(); width];
        for (c, t) in values {
            row[c as usize] = t;
        }
        let number = u64::from(r) + 1;
        if sheet.header.is_empty() {
            sheet.header = row;
            sheet.header_row = number;
        } else {
            sheet.rows.push(Row { number, cells: row });
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    if sheet.header.is_empty() {
        return Err(err(format!("worksheet {shown} is empty: expected a header row")));
    }
    Ok(sheet)
}

/// Checks the zip and its parts against the limits before the workbook is
/// opened: the count of parts, their unpacked size (as read, not as the
/// zip's headers claim: headers can lie), the longest XML token, and the
/// shared-strings table's announced and actual size.
fn check_package(bytes: &[u8], lim: &XlsxLimits) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not a readable .xlsx workbook: {}", excerpt(&e.to_string())))?;
    if zip.len() > lim.parts {
        return Err(format!("the workbook has {} parts; spotcheck reads at most {}", zip.len(), lim.parts));
    }
    let too_big = || {
        format!("the workbook unpacks to more than {} MiB; spotcheck reads at most that", lim.unpacked >> 20)
    };
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| {
            format!("part {} of the workbook cannot be read: {}", i + 1, excerpt(&e.to_string()))
        })?;
        let raw_name = part.name().map(|n| n.to_string()).unwrap_or_default();
        let name = raw_name.replace('\\', "/").to_ascii_lowercase();
        let shown = excerpt(&raw_name);
        if part.size() > lim.unpacked - total {
            return Err(too_big());
        }
        let xml = name.ends_with(".xml") || name.ends_with(".rels");
        // calamine reads `<dir>sharedStrings.xml`, matching names without case.
        let mut scan = XmlScan::new(name.ends_with("sharedstrings.xml"));
        loop {
            let n = part
                .read(&mut buf)
                .map_err(|e| format!("part {shown} is damaged: {}", excerpt(&e.to_string())))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > lim.unpacked {
                return Err(too_big());
            }
            if xml {
                scan.feed(&buf[..n], lim).map_err(|why| format!("part {shown}: {why}"))?;
            }
        }
    }
    Ok(())
}

/// A streaming look at one XML part: how long each token runs and, in the
/// shared-strings table, how many entries it announces (`uniqueCount`, which
/// the reader reserves room for) and holds (`<si>`).
struct XmlScan {
    shared: bool,
    run: u64,
    in_tag: bool,
    tag: Vec<u8>,
    strings: u64,
}

impl XmlScan {
    fn new(shared: bool) -> XmlScan {
        XmlScan { shared, run: 0, in_tag: false, tag: Vec::new(), strings: 0 }
    }

    fn feed(&mut self, chunk: &[u8], lim: &XlsxLimits) -> Result<(), String> {
        for &b in chunk {
            if b == b'<' {
                self.run = 0;
                self.in_tag = true;
                self.tag.clear();
            }
            self.run += 1;
            if self.run > lim.token {
                return Err(format!(
                    "a tag or text longer than {} (a cell holds at most 32,767 characters)",
                    size_text(lim.token)
                ));
            }
            if self.in_tag && self.shared {
                self.tag.push(b);
            }
            if b == b'>' && self.in_tag {
                self.in_tag = false;
                if self.shared {
                    self.tag_done(lim)?;
                }
            }
        }
        Ok(())
    }

    fn tag_done(&mut self, lim: &XlsxLimits) -> Result<(), String> {
        let body = self.tag.get(1..).unwrap_or(&[]);
        if body.first().is_some_and(|c| matches!(c, b'/' | b'?' | b'!')) {
            return Ok(());
        }
        let end = body.iter().position(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'));
        let qname = &body[..end.unwrap_or(body.len())];
        let local = qname.rsplit(|&c| c == b':').next().unwrap_or(qname);
        match local {
            b"si" => {
                self.strings += 1;
                if self.strings > lim.shared_strings {
                    return Err(format!("more than {} shared strings", lim.shared_strings));
                }
            }
            b"sst" => {
                if let Some(n) = attribute_number(body, b"uniqueCount")
                    && n > lim.shared_strings
                {
                    return Err(format!(
                        "the shared-strings table announces {n} entries; spotcheck reads at most {}",
                        lim.shared_strings
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// A size for messages: `128 MiB`, or bytes when smaller than a MiB.
fn size_text(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) { format!("{} MiB", n >> 20) } else { format!("{n} bytes") }
}

/// The whole number in attribute `name` of a tag, if it holds one (a number
/// too large for u64 reads as u64::MAX).
fn attribute_number(tag: &[u8], name: &[u8]) -> Option<u64> {
    let at = tag.windows(name.len()).position(|w| w == name)?;
    let rest = tag[at + name.len()..].trim_ascii_start().strip_prefix(b"=")?.trim_ascii_start();
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &rest[1..];
    let value = value[..value.iter().position(|&c| c == quote)?].trim_ascii();
    let digits = value.strip_prefix(b"+").unwrap_or(value);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(std::str::from_utf8(digits).ok()?.parse::<u64>().unwrap_or(u64::MAX))
}

/// A cell as the text a person would type: whole numbers without ".0",
/// dates as YYYY-MM-DD.
fn cell_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.trim().to_string(),
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => format!("{f}"),
        DataRef::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        DataRef::DateTime(dt) => excel_date(dt.as_f64()),
        DataRef::DateTimeIso(s) => s.chars().take(10).collect(),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#ERROR {e:?}"),
    }
}

/// An Excel serial date (1900 system) as YYYY-MM-DD; outside Excel's own
/// date range the number is kept as written, so the date check refuses it.
pub fn excel_date(serial: f64) -> String {
    crate::time::from_excel(serial).map_or_else(|| format!("{serial}"), crate::time::iso)
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
