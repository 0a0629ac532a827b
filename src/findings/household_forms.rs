//! The household part of a team's form (SAMPLING.md §16): one sheet per
//! village in the team's workbook, and one CSV per team. Each prints the
//! village's published list in order — position, household number, 正选 or
//! 备用 — with a validated list of skip reasons, a cell for the register's
//! actual count, a cell for the reason when more than k households are
//! visited, the household fields, and an instruction line in Chinese on
//! taking the numbers in order. Like the village sheet it is blind: nothing
//! the county reported, and no cell for a name.

use rust_xlsxwriter::{DataValidation, DataValidationRule, ProtectionOptions, Workbook, XlsxError};

use super::forms::{self, Form};
use super::households::{
    CATEGORY, NUMBER, POSITION, REASON, Skip, categories, extra_label, household_fields, register_label,
};
use crate::rules::{HouseholdStage, Rules};

/// Household sheets are named `入户-<village code>`, or `入户-<n>` where the
/// code cannot be a sheet name.
pub const SHEET_PREFIX: &str = "入户-";

/// The label of the village's code in a household sheet's title rows.
pub const VILLAGE_LABEL: &str = "村代码";

/// The line below a household sheet's table, which import skips.
pub const SIGN_OFF: &str = "入户检查人（签字）";

/// The columns of the team's household CSV before the fields.
pub fn csv_fixed(stage: &HouseholdStage) -> Vec<String> {
    ["表单编号", "检查组", "村代码", "村名"]
        .into_iter()
        .map(String::from)
        .chain([register_label(stage), extra_label(stage)])
        .chain([POSITION, NUMBER, CATEGORY, REASON].map(String::from))
        .collect()
}

/// The instruction printed on every household sheet.
pub fn instruction(stage: &HouseholdStage) -> String {
    format!(
        "按“顺序”从第1行起逐行入户：先数清本村{reg}总户数填在下面；户号大于总户数的跳过不填；空户、两次未遇、拒绝入户的，在“未入户原因”中选择后取下一行；入户满{k}户即止。不得跳行，不得自选农户。户号指{reg}中的第几户，只记户号，不记姓名。",
        reg = stage.register,
        k = stage.k
    )
}

/// The sheet name of the `i`-th village (from 1).
pub fn sheet_name(i: usize, code: &str) -> String {
    let bad = |c: char| matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control();
    let plain =
        !code.is_empty() && code.chars().count() <= 28 && !code.chars().any(bad) && !code.starts_with('\'');
    if plain { format!("{SHEET_PREFIX}{code}") } else { format!("{SHEET_PREFIX}{i}") }
}

/// The team's household CSV: UTF-8 with BOM, one row per list position of
/// each village, in the village sheet's order.
pub fn csv(form: &Form, rules: &Rules, stage: &HouseholdStage) -> Vec<u8> {
    let fields = household_fields(rules);
    let mut head = csv_fixed(stage);
    head.extend(fields.iter().map(|f| forms::header(f)));
    let width = head.len();
    let mut rows = vec![head];
    for r in forms::ordered(form) {
        let Some(list) = form.lists.get(&r.code) else { continue };
        for (i, (n, cat)) in list.numbers.iter().zip(categories(list, stage.k)).enumerate() {
            let mut rec = vec![
                form.form_id.clone(),
                form.team.clone(),
                r.code.clone(),
                r.name.clone(),
                String::new(),
                String::new(),
                (i + 1).to_string(),
                n.to_string(),
                cat.to_string(),
            ];
            rec.resize(width, String::new());
            rows.push(rec);
        }
    }
    crate::cell::excel_csv(rows)
}

/// Adds one household sheet per village of the form to the team's
/// workbook, for A4 portrait, one page wide.
pub fn add_sheets(
    wb: &mut Workbook,
    form: &Form,
    rules: &Rules,
    stage: &HouseholdStage,
) -> Result<(), XlsxError> {
    use crate::xlsx::{self as x, Formats};
    let fields = household_fields(rules);
    let f = Formats::new();
    let head = f.head.clone().set_locked();
    let fixed = f.text.clone().set_locked().set_align(rust_xlsxwriter::FormatAlign::Center);
    let open = f.text.clone().set_unlocked().set_background_color("FFF9E5");
    // A heavy line where the 备用 numbers begin.
    let fixed_line = fixed.clone().set_border_top(rust_xlsxwriter::FormatBorder::Thick);
    let open_line = open.clone().set_border_top(rust_xlsxwriter::FormatBorder::Thick);
    let label = f.wrap.clone().set_locked().set_bold().set_align(rust_xlsxwriter::FormatAlign::Right);
    let line = f.subtitle.clone().set_locked();
    let note = f.subtitle.clone().set_locked().set_text_wrap().set_align(rust_xlsxwriter::FormatAlign::Top);
    let headers: Vec<String> = [POSITION, NUMBER, CATEGORY, REASON]
        .map(String::from)
        .into_iter()
        .chain(fields.iter().map(|f| forms::header(f)))
        .collect();
    let ncols = headers.len() as u16;
    let reasons: Vec<&str> = Skip::ALL.iter().map(|s| s.zh()).collect();
    for (i, r) in forms::ordered(form).into_iter().enumerate() {
        let Some(list) = form.lists.get(&r.code) else { continue };
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(i + 1, &r.code))?;
        let (title_row, line_row, village_row, note_row, count_row, head_row) = (0u32, 1, 2, 3, 4, 5);
        let first = head_row + 1;
        x::title(
            ws,
            title_row,
            ncols,
            &format!("{}　入户名单及核查记录", rules.campaign.name),
            &f.title.clone().set_font_size(14),
            24.0,
        )?;
        x::title(ws, line_row, ncols, &forms::title_line(form, rules), &line, 18.0)?;
        x::title(
            ws,
            village_row,
            ncols,
            &format!(
                "{VILLAGE_LABEL}：{}\u{3000}\u{3000}村名：{}\u{3000}\u{3000}县：{}\u{3000}\u{3000}乡镇：{}",
                r.code, r.name, r.county, r.township
            ),
            &line.clone().set_bold(),
            18.0,
        )?;
        x::title(ws, note_row, ncols, &instruction(stage), &note, 42.0)?;
        // The register's count and the reason for more than k households.
        let count_label = register_label(stage);
        // The label over the first three columns, the count under the
        // reason column; then the reason for more than k households.
        let (count_at, extra_at) = (3u16, 4u16);
        ws.merge_range(count_row, 0, count_row, count_at - 1, &count_label, &label)?;
        ws.write_blank(count_row, count_at, &open)?;
        let extra_end = (extra_at + 1).min(ncols.saturating_sub(2).max(extra_at));
        if extra_end > extra_at {
            ws.merge_range(count_row, extra_at, count_row, extra_end, &extra_label(stage), &label)?;
        } else {
            ws.write_string_with_format(count_row, extra_at, extra_label(stage), &label)?;
        }
        let input_at = extra_end + 1;
        if ncols > input_at + 1 {
            ws.merge_range(count_row, input_at, count_row, ncols - 1, "", &open)?;
        } else {
            ws.write_blank(count_row, input_at, &open)?;
        }
        ws.set_row_height(count_row, 30.0)?;
        let count_dv = DataValidation::new()
            .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0))
            .set_input_title(forms::truncate(&count_label, 32))?
            .set_input_message(format!(
                "数清本村{}的总户数（最后一户是第几户）后填写。户号大于此数的不入户",
                stage.register
            ))?
            .set_error_title("须为整数")?
            .set_error_message(format!("“{count_label}”须为不小于0的整数，请重新填写"))?;
        ws.add_data_validation(count_row, count_at, count_row, count_at, &count_dv)?;
        let extra_dv = DataValidation::new()
            .allow_any_value()
            .set_input_title(forms::truncate(&extra_label(stage), 32))?
            .set_input_message(format!("入户超过{}户时写明原因；否则不填", stage.k))?;
        ws.add_data_validation(count_row, input_at, count_row, input_at, &extra_dv)?;

        let mut head_lines = 1;
        for (c, h) in headers.iter().enumerate() {
            let (min, max) = match c {
                0 => (5.0, 6.0),
                1 => (7.0, 8.0),
                2 => (6.0, 6.0),
                3 => (10.0, 10.0),
                _ => (7.0, 11.0),
            };
            let w = x::column_width(h, &[], 3, min, max);
            head_lines = head_lines.max(x::lines_at(h, w));
            ws.set_column_width(c as u16, w)?;
            ws.write_string_with_format(head_row, c as u16, h, &head)?;
        }
        ws.set_row_height(head_row, 13.5 * head_lines as f64 + 4.0)?;
        let cats = categories(list, stage.k);
        for (p, (&number, cat)) in list.numbers.iter().zip(&cats).enumerate() {
            let row = first + p as u32;
            let (fixed, open) =
                if p > 0 && *cat != cats[p - 1] { (&fixed_line, &open_line) } else { (&fixed, &open) };
            ws.write_number_with_format(row, 0, (p + 1) as f64, fixed)?;
            ws.write_number_with_format(row, 1, number as f64, fixed)?;
            ws.write_string_with_format(row, 2, *cat, fixed)?;
            for c in 3..ncols {
                ws.write_blank(row, c, open)?;
            }
            ws.set_row_height(row, 16.0)?;
        }
        let n = list.numbers.len() as u32;
        if n > 0 {
            let last = first + n - 1;
            let reason = DataValidation::new()
                .allow_list_strings(&reasons)?
                .set_input_title(REASON)?
                .set_input_message(format!(
                    "未入户才选：{}（户号大于{}总户数）、{}、{}、{}。已入户的不填",
                    Skip::Beyond.zh(),
                    stage.register,
                    Skip::Vacant.zh(),
                    Skip::Absent.zh(),
                    Skip::Refused.zh()
                ))?
                .set_error_title("请从下拉列表选择")?
                .set_error_message(format!("未入户原因只能填{}，请从下拉列表选择", reasons.join("、")))?;
            ws.add_data_validation(first, 3, last, 3, &reason)?;
            for (k, fl) in fields.iter().enumerate() {
                let col = 4 + k as u16;
                if let Some(dv) = forms::validation(fl)? {
                    ws.add_data_validation(first, col, last, col, &dv)?;
                }
            }
        }
        x::title(
            ws,
            first + n + 1,
            ncols,
            &format!("{SIGN_OFF}：＿＿＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日"),
            &line,
            26.0,
        )?;
        ws.set_freeze_panes(first, 0)?;
        x::print_setup(ws, false, (title_row, head_row), crate::lang::Lang::Zh)?;
        ws.protect_with_options(&ProtectionOptions {
            format_columns: true,
            format_rows: true,
            format_cells: true,
            ..ProtectionOptions::default()
        });
    }
    Ok(())
}
