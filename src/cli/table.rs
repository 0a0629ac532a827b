//! Terminal tables aligned by display width: a Chinese character takes two
//! columns of a terminal, a Latin letter one, so padding by characters
//! (as `format!("{:<16}")` does) misaligns every row with a Chinese name.

use unicode_width::UnicodeWidthStr;

/// How a column lines up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table of text cells under a heading row.
#[derive(Debug, Clone, Default)]
pub struct Table {
    head: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

/// The columns a string takes on a terminal.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

impl Table {
    pub fn new(head: &[(&str, Align)]) -> Table {
        Table { head: head.iter().map(|(h, a)| (h.to_string(), *a)).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table, two spaces between columns, every line ending in `\n`;
    /// a last left-aligned column is not padded (no trailing spaces).
    pub fn render(&self) -> String {
        let n = self.head.len();
        let mut widths: Vec<usize> = self.head.iter().map(|h| width(&h.0)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(width(c));
            }
        }
        let mut out = String::new();
        let head: Vec<String> = self.head.iter().map(|h| h.0.clone()).collect();
        for cells in std::iter::once(&head).chain(&self.rows) {
            let mut line = String::new();
            for (i, w) in widths.iter().enumerate() {
                let c = cells.get(i).map_or("", String::as_str);
                let pad = " ".repeat(w - width(c).min(*w));
                if i > 0 {
                    line.push_str("  ");
                }
                match self.head[i].1 {
                    Align::Right => {
                        line.push_str(&pad);
                        line.push_str(c);
                    }
                    Align::Left => {
                        line.push_str(c);
                        line.push_str(&pad);
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_align_by_display_width() {
        let mut t = Table::new(&[("code", Align::Left), ("县", Align::Left), ("points", Align::Right)]);
        t.row(vec!["130930".into(), "孟村回族自治县".into(), "79.84".into()]);
        t.row(vec!["130921".into(), "沧县".into(), "72.28".into()]);
        let s = t.render();
        let lines: Vec<&str> = s.lines().collect();
        // Every line is as wide as the widest, measured in terminal columns.
        let w: Vec<usize> = lines.iter().map(|l| width(l)).collect();
        assert!(w.iter().all(|x| *x == w[0]), "{s}\n{w:?}");
        // The points column ends at the same terminal column on every row.
        assert_eq!(
            lines[1].find("79.84").map(|i| width(&lines[1][..i])),
            lines[2].find("72.28").map(|i| width(&lines[2][..i]))
        );
        assert_eq!(width("孟村回族自治县"), 14);
    }
}
