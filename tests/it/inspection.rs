//! Self-reports, teams, forms and findings on real files: GB18030 and
//! UTF-8-with-BOM CSV, and .xlsx forms filled in by an xlsx writer.

use std::path::{Path, PathBuf};

use spotcheck::findings::table;
use spotcheck::text::Encoding;

use crate::support::{
    SEED, check_snapshot, data, example_frame, example_rules, hash_tree, init, root, run_in,
};

/// Frame rows of one county: (code, name).
fn county_villages(county: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(example_frame()).unwrap();
    let mut v: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
        .filter(|c| c[2] == county)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect();
    v.sort();
    v
}

/// A self-report of a county: every village but `leave_out`, plus the
/// county-level row.
fn report_csv(county: &str, leave_out: usize) -> String {
    let mut s = String::from(
        "村代码,村名,births,2008年以来新婚对数,long_acting_required,long_acting_done,fee_due,fee_collected,one_child_reward_paid,service_room,finance_spending\n",
    );
    let villages = county_villages(county);
    for (code, name) in villages.iter().skip(leave_out) {
        s.push_str(&format!("{code},{name},4,2,10,9,5000,4000,是,是,\n"));
    }
    s.push_str(&format!("{county},,,,,,,,,,1250000.50\n"));
    s
}

/// Writes the reports: 沧县 as GB18030 (as Excel on Chinese Windows saves
/// it), 青县 as UTF-8 with BOM.
fn write_reports(dir: &Path) -> Vec<PathBuf> {
    let a = dir.join("沧县自查.csv");
    let text = report_csv("130921", 3);
    let (gbk, _, bad) = encoding_rs::GB18030.encode(&text);
    assert!(!bad);
    std::fs::write(&a, &gbk).unwrap();
    let b = dir.join("青县自查.csv");
    std::fs::write(&b, format!("\u{feff}{}", report_csv("130922", 0))).unwrap();
    vec![a, b]
}

/// A campaign with reports, committed, drawn, assigned, with forms.
pub(crate) fn campaign() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    assert_eq!(init(&camp, &example_rules(), &example_frame()).0, 0);
    let files = write_reports(tmp.path());
    let (c, _, e) =
        run_in(&camp, &["reports", "import", files[0].to_str().unwrap(), files[1].to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("3 left out"), "left-out villages are listed: {e}");
    assert_eq!(run_in(&camp, &["commit"]).0, 0);
    assert_eq!(run_in(&camp, &["draw", "--seed", SEED]).0, 0);
    let teams = root("examples/cangzhou-2008/teams.csv");
    let (c, _, e) = run_in(&camp, &["assign", "--teams", teams.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    assert_eq!(run_in(&camp, &["forms"]).0, 0);
    (tmp, camp)
}

fn form(camp: &Path, team: &str, ext: &str) -> table::Sheet {
    form_and_title(camp, team, ext).0
}

/// A form's table, and the title rows above it (the `.xlsx` form's).
pub(crate) fn form_and_title(camp: &Path, team: &str, ext: &str) -> (table::Sheet, Vec<table::Row>) {
    let p = camp.join(format!("forms/检查表-{team}.{ext}"));
    let mut sheet = table::read(
        &p.file_name().unwrap().to_string_lossy(),
        &std::fs::read(&p).unwrap(),
        Encoding::Auto,
        Some("检查表"),
    )
    .unwrap();
    let above = sheet.header_at(|cells| cells.iter().any(|c| c == "村代码"));
    (sheet, above)
}

/// A filled-in row: inspector, date and the findings fields in form order.
fn fill(cells: &mut Vec<String>, header: &[String], date: &str) {
    cells.resize(header.len(), String::new());
    for (i, h) in header.iter().enumerate() {
        let v = match h.as_str() {
            "检查人" => "张三",
            "检查日期" => date,
            h if h.starts_with("2008年以来出生") => "5",
            h if h.starts_with("2008年以来新婚") => "3",
            h if h.starts_with("应落实长效") => "10",
            h if h.starts_with("已落实长效") => "8",
            h if h.starts_with("应征社会") => "5000",
            h if h.starts_with("已征社会") => "3000.5",
            h if h.starts_with("独生子女") => "是",
            h if h.starts_with("村级计生") => "否",
            h if h.starts_with("政策外怀孕") => "2",
            h if h.starts_with("已落实补救") => "1",
            h if h.starts_with("“六进家庭”") => "是",
            h if h.starts_with("入户核查") => "20",
            h if h.starts_with("群众反映") => "0",
            _ => continue,
        };
        cells[i] = v.to_string();
    }
}
/// An edit of a filled-in form's rows that makes it wrong.
pub(crate) type Edit = Box<dyn Fn(&mut Vec<Vec<String>>)>;

/// Imports each edited copy of `rows` into `camp`: each must be refused
/// with exit 1, leave the folder as it was, and say what
/// `findings/err/<name>.expected` holds.
pub(crate) fn refused_edits(
    camp: &Path,
    dir: &Path,
    header: &[String],
    rows: &[Vec<String>],
    cases: Vec<(&str, Edit)>,
) {
    let mut failures = Vec::new();
    for (name, edit) in cases {
        let mut bad = rows.to_vec();
        edit(&mut bad);
        let path = dir.join(format!("{name}.csv"));
        write_csv(&path, header, &bad, false);
        let before = hash_tree(camp);
        let (c, _, e) = run_in(camp, &["findings", "import", path.to_str().unwrap()]);
        if c != 1 {
            failures.push(format!("{name}: exit {c}"));
        }
        assert_eq!(before, hash_tree(camp), "{name}: a refused file must leave the campaign as it was");
        let got: String = e.lines().filter(|l| l.starts_with(name)).map(|l| format!("{l}\n")).collect();
        if let Err(m) = check_snapshot(&data(&format!("findings/err/{name}.expected")), &got) {
            failures.push(m);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

pub(crate) fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>], gbk: bool) {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    if gbk {
        std::fs::write(path, encoding_rs::GB18030.encode(&text).0).unwrap();
    } else {
        std::fs::write(path, format!("\u{feff}{text}")).unwrap();
    }
}

/// The team's CSV form, filled in.
pub(crate) fn filled_rows(camp: &Path, team: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let sheet = form(camp, team, "csv");
    let mut rows: Vec<Vec<String>> = sheet.rows.iter().map(|r| r.cells.clone()).collect();
    for r in &mut rows {
        fill(r, &sheet.header, "2009-02-20");
    }
    (sheet.header, rows)
}

#[test]
fn xlsx_forms_filled_in_and_imported_back() {
    let (tmp, camp) = campaign();
    let (sheet, title) = form_and_title(&camp, "第一组", "xlsx");
    assert_eq!(sheet.sheet.as_deref(), Some("检查表"));
    assert!(title[1].cells[0].contains("表单编号：第一组-"), "{title:?}");
    // The workbook validates input and locks its headers.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(
        std::fs::read(camp.join("forms/检查表-第一组.xlsx")).unwrap(),
    ))
    .unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut xml).unwrap();
    assert!(xml.contains("<sheetProtection"), "the sheet is protected");
    for kind in ["type=\"whole\"", "type=\"decimal\"", "type=\"list\"", "type=\"date\""] {
        assert!(xml.contains(kind), "a {kind} validation is on the form");
    }
    assert!(xml.contains("&quot;是,否&quot;") || xml.contains("\"是,否\""), "yes/no list");
    // The forms are blind: nothing the county reported appears on them.
    let bytes = std::fs::read(camp.join("forms/检查表-第一组.csv")).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains("1250000"));

    // Fill it in with an xlsx writer: numbers as numbers, the date as a
    // date; the title rows (with the form id) and the sign-off line kept.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("检查表").unwrap();
    let date_fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (i, r) in title.iter().enumerate() {
        ws.write_string(i as u32, 0, &r.cells[0]).unwrap();
    }
    let top = title.len() as u32;
    for (c, h) in sheet.header.iter().enumerate() {
        ws.write_string(top, c as u16, h).unwrap();
    }
    let data: Vec<&table::Row> = sheet.rows.iter().filter(|r| r.cells[0].starts_with("13")).collect();
    let sign_off =
        sheet.rows.iter().find(|r| r.cells[0].starts_with("检查人（签字）")).expect("a sign-off line");
    for (i, r) in data.iter().enumerate() {
        let mut cells = r.cells.clone();
        fill(&mut cells, &sheet.header, "2009-02-20");
        for (c, v) in cells.iter().enumerate() {
            let (row, col) = (top + i as u32 + 1, c as u16);
            if sheet.header[c] == "检查日期" {
                let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2009, 2, 20).unwrap();
                ws.write_datetime_with_format(row, col, &d, &date_fmt).unwrap();
            } else if c >= 6 && v.parse::<f64>().is_ok() {
                ws.write_number(row, col, v.parse::<f64>().unwrap()).unwrap();
            } else {
                ws.write_string(row, col, v).unwrap();
            }
        }
    }
    ws.write_string(top + data.len() as u32 + 2, 0, &sign_off.cells[0]).unwrap();
    let filled = tmp.path().join("检查表-第一组.xlsx");
    std::fs::write(&filled, wb.save_to_buffer().unwrap()).unwrap();
    let (c, _, e) = run_in(&camp, &["findings", "import", filled.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("accepted, team 第一组"), "{e}");
    let (c, out, _) = run_in(&camp, &["status"]);
    assert_eq!(c, 0);
    assert!(out.contains("第一组"), "{out}");
    assert_eq!(run_in(&camp, &["audit"]).0, 0);
}

#[test]
fn csv_findings_in_gb18030_and_utf8_with_bom() {
    let (tmp, camp) = campaign();
    for (team, gbk) in [("第二组", true), ("第三组", false)] {
        let (header, rows) = filled_rows(&camp, team);
        let path = tmp.path().join(format!("{team}.csv"));
        write_csv(&path, &header, &rows, gbk);
        let (c, _, e) = run_in(&camp, &["findings", "import", path.to_str().unwrap()]);
        assert_eq!(c, 0, "{team}: {e}");
    }
    // A corrected file replaces the earlier one only with --supersede.
    let (header, mut rows) = filled_rows(&camp, "第二组");
    rows[0][9] = "6".into();
    let path = tmp.path().join("第二组.csv");
    write_csv(&path, &header, &rows, true);
    let (c, _, e) = run_in(&camp, &["findings", "import", path.to_str().unwrap()]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("--supersede"), "{e}");
    let (c, _, e) = run_in(
        &camp,
        &["findings", "import", path.to_str().unwrap(), "--supersede", "--reason", "改正出生人数"],
    );
    assert_eq!(c, 0, "{e}");
    let kept: Vec<_> = std::fs::read_dir(camp.join("findings/superseded")).unwrap().collect();
    assert_eq!(kept.len(), 1, "the old file is kept");
    let journal = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
    assert!(journal.contains("改正出生人数"));
    assert_eq!(run_in(&camp, &["audit"]).0, 0);
}

/// Every rejection has a fixture: a bad variant of a filled-in CSV form,
/// its diagnostics snapshotted in tests/data/findings/err/.
#[test]
fn bad_findings_files_are_refused_whole_with_every_problem() {
    let (tmp, camp) = campaign();
    let (header, rows) = filled_rows(&camp, "第一组");
    let (_, other) = filled_rows(&camp, "第二组");
    let col = |name: &str| header.iter().position(|h| h.starts_with(name)).unwrap();
    let complaints = col("群众反映");
    let (births, visited, done, date, inspector, reward, due) = (
        col("2008年以来出生"),
        col("入户核查"),
        col("已落实长效"),
        col("检查日期"),
        col("检查人"),
        col("独生子女"),
        col("应征社会"),
    );
    let sample = std::fs::read_to_string(camp.join("sample.csv")).unwrap();
    let not_sampled =
        county_villages("130902").into_iter().map(|v| v.0).find(|c| !sample.contains(c.as_str())).unwrap();
    let reserve = sample.lines().find(|l| l.ends_with(",1")).unwrap().split(',').next().unwrap().to_string();
    let cases: Vec<(&str, Edit)> = vec![
        ("not_in_sample", Box::new(move |r| r[0][2] = not_sampled.clone())),
        ("reserve_not_called", Box::new(move |r| r[0][2] = reserve.clone())),
        (
            "other_team",
            Box::new(move |r| {
                let mut x = other[0].clone();
                x[0] = r[0][0].clone();
                r.push(x);
            }),
        ),
        ("duplicate_row", Box::new(|r| r.push(r[0].clone()))),
        ("missing_required", Box::new(move |r| r[1][births] = String::new())),
        ("wrong_type", Box::new(move |r| r[1][births] = "五".into())),
        ("negative", Box::new(move |r| r[2][visited] = "-3".into())),
        ("constraint", Box::new(move |r| r[0][done] = "12".into())),
        ("date_outside_window", Box::new(move |r| r[0][date] = "2009-05-01".into())),
        ("missing_inspector", Box::new(move |r| r[0][inspector] = String::new())),
        ("bad_yes_no", Box::new(move |r| r[0][reward] = "也许".into())),
        // Regression: absurd figures were imported, and one typo vetoed a county.
        ("implausible_births", Box::new(move |r| r[1][births] = "100000".into())),
        ("absurd_count", Box::new(move |r| r[0][complaints] = "18446744073709551615".into())),
        ("count_beyond_u64", Box::new(move |r| r[0][complaints] = "18446744073709551616".into())),
        // A cell of 100,000 characters is quoted, not repeated whole.
        ("long_cell", Box::new(move |r| r[0][births] = "五".repeat(100_000))),
        (
            "several_problems",
            Box::new(move |r| {
                r[0][inspector] = String::new();
                r[1][due] = "1.234".into();
                r[2][date] = "2009-02-30".into();
            }),
        ),
    ];
    refused_edits(&camp, tmp.path(), &header, &rows, cases);
}

#[test]
fn an_extension_widens_the_county_window() {
    let (tmp, camp) = campaign();
    let assignment = std::fs::read_to_string(camp.join("assignment.csv")).unwrap();
    let team = assignment
        .lines()
        .find(|l| l.contains(",130929,"))
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .to_string();
    let (header, mut rows) = filled_rows(&camp, &team);
    let date = header.iter().position(|h| h == "检查日期").unwrap();
    for r in &mut rows {
        if r[2].starts_with("130929") {
            r[date] = "2009-03-25".into(); // after the city's window, inside 献县's
        }
    }
    let path = tmp.path().join("ext.csv");
    write_csv(&path, &header, &rows, false);
    let (c, _, e) = run_in(&camp, &["findings", "import", path.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
}

#[test]
fn reports_are_refused_after_the_commitment_and_audit_sees_changes() {
    let (tmp, camp) = campaign();
    let late = tmp.path().join("东光县自查.csv");
    std::fs::write(&late, report_csv("130923", 0)).unwrap();
    let (c, _, e) = run_in(&camp, &["reports", "import", late.to_str().unwrap()]);
    assert_eq!(c, 2);
    assert!(e.contains("closed") && e.contains("commitment"), "{e}");
    // A report changed after the commitment.
    let rep = camp.join("reports/青县自查.csv");
    let text = std::fs::read_to_string(&rep).unwrap().replacen(",4,2,", ",3,2,", 1);
    std::fs::write(&rep, text).unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1);
    assert!(e.contains("reports/青县自查.csv"), "{e}");
}

#[test]
fn audit_sees_an_edited_findings_file_and_a_removed_journal_line() {
    let (tmp, camp) = campaign();
    let (header, rows) = filled_rows(&camp, "第四组");
    let path = tmp.path().join("第四组.csv");
    write_csv(&path, &header, &rows, false);
    assert_eq!(run_in(&camp, &["findings", "import", path.to_str().unwrap()]).0, 0);
    let stored = camp.join("findings/第四组.csv");
    let edited = std::fs::read_to_string(&stored).unwrap().replacen(",5,", ",1,", 1);
    std::fs::write(&stored, edited).unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1);
    assert!(e.contains("findings/第四组.csv"), "{e}");
    std::fs::write(&stored, std::fs::read(&path).unwrap()).unwrap();
    let journal = camp.join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let without: String =
        lines.iter().enumerate().filter(|(i, _)| *i != 3).map(|(_, l)| format!("{l}\n")).collect();
    std::fs::write(&journal, without).unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1);
    assert!(e.contains("chain broken"), "{e}");
}

#[test]
fn bad_self_reports_are_refused_with_every_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    assert_eq!(init(&camp, &example_rules(), &example_frame()).0, 0);
    let good = report_csv("130921", 0);
    let mut lines: Vec<String> = good.lines().map(String::from).collect();
    let first = lines[1].clone();
    lines[2] = lines[2].replacen(",4,2,", ",-4,2,", 1); // negative
    lines[3] = lines[3].replacen(",10,9,", ",10,11,", 1); // constraint
    lines[4] = lines[4].replacen(",是,是,", ",是,也许,", 1); // yes/no
    lines[5].push_str("1000"); // a county-level value on a village row
    lines.push(first); // duplicate
    lines.push("999999999999,无,1,1,1,1,1,1,是,是,".into()); // not in the frame
    lines[6] = lines[6].replacen(",4,2,", ",100000,2,", 1); // more births than a tenth of the people
    lines[7] = lines[7].replacen(",4,2,", ",4,18446744073709551615,", 1); // absurd
    let path = tmp.path().join("bad-report.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let before = hash_tree(&camp);
    let (c, _, e) = run_in(&camp, &["reports", "import", path.to_str().unwrap()]);
    assert_eq!(c, 1, "{e}");
    assert_eq!(before, hash_tree(&camp));
    let got: String = e
        .lines()
        .map(|l| l.trim_start_matches("error: "))
        .filter(|l| l.starts_with("bad-report.csv"))
        .map(|l| format!("{l}\n"))
        .collect();
    check_snapshot(&data("findings/err/bad-report.expected"), &got).unwrap();
}

#[test]
fn assignment_never_sends_a_team_home_and_is_balanced() {
    let (_tmp, camp) = campaign();
    let teams = std::fs::read_to_string(root("examples/cangzhou-2008/teams.csv")).unwrap();
    let home = |team: &str| -> Vec<String> {
        let line = teams.lines().find(|l| l.starts_with(team)).unwrap();
        line.rsplit(',').next().unwrap().split(';').map(String::from).collect()
    };
    let text = std::fs::read_to_string(camp.join("assignment.csv")).unwrap();
    let mut loads = std::collections::BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert!(!home(f[0]).contains(&f[4].to_string()), "team {} checks its home county {}", f[0], f[4]);
        *loads.entry(f[0].to_string()).or_insert(0) += 1;
    }
    let (mx, mn) = (loads.values().max().unwrap(), loads.values().min().unwrap());
    assert!(mx - mn <= 1, "{loads:?}");
    // One team, from the only county it could check: no valid assignment.
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("teams.csv");
    std::fs::write(&one, "检查组,成员,籍贯县\n唯一组,张三,130921\n").unwrap();
    let (c, _, e) =
        run_in(&camp, &["assign", "--teams", one.to_str().unwrap(), "--reassign", "--reason", "test"]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("no team may check 130921"), "{e}");
}

#[test]
fn the_assignment_is_reproducible_from_the_seed() {
    let (_a, one) = campaign();
    let (_b, two) = campaign();
    assert_eq!(
        std::fs::read(one.join("assignment.csv")).unwrap(),
        std::fs::read(two.join("assignment.csv")).unwrap()
    );
}

#[test]
fn substitution_calls_the_next_reserve_into_the_same_team() {
    let (_tmp, camp) = campaign();
    let text = std::fs::read_to_string(camp.join("assignment.csv")).unwrap();
    let line = text.lines().nth(1).unwrap();
    let (team, village) =
        (line.split(',').next().unwrap().trim_start_matches('\u{feff}'), line.split(',').nth(2).unwrap());
    let (c, _, e) = run_in(&camp, &["substitute", village, "--reason", "道路冲毁"]);
    assert_eq!(c, 0, "{e}");
    let replacement = e.split("reserve ").nth(1).unwrap().split(';').next().unwrap().to_string();
    let after = std::fs::read_to_string(camp.join("assignment.csv")).unwrap();
    assert!(!after.contains(village));
    assert!(after.lines().any(|l| l.starts_with(team) && l.contains(&replacement)), "{after}");
    let (c, _, e) = run_in(&camp, &["substitute", village, "--reason", "again"]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("was replaced by"), "{e}");
    assert_eq!(run_in(&camp, &["audit"]).0, 0);
}

/// Regression: a county without findings scored full accuracy marks.
#[test]
fn no_findings_earn_no_points_for_sample_based_indicators() {
    let (_tmp, camp) = campaign();
    // Without findings the results are provisional: marked, and exit 3
    // unless --provisional accepts them.
    let (c, _, e) = run_in(&camp, &["score"]);
    assert_eq!(c, 3, "{e}");
    assert!(e.contains("临时结果："), "{e}");
    let (c, out, e) = run_in(&camp, &["score", "--provisional"]);
    assert_eq!(c, 0, "{e}");
    assert!(out.contains("临时"), "{out}");
    let cards = std::fs::read_to_string(camp.join("score/scorecards.csv")).unwrap();
    assert!(cards.contains("临时结果：有样本村缺少检查结果"), "{cards}");
    let journal = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
    assert!(journal.lines().last().unwrap().contains("\"provisional\":true"), "{journal}");
    let line = out.lines().find(|l| l.starts_with("130921")).unwrap();
    let points: f64 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(points < 30.0, "without findings only the non-sample indicators may score: {line}");
    let (_, trail, _) = run_in(&camp, &["explain", "130921", "birth_accuracy"]);
    assert!(trail.contains("没有出生统计误差率的数值") && trail.contains("得分：0.00 / 20.00"), "{trail}");
    let (_, trail, _) = run_in(&camp, &["--lang", "en", "explain", "130921", "birth_accuracy"]);
    assert!(trail.contains("no value") && trail.contains("points: 0.00"), "{trail}");
}

/// Regression: a team id could write forms outside the campaign folder.
#[test]
fn team_ids_cannot_name_paths() {
    let (tmp, camp) = campaign();
    let teams = tmp.path().join("teams.csv");
    std::fs::write(&teams, "检查组,成员,籍贯县\n../../escaped,张三,130921\n第二组,李四,130922\n").unwrap();
    let (c, _, e) =
        run_in(&camp, &["assign", "--teams", teams.to_str().unwrap(), "--reassign", "--reason", "test"]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("may not contain"), "{e}");
}

/// Regression: a village with findings could be substituted, breaking scoring.
#[test]
fn a_village_with_findings_cannot_be_substituted() {
    let (tmp, camp) = campaign();
    let (header, rows) = filled_rows(&camp, "第五组");
    let path = tmp.path().join("第五组.csv");
    write_csv(&path, &header, &rows, false);
    assert_eq!(run_in(&camp, &["findings", "import", path.to_str().unwrap()]).0, 0);
    let (c, _, e) = run_in(&camp, &["substitute", &rows[0][2], "--reason", "late"]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("already has findings"), "{e}");
}

/// Regression: after a redraw the old assignment and forms stayed in use.
#[test]
fn a_redraw_needs_a_new_assignment() {
    let (_tmp, camp) = campaign();
    let (c, _, e) =
        run_in(&camp, &["draw", "--redraw", "--reason", "frame error", "--seed", "11112222333344445555"]);
    assert_eq!(c, 0, "{e}");
    let (c, _, e) = run_in(&camp, &["forms"]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("--reassign"), "{e}");
    // The replaced draw is kept and audited.
    assert_eq!(run_in(&camp, &["audit"]).0, 0);
    let kept = camp.join("superseded/draw-4/sample.csv");
    std::fs::write(&kept, "tampered\n").unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1, "{e}");
}

/// The published journal head anchors the newest journal lines.
#[test]
fn audit_checks_a_published_head() {
    let (_tmp, camp) = campaign();
    let (c, out, _) = run_in(&camp, &["--lang", "en", "audit"]);
    assert_eq!(c, 0);
    let head = out
        .lines()
        .find_map(|l| l.strip_prefix("journal head: "))
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    // The same head in the JSON of `audit --format json`.
    let (_, json, _) = run_in(&camp, &["audit", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["head"], head.as_str());
    assert_eq!(v["ok"], true);
    assert_eq!(run_in(&camp, &["audit", "--head", &head]).0, 0);
    // Rewrite the last line (and nothing else): the chain alone cannot see it.
    let journal = camp.join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let last = lines.pop().unwrap().replacen("\"at\":\"2", "\"at\":\"1", 1);
    lines.push(last);
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1, "the head record shows the edited last line: {e}");
    assert!(e.contains("journal.jsonl:6: is not the line journal.head records"), "{e}");
    // Rewrite the head record as well: only the published head shows it now.
    let n = lines.len();
    let hash = spotcheck::hash::sha256_hex(lines[n - 1].as_bytes());
    std::fs::write(camp.join("journal.head"), format!("{n} {hash}\n")).unwrap();
    assert_eq!(run_in(&camp, &["audit"]).0, 0, "without the published head the edit is invisible");
    let (c, _, e) = run_in(&camp, &["audit", "--head", &head]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("published head"), "{e}");
}

/// Regression: self-reports with no figures at all (only a header, only
/// codes, or a row left blank) were accepted and frozen.
#[test]
fn self_reports_without_figures_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    assert_eq!(init(&camp, &example_rules(), &example_frame()).0, 0);
    let villages = county_villages("130921");
    let codes: String = villages.iter().take(3).map(|(c, _)| format!("{c}\n")).collect();
    let good = report_csv("130921", 0);
    let mut blank_row: Vec<String> = good.lines().map(String::from).collect();
    blank_row[2] = format!("{},{},,,,,,,,,", villages[1].0, villages[1].1);
    let cases = [
        ("report-header-only", report_csv("130921", usize::MAX).lines().next().unwrap().to_string() + "\n"),
        ("report-codes-only", format!("村代码\n{codes}")),
        ("report-blank-row", blank_row.join("\n") + "\n"),
    ];
    let mut failures = Vec::new();
    for (name, text) in cases {
        let path = tmp.path().join(format!("{name}.csv"));
        std::fs::write(&path, text).unwrap();
        let before = hash_tree(&camp);
        let (c, _, e) = run_in(&camp, &["reports", "import", path.to_str().unwrap()]);
        if c != 1 {
            failures.push(format!("{name}: exit {c}: {e}"));
        }
        assert_eq!(before, hash_tree(&camp), "{name}: nothing is frozen");
        let got: String = e.lines().filter(|l| l.starts_with(name)).map(|l| format!("{l}\n")).collect();
        if let Err(m) = check_snapshot(&data(&format!("findings/err/{name}.expected")), &got) {
            failures.push(m);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Regressions: a 122-character team id passed `assign` and then `forms`
/// failed every time; characters Windows refuses in file names, and ids a
/// spreadsheet takes for formulas, were accepted; a team from every
/// sampled county silently got no village. Each bad teams file in
/// tests/data/teams/err is refused with exit 1 and leaves the campaign as
/// it was.
#[test]
fn bad_team_files_are_refused() {
    let (_tmp, camp) = crate::support::drawn_example();
    crate::support::check_dir(&data("teams/err"), "csv", |p| {
        let before = hash_tree(&camp);
        let (c, _, e) = run_in(&camp, &["assign", "--teams", p.to_str().unwrap()]);
        assert_eq!(c, 1, "{}: {e}", p.display());
        assert_eq!(before, hash_tree(&camp), "{}: the campaign is unchanged", p.display());
        e
    });
}
