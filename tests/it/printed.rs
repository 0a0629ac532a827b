//! What people hold in their hands: the annual report printed on A4, the
//! inspectors' form, `sample.xlsx` and `annual.xlsx` read back for their
//! print set-up, widths and messages; terminal tables measured by display
//! width with Chinese names; one language at a time; times on the
//! campaign's clock.

use std::io::Read;
use std::path::{Path, PathBuf};

use unicode_width::UnicodeWidthStr;

use super::annual::{annual, annual_rules, example};
use super::support::{example_frame, example_rules, root, run, run_in};

/// A copy of the example campaign (run once by `annual::example`), so that
/// commands which write into it leave the shared one alone.
fn campaign_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("camp");
    let status = std::process::Command::new("cp").arg("-r").arg(example()).arg(&dst).status().unwrap();
    assert!(status.success());
    (tmp, dst)
}

/// The display columns at which each of the first `cols` cells of each
/// line starts and ends (cells apart by two or more spaces).
fn spans(line: &str, cols: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut col = 0;
    let mut rest = line;
    while out.len() < cols && !rest.is_empty() {
        let lead = rest.len() - rest.trim_start().len();
        col += lead;
        rest = &rest[lead..];
        let end = rest.find("  ").unwrap_or(rest.len());
        let cell = &rest[..end];
        let w = UnicodeWidthStr::width(cell);
        out.push((col, col + w));
        col += w;
        rest = &rest[end..];
    }
    out
}

/// Asserts that the first `cols` columns of a terminal table line up: each
/// column starts at the same display column on every line (left-aligned)
/// or ends at the same one (right-aligned).
fn assert_aligned(table: &str, cols: usize) {
    let lines: Vec<&str> = table.lines().take_while(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() > 2, "a table: {table}");
    let all: Vec<Vec<(usize, usize)>> = lines.iter().map(|l| spans(l, cols)).collect();
    for (i, s) in all.iter().enumerate() {
        assert_eq!(s.len(), cols, "line {i} has {cols} cells: {:?}\n{table}", lines[i]);
    }
    for c in 0..cols {
        let starts = all.iter().all(|s| s[c].0 == all[0][c].0);
        let ends = all.iter().all(|s| s[c].1 == all[0][c].1);
        assert!(starts || ends, "column {c} is not aligned by display width:\n{table}");
    }
}

#[test]
fn terminal_tables_align_chinese_names_by_display_width() {
    let (_tmp, camp) = campaign_copy();
    for lang in ["zh", "en"] {
        let (c, out, e) = run_in(&camp, &["--lang", lang, "status"]);
        assert_eq!(c, 0, "{e}");
        assert!(out.contains("孟村回族自治县"), "{out}");
        assert_aligned(&out, 7);
        let (c, out, e) = run_in(&camp, &["--lang", lang, "score"]);
        assert_eq!(c, 0, "{e}");
        assert_aligned(&out, 4);
        let (c, out, e) =
            run_in(&camp, &["--lang", lang, "plan", "simulate", "--rate", "10%", "--replicates", "20"]);
        assert_eq!(c, 0, "{e}");
        // Regression: the city's line read `all 全市`; it names the city
        // once, in the language, with no code.
        let city = if lang == "zh" { "全市" } else { "all" };
        let (lines, total): (Vec<&str>, Vec<&str>) =
            out.lines().take_while(|l| !l.trim().is_empty()).partition(|l| !l.trim_start().starts_with(city));
        assert_eq!(total.len(), 1, "{out}");
        assert!(!total[0].contains("all 全市") && !total[0].contains("all  all"), "{out}");
        assert!(total[0].starts_with(' '), "no code on the city's line: {out}");
        assert_aligned(&lines.join("\n"), 7);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (c, out, e) = annual(&[], &annual_rules(), tmp.path());
    assert_eq!(c, 0, "{e}");
    assert_aligned(&out, 6);
    // The annual table names the group and sorts by group, then rank.
    let rows: Vec<(String, usize)> = out
        .lines()
        .skip(1)
        .map(|l| {
            let mut f = l.split_whitespace();
            (f.next().unwrap().to_string(), f.next().unwrap().parse().unwrap())
        })
        .collect();
    assert_eq!(rows.first().map(|r| r.0.as_str()), Some("县（市）"), "{out}");
    assert_eq!(rows.last().map(|r| r.0.as_str()), Some("区及开发区"), "{out}");
    let mut sorted = rows.clone();
    sorted.sort_by_key(|r| (r.0 != "县（市）", r.1));
    assert_eq!(rows, sorted, "{out}");
}

#[test]
fn teams_are_listed_in_their_natural_order_everywhere() {
    let (_tmp, camp) = campaign_copy();
    let (c, out, _) = run_in(&camp, &["status"]);
    assert_eq!(c, 0);
    let teams: Vec<&str> =
        out.lines().filter_map(|l| l.split_whitespace().next()).filter(|t| t.starts_with('第')).collect();
    assert_eq!(
        teams,
        ["第一组", "第二组", "第三组", "第四组", "第五组", "第六组", "第七组", "第八组"],
        "{out}"
    );
    // assignment.csv follows the same order.
    let assignment = std::fs::read_to_string(camp.join("assignment.csv")).unwrap();
    let mut seen: Vec<String> = Vec::new();
    for l in assignment.lines().skip(1) {
        let t = l.split(',').next().unwrap().to_string();
        if seen.last() != Some(&t) {
            seen.push(t);
        }
    }
    assert_eq!(seen, ["第一组", "第二组", "第三组", "第四组", "第五组", "第六组", "第七组", "第八组"]);
}

/// The text of an HTML page a reader sees: no style, no tags, entities
/// decoded.
fn visible_text(html: &str) -> String {
    let body = html.split("</style>").nth(1).unwrap_or(html);
    let mut out = String::new();
    let mut in_tag = false;
    for ch in body.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// Runs of two or more Latin letters in `text`.
fn latin_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    for c in text.chars().chain([' ']) {
        if c.is_ascii_alphabetic() {
            cur.push(c);
        } else {
            if cur.len() >= 2 {
                words.push(std::mem::take(&mut cur));
            }
            cur.clear();
        }
    }
    words
}

#[test]
fn the_chinese_report_has_no_english_words_and_the_english_one_no_chinese_wording() {
    let html = std::fs::read_to_string(example().join("annual/annual.html")).unwrap();
    // Allowed: the clock's offset (UTC) and names of statistical methods.
    let allowed = ["UTC", "HT", "clopper", "pearson", "wilson", "logit"];
    let english: Vec<String> =
        latin_words(&visible_text(&html)).into_iter().filter(|w| !allowed.contains(&w.as_str())).collect();
    assert!(english.is_empty(), "English words in the Chinese report: {english:?}");
    for must in [
        "一票否决说明",
        "证据标准：置信限",
        "单侧置信下限",
        "误判风险",
        "第 \" counter(page) \" 页 共 \" counter(pages) \" 页",
        "合格线 80分",
        "置信区间：如用同样方法重新抽查",
    ] {
        assert!(html.contains(must), "the report says {must}");
    }
    // No raw ids, measure names or formulas.
    for raw in ["births_error_rate", "birth_accuracy", "face-to-face", "MAX(", "-0.00", "(+"] {
        assert!(!visible_text(&html).contains(raw), "{raw} appears in the report");
    }

    let tmp = tempfile::tempdir().unwrap();
    let (c, _, e) = annual(&["--lang", "en"], &annual_rules(), tmp.path());
    assert_eq!(c, 0, "{e}");
    let en = visible_text(&std::fs::read_to_string(tmp.path().join("annual.html")).unwrap());
    for must in [
        "1. Summary",
        "One-vote vetoes",
        "one-sided lower bound",
        "risk of a wrong verdict",
        "Page \" counter(page)",
    ] {
        assert!(
            en.contains(must)
                || std::fs::read_to_string(tmp.path().join("annual.html")).unwrap().contains(must),
            "{must}"
        );
    }
    for zh in ["汇总", "扣分说明", "证据标准", "一票否决", "满分指标", "出生统计误差率", "核实估计"]
    {
        assert!(!en.contains(zh), "the English report says {zh}");
    }
}

#[test]
fn the_annual_report_prints_on_at_most_8_a4_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let pdf = tmp.path().join("annual.pdf");
    let out = std::process::Command::new("bash")
        .arg(root("tools/print_report.sh"))
        .arg(example().join("annual/annual.html"))
        .arg(&pdf)
        .arg("8")
        .env("PRINT_REPORT_NO_INSTALL", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(77) {
        // CI installs the printing tools and sets this, so that the page
        // count cannot be skipped there.
        assert!(
            std::env::var_os("SPOTCHECK_REQUIRE_PRINT").is_none(),
            "SPOTCHECK_REQUIRE_PRINT is set, but printing was skipped: {}",
            err.trim()
        );
        eprintln!("skipped: the A4 page count needs Chromium and pdfinfo ({})", err.trim());
        return;
    }
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{err}");
    assert!(said.contains("(A4)"), "{said}");
    // The summary table is whole on page 1.
    if let Ok(text) = std::process::Command::new("pdftotext")
        .args(["-f", "1", "-l", "1", "-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
    {
        let page1: String =
            String::from_utf8_lossy(&text.stdout).chars().filter(|c| !c.is_whitespace()).collect();
        for must in ["考核结果汇总", "吴桥县", "沧州渤海新区", "第1页共"] {
            assert!(page1.contains(must), "page 1 shows {must}:\n{page1}");
        }
    }
}

/// A part of an `.xlsx` as text.
fn part(xlsx: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(std::fs::read(xlsx).unwrap())).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// The value of `attr` in an XML element's text.
fn attr<'a>(elem: &'a str, attr: &str) -> Option<&'a str> {
    let key = format!(" {attr}=\"");
    let i = elem.find(&key)? + key.len();
    Some(&elem[i..i + elem[i..].find('"')?])
}

/// Every element `<name …>` of a part.
fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name} ");
    xml.match_indices(&open).map(|(i, _)| &xml[i..i + xml[i..].find('>').unwrap()]).collect()
}

/// A4, landscape or portrait, one page wide, with repeated print titles.
fn assert_prints_one_page_wide(xlsx: &Path, sheet: usize, landscape: bool) {
    let xml = part(xlsx, &format!("xl/worksheets/sheet{sheet}.xml"));
    let setup = elements(&xml, "pageSetup");
    assert_eq!(setup.len(), 1, "{}", xlsx.display());
    let s = setup[0];
    assert_eq!(attr(s, "paperSize"), Some("9"), "A4: {s}");
    assert_eq!(attr(s, "orientation"), Some(if landscape { "landscape" } else { "portrait" }), "{s}");
    assert_eq!(attr(s, "fitToWidth"), None, "one page wide (the default of fitToWidth is 1): {s}");
    assert_eq!(attr(s, "fitToHeight"), Some("0"), "as many pages tall as it takes: {s}");
    assert!(xml.contains("<pageSetUpPr fitToPage=\"1\"/>"), "fit to page");
    assert!(xml.contains("state=\"frozen\""), "frozen headers");
    assert!(xml.contains("&amp;P") && xml.contains("&amp;N"), "page numbers in the footer");
    let book = part(xlsx, "xl/workbook.xml");
    assert!(book.contains("_xlnm.Print_Titles"), "header rows repeat on every page");
}

#[test]
fn the_inspectors_form_prints_one_page_wide_with_every_header_readable() {
    let form = example().join("forms/检查表-第一组.xlsx");
    assert_prints_one_page_wide(&form, 1, true);
    let xml = part(&form, "xl/worksheets/sheet1.xml");
    // Protected, yet columns and rows may be resized and formatted.
    let prot = elements(&xml, "sheetProtection");
    assert_eq!(prot.len(), 1);
    for a in ["formatColumns", "formatRows", "formatCells"] {
        assert_eq!(attr(prot[0], a), Some("0"), "{a} is allowed: {}", prot[0]);
    }
    // The title rows and the table as spotcheck reads them.
    let mut sheet = spotcheck::findings::table::read(
        "f.xlsx",
        &std::fs::read(&form).unwrap(),
        spotcheck::text::Encoding::Auto,
        Some("检查表"),
    )
    .unwrap();
    let above = sheet.header_at(|c| c.iter().any(|x| x == "村代码"));
    let title: String = above.iter().map(|r| r.cells.join(" ")).collect::<Vec<_>>().join("\n");
    for must in [
        "沧州市人口和计划生育“面对面”活动验收抽查",
        "沧政办字[2008]135号",
        "检查组：第一组",
        "表单编号：第一组-",
        "检查时间：2009-02-09 至",
    ] {
        assert!(title.contains(must), "the title says {must}: {title}");
    }
    assert!(
        sheet.rows.iter().any(|r| r.cells[0].starts_with("检查人（签字）")),
        "the inspector's sign-off line"
    );
    assert_eq!(sheet.header.last().map(String::as_str), Some("被检查村负责人签字"));
    // Villages grouped by county, then township.
    let data: Vec<&Vec<String>> =
        sheet.rows.iter().map(|r| &r.cells).filter(|c| c[0].starts_with("13")).collect();
    let mut runs: Vec<(String, String)> = Vec::new();
    for c in &data {
        let key = (c[2].clone(), c[3].clone());
        if runs.last() != Some(&key) {
            assert!(!runs.contains(&key), "rows grouped by county and township: {key:?} comes back");
            assert!(
                runs.last().is_none_or(|l| l.0 == key.0 || !runs.iter().any(|r| r.0 == key.0)),
                "county {} comes back",
                key.0
            );
            runs.push(key);
        }
    }
    // Every header fits its column on at most three lines, the header row
    // is tall enough for them, and every code and name fits on one line.
    let widths: Vec<(usize, usize, f64)> = elements(&xml, "col")
        .iter()
        .map(|c| {
            (
                attr(c, "min").unwrap().parse().unwrap(),
                attr(c, "max").unwrap().parse().unwrap(),
                attr(c, "width").unwrap().parse().unwrap(),
            )
        })
        .collect();
    let width_of = |col: usize| widths.iter().find(|w| w.0 <= col + 1 && col < w.1).map(|w| w.2).unwrap();
    let head_row = sheet.header_row;
    let row_elem =
        elements(&xml, "row").into_iter().find(|r| attr(r, "r") == Some(&head_row.to_string())).unwrap();
    let height: f64 = attr(row_elem, "ht").unwrap().parse().unwrap();
    for (i, h) in sheet.header.iter().enumerate() {
        // A Chinese character needs about 2.2 of Excel's width units at the
        // form's 10-point font, a Latin one 1.1.
        let need = UnicodeWidthStr::width(h.as_str()) as f64 * 1.1;
        let lines = (need / (width_of(i) - 1.0)).ceil();
        assert!(lines <= 3.0, "header {h} needs {lines} lines at width {}", width_of(i));
        assert!(height >= lines * 13.0, "the header row ({height} pt) shows {lines} lines of {h}");
        for c in data.iter().filter_map(|c| c.get(i)).filter(|_| i < 4) {
            assert!(
                UnicodeWidthStr::width(c.as_str()) as f64 * 1.1 <= width_of(i),
                "{c} fits column {h} ({})",
                width_of(i)
            );
        }
        if h.contains('（') {
            assert!(h.ends_with('）') && !h.ends_with("（）"), "units in full: {h}");
        }
    }
    // Chinese input prompts and error messages on every validated cell.
    let validations = elements(&xml, "dataValidation");
    assert!(validations.len() >= 15, "{}", validations.len());
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    for v in &validations {
        let (title, prompt) = (attr(v, "promptTitle"), attr(v, "prompt"));
        assert!(title.is_some_and(cjk) && prompt.is_some_and(cjk), "a Chinese prompt: {v}");
        assert!(!prompt.unwrap().contains("（）"), "no empty brackets: {v}");
        if attr(v, "type").is_some() {
            assert!(
                attr(v, "errorTitle").is_some_and(cjk) && attr(v, "error").is_some_and(cjk),
                "a Chinese error: {v}"
            );
            assert_eq!(attr(v, "showErrorMessage"), Some("1"), "{v}");
        }
    }
    let list = validations.iter().find(|v| attr(v, "type") == Some("list")).unwrap();
    assert!(attr(list, "error").unwrap().contains("只能填“是”或“否”"), "{list}");
}

#[test]
fn sample_and_annual_workbooks_print_with_titles_and_keep_codes_as_text() {
    let ex = example();
    let sample = ex.join("sample.xlsx");
    assert_prints_one_page_wide(&sample, 1, true);
    let annual_xlsx = ex.join("annual/annual.xlsx");
    assert_prints_one_page_wide(&annual_xlsx, 1, true);
    assert_prints_one_page_wide(&annual_xlsx, 2, false);
    assert_prints_one_page_wide(&annual_xlsx, 3, true);
    for (book, code_col, head_row) in [(&sample, 'A', 3), (&annual_xlsx, 'C', 3)] {
        let xml = part(book, "xl/worksheets/sheet1.xml");
        // A 12- or 6-digit code as a number would show as 1.30902E+11.
        let first = format!("r=\"{code_col}{}\"", head_row + 1);
        let cell = elements(&xml, "c").into_iter().find(|c| c.contains(&first)).unwrap();
        // Text is a shared string or, where the sheet streams its rows to
        // disk as they are written (sample.xlsx), an inline one.
        assert!(matches!(attr(cell, "t"), Some("s" | "inlineStr")), "codes are text: {cell}");
        // Every column is at least as wide as its longest code or name.
        assert!(elements(&xml, "col").len() >= 4, "column widths are set");
    }
    let mut s = spotcheck::findings::table::read(
        "annual.xlsx",
        &std::fs::read(&annual_xlsx).unwrap(),
        spotcheck::text::Encoding::Auto,
        None,
    )
    .unwrap();
    let above = s.header_at(|c| c.iter().any(|x| x == "县代码"));
    assert!(above[0].cells[0].contains("2009年度人口与计划生育责任目标考核"), "{above:?}");
    assert!(above[1].cells[0].contains("沧人口计生字〔2010〕3号"), "{above:?}");
}

#[test]
fn times_are_stored_with_their_offset_and_shown_in_china_standard_time() {
    let journal = std::fs::read_to_string(example().join("journal.jsonl")).unwrap();
    for l in journal.lines() {
        let at = l.split("\"at\":\"").nth(1).unwrap().split('"').next().unwrap();
        assert!(at.ends_with("+08:00"), "stored with its offset: {at}");
    }
    let (c, out, _) = run_in(example(), &["audit"]);
    assert_eq!(c, 0);
    assert!(out.lines().nth(1).unwrap().contains("(UTC+08:00)"), "{out}");
    // Another clock, set in the rules.
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules.toml");
    let text = std::fs::read_to_string(example_rules())
        .unwrap()
        .replace("utc_offset = \"+08:00\"", "utc_offset = \"+05:30\"");
    std::fs::write(&rules, text).unwrap();
    let lists = tmp.path().join("lists");
    std::fs::create_dir_all(&lists).unwrap();
    std::fs::copy(root("rules/lists/population-survey-2009.csv"), lists.join("population-survey-2009.csv"))
        .unwrap();
    let camp = tmp.path().join("camp");
    let (c, _, e) = super::support::init(&camp, &rules, &example_frame());
    assert_eq!(c, 0, "{e}");
    assert!(std::fs::read_to_string(camp.join("journal.jsonl")).unwrap().contains("+05:30\""));
    let (_, out, _) = run_in(&camp, &["audit"]);
    assert!(out.contains("(UTC+05:30)"), "{out}");
}

#[test]
fn missing_names_are_reported_when_the_rules_load() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(example_rules())
        .unwrap()
        .replace("name = \"瞒报出生\"\n", "")
        .replace("name_en = \"couples married since 2008\"\n", "");
    let rules = tmp.path().join("rules.toml");
    std::fs::write(&rules, text).unwrap();
    let lists = tmp.path().join("lists");
    std::fs::create_dir_all(&lists).unwrap();
    std::fs::copy(root("rules/lists/population-survey-2009.csv"), lists.join("population-survey-2009.csv"))
        .unwrap();
    let (c, _, e) =
        run(&["check", "--rules", rules.to_str().unwrap(), "--frame", example_frame().to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("warning: veto `concealment` has no `name`"), "{e}");
    assert!(e.contains("warning: field `married` has no `name_en`"), "{e}");
}

#[test]
fn english_scorecards_say_everything_in_english() {
    let (_tmp, camp) = campaign_copy();
    let (c, _, e) = run_in(&camp, &["--lang", "en", "score"]);
    assert_eq!(c, 0, "{e}");
    let cards = std::fs::read_to_string(camp.join("score/scorecards.csv")).unwrap();
    assert!(cards.contains("county code,county,indicator id,indicator"), "{cards}");
    assert!(cards.contains("birth statistics error rate: estimate"), "{cards}");
    for zh in ["扣分", "证据标准", "估计", "出生统计误差率"] {
        assert!(!cards.contains(zh), "{zh} in the English scorecards");
    }
    let (c, _, e) = run_in(&camp, &["score"]);
    assert_eq!(c, 0, "{e}");
    let cards = std::fs::read_to_string(camp.join("score/scorecards.csv")).unwrap();
    assert!(cards.contains("出生统计误差率 估计"), "{cards}");
}

/// Regression: scorecards.md showed an interval's method as its id, as in
/// "(1755–2733, stringer)"; it names the method in the language of the
/// cards, and the CSV keeps the id for machines.
#[test]
fn scorecards_name_the_interval_method_in_their_language() {
    let (_tmp, camp) = campaign_copy();
    let md = std::fs::read_to_string(camp.join("score/scorecards.md")).unwrap();
    assert!(md.contains(", 斯特林格界)") && md.contains("t分布，自由度"), "{md}");
    assert!(!md.contains(", stringer)"), "{md}");
    let (c, _, e) = run_in(&camp, &["--lang", "en", "score"]);
    assert_eq!(c, 0, "{e}");
    let md = std::fs::read_to_string(camp.join("score/scorecards.md")).unwrap();
    assert!(md.contains(", Stringer bound)") && md.contains(" df)"), "{md}");
    assert!(!md.contains(", stringer)"), "{md}");
    let csv = std::fs::read_to_string(camp.join("score/scorecards.csv")).unwrap();
    assert!(csv.contains(",stringer,"), "{csv}");
}
