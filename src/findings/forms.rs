//! Findings forms, one per team: the team's villages, the findings fields in
//! Chinese with units and hints, and nothing of what the county reported
//! (forms are blind). As `.xlsx` with data validation and locked headers,
//! and as CSV with the same columns.

use rust_xlsxwriter::{
    DataValidation, DataValidationRule, ExcelDateTime, ProtectionOptions, Workbook, XlsxError,
};

use crate::rules::{Field, FieldLevel, Kind, Rules};

/// The fixed columns of a findings form's CSV, before the fields.
pub const FIXED: [&str; 8] = ["表单编号", "检查组", "村代码", "村名", "县", "乡镇", "检查人", "检查日期"];

/// One village on a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRow {
    pub code: String,
    pub name: String,
    pub county: String,
    pub township: String,
    /// The last day findings may be dated for this village's county.
    pub window_end: String,
}

/// A team's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub team: String,
    pub form_id: String,
    pub rows: Vec<FormRow>,
    /// The villages' household lists, by code, when the rules have a
    /// household stage (SAMPLING.md §16); empty otherwise.
    pub lists: std::collections::HashMap<String, crate::sample::households::List>,
}

/// The villages in form order: grouped by county (in the assignment's
/// order, which is the county codes'), then by township, then by code.
pub fn ordered(form: &Form) -> Vec<&FormRow> {
    let mut counties: Vec<&str> = Vec::new();
    for r in &form.rows {
        if !counties.contains(&r.county.as_str()) {
            counties.push(&r.county);
        }
    }
    let mut rows: Vec<&FormRow> = form.rows.iter().collect();
    rows.sort_by_key(|r| (counties.iter().position(|c| *c == r.county), &r.township, &r.code));
    rows
}

/// The fields a form asks for: every village-level field.
pub fn form_fields(rules: &Rules) -> Vec<&Field> {
    rules.inspection.fields.iter().filter(|f| f.level == FieldLevel::Village).collect()
}

pub fn header(f: &Field) -> String {
    if f.unit.is_empty() { f.name.clone() } else { format!("{}（{}）", f.name, f.unit) }
}

/// The CSV form: UTF-8 with BOM, the same columns as the workbook, names
/// defused for spreadsheets.
pub fn csv(form: &Form, rules: &Rules) -> Vec<u8> {
    let fields = form_fields(rules);
    let mut head: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
    head.extend(fields.iter().map(|f| header(f)));
    let width = head.len();
    let rows = form.rows.iter().map(|r| {
        let mut rec = vec![
            form.form_id.clone(),
            form.team.clone(),
            r.code.clone(),
            r.name.clone(),
            r.county.clone(),
            r.township.clone(),
        ];
        rec.resize(width, String::new());
        rec
    });
    crate::cell::excel_csv(std::iter::once(head.clone()).chain(rows))
}

pub fn ymd(date: &str) -> Result<ExcelDateTime, XlsxError> {
    let d = crate::time::parse_day(date).unwrap_or(jiff::civil::Date::constant(2000, 1, 1));
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// The columns of the `.xlsx` form before the fields; the team and form id
/// are in its title rows, once.
pub const XLSX_FIXED: [&str; 6] = ["村代码", "村名", "县", "乡镇", "检查人", "检查日期"];
/// The last column: the village head signs the row of his village.
pub const VILLAGE_SIGNATURE: &str = "被检查村负责人签字";
/// The label of the form id in the title rows, which import reads.
pub const FORM_ID_LABEL: &str = "表单编号";
/// The sign-off line below the table, which import skips.
pub const SIGN_OFF: &str = "检查人（签字）";

/// The title rows' second line: document, team, form id and check window,
/// items apart by two ideographic spaces.
pub fn title_line(form: &Form, rules: &Rules) -> String {
    let c = &rules.campaign;
    let end = form.rows.iter().map(|r| r.window_end.as_str()).max().unwrap_or(&c.check_window.1);
    let mut items = Vec::new();
    if !c.document.is_empty() {
        items.push(format!("文号：{}", c.document));
    }
    items.push(format!("检查组：{}", form.team));
    items.push(format!("{FORM_ID_LABEL}：{}", form.form_id));
    items.push(format!("检查时间：{} 至 {end}", c.check_window.0));
    items.join("\u{3000}\u{3000}")
}

/// Reads the form id from title rows written by [`title_line`].
pub fn form_id_in(text: &str) -> Option<String> {
    let rest = text.split_once(&format!("{FORM_ID_LABEL}："))?.1;
    let id = rest.split('\u{3000}').next()?.trim();
    (!id.is_empty()).then(|| id.to_string())
}

/// An input prompt: the hint and the unit, without empty brackets.
pub fn prompt(f: &Field) -> String {
    let choices;
    let what = match f.kind {
        Kind::Count => "填写整数",
        Kind::Amount => "填写金额，最多两位小数",
        Kind::YesNo => "从下拉列表选择“是”或“否”",
        Kind::Date => "填写日期，如2009-02-15",
        Kind::Text => "填写文字",
        Kind::Choice => {
            let names: Vec<String> = f.options.iter().map(|o| format!("“{}”", o.name)).collect();
            choices = format!("从下拉列表选择{}", names.join("、"));
            &choices
        }
    };
    let unit = if f.unit.is_empty() { String::new() } else { format!("（单位：{}）", f.unit) };
    if f.hint.is_empty() { format!("{what}{unit}") } else { format!("{}。{what}{unit}", f.hint) }
}

/// A field's input validation on a form, with its Chinese prompt and error
/// message: whole numbers ≥ 0, amounts ≥ 0, 是/否 or the answers of a
/// choice from a list, dates; `None` for free text.
pub fn validation(fl: &Field) -> Result<Option<DataValidation>, XlsxError> {
    let dv = match fl.kind {
        Kind::Count => DataValidation::new()
            .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0))
            .set_error_title("须为整数")?
            .set_error_message(format!("“{}”须为不小于0的整数，请重新填写", truncate(&fl.name, 60)))?,
        Kind::Amount => DataValidation::new()
            .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
            .set_error_title("须为金额")?
            .set_error_message(format!(
                "“{}”须为不小于0的金额（{}），请重新填写",
                truncate(&fl.name, 60),
                if fl.unit.is_empty() { "元" } else { &fl.unit }
            ))?,
        Kind::YesNo => DataValidation::new()
            .allow_list_strings(&["是", "否"])?
            .set_error_title("只能填“是”或“否”")?
            .set_error_message(format!("“{}”只能填“是”或“否”，请从下拉列表选择", truncate(&fl.name, 60)))?,
        Kind::Choice => {
            let names: Vec<&str> = fl.options.iter().map(|o| o.name.as_str()).collect();
            DataValidation::new()
                .allow_list_strings(&names)?
                .set_error_title("请从下拉列表选择")?
                .set_error_message(format!(
                    "“{}”只能填{}，请从下拉列表选择",
                    truncate(&fl.name, 60),
                    names.iter().map(|n| format!("“{n}”")).collect::<Vec<_>>().join("、")
                ))?
        }
        Kind::Date => DataValidation::new()
            .allow_date(DataValidationRule::Between(ymd("2000-01-01")?, ymd("2099-12-31")?))
            .set_error_title("须为日期")?
            .set_error_message(format!("“{}”须为日期，如2009-02-15", truncate(&fl.name, 60)))?,
        Kind::Text => return Ok(None),
    };
    Ok(Some(dv.set_input_title(truncate(&fl.name, 32))?.set_input_message(truncate(&prompt(fl), 255))?))
}

/// The `.xlsx` form: one sheet 检查表 for A4 landscape, one page wide; a
/// title with the campaign, document number, team, form id and check
/// window; headers that show every field name and unit, repeated on each
/// page; the villages grouped by county and township; input cells open and
/// validated with Chinese prompts and error messages (whole numbers ≥ 0,
/// amounts ≥ 0, 是/否 lists, dates inside the county's check window);
/// headers locked, columns and rows still resizable; a signature column for
/// each village's head and a sign-off line for the inspector. With a
/// household stage, one household sheet per village follows.
pub fn xlsx(form: &Form, rules: &Rules) -> Result<Vec<u8>, XlsxError> {
    use crate::xlsx::{self as x, Formats};
    let fields = form_fields(rules);
    let window_start = &rules.campaign.check_window.0;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("检查表")?;
    let f = Formats::new();
    let head = f.head.clone().set_locked();
    let fixed = f.wrap.clone().set_locked();
    let open = f.text.clone().set_unlocked().set_background_color("FFF9E5");
    let date_open = open.clone().set_num_format("yyyy-mm-dd");
    let headers: Vec<String> = XLSX_FIXED
        .iter()
        .map(|s| s.to_string())
        .chain(fields.iter().map(|f| header(f)))
        .chain([VILLAGE_SIGNATURE.to_string()])
        .collect();
    let ncols = headers.len() as u16;
    let sign_col = ncols - 1;
    let (title_row, line_row, head_row) = (0u32, 1u32, 2u32);
    let first = head_row + 1;
    let rows = ordered(form);
    let n = rows.len() as u32;

    x::title(
        ws,
        title_row,
        ncols,
        &format!("{}　入户核查表", rules.campaign.name),
        &f.title.clone().set_font_size(14),
        24.0,
    )?;
    x::title(ws, line_row, ncols, &title_line(form, rules), &f.subtitle.clone().set_locked(), 18.0)?;

    // Widths: every header on at most three lines, every name in full.
    let col_cells = |c: usize| -> Vec<&str> {
        rows.iter()
            .map(|r| match c {
                0 => r.code.as_str(),
                1 => r.name.as_str(),
                2 => r.county.as_str(),
                3 => r.township.as_str(),
                _ => "",
            })
            .collect()
    };
    let mut head_lines = 1;
    for (c, h) in headers.iter().enumerate() {
        let cells = col_cells(c);
        let (min, max) = match c {
            0 => (13.5, 16.0),
            1..=3 => (7.0, 24.0),
            4 => (9.0, 12.0),
            5 => (11.0, 12.0),
            _ if c as u16 == sign_col => (13.0, 16.0),
            _ => (7.0, 14.0),
        };
        let w = x::column_width(h, &cells, 3, min, max);
        head_lines = head_lines.max(x::lines_at(h, w));
        ws.set_column_width(c as u16, w)?;
        ws.write_string_with_format(head_row, c as u16, h, &head)?;
    }
    ws.set_row_height(head_row, 13.5 * head_lines as f64 + 4.0)?;

    // Rows: a heavy line where a county begins, a medium one where a
    // township does; county and township written on every row, so that
    // each printed page says where its villages are.
    for (m, r) in rows.iter().enumerate() {
        let row = first + m as u32;
        let prev = m.checked_sub(1).map(|p| rows[p]);
        let line = match prev {
            Some(p) if p.county == r.county && p.township == r.township => None,
            Some(p) if p.county == r.county => Some(rust_xlsxwriter::FormatBorder::Medium),
            _ => Some(rust_xlsxwriter::FormatBorder::Thick),
        };
        let pick = |fmt: &rust_xlsxwriter::Format| match line {
            Some(b) if m > 0 => fmt.clone().set_border_top(b),
            _ => fmt.clone(),
        };
        ws.write_string_with_format(row, 0, &r.code, &pick(&fixed))?;
        ws.write_string_with_format(row, 1, &r.name, &pick(&fixed))?;
        ws.write_string_with_format(row, 2, &r.county, &pick(&fixed))?;
        ws.write_string_with_format(row, 3, &r.township, &pick(&fixed))?;
        ws.write_blank(row, 4, &pick(&open))?;
        ws.write_blank(row, 5, &pick(&date_open))?;
        for (q, fl) in fields.iter().enumerate() {
            let fmt = if fl.kind == Kind::Date { &date_open } else { &open };
            ws.write_blank(row, (XLSX_FIXED.len() + q) as u16, &pick(fmt))?;
        }
        ws.write_blank(row, sign_col, &pick(&open))?;
        ws.set_row_height(row, 24.0)?;
        // The visit date: inside this county's window.
        let dv = DataValidation::new()
            .allow_date(DataValidationRule::Between(ymd(window_start)?, ymd(&r.window_end)?))
            .set_input_title("检查日期")?
            .set_input_message(format!("填写入户检查的日期，须在 {window_start} 至 {} 之间", r.window_end))?
            .set_error_title("检查日期不在检查时间内")?
            .set_error_message(format!("检查日期须在 {window_start} 至 {} 之间，请重新填写", r.window_end))?;
        ws.add_data_validation(row, 5, row, 5, &dv)?;
    }
    if n > 0 {
        let last = first + n - 1;
        let inspector = DataValidation::new()
            .allow_text_length(DataValidationRule::GreaterThanOrEqualTo(1))
            .set_input_title("检查人")?
            .set_input_message("填写入户检查人的姓名")?
            .set_error_title("缺少检查人")?
            .set_error_message("请填写检查人姓名")?;
        ws.add_data_validation(first, 4, last, 4, &inspector)?;
        for (k, fl) in fields.iter().enumerate() {
            let col = (XLSX_FIXED.len() + k) as u16;
            if let Some(dv) = validation(fl)? {
                ws.add_data_validation(first, col, last, col, &dv)?;
            }
        }
        let sign = DataValidation::new()
            .allow_any_value()
            .set_input_title("被检查村负责人签字")?
            .set_input_message("打印后由被检查村负责人在本村一行签字")?;
        ws.add_data_validation(first, sign_col, last, sign_col, &sign)?;
    }
    // The inspector's sign-off below the table.
    let sign_row = first + n + 1;
    let line = f.subtitle.clone().set_locked();
    x::title(
        ws,
        sign_row,
        ncols,
        &format!(
            "{SIGN_OFF}：＿＿＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日　　被检查村负责人在本村一行签字"
        ),
        &line,
        26.0,
    )?;
    ws.set_freeze_panes(first, 2)?;
    x::print_setup(ws, true, (title_row, head_row), crate::lang::Lang::Zh)?;
    ws.protect_with_options(&ProtectionOptions {
        format_columns: true,
        format_rows: true,
        format_cells: true,
        ..ProtectionOptions::default()
    });
    if let Some(stage) = &rules.households {
        super::household_forms::add_sheets(&mut wb, form, rules, stage)?;
    }
    wb.save_to_buffer()
}

pub fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}
