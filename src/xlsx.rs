//! What every workbook spotcheck writes shares, so that each prints as it
//! is on A4: the formats, title rows above the table, column widths from
//! the text's display width (a Chinese character is two columns wide),
//! wrapped headers, repeated header rows, page numbers in the footer and a
//! page set-up that fits the table one page wide. Pure: it builds a
//! workbook in memory; the callers write it.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Worksheet, XlsxError};
use unicode_width::UnicodeWidthStr;

use crate::lang::Lang;

/// Excel's paper size code for A4.
const A4: u8 = 9;

/// The font every sheet is written in: Chinese Excel's own default.
pub const FONT: &str = "宋体";
/// Body text, in points.
pub const SIZE: f64 = 10.0;

/// The formats of a sheet: title, subtitle, header, text, numbers.
pub struct Formats {
    pub title: Format,
    pub subtitle: Format,
    pub head: Format,
    pub text: Format,
    pub wrap: Format,
    pub number: Format,
    pub whole: Format,
}

impl Formats {
    pub fn new() -> Formats {
        let base = Format::new().set_font_name(FONT).set_font_size(SIZE);
        let cell = base.clone().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter);
        Formats {
            title: base
                .clone()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            subtitle: base.clone().set_align(FormatAlign::Left).set_align(FormatAlign::VerticalCenter),
            head: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_background_color("E8E8E8"),
            text: cell.clone(),
            wrap: cell.clone().set_text_wrap(),
            number: cell.clone().set_num_format("0.00"),
            whole: cell.set_num_format("0"),
        }
    }
}

impl Default for Formats {
    fn default() -> Formats {
        Formats::new()
    }
}

/// The width (in Excel's character units) that shows `s` on one line.
pub fn text_width(s: &str) -> f64 {
    // Printable ASCII (codes, numbers: most cells of a national list) is
    // one column a byte, on one line.
    let widest = if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        s.len()
    } else {
        s.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
    };
    widest as f64 * 1.1 + 1.5
}

/// A column's width: wide enough for its widest cell, and for its header
/// wrapped onto at most `header_lines` lines, within `min`…`max`.
pub fn column_width(header: &str, cells: &[&str], header_lines: usize, min: f64, max: f64) -> f64 {
    let head = text_width(header) / header_lines.max(1) as f64 + 1.0;
    let body = cells.iter().map(|c| text_width(c)).fold(0.0, f64::max);
    head.max(body).clamp(min, max)
}

/// The lines a header takes at a column width (for the row's height).
pub fn lines_at(header: &str, width: f64) -> usize {
    let w = UnicodeWidthStr::width(header) as f64 * 1.1;
    ((w / (width - 1.0).max(1.0)).ceil() as usize).max(1)
}

/// Writes a title across `cols` columns in row `row`.
pub fn title(
    ws: &mut Worksheet,
    row: u32,
    cols: u16,
    text: &str,
    f: &Format,
    height: f64,
) -> Result<(), XlsxError> {
    if cols > 1 {
        ws.merge_range(row, 0, row, cols - 1, text, f)?;
    } else {
        ws.write_string_with_format(row, 0, text, f)?;
    }
    ws.set_row_height(row, height)?;
    Ok(())
}

/// A4, fit to one page wide (as many pages tall as it takes), the header
/// rows `first..=last` repeated on every page, page numbers in the footer,
/// narrow margins, centred.
pub fn print_setup(
    ws: &mut Worksheet,
    landscape: bool,
    header: (u32, u32),
    lang: Lang,
) -> Result<(), XlsxError> {
    ws.set_paper_size(A4);
    if landscape {
        ws.set_landscape();
    } else {
        ws.set_portrait();
    }
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header.0, header.1)?;
    ws.set_margins(0.4, 0.4, 0.5, 0.6, 0.3, 0.3);
    ws.set_print_center_horizontally(true);
    ws.set_footer(match lang {
        Lang::Zh => "&C第 &P 页 共 &N 页",
        Lang::En => "&CPage &P of &N",
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn widths_of_plain_ascii_are_their_lengths_as_unicode_widths_are() {
        for t in ["", "130902001001", "0.123456", "a b~", "中文", "x\ny\nlonger", "tab\there", "é", "\r\n"]
        {
            let general =
                t.lines().map(unicode_width::UnicodeWidthStr::width).max().unwrap_or(0) as f64 * 1.1 + 1.5;
            assert_eq!(super::text_width(t), general, "{t:?}");
        }
    }
}
