//! The household stage from the teams' side: the household sheets of the
//! forms, household findings filled in and imported back (CSV and `.xlsx`),
//! every refusal with its fixture, and the households in the scorecards.

use std::collections::HashMap;
use std::path::Path;

use spotcheck::findings::table;
use spotcheck::sample::households::{List, read};
use spotcheck::text::Encoding;

use crate::inspection::{Edit, campaign, filled_rows, form_and_title, refused_edits, write_csv};
use crate::support::run_in;

/// The published lists of a campaign, by village code.
fn lists(camp: &Path) -> HashMap<String, List> {
    read(&std::fs::read(camp.join("households.csv")).unwrap())
        .unwrap()
        .into_iter()
        .map(|l| (l.code.clone(), l))
        .collect()
}

/// The team's household CSV form.
fn household_form(camp: &Path, team: &str) -> table::Sheet {
    let p = camp.join(format!("forms/入户表-{team}.csv"));
    table::read("f.csv", &std::fs::read(p).unwrap(), Encoding::Auto, None).unwrap()
}

/// The team's household CSV, filled in as the form says: the register holds
/// the frame's count of households, the team goes down the list, passes
/// over numbers above it, marks position `vacant_at` (if any) 空户, and
/// visits the first 20 others; every answer 否, satisfaction 满意, no births.
fn filled_households(camp: &Path, team: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let sheet = household_form(camp, team);
    let h = sheet.header.clone();
    let col = |name: &str| h.iter().position(|x| x.starts_with(name)).unwrap();
    let (code, register, pos, number, reason) =
        (col("村代码"), col("户籍册总户数"), col("顺序"), col("户号"), col("未入户原因"));
    let answers: Vec<(usize, &str)> = vec![
        (col("独生子女"), "是"),
        (col("长效节育"), ""),
        (col("本户2008"), "0"),
        (col("门难进"), "否"),
        (col("脸难看"), "否"),
        (col("事难办"), "否"),
        (col("吃拿卡要"), "否"),
        (col("对计划生育"), "满意"),
    ];
    let lists = lists(camp);
    let mut rows: Vec<Vec<String>> = sheet.rows.iter().map(|r| r.cells.clone()).collect();
    let mut visited: HashMap<String, usize> = HashMap::new();
    for r in &mut rows {
        r.resize(h.len(), String::new());
        let l = &lists[&r[code]];
        let n: u64 = r[number].parse().unwrap();
        if r[pos] == "1" {
            r[register] = l.households.to_string();
        }
        let v = visited.entry(r[code].clone()).or_default();
        if n > l.households || *v >= 20 {
            continue;
        }
        if r[pos] == "2" {
            r[reason] = "空户".into();
            continue;
        }
        *v += 1;
        for &(c, a) in &answers {
            r[c] = a.to_string();
        }
    }
    (h, rows)
}

/// A visited household's answers copied onto another row.
fn copy_answers(from: &[String], to: &mut [String], reason: usize) {
    to[reason + 1..from.len()].clone_from_slice(&from[reason + 1..]);
}

/// Rows of one village, by its position in the file.
fn village_rows(rows: &[Vec<String>], code_col: usize) -> Vec<usize> {
    let first = &rows[0][code_col];
    (0..rows.len()).filter(|&i| &rows[i][code_col] == first).collect()
}

#[test]
fn household_csv_filled_in_is_accepted_and_journaled() {
    let (tmp, camp) = campaign();
    let (h, rows) = filled_households(&camp, "第一组");
    let path = tmp.path().join("入户表-第一组.csv");
    write_csv(&path, &h, &rows, false);
    let (c, _, e) = run_in(&camp, &["findings", "import", path.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("households in 49 villages (980 visited)"), "{e}");
    let journal = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
    let households = last["data"]["households"].as_object().unwrap();
    assert_eq!(households.len(), 49);
    let one = households.values().next().unwrap();
    assert_eq!(one["visited"], 20);
    assert_eq!(one["skipped"]["vacant"], 1, "each village's 空户 is journaled: {one}");
    assert_eq!(run_in(&camp, &["audit"]).0, 0);
    // The same village's households cannot come in a second file.
    let again = tmp.path().join("again.csv");
    write_csv(&again, &h, &rows, false);
    let (c, _, e) = run_in(&camp, &["findings", "import", again.to_str().unwrap()]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("already has household findings in findings/入户表-第一组.csv"), "{e}");
}

/// Every refusal of a household file has a fixture: a bad variant of a
/// filled-in household CSV, its diagnostics in
/// tests/data/findings/err/households-*.expected.
#[test]
fn bad_household_files_are_refused_whole_with_every_problem() {
    let (tmp, camp) = campaign();
    let (h, rows) = filled_households(&camp, "第一组");
    let col = |name: &str| h.iter().position(|x| x.starts_with(name)).unwrap();
    let (code, register, number, reason, door, satisfaction, extra) = (
        col("村代码"),
        col("户籍册总户数"),
        col("户号"),
        col("未入户原因"),
        col("门难进"),
        col("对计划生育"),
        col("超过20户"),
    );
    let first = village_rows(&rows, code);
    let lists = lists(&camp);
    let list = lists[&rows[0][code]].clone();
    // The first row after the 20th visit that is within the register.
    let visited_rows: Vec<usize> = first.iter().copied().filter(|&i| !rows[i][door].is_empty()).collect();
    let after = first
        .iter()
        .copied()
        .find(|&i| {
            i > *visited_rows.last().unwrap() && rows[i][number].parse::<u64>().unwrap() <= list.households
        })
        .expect("the list goes on after the 20th household");
    let above = first.iter().copied().find(|&i| rows[i][number].parse::<u64>().unwrap() > list.households);
    let (v0, v1, v5) = (visited_rows[0], visited_rows[1], visited_rows[5]);
    let (f0, f1, f3) = (first[0], first[1], first[3]);
    let last_visit = *visited_rows.last().unwrap();
    let cases: Vec<(&str, Edit)> = vec![
        // Rows sorted by household number instead of the list's order.
        ("households-out_of_order", Box::new(move |r| r.swap(v0, v1))),
        // A number written over: the team visited another household.
        ("households-tampered_number", Box::new(move |r| r[v1][number] = "9999".into())),
        // A household passed over in silence, a later one taken.
        (
            "households-skip_without_reason",
            Box::new(move |r| {
                for c in reason + 1..r[v5].len() {
                    r[v5][c] = String::new();
                }
            }),
        ),
        // One more household than k, without a reason.
        (
            "households-more_than_k",
            Box::new(move |r| {
                let x = r[v0].clone();
                copy_answers(&x, &mut r[after], reason);
            }),
        ),
        // A register count below a number used.
        (
            "households-register_smaller",
            Box::new(move |r| {
                let used: u64 = r[v5][number].parse().unwrap();
                r[f0][register] = (used - 1).to_string();
            }),
        ),
        // A register count above the list's cap.
        ("households-register_above_cap", Box::new(move |r| r[f0][register] = "100000".into())),
        ("households-missing_register", Box::new(move |r| r[f0][register] = String::new())),
        (
            "households-two_registers",
            Box::new(move |r| {
                let other = r[f0][register].clone() + "1";
                r[f3][register] = other;
            }),
        ),
        ("households-unknown_reason", Box::new(move |r| r[f1][reason] = "出去打工".into())),
        ("households-reason_and_answers", Box::new(move |r| r[v0][reason] = "拒绝入户".into())),
        ("households-bad_choice", Box::new(move |r| r[v0][satisfaction] = "还行".into())),
        // The team stopped at 19 with numbers left on the list.
        (
            "households-stopped_short",
            Box::new(move |r| {
                for c in reason + 1..r[last_visit].len() {
                    r[last_visit][c] = String::new();
                }
            }),
        ),
        // 超出户数 for a household the register has.
        ("households-beyond_within_register", Box::new(move |r| r[f1][reason] = "超出户数".into())),
        (
            "households-answers_above_register",
            Box::new(move |r| {
                if let Some(a) = above {
                    let x = r[v0].clone();
                    copy_answers(&x, &mut r[a], reason);
                }
            }),
        ),
    ];
    refused_edits(&camp, tmp.path(), &h, &rows, cases);
    // More than k with a reason is accepted: the extra household continues
    // the list in order.
    let mut more = rows.clone();
    let x = more[v0].clone();
    copy_answers(&x, &mut more[after], reason);
    more[f0][extra] = "村民主动要求反映情况，按名单顺序多访1户".into();
    let path = tmp.path().join("more.csv");
    write_csv(&path, &h, &more, false);
    let (c, _, e) = run_in(&camp, &["findings", "import", path.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
}

#[test]
fn the_household_sheets_print_the_list_blind_with_validated_cells() {
    let (_tmp, camp) = campaign();
    let bytes = std::fs::read(camp.join("forms/检查表-第一组.xlsx")).unwrap();
    let sheets =
        table::read_sheets("f.xlsx", &bytes, Encoding::Auto, |n| n.starts_with("入户-"), false).unwrap();
    let form_csv = household_form(&camp, "第一组");
    let villages: std::collections::BTreeSet<&str> =
        form_csv.rows.iter().map(|r| r.cells[2].as_str()).collect();
    assert_eq!(sheets.len(), villages.len(), "one household sheet per village of the form");
    let lists = lists(&camp);
    let mut sheet = sheets[0].clone();
    let above = sheet.header_at(|c| c.first().is_some_and(|x| x == "顺序"));
    let text: String = above.iter().flat_map(|r| r.cells.iter()).cloned().collect::<Vec<_>>().join("|");
    assert!(text.contains("入户名单及核查记录"), "{text}");
    assert!(
        text.contains("按“顺序”从第1行起逐行入户") && text.contains("入户满20户即止"),
        "instruction line: {text}"
    );
    assert!(text.contains("只记户号，不记姓名"), "{text}");
    assert!(text.contains("户籍册总户数") && text.contains("超过20户的说明"), "{text}");
    let code = sheet.sheet.as_deref().unwrap().trim_start_matches("入户-").to_string();
    let list = &lists[&code];
    let numbers: Vec<u64> = sheet.rows.iter().filter_map(|r| r.cells.get(1)?.parse().ok()).collect();
    assert_eq!(&numbers, &list.numbers, "the sheet prints the published list in order");
    assert!(sheet.rows.iter().any(|r| r.cells.get(2).is_some_and(|c| c == "备用")), "reserves are marked");
    assert_eq!(sheet.header[..4], ["顺序", "户号", "类别", "未入户原因"]);
    // Validation and print set-up of the first household sheet (sheet2).
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet2.xml").unwrap(), &mut xml).unwrap();
    assert!(xml.contains("<sheetProtection"), "the sheet is protected");
    assert!(xml.contains("超出户数,空户,两次未遇,拒绝入户"), "the reasons are a validated list");
    assert!(xml.contains("满意,基本满意,不满意"), "the satisfaction answers are a validated list");
    assert!(xml.contains("type=\"whole\""), "the register's count is a whole number");
    assert!(xml.contains("orientation=\"portrait\"") && xml.contains("paperSize=\"9\""), "A4 portrait");
    assert!(xml.contains("fitToWidth=\"1\"") || xml.contains("fitToPage=\"1\""), "one page wide");
    // Blind: nothing of the county's report, no cell for a name.
    let report = std::fs::read_to_string(camp.join("reports/青县自查.csv")).unwrap_or_default();
    assert!(!report.is_empty());
    for s in &sheets {
        for h in &s.header {
            assert!(!h.contains("姓名") && !h.contains("户主"), "a household sheet asks for no name: {h}");
        }
    }
    let all = table::read_sheets("f.xlsx", &bytes, Encoding::Auto, |_| true, false).unwrap();
    for s in &all {
        for r in &s.rows {
            assert!(
                !r.cells.iter().any(|c| c.contains("1250000")),
                "the county's reported figure is on a form"
            );
        }
    }
    // A household list changed in the campaign folder is refused by every
    // command: the draw recorded its hash.
    let path = camp.join("households.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
    let mut numbers: Vec<&str> = cells[3].split(' ').collect();
    numbers.swap(0, 1);
    cells[3] = numbers.join(" ");
    lines[1] = cells.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let (c, _, e) = run_in(&camp, &["forms"]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("households.csv: recorded file changed"), "{e}");
}

/// The workbook comes back filled in: the village sheet and one household
/// sheet, written again by an xlsx writer with the title rows kept.
#[test]
fn an_xlsx_form_with_a_household_sheet_is_imported_and_scored() {
    let (tmp, camp) = campaign();
    let bytes = std::fs::read(camp.join("forms/检查表-第一组.xlsx")).unwrap();
    let (vsheet, vtitle) = form_and_title(&camp, "第一组", "xlsx");
    let hsheets =
        table::read_sheets("f.xlsx", &bytes, Encoding::Auto, |n| n.starts_with("入户-"), false).unwrap();
    let mut hs = hsheets[0].clone();
    let htitle = hs.header_at(|c| c.first().is_some_and(|x| x == "顺序"));
    let lists = lists(&camp);
    let code = hs.sheet.as_deref().unwrap().trim_start_matches("入户-").to_string();
    let list = &lists[&code];

    let mut wb = rust_xlsxwriter::Workbook::new();
    // The village sheet, filled as the village tests do.
    let (vh, vrows) = filled_rows(&camp, "第一组");
    let ws = wb.add_worksheet();
    ws.set_name("检查表").unwrap();
    for (i, r) in vtitle.iter().enumerate() {
        ws.write_string(i as u32, 0, &r.cells[0]).unwrap();
    }
    let top = vtitle.len() as u32;
    let cols: Vec<usize> = vsheet
        .header
        .iter()
        .map(|x| vh.iter().position(|y| y.starts_with(x.split('（').next().unwrap())).unwrap_or(usize::MAX))
        .collect();
    for (c, x) in vsheet.header.iter().enumerate() {
        ws.write_string(top, c as u16, x).unwrap();
    }
    for (i, r) in vrows.iter().enumerate() {
        for (c, &from) in cols.iter().enumerate() {
            if let Some(v) = r.get(from) {
                ws.write_string(top + 1 + i as u32, c as u16, v).unwrap();
            }
        }
    }
    // The household sheet: the title rows (the register's count beside its
    // label), the list with 20 households visited in order.
    let hws = wb.add_worksheet();
    hws.set_name(hs.sheet.as_deref().unwrap()).unwrap();
    for (i, r) in htitle.iter().enumerate() {
        for (c, v) in r.cells.iter().enumerate() {
            hws.write_string(i as u32, c as u16, v).unwrap();
        }
        if r.cells.iter().any(|c| c == "户籍册总户数") {
            hws.write_number(i as u32, 3, list.households as f64).unwrap();
        }
    }
    let top = htitle.len() as u32;
    for (c, x) in hs.header.iter().enumerate() {
        hws.write_string(top, c as u16, x).unwrap();
    }
    let mut visited = 0;
    for (i, r) in hs.rows.iter().enumerate() {
        let row = top + 1 + i as u32;
        let Some(Ok(n)) = r.cells.get(1).map(|c| c.parse::<u64>()) else { continue };
        hws.write_number(row, 0, (i + 1) as f64).unwrap();
        hws.write_number(row, 1, n as f64).unwrap();
        if n > list.households || visited == 20 {
            continue;
        }
        visited += 1;
        for (c, x) in hs.header.iter().enumerate().skip(4) {
            let v = match x.as_str() {
                "门难进" => "是",
                "对计划生育工作的总体评价" => "基本满意",
                x if x.starts_with("本户2008") => "1",
                _ => "否",
            };
            hws.write_string(row, c as u16, v).unwrap();
        }
    }
    let filled = tmp.path().join("检查表-第一组.xlsx");
    std::fs::write(&filled, wb.save_to_buffer().unwrap()).unwrap();
    // The same workbook with one household number changed on the household
    // sheet: refused whole, the cell named by file, sheet, row and column.
    let sheet_name = hs.sheet.clone().unwrap();
    let (row, n) = hs
        .rows
        .iter()
        .enumerate()
        .find_map(|(i, r)| r.cells.get(1)?.parse::<u64>().ok().map(|n| (i, n)))
        .unwrap();
    wb.worksheet_from_name(&sheet_name)
        .unwrap()
        .write_number(htitle.len() as u32 + 1 + row as u32, 1, (n + 1) as f64)
        .unwrap();
    let bad = tmp.path().join("bad.xlsx");
    std::fs::write(&bad, wb.save_to_buffer().unwrap()).unwrap();
    let (c, _, e) = run_in(&camp, &["findings", "import", bad.to_str().unwrap()]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains(&format!("bad.xlsx[{sheet_name}]:")) && e.contains("column B"), "{e}");
    let (c, _, e) = run_in(&camp, &["findings", "import", filled.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("households in 1 villages (20 visited)"), "{e}");
    // Scored with the households: the county of that village has household
    // measures; the rest of the campaign is still provisional.
    let (c, _, e) = run_in(&camp, &["score"]);
    assert_eq!(c, 3, "{e}");
    let json = std::fs::read_to_string(camp.join("score/scorecards.json")).unwrap();
    assert!(json.contains("door_hard_rate"), "household measures reach the scorecards");
}

mod against_r {
    use std::collections::BTreeMap;

    use spotcheck::findings::households::{Household, Outcome, VillageHouseholds};
    use spotcheck::findings::values::Value;
    use spotcheck::score::estimate::LonelyPsu;
    use spotcheck::score::measures::{CountyInput, Sampled, measure};

    use crate::score::{close, r_reference};
    use crate::support::{data, example_rules};

    /// The counties of tests/data/score/households.csv: every household the
    /// example's teams visited, with its village's design.
    fn counties() -> Vec<CountyInput> {
        let text = std::fs::read_to_string(data("score/households.csv")).unwrap();
        let mut villages: BTreeMap<(String, String), Sampled> = BTreeMap::new();
        for l in text.lines().skip(1) {
            let f: Vec<&str> = l.split(',').collect();
            let s = villages.entry((f[0].to_string(), f[3].to_string())).or_insert_with(|| Sampled {
                code: f[3].into(),
                name: String::new(),
                stratum: f[1].into(),
                psu: f[2].into(),
                w: f[4].parse().unwrap(),
                reported: None,
                found: None,
                households: Some(VillageHouseholds {
                    code: f[3].into(),
                    register: f[6].parse().unwrap(),
                    extra_reason: String::new(),
                    rows: Vec::new(),
                }),
                listed: true,
            });
            let h = s.households.as_mut().unwrap();
            let mut answers = vec![
                ("births_here".to_string(), Value::Count(f[10].parse().unwrap())),
                (
                    "satisfaction".to_string(),
                    Value::Choice(if f[11] == "1" { "satisfied" } else { "dissatisfied" }.into()),
                ),
            ];
            if f[9] != "NA" {
                answers.push(("reward_received".to_string(), Value::YesNo(f[9] == "1")));
            }
            let position = h.rows.len() as u64 + 1;
            h.rows.push(Household {
                position,
                number: f[8].parse().unwrap(),
                outcome: Outcome::Visited(answers),
            });
        }
        let mut by_county: BTreeMap<String, Vec<Sampled>> = BTreeMap::new();
        for ((county, _), s) in villages {
            // One village left of a stratum of 新华区: a lonely PSU beside
            // the county's certainty villages.
            if county == "130902" && (s.stratum != "130902/130902001" || s.code == "130902001201") {
                by_county.entry("130902-lonely".into()).or_default().push(s.clone());
            }
            by_county.entry(county).or_default().push(s);
        }
        by_county
            .into_iter()
            .map(|(code, sampled)| CountyInput { code, sampled, ..CountyInput::default() })
            .collect()
    }

    /// A village a further round of a sequential plan added has no household
    /// list: it is not missing household findings (which made the example's
    /// escalated county provisional for good), while a village of the first
    /// draw without them still is. Both pass their weight to their cell.
    #[test]
    fn a_village_without_a_household_list_is_not_missing_household_findings() {
        let rules = spotcheck::rules::load(&example_rules(), "rules.toml").unwrap();
        let mut c = counties().into_iter().find(|c| c.code == "130983").unwrap();
        let base = measure(&rules, &c, 0.95).unwrap();
        assert!(base.missing_households.is_empty());
        let like = c.sampled[0].clone();
        let village = |code: &str, listed: bool| Sampled {
            code: code.into(),
            households: None,
            listed,
            ..like.clone()
        };
        c.sampled.push(village("added-in-round-2", false));
        let m = measure(&rules, &c, 0.95).unwrap();
        assert!(m.missing_households.is_empty(), "{:?}", m.missing_households);
        assert_eq!(m.get("villages_without_households"), Some(0.0));
        // Its weight went to the villages of its cell: the county's total
        // grows by that weight's share, the rate does not move.
        let total = |m: &spotcheck::score::measures::Measures| {
            m.households["reward_received"].total.as_ref().unwrap().value
        };
        assert!(total(&m) > total(&base) * 1.001, "{} vs {}", total(&m), total(&base));
        c.sampled.push(village("first-draw-without-households", true));
        let m = measure(&rules, &c, 0.95).unwrap();
        assert_eq!(m.missing_households, vec!["first-draw-without-households".to_string()]);
        assert_eq!(m.get("villages_without_households"), Some(1.0));
    }

    /// Household rates, means and totals, their SEs, degrees of freedom and
    /// t and logit intervals agree with R's survey on the three-stage design
    /// (PSU, village, household; weights 1/π × register / visited), county by
    /// county and for each lonely-PSU choice, certainty villages' households
    /// included.
    #[test]
    fn household_estimates_agree_with_r_survey_on_a_three_stage_design() {
        let reference = r_reference("score/household-reference.txt");
        let mut rules = spotcheck::rules::load(&example_rules(), "rules.toml").unwrap();
        let (mut values, mut intervals, mut logits) = (0, 0, 0);
        for lonely in [LonelyPsu::Certainty, LonelyPsu::Adjust, LonelyPsu::Average] {
            rules.scoring.lonely_psu = lonely;
            for c in counties() {
                let m = measure(&rules, &c, 0.95).unwrap();
                let key = |n: &str| (lonely.name().to_string(), c.code.clone(), n.to_string());
                let want =
                    |n: &str| reference.get(&key(n)).unwrap_or_else(|| panic!("no R value {:?}", key(n)));
                let reward = &m.households["reward_received"];
                let births = &m.households["births_here"];
                let view = &m.households["satisfaction"];
                let rate = reward.rate.as_ref().unwrap();
                assert_eq!(rate.df as f64, want("degf")[0], "{lonely:?} {} degf", c.code);
                for (name, value, se) in [
                    ("rate_reward", rate.p, rate.se),
                    ("rate_favourable", view.rate.as_ref().unwrap().p, view.rate.as_ref().unwrap().se),
                ] {
                    let w = want(name);
                    assert!(close(value, w[0], 1e-9), "{lonely:?} {} {name}: {value} vs R {}", c.code, w[0]);
                    assert!(close(se, w[1], 1e-9), "{lonely:?} {} {name} se: {se} vs R {}", c.code, w[1]);
                    values += 1;
                }
                for (name, e) in [
                    ("total_reward", reward.total.as_ref().unwrap()),
                    ("mean_births", births.mean.as_ref().unwrap()),
                    ("total_births", births.total.as_ref().unwrap()),
                ] {
                    let w = want(name);
                    assert!(
                        close(e.value, w[0], 1e-9),
                        "{lonely:?} {} {name}: {} vs R {}",
                        c.code,
                        e.value,
                        w[0]
                    );
                    if w[1].is_nan() {
                        assert!(!e.pivot.design_based(), "{lonely:?} {} {name}", c.code);
                    } else {
                        assert!(
                            close(e.se, w[1], 1e-9),
                            "{lonely:?} {} {name} se: {} vs R {}",
                            c.code,
                            e.se,
                            w[1]
                        );
                    }
                    values += 1;
                    if e.pivot.design_based() {
                        assert!(
                            close(e.lo, w[2], 1e-9) && close(e.hi, w[3], 1e-9),
                            "{lonely:?} {} {name}: [{}, {}] vs R [{}, {}]",
                            c.code,
                            e.lo,
                            e.hi,
                            w[2],
                            w[3]
                        );
                        intervals += 1;
                    } else {
                        assert!(
                            e.hi > e.lo,
                            "{lonely:?} {} {name}: an exact bound of positive width",
                            c.code
                        );
                    }
                }
                for (name, p) in [("ciprop_reward", rate), ("ciprop_favourable", view.rate.as_ref().unwrap())]
                {
                    if p.pivot.method() != "logit-t" {
                        continue;
                    }
                    let w = want(name);
                    assert!(
                        close(p.lo, w[2], 1e-7) && close(p.hi, w[3], 1e-7),
                        "{lonely:?} {} {name}: [{}, {}] vs R [{}, {}]",
                        c.code,
                        p.lo,
                        p.hi,
                        w[2],
                        w[3]
                    );
                    logits += 1;
                }
            }
        }
        assert!(values >= 250 && intervals >= 120 && logits >= 90, "{values} {intervals} {logits}");
    }
}
