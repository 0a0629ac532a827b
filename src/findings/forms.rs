//! Findings forms, one per team: the team's villages, the findings fields in
//! Chinese with units and hints, and nothing of what the county reported
//! (forms are blind). As `.xlsx` with data validation and locked headers,
//! and as CSV with the same columns.

use rust_xlsxwriter::{
    DataValidation, DataValidationRule, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};

use crate::rules::{Field, FieldLevel, Kind, Rules};

/// The fixed columns of a findings form, before the fields.
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
}

/// The fields a form asks for: every village-level field.
pub fn form_fields(rules: &Rules) -> Vec<&Field> {
    rules.inspection.fields.iter().filter(|f| f.level == FieldLevel::Village).collect()
}

fn header(f: &Field) -> String {
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

fn ymd(date: &str) -> Result<ExcelDateTime, XlsxError> {
    let p: Vec<u16> = date.split('-').filter_map(|x| x.parse().ok()).collect();
    let (y, m, d) =
        (p.first().copied().unwrap_or(2000), p.get(1).copied().unwrap_or(1), p.get(2).copied().unwrap_or(1));
    ExcelDateTime::from_ymd(y, m as u8, d as u8)
}

/// The `.xlsx` form: one sheet 检查表, headers locked, input cells open and
/// validated (whole numbers ≥ 0, amounts ≥ 0, 是/否 lists, dates inside the
/// county's check window).
pub fn xlsx(form: &Form, rules: &Rules) -> Result<Vec<u8>, XlsxError> {
    let fields = form_fields(rules);
    let window_start = &rules.campaign.check_window.0;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("检查表")?;
    let head =
        Format::new().set_bold().set_border(FormatBorder::Thin).set_align(FormatAlign::Center).set_locked();
    let fixed = Format::new().set_border(FormatBorder::Thin).set_locked();
    let open = Format::new().set_border(FormatBorder::Thin).set_unlocked().set_background_color("FFF9E5");
    let date_open = open.clone().set_num_format("yyyy-mm-dd");
    let n = form.rows.len() as u32;
    for (c, h) in FIXED.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &head)?;
    }
    for (k, f) in fields.iter().enumerate() {
        ws.write_string_with_format(0, (FIXED.len() + k) as u16, header(f), &head)?;
    }
    for (i, r) in form.rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, v) in [&form.form_id, &form.team, &r.code, &r.name, &r.county, &r.township].iter().enumerate()
        {
            ws.write_string_with_format(row, c as u16, v.as_str(), &fixed)?;
        }
        ws.write_blank(row, 6, &open)?;
        ws.write_blank(row, 7, &date_open)?;
        for (k, f) in fields.iter().enumerate() {
            let fmt = if f.kind == Kind::Date { &date_open } else { &open };
            ws.write_blank(row, (FIXED.len() + k) as u16, fmt)?;
        }
        // The visit date: inside this county's window.
        let dv = DataValidation::new()
            .allow_date(DataValidationRule::Between(ymd(window_start)?, ymd(&r.window_end)?))
            .set_input_title("检查日期")?
            .set_input_message(format!("{window_start} 至 {}", r.window_end))?
            .set_error_message(format!("检查日期须在 {window_start} 至 {} 之间", r.window_end))?;
        ws.add_data_validation(row, 7, row, 7, &dv)?;
    }
    if n > 0 {
        let inspector = DataValidation::new()
            .allow_text_length(DataValidationRule::GreaterThanOrEqualTo(1))
            .set_input_title("检查人")?
            .set_input_message("填写检查人姓名")?;
        ws.add_data_validation(1, 6, n, 6, &inspector)?;
        for (k, f) in fields.iter().enumerate() {
            let col = (FIXED.len() + k) as u16;
            let dv = match f.kind {
                Kind::Count => DataValidation::new()
                    .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0))
                    .set_error_message("请填写不小于 0 的整数")?,
                Kind::Amount => DataValidation::new()
                    .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
                    .set_error_message("请填写不小于 0 的金额（元）")?,
                Kind::YesNo => DataValidation::new().allow_list_strings(&["是", "否"])?,
                Kind::Date => DataValidation::new()
                    .allow_date(DataValidationRule::Between(ymd("2000-01-01")?, ymd("2099-12-31")?)),
                Kind::Text => continue,
            };
            let hint = if f.hint.is_empty() { f.unit.clone() } else { format!("{}（{}）", f.hint, f.unit) };
            let dv = dv.set_input_title(truncate(&f.name, 32))?.set_input_message(truncate(&hint, 255))?;
            ws.add_data_validation(1, col, n, col, &dv)?;
        }
    }
    ws.set_column_width(0, 18)?;
    ws.set_column_width(2, 14)?;
    ws.set_column_width(3, 10)?;
    for k in 0..fields.len() {
        ws.set_column_width((FIXED.len() + k) as u16, 14)?;
    }
    ws.set_freeze_panes(1, 4)?;
    ws.protect();
    wb.save_to_buffer()
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}
