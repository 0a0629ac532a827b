//! The sample list for people: `sample.xlsx`, the same rows as `sample.csv`
//! (which stays the verifiable record) under Chinese headings (English
//! with `--lang en`), made to print: a title with the campaign, seed and
//! commitment, widths that show every code and name, codes kept as text,
//! probabilities as numbers, frozen and repeated headers, A4 landscape one
//! page wide.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use crate::lang::Lang;
use crate::xlsx::{self, Formats};

/// Headings for the columns of `sample.csv`.
fn heading(h: &str, lang: Lang) -> String {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    match h {
        "code" => t("村代码", "village code"),
        "name" => t("村名", "village"),
        "county_code" => t("县代码", "county code"),
        "county" => t("县（市、区）", "county"),
        "township_code" => t("乡镇代码", "township code"),
        "township" => t("乡镇", "township"),
        "stratum" => t("抽样层", "stratum"),
        "order" => t("抽中顺序", "order drawn"),
        "pi" => t("总入样概率", "inclusion probability"),
        "certainty" => t("必选原因", "taken with certainty because"),
        "reserve_rank" => t("备选序号", "reserve rank"),
        "round" => t("抽查轮次", "round"),
        other => match other.strip_prefix("pi_") {
            Some("county") => t("县入样概率", "county probability"),
            Some("township") => t("乡镇入样概率", "township probability"),
            Some("village") => t("村入样概率", "village probability"),
            _ => other.to_string(),
        },
    }
}

/// Why a village was taken with certainty, in words: `sample.csv` keeps the
/// ids (`size`, `all`, `forced`) that `verify` re-derives; people read these.
fn certainty(flag: &str, lang: Lang) -> &str {
    match flag {
        "size" => lang.t("规模达到抽样间隔", "size reaches the sampling interval"),
        "all" => lang.t("全部入样", "taken whole"),
        "forced" => lang.t("指定入样", "forced"),
        other => other,
    }
}

/// How a column of `sample.csv` is shown.
enum Kind {
    Text,
    Probability,
    Count,
    Certainty,
}

impl Kind {
    fn of(h: &str) -> Kind {
        match h {
            "pi" => Kind::Probability,
            "order" | "reserve_rank" | "round" => Kind::Count,
            "certainty" => Kind::Certainty,
            _ if h.starts_with("pi_") => Kind::Probability,
            _ => Kind::Text,
        }
    }
}

/// What the title rows say about the draw.
pub struct Heading {
    pub campaign: String,
    pub seed: String,
    pub commitment: String,
    pub document: String,
}

/// Renders `sample.csv`'s header and rows as a workbook. `created` fixes the
/// document date so that the same draw always gives the same bytes.
pub fn sample_xlsx(
    header: &[String],
    rows: &[Vec<impl AsRef<str>>],
    created: (u16, u8, u8),
    top: &Heading,
    lang: Lang,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let title = format!("{}　{}", top.campaign, lang.t("抽样名单", "sample list"));
    wb.set_properties(
        &DocProperties::new()
            .set_title(&title)
            .set_creation_datetime(&ExcelDateTime::from_ymd(created.0, created.1, created.2)?),
    );
    // Rows go straight to a temporary file as they are written (strings
    // inline, no shared-string table), so a national list costs neither
    // the time of hashing every string nor the memory of holding them.
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name(lang.t("抽样名单", "sample"))?;
    let f = Formats::new();
    let main = rows
        .iter()
        .filter(|r| {
            header
                .iter()
                .position(|h| h == "reserve_rank")
                .is_none_or(|i| r.get(i).is_none_or(|v| v.as_ref().is_empty()))
        })
        .count();
    let sub = match lang {
        Lang::Zh => format!(
            "{}　随机种子：{}　承诺值：{}　样本村{}个，备选村{}个",
            top.document,
            top.seed,
            top.commitment,
            main,
            rows.len() - main
        ),
        Lang::En => format!(
            "{}  seed: {}  commitment: {}  {} sampled villages, {} reserves",
            top.document,
            top.seed,
            top.commitment,
            main,
            rows.len() - main
        ),
    };
    let cols = header.len().max(1) as u16;
    xlsx::title(ws, 0, cols, &title, &f.title, 26.0)?;
    xlsx::title(ws, 1, cols, sub.trim(), &f.subtitle, 18.0)?;
    let head_row = 2u32;
    let mut lines = 1;
    for (c, h) in header.iter().enumerate() {
        let name = heading(h, lang);
        let cells: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.get(c))
            .map(|v| if h == "certainty" { certainty(v.as_ref(), lang) } else { v.as_ref() })
            .collect();
        let w = xlsx::column_width(&name, &cells, 2, 6.0, 30.0);
        lines = lines.max(xlsx::lines_at(&name, w));
        ws.set_column_width(c as u16, w)?;
        ws.write_string_with_format(head_row, c as u16, &name, &f.head)?;
    }
    ws.set_row_height(head_row, 13.5 * lines as f64 + 4.0)?;
    // The body's look lives in column formats, not in a format per cell:
    // rust_xlsxwriter hashes a cell's format each time one is given, which
    // took most of the time a national list (400,000 cells) took to build.
    // A column format with borders would rule every empty row below the
    // table too, so the body has none on screen and prints its gridlines.
    let body = Format::new().set_font_name(xlsx::FONT).set_font_size(xlsx::SIZE);
    let kinds: Vec<Kind> = header.iter().map(|h| Kind::of(h)).collect();
    for (c, kind) in kinds.iter().enumerate() {
        let fmt = match kind {
            Kind::Probability => body.clone().set_num_format("0.000000"),
            Kind::Count => body.clone().set_num_format("0"),
            Kind::Text | Kind::Certainty => body.clone().set_num_format("@"),
        };
        ws.set_column_format(c as u16, &fmt)?;
    }
    ws.set_print_gridlines(true);
    for (r, row) in rows.iter().enumerate() {
        let rr = head_row + 1 + r as u32;
        for (c, v) in row.iter().enumerate() {
            let (cc, v) = (c as u16, v.as_ref());
            match kinds.get(c).unwrap_or(&Kind::Text) {
                Kind::Probability | Kind::Count => match v.parse::<f64>() {
                    Ok(x) => ws.write_number(rr, cc, x)?,
                    Err(_) => ws.write_string(rr, cc, v)?,
                },
                // Codes and names stay text: a 12-digit code as a number
                // would show as 1.30902E+11.
                Kind::Text => ws.write_string(rr, cc, v)?,
                Kind::Certainty => ws.write_string(rr, cc, certainty(v, lang))?,
            };
        }
    }
    ws.set_freeze_panes(head_row + 1, 2)?;
    xlsx::print_setup(ws, true, (0, head_row), lang)?;
    // Compressing takes most of the time a national list takes to save;
    // the fastest level makes the file about half again as large.
    wb.set_zip_compression_level(1);
    wb.save_to_buffer()
}
