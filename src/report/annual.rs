//! The annual table as people read it: CSV for Excel, Markdown, a
//! self-contained printable HTML page (inline SVG chart, no network), and an
//! `.xlsx` workbook with a sheet per view. Headings in Chinese, or English
//! with `--lang en`; labels from the rules.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::points;
use crate::annual::compute::Row;
use crate::annual::rules::AnnualRules;
use crate::cell;
use crate::score::card::Card;

/// The language of headings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// The provisional mark, when any row rests on incomplete findings.
fn provisional_note(rows: &[Row], lang: Lang) -> Option<String> {
    let open: Vec<&str> = rows.iter().filter(|r| r.provisional).map(|r| r.name.as_str()).collect();
    (!open.is_empty()).then(|| {
        format!(
            "{}{}",
            t(
                lang,
                "临时结果：以下县的抽查结果尚不完整（有样本村缺少检查结果），本表不是最终结果：",
                "PROVISIONAL: findings are incomplete for these counties (sampled villages without findings); this table is not final: "
            ),
            open.join("、")
        )
    })
}

fn headers(rules: &AnnualRules, lang: Lang) -> Vec<String> {
    let mut h = vec![t(lang, "县代码", "code").to_string(), t(lang, "县（市、区）", "county").to_string()];
    h.extend(rules.components.iter().map(|c| format!("{}（{}）", c.name, c.weight)));
    h.extend(rules.bonuses.iter().chain(&rules.deductions).map(|i| i.name.clone()));
    h.extend(
        [
            t(lang, "总分", "total"),
            t(lang, "一票否决", "veto"),
            t(lang, "等级", "grade"),
            t(lang, "分组", "group"),
            t(lang, "名次", "rank"),
        ]
        .map(String::from),
    );
    h
}

/// Headers with the status column when any row is provisional.
fn headers_for(rules: &AnnualRules, rows: &[Row], lang: Lang) -> Vec<String> {
    let mut h = headers(rules, lang);
    if rows.iter().any(|r| r.provisional) {
        h.push(t(lang, "状态", "status").to_string());
    }
    h
}

/// Cells with the status column when any row is provisional.
fn cells_for(r: &Row, rows: &[Row], lang: Lang) -> Vec<String> {
    let mut c = cells(r, lang);
    if rows.iter().any(|r| r.provisional) {
        c.push(if r.provisional { t(lang, "临时", "provisional") } else { "" }.to_string());
    }
    c
}

fn cells(r: &Row, lang: Lang) -> Vec<String> {
    let mut c = vec![r.code.clone(), r.name.clone()];
    c.extend(r.parts.iter().map(|p| points(p.points)));
    c.extend(r.items.iter().map(|i| points(i.2)));
    c.push(points(r.total));
    c.push(r.vetoes.join("; "));
    c.push(if lang == Lang::En { r.grade_en.clone() } else { r.grade.clone() });
    c.push(r.group.clone());
    c.push(r.rank.to_string());
    c
}

/// Rows in table order: by group, then rank, then code.
fn ordered(rows: &[Row]) -> Vec<&Row> {
    let mut v: Vec<&Row> = rows.iter().collect();
    v.sort_by(|a, b| (&a.group, a.rank, &a.code).cmp(&(&b.group, b.rank, &b.code)));
    v
}

pub fn csv(rules: &AnnualRules, rows: &[Row], lang: Lang) -> Vec<u8> {
    let note = provisional_note(rows, lang).map(|n| vec![n]);
    let table = std::iter::once(headers_for(rules, rows, lang))
        .chain(ordered(rows).into_iter().map(|r| cells_for(r, rows, lang)));
    cell::excel_csv(note.into_iter().chain(table))
}

pub fn markdown(rules: &AnnualRules, rows: &[Row], cards: &[Card], lang: Lang) -> Vec<u8> {
    let h = headers_for(rules, rows, lang);
    let mut s = format!("# {}\n\n", cell::markdown(&rules.name));
    if let Some(note) = provisional_note(rows, lang) {
        s.push_str(&format!("**{}**\n\n", cell::markdown(&note)));
    }
    let h: Vec<String> = h.iter().map(|x| cell::markdown(x)).collect();
    s.push_str(&format!("| {} |\n|{}\n", h.join(" | "), "---|".repeat(h.len())));
    for r in ordered(rows) {
        let row: Vec<String> = cells_for(r, rows, lang).iter().map(|c| cell::markdown(c)).collect();
        s.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    s.push_str(&format!("\n## {}\n\n", t(lang, "核实情况", "Reported and verified")));
    s.push_str(&verified_table_md(cards, lang));
    s.into_bytes()
}

/// The key figure of each county: the field of the first accuracy
/// indicator, reported against verified with its interval.
fn key_figures(cards: &[Card]) -> Vec<(String, String, String, f64, f64, f64, f64)> {
    cards
        .iter()
        .filter_map(|c| {
            // The field of the first indicator that reads a reported figure.
            let field = c.results.iter().find_map(|r| c.figures(r))?.field;
            let e = c.measures.fields.get(&field)?;
            Some((
                c.code.clone(),
                c.name.clone(),
                field,
                e.reported_total,
                e.verified.value,
                e.verified.lo,
                e.verified.hi,
            ))
        })
        .collect()
}

fn verified_table_md(cards: &[Card], lang: Lang) -> String {
    let mut s = format!(
        "| {} | {} | {} | {} | {} |\n|---|---|---|---:|---|\n",
        t(lang, "县代码", "code"),
        t(lang, "县", "county"),
        t(lang, "指标", "field"),
        t(lang, "上报", "reported"),
        t(lang, "核实估计（95%区间）", "verified (95% interval)")
    );
    for (code, name, field, rep, ver, lo, hi) in key_figures(cards) {
        let (code, name, field) = (cell::markdown(&code), cell::markdown(&name), cell::markdown(&field));
        s.push_str(&format!("| {code} | {name} | {field} | {rep:.0} | {ver:.0} ({lo:.0}–{hi:.0}) |\n"));
    }
    s
}

fn esc(s: &str) -> String {
    cell::html(s)
}

fn grade_colour(rules: &AnnualRules, r: &Row) -> &'static str {
    const COLOURS: [&str; 5] = ["#2e7d32", "#558b2f", "#f9a825", "#ef6c00", "#c62828"];
    if !r.vetoes.is_empty() {
        return COLOURS[4];
    }
    let i = rules.grades.iter().position(|g| g.name == r.grade).unwrap_or(4);
    COLOURS[i.min(4)]
}

/// A self-contained HTML page: no scripts, no network, printable on A4.
pub fn html(rules: &AnnualRules, rows: &[Row], cards: &[Card], lang: Lang) -> Vec<u8> {
    let h = headers_for(rules, rows, lang);
    let mut s = String::new();
    s.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         @page {{ size: A4; margin: 15mm; }}\n\
         body {{ font-family: \"Noto Sans CJK SC\", \"Microsoft YaHei\", sans-serif; font-size: 10pt; color: #222; }}\n\
         table {{ border-collapse: collapse; margin: 8pt 0; }}\n\
         th, td {{ border: 1px solid #999; padding: 2pt 5pt; }}\n\
         th {{ background: #eee; }} td.n {{ text-align: right; }}\n\
         section.card {{ page-break-inside: avoid; }}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n",
        if lang == Lang::En { "en" } else { "zh-CN" },
        esc(&rules.name),
        esc(&rules.name)
    ));
    if let Some(note) = provisional_note(rows, lang) {
        s.push_str(&format!("<p class=\"provisional\"><strong>{}</strong></p>\n", esc(&note)));
    }
    s.push_str(&format!("<h2>{}</h2>\n<table>\n<thead><tr>", t(lang, "汇总表", "Summary")));
    for x in &h {
        s.push_str(&format!("<th>{}</th>", esc(x)));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for r in ordered(rows) {
        s.push_str("<tr>");
        for (i, c) in cells_for(r, rows, lang).iter().enumerate() {
            let num = i >= 2 && c.parse::<f64>().is_ok();
            s.push_str(&format!("<td{}>{}</td>", if num { " class=\"n\"" } else { "" }, esc(c)));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n");
    // Bar chart of totals, coloured by grade.
    let ord = ordered(rows);
    let (bar, gap, left, width) = (16.0, 4.0, 150.0, 420.0);
    let height = ord.len() as f64 * (bar + gap) + 10.0;
    let max = rules.points.max(ord.iter().map(|r| r.total).fold(0.0, f64::max));
    s.push_str(&format!(
        "<h2>{}</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">\n",
        t(lang, "总分", "Totals"),
        left + width + 60.0,
        t(lang, "各县总分条形图", "bar chart of totals")
    ));
    for (i, r) in ord.iter().enumerate() {
        let y = i as f64 * (bar + gap) + 5.0;
        let w = r.total / max * width;
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text><rect x=\"{left}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bar}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{} {}</text>\n",
            left - 6.0,
            y + bar - 4.0,
            esc(&r.name),
            grade_colour(rules, r),
            left + w + 4.0,
            y + bar - 4.0,
            points(r.total),
            esc(if lang == Lang::En { &r.grade_en } else { &r.grade })
        ));
    }
    s.push_str("</svg>\n");
    s.push_str(&format!("<h2>{}</h2>\n<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        t(lang, "上报与核实", "Reported and verified"),
        t(lang, "县代码", "code"), t(lang, "县", "county"), t(lang, "指标", "field"), t(lang, "上报", "reported"), t(lang, "核实估计（95%区间）", "verified (95% interval)")));
    for (code, name, field, rep, ver, lo, hi) in key_figures(cards) {
        s.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{rep:.0}</td><td class=\"n\">{ver:.0} ({lo:.0}–{hi:.0})</td></tr>\n",
            esc(&code), esc(&name), esc(&field)
        ));
    }
    s.push_str("</tbody>\n</table>\n");
    for c in cards {
        s.push_str(&format!("<section class=\"card\">\n<h3>{} {} — {} / {}</h3>\n<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            esc(&c.code), esc(&c.name), points(c.total), points(c.max),
            t(lang, "指标", "indicator"), t(lang, "活动", "activity"), t(lang, "满分", "max"), t(lang, "得分", "points"), t(lang, "说明", "trail")));
        for r in &c.results {
            let trail: Vec<String> =
                r.lines.iter().map(|l| format!("{} ({:+.2})", l.text, l.delta)).collect();
            s.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                esc(&r.name),
                esc(&r.activity),
                points(r.max),
                points(r.total()),
                esc(&trail.join("; "))
            ));
        }
        s.push_str("</tbody>\n</table>\n");
        for v in &c.vetoes {
            s.push_str(&format!("<p><strong>{}</strong>: {}</p>\n", t(lang, "一票否决", "Veto"), esc(v)));
        }
        s.push_str("</section>\n");
    }
    s.push_str("</body>\n</html>\n");
    s.into_bytes()
}

/// Writes a sheet's heading row.
fn header_row(
    ws: &mut rust_xlsxwriter::Worksheet,
    names: &[impl AsRef<str>],
    head: &Format,
) -> Result<(), XlsxError> {
    for (i, h) in names.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, h.as_ref(), head)?;
    }
    Ok(())
}

/// The workbook: 年度考核 (the table), 核实 (reported and verified), 评分 (every
/// indicator of every county); frozen headers and number formats.
pub fn xlsx(rules: &AnnualRules, rows: &[Row], cards: &[Card], lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    // A fixed creation date keeps re-runs byte-identical.
    let created = ExcelDateTime::from_ymd(rules.year.clamp(1900, 9999) as u16, 12, 31)?;
    wb.set_properties(&DocProperties::new().set_title(&rules.name).set_creation_datetime(&created));
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_background_color("EEEEEE");
    let num = Format::new().set_num_format("0.00").set_border(FormatBorder::Thin);
    let text = Format::new().set_border(FormatBorder::Thin);
    {
        let ws = wb.add_worksheet();
        ws.set_name(t(lang, "年度考核", "annual"))?;
        header_row(ws, &headers_for(rules, rows, lang), &head)?;
        for (ri, r) in ordered(rows).iter().enumerate() {
            for (ci, c) in cells_for(r, rows, lang).iter().enumerate() {
                let (row, col) = (ri as u32 + 1, ci as u16);
                match c.parse::<f64>() {
                    Ok(v) if ci >= 2 => ws.write_number_with_format(row, col, v, &num)?,
                    _ => ws.write_string_with_format(row, col, c, &text)?,
                };
            }
        }
        ws.set_freeze_panes(1, 2)?;
        ws.set_column_width(1, 16)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(t(lang, "核实", "verified"))?;
        let h = [
            t(lang, "县代码", "code"),
            t(lang, "县", "county"),
            t(lang, "指标", "field"),
            t(lang, "上报", "reported"),
            t(lang, "核实估计", "verified"),
            t(lang, "下限", "low"),
            t(lang, "上限", "high"),
        ];
        header_row(ws, &h, &head)?;
        for (ri, (code, name, field, rep, ver, lo, hi)) in key_figures(cards).into_iter().enumerate() {
            let row = ri as u32 + 1;
            ws.write_string_with_format(row, 0, &code, &text)?;
            ws.write_string_with_format(row, 1, &name, &text)?;
            ws.write_string_with_format(row, 2, &field, &text)?;
            for (k, v) in [rep, ver, lo, hi].into_iter().enumerate() {
                ws.write_number_with_format(row, 3 + k as u16, v, &num)?;
            }
        }
        ws.set_freeze_panes(1, 2)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(t(lang, "评分", "scorecards"))?;
        let h = [
            t(lang, "县代码", "code"),
            t(lang, "县", "county"),
            t(lang, "指标", "indicator"),
            t(lang, "活动", "activity"),
            t(lang, "满分", "max"),
            t(lang, "得分", "points"),
            t(lang, "说明", "trail"),
        ];
        header_row(ws, &h, &head)?;
        let mut row = 1u32;
        for c in cards {
            for r in &c.results {
                let trail: Vec<String> =
                    r.lines.iter().map(|l| format!("{} ({:+.2})", l.text, l.delta)).collect();
                ws.write_string_with_format(row, 0, &c.code, &text)?;
                ws.write_string_with_format(row, 1, &c.name, &text)?;
                ws.write_string_with_format(row, 2, &r.name, &text)?;
                ws.write_string_with_format(row, 3, &r.activity, &text)?;
                ws.write_number_with_format(row, 4, r.max, &num)?;
                ws.write_number_with_format(row, 5, r.total(), &num)?;
                ws.write_string_with_format(row, 6, trail.join("; "), &text)?;
                row += 1;
            }
        }
        ws.set_freeze_panes(1, 3)?;
    }
    wb.save_to_buffer()
}
