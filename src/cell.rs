//! Text from the inputs, written where a spreadsheet or a browser will read
//! it. A county named `=HYPERLINK(…)` must arrive in Excel as that text, not
//! as a live formula, and a village named `<script>` must arrive in a
//! Markdown or HTML report as those characters. Every CSV, Markdown and
//! HTML writer goes through here (README, "What spotcheck writes").

use std::borrow::Cow;

/// The first characters that make a spreadsheet read a cell as a formula
/// (`=`, `+`, `-`, `@`, as OWASP lists them, with tab and carriage return),
/// and the quote that marks a defused cell.
const TRIGGERS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// A number as spreadsheets read it and spotcheck writes it: an optional
/// sign, ASCII digits, optionally a point and more digits, optionally `%`.
fn is_number(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let t = t.strip_suffix('%').unwrap_or(t);
    let (int, frac) = t.split_once('.').unwrap_or((t, "0"));
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    digits(int) && digits(frac)
}

/// A CSV cell that a spreadsheet will show as written: text beginning with
/// `=`, `+`, `-`, `@`, a tab, a carriage return or `'` gets a `'` in front
/// (Excel and LibreOffice then take it as text); a number such as `-3.50`
/// keeps its sign and stays a number. [`restore`] undoes it.
pub fn defuse(s: &str) -> Cow<'_, str> {
    if s.starts_with(TRIGGERS) && !is_number(s) { Cow::Owned(format!("'{s}")) } else { Cow::Borrowed(s) }
}

/// A cell of a CSV spotcheck wrote, as it was before [`defuse`]. Only
/// defused cells begin with `'`, so this is exact.
pub fn restore(s: &str) -> &str {
    s.strip_prefix('\'').unwrap_or(s)
}

/// CSV for Excel: UTF-8 with a byte-order mark (so Chinese shows), lines
/// ending in CRLF, every cell defused.
pub fn excel_csv<R, C>(rows: R) -> Vec<u8>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        // A note above a table may be a row of its own length.
        let mut w =
            csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).flexible(true).from_writer(&mut out);
        for row in rows {
            let cells: Vec<String> = row.into_iter().map(|c| defuse(c.as_ref()).into_owned()).collect();
            // Writing to memory cannot fail.
            w.write_record(&cells).expect("write to memory");
        }
        w.flush().expect("write to memory");
    }
    out
}

/// Text for a Markdown table cell or heading: `<`, `>` and `&` as HTML
/// entities (no raw HTML gets through), `\`, `` ` ``, `[`, `]` and `|` with
/// a backslash (no code spans, links, images or extra columns), and line
/// breaks as spaces.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for HTML, in element content or a quoted attribute.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for (raw, written) in [
            ("=HYPERLINK(\"http://x\",\"click\")", "'=HYPERLINK(\"http://x\",\"click\")"),
            ("+1+1", "'+1+1"),
            ("-1+1", "'-1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'quoted", "''quoted"),
            ("-", "'-"),
            ("-3.50", "-3.50"),
            ("+5", "+5"),
            ("-12%", "-12%"),
            ("-1e5", "'-1e5"),
            ("-.5", "'-.5"),
            ("沧县", "沧县"),
            ("130921", "130921"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(defuse(raw), written, "{raw:?}");
            assert_eq!(restore(&defuse(raw)), raw, "{raw:?}");
        }
    }

    #[test]
    fn excel_csv_defuses_every_cell() {
        let bytes = excel_csv([["=1+1", "-2.00"], ["a,b", "@x"]]);
        assert_eq!(bytes, "\u{feff}'=1+1,-2.00\r\n\"a,b\",'@x\r\n".as_bytes());
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(markdown("<script>a|b</script>"), "&lt;script&gt;a\\|b&lt;/script&gt;");
        assert_eq!(markdown("[x](javascript:y)"), "\\[x\\](javascript:y)");
        assert_eq!(markdown("a\nb"), "a b");
        assert_eq!(html("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
    }
}
