//! The sample list for people: `sample.xlsx`, the same rows as `sample.csv`
//! (which stays the verifiable record) under Chinese headings, in the look
//! of the findings forms: bold bordered headers, frozen, numbers as numbers.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// Chinese headings for the columns of `sample.csv`.
fn heading(h: &str) -> String {
    match h {
        "code" => "村代码".into(),
        "name" => "村名".into(),
        "county_code" => "县代码".into(),
        "county" => "县".into(),
        "township_code" => "乡镇代码".into(),
        "township" => "乡镇".into(),
        "stratum" => "抽样层".into(),
        "order" => "抽中顺序".into(),
        "pi" => "总入样概率".into(),
        "certainty" => "必选原因".into(),
        "reserve_rank" => "备选序号".into(),
        other => match other.strip_prefix("pi_") {
            Some("county") => "县入样概率".into(),
            Some("township") => "乡镇入样概率".into(),
            Some("village") => "村入样概率".into(),
            _ => other.to_string(),
        },
    }
}

/// Renders `sample.csv`'s header and rows as a workbook. `created` fixes the
/// document date so that the same draw always gives the same bytes.
pub fn sample_xlsx(
    header: &[String],
    rows: &[Vec<String>],
    created: (u16, u8, u8),
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title("抽样名单")
            .set_creation_datetime(&ExcelDateTime::from_ymd(created.0, created.1, created.2)?),
    );
    let ws = wb.add_worksheet();
    ws.set_name("抽样名单")?;
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_background_color("EEEEEE");
    let text = Format::new().set_border(FormatBorder::Thin);
    let prob = Format::new().set_border(FormatBorder::Thin).set_num_format("0.000000");
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, heading(h), &head)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (rr, cc) = (r as u32 + 1, c as u16);
            let h = header.get(c).map_or("", String::as_str);
            let is_prob = h == "pi" || h.starts_with("pi_");
            let is_count = h == "order" || h == "reserve_rank";
            match v.parse::<f64>() {
                Ok(x) if is_prob => ws.write_number_with_format(rr, cc, x, &prob)?,
                Ok(x) if is_count => ws.write_number_with_format(rr, cc, x, &text)?,
                _ => ws.write_string_with_format(rr, cc, v, &text)?,
            };
        }
    }
    ws.set_freeze_panes(1, 2)?;
    ws.set_column_width(0, 14)?;
    ws.set_column_width(6, 18)?;
    // Compressing takes most of the time a national list takes to save;
    // the fastest level makes the file about half again as large.
    wb.set_zip_compression_level(1);
    wb.save_to_buffer()
}
