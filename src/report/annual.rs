//! The annual table as people read it: CSV for Excel, Markdown, a
//! self-contained HTML page made for A4 paper (title block, the summary on
//! page 1, an SVG chart with its axis and pass line, compact scorecards,
//! page numbers; no scripts, no network), and an `.xlsx` workbook that
//! prints as it is. Every word in Chinese, or English with `--lang en`;
//! every name from the rules.

use jiff::civil::Date;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook, XlsxError};

use super::words::{self, AnnualNames};
use super::{interval, points};
use crate::annual::compute::Row;
use crate::annual::rules::{AnnualRules, Component, Item};
use crate::cell;
use crate::lang::{self, Lang};
use crate::rules::names::{Name, Names};
use crate::score::card::Card;
use crate::xlsx::{self, Formats};

/// The title block's facts that do not come from the annual rules.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The date the assessment is issued.
    pub date: Option<Date>,
    /// When the newest data were recorded, on the rules' clock.
    pub as_of: Option<String>,
    /// The campaigns it reads, by their display names.
    pub campaigns: Vec<Name>,
}

/// Everything a rendering of the annual table reads.
pub struct Context<'a> {
    pub rules: &'a AnnualRules,
    pub names: AnnualNames<'a>,
    pub doc: Document,
    pub lang: Lang,
}

impl Context<'_> {
    fn t<'b>(&self, zh: &'b str, en: &'b str) -> &'b str {
        self.lang.t(zh, en)
    }

    /// The names of the campaign whose scorecards the report shows.
    fn card_names(&self) -> (Names, Option<f64>) {
        self.names.campaigns.first().map_or_else(|| (Names::default(), None), |c| (c.1.clone(), Some(c.2)))
    }
}

/// The assessment's title in the language.
pub fn title(rules: &AnnualRules, lang: Lang) -> String {
    match lang {
        Lang::En => rules.name_en.clone().unwrap_or_else(|| rules.name.clone()),
        Lang::Zh => rules.name.clone(),
    }
}

pub fn component_name(c: &Component, lang: Lang) -> String {
    Name::new(&c.name, c.name_en.as_deref()).get(lang).to_string()
}

pub fn item_name(i: &Item, lang: Lang) -> String {
    Name::new(&i.name, i.name_en.as_deref()).get(lang).to_string()
}

/// The display name of a row's ranking group.
pub fn group_name(rules: &AnnualRules, r: &Row, lang: Lang) -> String {
    rules
        .group_of(&r.code)
        .map_or_else(String::new, |g| Name::new(&g.name, g.name_en.as_deref()).get(lang).to_string())
}

/// Rows in table order: by group (in the rules' order, counties without a
/// group last), then rank, then code.
pub fn ordered<'r>(rules: &AnnualRules, rows: &'r [Row]) -> Vec<&'r Row> {
    let group_index =
        |r: &Row| rules.groups.iter().position(|g| g.counties.contains(&r.code)).unwrap_or(usize::MAX);
    let mut v: Vec<&Row> = rows.iter().collect();
    v.sort_by(|a, b| (group_index(a), a.rank, &a.code).cmp(&(group_index(b), b.rank, &b.code)));
    v
}

fn grade(r: &Row, lang: Lang) -> &str {
    if lang == Lang::En { &r.grade_en } else { &r.grade }
}

/// The provisional mark, when any row rests on incomplete findings or
/// waits for a further round of a sequential plan, with the reason.
fn provisional_note(ctx: &Context<'_>, rows: &[Row]) -> Option<String> {
    let names = |waiting: bool| -> Vec<&str> {
        rows.iter().filter(|r| r.provisional && r.waiting == waiting).map(|r| r.name.as_str()).collect()
    };
    let (open, waiting) = (names(false), names(true));
    let mut parts = Vec::new();
    if !open.is_empty() {
        parts.push(format!(
            "{}{}",
            ctx.t(
                "临时结果：以下县的抽查结果尚不完整（有样本村缺少检查结果），本表不是最终结果：",
                "PROVISIONAL: findings are incomplete for these counties (sampled villages without findings); this table is not final: "
            ),
            open.join(ctx.lang.list_sep())
        ));
    }
    if !waiting.is_empty() {
        parts.push(format!(
            "{}{}",
            ctx.t(
                "临时结果：以下县的样本怀疑但不能证实一票否决，扩大抽查方案还要抽查下一轮，本表不是最终结果：",
                "PROVISIONAL: the sample of these counties suspects a veto it cannot prove, and the sequential plan checks them in a further round; this table is not final: "
            ),
            waiting.join(ctx.lang.list_sep())
        ));
    }
    (!parts.is_empty()).then(|| parts.join(ctx.t("", " ")))
}

/// What the intervals mean, in one plain sentence.
fn interval_sentence(ctx: &Context<'_>) -> String {
    let level = ctx.card_names().1.unwrap_or(0.95);
    let p = format!("{:.0}", level * 100.0);
    match ctx.lang {
        Lang::Zh => format!(
            "说明：核实数是由抽查村推算的全县估计数，括号中为{p}%置信区间：如用同样方法重新抽查，每100次约有{p}次算出的区间包含全县的真实数。"
        ),
        Lang::En => format!(
            "Note: a verified figure is the county's total estimated from the sampled villages; the range after it is a {p}% confidence interval: if the villages were drawn again in the same way, about {p} in 100 such ranges would contain the county's true figure."
        ),
    }
}

/// The summary table's columns: (heading, is a number).
fn headers(ctx: &Context<'_>, rows: &[Row]) -> Vec<String> {
    let rules = ctx.rules;
    let mut h = vec![
        ctx.t("分组", "group").to_string(),
        ctx.t("名次", "rank").to_string(),
        ctx.t("县代码", "code").to_string(),
        ctx.t("县（市、区）", "county").to_string(),
    ];
    h.extend(rules.components.iter().map(|c| match ctx.lang {
        Lang::Zh => format!("{}（{}）", component_name(c, ctx.lang), lang::number(c.weight)),
        Lang::En => format!("{} ({})", component_name(c, ctx.lang), lang::number(c.weight)),
    }));
    h.extend(rules.bonuses.iter().chain(&rules.deductions).map(|i| item_name(i, ctx.lang)));
    h.extend([ctx.t("总分", "total"), ctx.t("等级", "grade"), ctx.t("一票否决", "veto")].map(String::from));
    if rows.iter().any(|r| r.provisional) {
        h.push(ctx.t("状态", "status").to_string());
    }
    h
}

/// A row's cells; `full` gives every veto in full, else in a few words.
fn cells(ctx: &Context<'_>, r: &Row, rows: &[Row], full: bool) -> Vec<String> {
    let mut c = vec![group_name(ctx.rules, r, ctx.lang), r.rank.to_string(), r.code.clone(), r.name.clone()];
    c.extend(r.parts.iter().map(|p| points(p.points)));
    c.extend(r.items.iter().map(|i| points(i.2)));
    c.push(points(r.total));
    c.push(grade(r, ctx.lang).to_string());
    c.push(if full {
        ctx.names.vetoes_full(&r.vetoes, ctx.lang).join(ctx.lang.clause_sep())
    } else {
        ctx.names.vetoes_short(&r.vetoes, ctx.lang)
    });
    if rows.iter().any(|r| r.provisional) {
        c.push(if r.provisional { ctx.t("临时", "provisional") } else { "" }.to_string());
    }
    c
}

/// Which summary columns hold numbers.
fn numeric(ctx: &Context<'_>) -> std::ops::Range<usize> {
    let k = ctx.rules.components.len() + ctx.rules.bonuses.len() + ctx.rules.deductions.len();
    4..4 + k + 1
}

pub fn csv(ctx: &Context<'_>, rows: &[Row]) -> Vec<u8> {
    let note = provisional_note(ctx, rows).map(|n| vec![n]);
    let table = std::iter::once(headers(ctx, rows))
        .chain(ordered(ctx.rules, rows).into_iter().map(|r| cells(ctx, r, rows, true)));
    cell::excel_csv(note.into_iter().chain(table))
}

/// The title block's lines: issuer and number, the title, then date,
/// campaigns and data as of.
fn title_lines(ctx: &Context<'_>) -> (String, String, String, Vec<(String, String)>) {
    let r = ctx.rules;
    let issuer = r.issuer.get(ctx.lang).to_string();
    let number = r.number.clone();
    let title = format!("{}{}", title(r, ctx.lang), ctx.t("结果", " results"));
    let mut facts = Vec::new();
    if let Some(d) = ctx.doc.date {
        facts.push((
            ctx.t("日期", "Date").to_string(),
            if ctx.lang == Lang::Zh { crate::time::chinese(d) } else { crate::time::iso(d) },
        ));
    }
    if !ctx.doc.campaigns.is_empty() {
        let list: Vec<&str> = ctx.doc.campaigns.iter().map(|c| c.get(ctx.lang)).collect();
        facts.push((ctx.t("考核活动", "Campaign").to_string(), list.join(ctx.lang.list_sep())));
    }
    if let Some(a) = &ctx.doc.as_of {
        facts.push((ctx.t("数据截至", "Data as of").to_string(), a.clone()));
    }
    (issuer, number, title, facts)
}

/// Reported against verified for the key figure of each county: the field
/// of the first indicator that reads a reported figure.
struct KeyFigure {
    code: String,
    name: String,
    field: String,
    reported: f64,
    verified: f64,
    lo: f64,
    hi: f64,
    discrepancy: f64,
}

fn key_figures(cards: &[Card]) -> Vec<KeyFigure> {
    cards
        .iter()
        .filter_map(|c| {
            let f = c.results.iter().find_map(|r| c.figures(r))?;
            Some(KeyFigure {
                code: c.code.clone(),
                name: c.name.clone(),
                field: f.field,
                reported: f.reported,
                verified: f.verified,
                lo: f.lo,
                hi: f.hi,
                discrepancy: f.discrepancy,
            })
        })
        .collect()
}

pub fn markdown(ctx: &Context<'_>, rows: &[Row], cards: &[Card]) -> Vec<u8> {
    let md = cell::markdown;
    let (issuer, number, title, facts) = title_lines(ctx);
    let mut s = String::new();
    if !issuer.is_empty() || !number.is_empty() {
        s.push_str(&format!("{}　{}\n\n", md(&issuer), md(&number)));
    }
    s.push_str(&format!("# {}\n\n", md(&title)));
    for (k, v) in &facts {
        s.push_str(&format!("- {}{}{}\n", md(k), ctx.t("：", ": "), md(v)));
    }
    if !facts.is_empty() {
        s.push('\n');
    }
    if let Some(note) = provisional_note(ctx, rows) {
        s.push_str(&format!("**{}**\n\n", md(&note)));
    }
    let h: Vec<String> = headers(ctx, rows).iter().map(|x| md(x)).collect();
    s.push_str(&format!("| {} |\n|{}\n", h.join(" | "), "---|".repeat(h.len())));
    for r in ordered(ctx.rules, rows) {
        let row: Vec<String> = cells(ctx, r, rows, false).iter().map(|c| md(c)).collect();
        s.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    let vetoed: Vec<&Row> = ordered(ctx.rules, rows).into_iter().filter(|r| !r.vetoes.is_empty()).collect();
    if !vetoed.is_empty() {
        s.push_str(&format!("\n## {}\n\n", ctx.t("一票否决说明", "One-vote vetoes")));
        for r in vetoed {
            for v in ctx.names.vetoes_full(&r.vetoes, ctx.lang) {
                s.push_str(&format!("- {} {}{}{}\n", md(&r.code), md(&r.name), ctx.t("：", ": "), md(&v)));
            }
        }
    }
    let (names, _) = ctx.card_names();
    s.push_str(&format!("\n## {}\n\n", ctx.t("上报与核实", "Reported and verified")));
    s.push_str(&format!(
        "| {} | {} | {} | {} | {} | {} |\n|---|---|---|---:|---|---:|\n",
        ctx.t("县代码", "code"),
        ctx.t("县", "county"),
        ctx.t("指标", "figure"),
        ctx.t("上报", "reported"),
        ctx.t("核实估计（区间）", "verified (interval)"),
        ctx.t("差异率", "discrepancy")
    ));
    for k in key_figures(cards) {
        s.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.0}{}{}{} | {} |\n",
            md(&k.code),
            md(&k.name),
            md(&names.field(&k.field, ctx.lang)),
            k.reported,
            k.verified,
            ctx.t("（", " ("),
            interval(k.lo, k.hi, ctx.lang),
            ctx.t("）", ")"),
            lang::pct(k.discrepancy)
        ));
    }
    s.push_str(&format!("\n{}\n", md(&interval_sentence(ctx))));
    s.into_bytes()
}

fn esc(s: &str) -> String {
    cell::html(s)
}

fn grade_colour(rules: &AnnualRules, r: &Row) -> &'static str {
    const COLOURS: [&str; 5] = ["#2e7d32", "#558b2f", "#7cb342", "#ef6c00", "#c62828"];
    if !r.vetoes.is_empty() {
        return COLOURS[4];
    }
    let i = rules.grades.iter().position(|g| g.name == r.grade).unwrap_or(4);
    let last = rules.grades.len().saturating_sub(1);
    if i >= last { COLOURS[3] } else { COLOURS[i.min(2)] }
}

/// The print style: A4 portrait, 12 mm margins, page numbers at the
/// bottom, headers repeated, no heading left alone at a page's foot, each
/// scorecard kept on one page. The scorecards' lines are set close (1.12)
/// so that four fit a page with the household indicators, and the report
/// stays within eight pages.
fn style(lang: Lang) -> String {
    let pages = match lang {
        Lang::Zh => "\"第 \" counter(page) \" 页 共 \" counter(pages) \" 页\"",
        Lang::En => "\"Page \" counter(page) \" of \" counter(pages)",
    };
    format!(
        "@page {{ size: A4 portrait; margin: 11mm 11mm 13mm 11mm; @bottom-center {{ content: {pages}; font-size: 8pt; color: #555; }} }}
* {{ box-sizing: border-box; }}
body {{ font-family: \"Noto Sans CJK SC\", \"Source Han Sans SC\", \"Microsoft YaHei\", \"SimSun\", sans-serif; font-size: 9pt; color: #222; margin: 0; }}
@media screen {{ body {{ max-width: 188mm; margin: 8mm auto; }} }}
.head {{ display: flex; justify-content: space-between; font-size: 10pt; border-bottom: 2px solid #b71c1c; padding-bottom: 3pt; }}
h1 {{ font-size: 16pt; text-align: center; margin: 8pt 0 4pt; }}
h2 {{ font-size: 11pt; margin: 10pt 0 4pt; break-after: avoid; page-break-after: avoid; }}
h3 {{ font-size: 9.5pt; margin: 0 0 2pt; break-after: avoid; }}
.facts {{ text-align: center; margin: 0 0 6pt; color: #333; }}
.facts span + span::before {{ content: \"　·　\"; color: #999; }}
.provisional {{ border: 2px solid #c62828; color: #c62828; padding: 3pt 6pt; font-weight: bold; margin: 4pt 0; }}
table {{ border-collapse: collapse; width: 100%; margin: 2pt 0 4pt; table-layout: fixed; }}
thead {{ display: table-header-group; }}
tr {{ break-inside: avoid; page-break-inside: avoid; }}
th, td {{ border: 0.6pt solid #888; padding: 1.5pt 3pt; vertical-align: top; overflow-wrap: anywhere; }}
th {{ background: #eee; font-weight: bold; text-align: center; vertical-align: middle; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
td.c {{ text-align: center; white-space: nowrap; }}
tr.group td {{ background: #f6f6f6; font-weight: bold; }}
tr.vetoed td {{ color: #b71c1c; }}
.keep {{ break-inside: avoid; page-break-inside: avoid; }}
.note {{ font-size: 8.5pt; color: #333; margin: 3pt 0; }}
ul.vetoes {{ margin: 2pt 0; padding-left: 14pt; font-size: 8.5pt; }}
section.card {{ break-inside: avoid; page-break-inside: avoid; margin: 0 0 5pt; }}
section.card table {{ font-size: 7pt; margin: 0; }}
section.card td, section.card th {{ padding: 0.2pt 2pt; line-height: 1.12; }}
section.card p.note {{ font-size: 7pt; margin: 1pt 0 0; }}
.cardhead {{ display: flex; justify-content: space-between; align-items: baseline; border-bottom: 1pt solid #444; margin-bottom: 1pt; }}
.cardhead .veto {{ color: #b71c1c; font-weight: bold; }}
.pagebreak {{ break-before: page; page-break-before: always; }}
"
    )
}

/// The bar chart of totals: an axis with ticks, the pass line, the counties
/// grouped under their group's label, bars coloured by grade.
fn chart(ctx: &Context<'_>, rows: &[Row]) -> String {
    let rules = ctx.rules;
    let ord = ordered(rules, rows);
    let (bar, gap, group_gap, left, width, top) = (11.0, 2.5, 16.0, 128.0, 470.0, 22.0);
    let max = rules.points.max(ord.iter().map(|r| r.total).fold(0.0, f64::max));
    let max = (max / 10.0).ceil() * 10.0;
    let x = |v: f64| left + v / max * width;
    // Layout: a group label row before each group's bars.
    let mut y = top;
    let mut items = Vec::new();
    let mut last_group: Option<String> = None;
    for r in &ord {
        let g = group_name(rules, r, ctx.lang);
        if last_group.as_ref() != Some(&g) {
            if !g.is_empty() {
                y += if last_group.is_some() { group_gap } else { 4.0 };
                items.push(format!(
                    "<text x=\"4\" y=\"{:.1}\" font-size=\"10\" font-weight=\"bold\">{}</text>\n",
                    y,
                    esc(&g)
                ));
                y += 5.0;
            }
            last_group = Some(g);
        }
        let w = x(r.total) - left;
        items.push(format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"end\">{}</text><rect x=\"{left}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{bar}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"8.5\">{} {}</text>\n",
            left - 5.0,
            y + bar - 3.0,
            esc(&r.name),
            y,
            grade_colour(rules, r),
            left + width + 6.0,
            y + bar - 3.0,
            points(r.total),
            esc(grade(r, ctx.lang))
        ));
        y += bar + gap;
    }
    let bottom = y + 2.0;
    let height = bottom + 30.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {:.0} {height:.0}\" width=\"100%\" role=\"img\" aria-label=\"{}\">\n",
        left + width + 76.0,
        esc(ctx.t("各县总分条形图", "bar chart of totals"))
    );
    // Grid and axis ticks every 10 points.
    let mut v = 0.0;
    while v <= max + 1e-9 {
        s.push_str(&format!(
            "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{bottom:.1}\" stroke=\"#ddd\" stroke-width=\"0.6\"/><text x=\"{0:.1}\" y=\"{1:.1}\" font-size=\"8.5\" text-anchor=\"middle\">{2}</text>\n",
            x(v),
            bottom + 11.0,
            lang::number(v)
        ));
        v += 10.0;
    }
    s.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{bottom:.1}\" x2=\"{:.1}\" y2=\"{bottom:.1}\" stroke=\"#444\" stroke-width=\"0.8\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"8.5\" text-anchor=\"middle\">{}</text>\n",
        left + width,
        left + width / 2.0,
        bottom + 24.0,
        esc(ctx.t("总分（分）", "total (points)"))
    ));
    // The pass line: the lowest grade that is not a failing one.
    if let Some(pass) = pass_line(rules) {
        s.push_str(&format!(
            "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{bottom:.1}\" stroke=\"#c62828\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/><text x=\"{0:.1}\" y=\"{2:.1}\" font-size=\"9\" fill=\"#c62828\" text-anchor=\"middle\">{3}</text>\n",
            x(pass),
            top - 6.0,
            top - 9.0,
            esc(&match ctx.lang {
                Lang::Zh => format!("合格线 {}分", lang::number(pass)),
                Lang::En => format!("pass line {}", lang::number(pass)),
            })
        ));
    }
    for it in items {
        s.push_str(&it);
    }
    s.push_str("</svg>\n");
    s
}

/// The total a county needs to pass: the lowest grade band above the
/// failing grade.
fn pass_line(rules: &AnnualRules) -> Option<f64> {
    rules
        .grades
        .iter()
        .filter(|g| g.min.is_finite() && g.name != rules.veto_grade.name)
        .map(|g| g.min)
        .reduce(f64::min)
}

fn table_html(head: &[(String, &str)], rows: &[String]) -> String {
    let mut s = String::from("<table>\n<colgroup>");
    for (_, w) in head {
        s.push_str(&format!("<col style=\"width:{w}\">"));
    }
    s.push_str("</colgroup>\n<thead><tr>");
    for (h, _) in head {
        s.push_str(&format!("<th>{}</th>", esc(h)));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        s.push_str(r);
    }
    s.push_str("</tbody>\n</table>\n");
    s
}

/// The summary table, grouped, vetoes in a few words.
fn summary_html(ctx: &Context<'_>, rows: &[Row]) -> String {
    let h = headers(ctx, rows);
    let nums = numeric(ctx);
    let k = nums.len();
    // Widths: group is a row of its own, so its column is narrow.
    let widths: Vec<String> = h
        .iter()
        .enumerate()
        .map(|(i, _)| match i {
            0 => "0".to_string(),
            1 => "5%".into(),
            2 => "9%".into(),
            3 => "15%".into(),
            i if nums.contains(&i) => format!("{:.1}%", 40.0 / k as f64),
            i if i == nums.end => "6%".into(),
            _ => "25%".into(),
        })
        .collect();
    let mut body = Vec::new();
    let mut last: Option<String> = None;
    let cols = h.len() - 1;
    for r in ordered(ctx.rules, rows) {
        let g = group_name(ctx.rules, r, ctx.lang);
        if last.as_ref() != Some(&g) {
            if !g.is_empty() {
                body.push(format!("<tr class=\"group\"><td colspan=\"{cols}\">{}</td></tr>\n", esc(&g)));
            }
            last = Some(g);
        }
        let c = cells(ctx, r, rows, false);
        let mut tr = format!("<tr{}>", if r.vetoes.is_empty() { "" } else { " class=\"vetoed\"" });
        for (i, v) in c.iter().enumerate().skip(1) {
            let class = if nums.contains(&i) {
                " class=\"n\""
            } else if i == 1 || i == 2 || i == nums.end {
                " class=\"c\""
            } else {
                ""
            };
            tr.push_str(&format!("<td{class}>{}</td>", esc(v)));
        }
        tr.push_str("</tr>\n");
        body.push(tr);
    }
    let head: Vec<(String, &str)> =
        h.iter().zip(&widths).skip(1).map(|(h, w)| (h.clone(), w.as_str())).collect();
    table_html(&head, &body)
}

/// One county's scorecard, compact: each indicator with its points, and the
/// trail only where points moved or a verdict was made.
fn card_html(c: &Card, names: &Names, ctx: &Context<'_>) -> String {
    let lang = ctx.lang;
    let level = Some(c.measures.level);
    let vetoes: Vec<String> = c.vetoes.iter().map(|v| words::card_veto_short(v, names, lang)).collect();
    let mut s = format!(
        "<section class=\"card\">\n<div class=\"cardhead\"><h3>{} {}{}</h3><span>{}{} / {}{}</span></div>\n",
        esc(&c.code),
        esc(&c.name),
        if c.provisional { esc(ctx.t("（临时结果）", " (provisional)")) } else { String::new() },
        esc(ctx.t("得分 ", "points ")),
        points(c.total),
        points(c.max),
        if vetoes.is_empty() {
            String::new()
        } else {
            format!(
                "　<span class=\"veto\">{}{}</span>",
                esc(ctx.t("一票否决：", "veto: ")),
                esc(&vetoes.join(lang.clause_sep()))
            )
        }
    );
    let head = [
        (ctx.t("指标", "indicator").to_string(), "18%"),
        (ctx.t("得分/满分", "points").to_string(), "10%"),
        (ctx.t("扣分说明", "how the points were reached").to_string(), "72%"),
    ];
    // Indicators at full marks without a verdict go on one line below the
    // table; the table explains the others.
    let (full, moved): (Vec<&crate::score::points::Scored>, Vec<&crate::score::points::Scored>) = c
        .results
        .iter()
        .partition(|r| r.verdicts.is_empty() && r.lines.iter().all(|l| lang::delta(l.delta, lang).is_none()));
    if !moved.is_empty() {
        let rows: Vec<String> = moved
            .iter()
            .map(|r| {
                format!(
                    "<tr><td>{}</td><td class=\"n\">{}/{}</td><td>{}</td></tr>\n",
                    esc(&names.indicator(&r.id, lang)),
                    points(r.total()),
                    lang::number(r.max),
                    esc(&words::trail(&r.lines, names, lang, level))
                )
            })
            .collect();
        s.push_str(&table_html(&head, &rows));
    }
    if !full.is_empty() {
        let list: Vec<String> = full
            .iter()
            .map(|r| match lang {
                Lang::Zh => format!("{}（{}）", names.indicator(&r.id, lang), points(r.max)),
                Lang::En => format!("{} ({})", names.indicator(&r.id, lang), points(r.max)),
            })
            .collect();
        s.push_str(&format!(
            "<p class=\"note\">{}{}</p>\n",
            esc(&match lang {
                Lang::Zh => format!("满分指标（{}项）：", full.len()),
                Lang::En => format!("Full marks ({}): ", full.len()),
            }),
            esc(&list.join(lang.list_sep()))
        ));
    }
    s.push_str("</section>\n");
    s
}

/// A self-contained HTML page: no scripts, no network, made for A4.
pub fn html(ctx: &Context<'_>, rows: &[Row], cards: &[Card]) -> Vec<u8> {
    let lang = ctx.lang;
    let (issuer, number, title, facts) = title_lines(ctx);
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n",
        if lang == Lang::En { "en" } else { "zh-CN" },
        esc(&title),
        style(lang)
    );
    // Title block.
    s.push_str(&format!(
        "<header>\n<div class=\"head\"><span>{}</span><span>{}</span></div>\n<h1>{}</h1>\n<p class=\"facts\">",
        esc(&issuer),
        esc(&number),
        esc(&title)
    ));
    for (k, v) in &facts {
        s.push_str(&format!("<span>{}{}{}</span>", esc(k), ctx.t("：", ": "), esc(v)));
    }
    s.push_str("</p>\n</header>\n");
    if let Some(note) = provisional_note(ctx, rows) {
        s.push_str(&format!("<p class=\"provisional\">{}</p>\n", esc(&note)));
    }
    // Page 1: the summary.
    s.push_str(&format!("<h2>{}</h2>\n", esc(ctx.t("一、考核结果汇总", "1. Summary"))));
    s.push_str(&summary_html(ctx, rows));
    s.push_str(&format!(
        "<p class=\"note\">{}</p>\n",
        esc(&match lang {
            Lang::Zh => format!(
                "名次按分组排列；被一票否决的县排在本组最后，等级为“{}”。",
                ctx.rules.veto_grade.name
            ),
            Lang::En => format!(
                "Ranks are within each group; a vetoed county ranks last in its group and is graded \"{}\".",
                ctx.rules.veto_grade.name_en
            ),
        })
    ));
    // The chart and the vetoes in full.
    s.push_str(&format!(
        "<div class=\"keep\">\n<h2>{}</h2>\n{}</div>\n",
        esc(ctx.t("二、总分图", "2. Totals")),
        chart(ctx, rows)
    ));
    let vetoed: Vec<&Row> = ordered(ctx.rules, rows).into_iter().filter(|r| !r.vetoes.is_empty()).collect();
    if !vetoed.is_empty() {
        s.push_str(&format!(
            "<div class=\"keep\">\n<h2>{}</h2>\n<ul class=\"vetoes\">\n",
            esc(ctx.t("三、一票否决说明", "3. One-vote vetoes"))
        ));
        for r in vetoed {
            let parts: Vec<String> = ctx.names.vetoes_full(&r.vetoes, lang).iter().map(|x| esc(x)).collect();
            s.push_str(&format!(
                "<li><strong>{} {}</strong>{}{}</li>\n",
                esc(&r.code),
                esc(&r.name),
                esc(ctx.t("：", ": ")),
                parts.join(&esc(lang.clause_sep()))
            ));
        }
        s.push_str("</ul>\n</div>\n");
    }
    // Reported against verified.
    let (names, _) = ctx.card_names();
    let n = if vetoed_any(rows) { "四" } else { "三" };
    let heading = match lang {
        Lang::Zh => format!("{n}、上报与核实"),
        Lang::En => format!("{}. Reported and verified", if vetoed_any(rows) { 4 } else { 3 }),
    };
    let kf: Vec<String> = key_figures(cards)
        .iter()
        .map(|k| {
            format!(
                "<tr><td class=\"c\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{:.0}</td><td class=\"n\">{:.0}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                esc(&k.code),
                esc(&k.name),
                esc(&names.field(&k.field, lang)),
                k.reported,
                k.verified,
                esc(&interval(k.lo, k.hi, lang)),
                lang::pct(k.discrepancy)
            )
        })
        .collect();
    let level = ctx.card_names().1.unwrap_or(0.95);
    let interval_head = match lang {
        Lang::Zh => format!("{:.0}%置信区间", level * 100.0),
        Lang::En => format!("{:.0}% interval", level * 100.0),
    };
    s.push_str(&format!("<div class=\"keep\">\n<h2>{}</h2>\n", esc(&heading)));
    s.push_str(&table_html(
        &[
            (ctx.t("县代码", "code").to_string(), "10%"),
            (ctx.t("县（市、区）", "county").to_string(), "17%"),
            (ctx.t("指标", "figure").to_string(), "21%"),
            (ctx.t("上报数", "reported").to_string(), "11%"),
            (ctx.t("核实估计", "verified").to_string(), "11%"),
            (interval_head, "17%"),
            (ctx.t("差异率", "discrepancy").to_string(), "13%"),
        ],
        &kf,
    ));
    s.push_str(&format!("<p class=\"note\">{}</p>\n</div>\n", esc(&interval_sentence(ctx))));
    // The scorecards, compact, each on one page at most.
    if !cards.is_empty() {
        let heading = match lang {
            Lang::Zh => format!("{}、各县评分", if vetoed_any(rows) { "五" } else { "四" }),
            Lang::En => format!("{}. Scorecards", if vetoed_any(rows) { 5 } else { 4 }),
        };
        s.push_str(&format!(
            "<h2>{}</h2>\n<p class=\"note\">{}</p>\n",
            esc(&heading),
            esc(&match lang {
                Lang::Zh => format!("{}：表中为失分或作出判定的指标及理由，其余指标得满分。", names.campaign.get(lang)),
                Lang::En => format!(
                    "{}: the table gives each indicator that lost points or was judged, and why; the others earned full marks.",
                    names.campaign.get(lang)
                ),
            })
        ));
        for c in cards {
            s.push_str(&card_html(c, &names, ctx));
        }
    }
    s.push_str("</body>\n</html>\n");
    s.into_bytes()
}

fn vetoed_any(rows: &[Row]) -> bool {
    rows.iter().any(|r| !r.vetoes.is_empty())
}

/// The workbook: 年度考核 (the table), 核实 (reported and verified), 评分 (every
/// indicator of every county); each with title rows, frozen headers,
/// widths that show every heading and name, and a print set-up for A4.
pub fn xlsx(ctx: &Context<'_>, rows: &[Row], cards: &[Card]) -> Result<Vec<u8>, XlsxError> {
    let rules = ctx.rules;
    let lang = ctx.lang;
    let mut wb = Workbook::new();
    // A fixed creation date keeps re-runs byte-identical.
    let created = ExcelDateTime::from_ymd(rules.year.clamp(1900, 9999) as u16, 12, 31)?;
    wb.set_properties(&DocProperties::new().set_title(title(rules, lang)).set_creation_datetime(&created));
    let f = Formats::new();
    let (issuer, number, heading, facts) = title_lines(ctx);
    let subtitle = {
        let mut v = vec![issuer, number];
        v.extend(facts.iter().map(|(k, x)| format!("{k}{}{x}", ctx.t("：", ": "))));
        v.retain(|x| !x.is_empty());
        v.join("　")
    };
    let note = provisional_note(ctx, rows);
    // Rows above the header: title, subtitle, and the provisional mark.
    let top = 2 + u32::from(note.is_some());
    let write_top = |ws: &mut rust_xlsxwriter::Worksheet, cols: u16| -> Result<(), XlsxError> {
        xlsx::title(ws, 0, cols, &heading, &f.title, 26.0)?;
        xlsx::title(ws, 1, cols, &subtitle, &f.subtitle, 18.0)?;
        if let Some(n) = &note {
            xlsx::title(ws, 2, cols, n, &f.subtitle.clone().set_bold().set_font_color("C62828"), 18.0)?;
        }
        Ok(())
    };
    {
        let ws = wb.add_worksheet();
        ws.set_name(ctx.t("年度考核", "annual"))?;
        let h = headers(ctx, rows);
        let ord = ordered(rules, rows);
        let body: Vec<Vec<String>> = ord.iter().map(|r| cells(ctx, r, rows, false)).collect();
        let nums = numeric(ctx);
        write_top(ws, h.len() as u16)?;
        let mut head_lines = 1;
        for (i, name) in h.iter().enumerate() {
            let col: Vec<&str> = body.iter().map(|r| r[i].as_str()).collect();
            let max = if i == h.len() - 1 || (i + 1 == h.len() - 1 && nums.end != i) { 40.0 } else { 24.0 };
            let w = xlsx::column_width(name, &col, 2, 5.0, max);
            head_lines = head_lines.max(xlsx::lines_at(name, w));
            ws.set_column_width(i as u16, w)?;
            ws.write_string_with_format(top, i as u16, name, &f.head)?;
        }
        ws.set_row_height(top, 14.0 * head_lines as f64 + 4.0)?;
        for (ri, c) in body.iter().enumerate() {
            let row = top + 1 + ri as u32;
            for (ci, v) in c.iter().enumerate() {
                let col = ci as u16;
                match v.parse::<f64>() {
                    Ok(x) if nums.contains(&ci) => ws.write_number_with_format(row, col, x, &f.number)?,
                    Ok(x) if ci == 1 => ws.write_number_with_format(row, col, x, &f.whole)?,
                    _ => ws.write_string_with_format(
                        row,
                        col,
                        v,
                        if ci + 1 == c.len() { &f.wrap } else { &f.text },
                    )?,
                };
            }
        }
        ws.set_freeze_panes(top + 1, 4)?;
        xlsx::print_setup(ws, true, (top, top), lang)?;
    }
    let (names, _) = ctx.card_names();
    {
        let ws = wb.add_worksheet();
        ws.set_name(ctx.t("核实", "verified"))?;
        let h = [
            ctx.t("县代码", "code"),
            ctx.t("县（市、区）", "county"),
            ctx.t("指标", "figure"),
            ctx.t("上报数", "reported"),
            ctx.t("核实估计", "verified"),
            ctx.t("区间下限", "interval low"),
            ctx.t("区间上限", "interval high"),
            ctx.t("差异率", "discrepancy"),
        ];
        write_top(ws, h.len() as u16)?;
        let kf = key_figures(cards);
        let fields: Vec<String> = kf.iter().map(|k| names.field(&k.field, lang)).collect();
        let county_names: Vec<&str> = kf.iter().map(|k| k.name.as_str()).collect();
        for (i, name) in h.iter().enumerate() {
            let w = match i {
                1 => xlsx::column_width(name, &county_names, 1, 8.0, 30.0),
                2 => xlsx::column_width(
                    name,
                    &fields.iter().map(String::as_str).collect::<Vec<_>>(),
                    1,
                    8.0,
                    30.0,
                ),
                _ => xlsx::column_width(name, &["130000000000"], 1, 8.0, 16.0),
            };
            ws.set_column_width(i as u16, w)?;
            ws.write_string_with_format(top, i as u16, *name, &f.head)?;
        }
        let pct = f.number.clone().set_num_format("0.00%");
        for (ri, k) in kf.iter().enumerate() {
            let row = top + 1 + ri as u32;
            ws.write_string_with_format(row, 0, &k.code, &f.text)?;
            ws.write_string_with_format(row, 1, &k.name, &f.text)?;
            ws.write_string_with_format(row, 2, &fields[ri], &f.text)?;
            for (j, v) in [k.reported, k.verified, k.lo].into_iter().enumerate() {
                ws.write_number_with_format(row, 3 + j as u16, v, &f.number)?;
            }
            if k.hi.is_finite() {
                ws.write_number_with_format(row, 6, k.hi, &f.number)?;
            } else {
                ws.write_string_with_format(row, 6, ctx.t("无上界", "none"), &f.text)?;
            }
            ws.write_number_with_format(row, 7, k.discrepancy, &pct)?;
        }
        let last = top + 2 + kf.len() as u32;
        xlsx::title(
            ws,
            last,
            h.len() as u16,
            &interval_sentence(ctx),
            &f.subtitle.clone().set_text_wrap(),
            30.0,
        )?;
        ws.set_freeze_panes(top + 1, 2)?;
        xlsx::print_setup(ws, false, (top, top), lang)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(ctx.t("评分", "scorecards"))?;
        let h = [
            ctx.t("县代码", "code"),
            ctx.t("县（市、区）", "county"),
            ctx.t("指标", "indicator"),
            ctx.t("活动", "activity"),
            ctx.t("满分", "max"),
            ctx.t("得分", "points"),
            ctx.t("说明", "trail"),
        ];
        write_top(ws, h.len() as u16)?;
        let widths = [13.0, 16.0, 24.0, 16.0, 7.0, 7.0, 90.0];
        for (i, name) in h.iter().enumerate() {
            ws.set_column_width(i as u16, widths[i])?;
            ws.write_string_with_format(top, i as u16, *name, &f.head)?;
        }
        let mut row = top + 1;
        for c in cards {
            let level = Some(c.measures.level);
            for r in &c.results {
                ws.write_string_with_format(row, 0, &c.code, &f.text)?;
                ws.write_string_with_format(row, 1, &c.name, &f.text)?;
                ws.write_string_with_format(row, 2, names.indicator(&r.id, lang), &f.wrap)?;
                ws.write_string_with_format(row, 3, names.activity(&r.id, lang), &f.wrap)?;
                ws.write_number_with_format(row, 4, r.max, &f.number)?;
                ws.write_number_with_format(row, 5, r.total(), &f.number)?;
                ws.write_string_with_format(row, 6, words::trail(&r.lines, &names, lang, level), &f.wrap)?;
                row += 1;
            }
        }
        ws.set_freeze_panes(top + 1, 3)?;
        xlsx::print_setup(ws, true, (top, top), lang)?;
    }
    wb.save_to_buffer()
}
