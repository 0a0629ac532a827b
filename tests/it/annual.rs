//! The year-end assessment and the reports, on the example campaign run end
//! to end: snapshots of the annual table, one county's trail and the
//! Markdown report; rules checks; ranks; the HTML validated by html5ever.

use std::path::{Path, PathBuf};

use spotcheck::annual::rules;

use crate::support::{check_snapshot, data, root, run};

/// The example campaign, run once for all tests.
pub(super) fn example() -> &'static Path {
    crate::support::example_campaign()
}

pub(super) fn annual(extra: &[&str], rules_file: &Path, out: &Path) -> (i32, String, String) {
    let ex = root("examples/cangzhou-2008");
    let camp = format!("face-to-face={}", example().display());
    let routine = format!("routine={}", ex.join("routine-2009.csv").display());
    let bonus = format!("bonus={}", ex.join("bonus-2009.csv").display());
    let mut args = vec![
        "annual",
        "--rules",
        rules_file.to_str().unwrap(),
        "--campaign",
        &camp,
        "--input",
        &routine,
        "--input",
        &bonus,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

pub(super) fn annual_rules() -> PathBuf {
    root("rules/cangzhou-2009-annual.toml")
}

#[test]
fn snapshots_of_the_annual_table_a_trail_and_the_markdown_report() {
    let out = example().join("annual");
    let mut failures = Vec::new();
    let table = std::fs::read_to_string(out.join("annual.csv")).unwrap();
    if let Err(e) = check_snapshot(&data("annual/annual.csv"), &table) {
        failures.push(e);
    }
    // When the data were recorded depends on when the example ran.
    let md: String = std::fs::read_to_string(out.join("annual.md"))
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("- 数据截至：") {
                "- 数据截至：(the example's journal time)\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    if let Err(e) = check_snapshot(&data("annual/annual.md"), &md) {
        failures.push(e);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (c, trail, e) = annual(&["--explain", "130921"], &annual_rules(), tmp.path());
    assert_eq!(c, 0, "{e}");
    if let Err(e) = check_snapshot(&data("annual/explain-130921.txt"), &trail) {
        failures.push(e);
    }
    assert!(trail.contains("出生统计求实率") && trail.contains("一票否决"), "{trail}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reruns_are_byte_identical() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    assert_eq!(annual(&[], &annual_rules(), a.path()).0, 0);
    assert_eq!(annual(&[], &annual_rules(), b.path()).0, 0);
    for f in ["annual.csv", "annual.md", "annual.html", "annual.xlsx"] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f} differs between runs"
        );
    }
    // And nothing is overwritten without --force.
    let (c, _, e) = annual(&[], &annual_rules(), a.path());
    assert_eq!(c, 2, "{e}");
}

#[test]
fn the_html_report_is_valid_and_self_contained() {
    use html5ever::tendril::TendrilSink;
    let html = std::fs::read(example().join("annual/annual.html")).unwrap();
    let opts = html5ever::ParseOpts {
        tree_builder: html5ever::tree_builder::TreeBuilderOpts { exact_errors: true, ..Default::default() },
        ..Default::default()
    };
    let dom = html5ever::parse_document(markup5ever_rcdom::RcDom::default(), opts)
        .from_utf8()
        .read_from(&mut html.as_slice())
        .unwrap();
    let errors = dom.errors.borrow();
    assert!(errors.is_empty(), "HTML errors: {errors:?}");
    let text = String::from_utf8(html).unwrap();
    assert!(text.contains("<svg") && text.contains("@page { size: A4"));
    // Self-contained: nothing is fetched (the SVG namespace is a name, not a fetch).
    assert!(
        !text.contains("<script") && !text.contains("https://") && !text.contains(" src="),
        "no scripts, no network"
    );
}

#[test]
fn a_veto_overrides_any_score() {
    // Routine scores carry 95 of 100 points: vetoed counties still fail.
    let text = std::fs::read_to_string(annual_rules())
        .unwrap()
        .replace("weight = 40", "weight = 95")
        .replace("weight = 60", "weight = 5");
    let tmp = tempfile::tempdir().unwrap();
    let rules_path = tmp.path().join("annual.toml");
    std::fs::write(&rules_path, text).unwrap();
    let out = tmp.path().join("out");
    let (c, stdout, e) = annual(&[], &rules_path, &out);
    assert_eq!(c, 0, "{e}");
    let line = stdout.lines().find(|l| l.contains("130921")).unwrap();
    assert!(line.contains("不合格"), "{line}");
}

#[test]
fn weights_that_do_not_add_up_are_rejected() {
    let text = std::fs::read_to_string(annual_rules()).unwrap().replace("weight = 40", "weight = 30");
    let (r, d) = rules::parse("annual.toml", &text);
    assert!(r.is_some());
    assert!(d.to_string().contains("component weights add up to 90, not the 100 points"), "{d}");
}

#[test]
fn ties_share_a_rank() {
    use spotcheck::annual::compute::{self, Input};
    let text = r#"
[annual]
name = "t"
year = 2009
points = 100
[[component]]
id = "a"
name = "a"
weight = 100
from = "csv:a"
[[grade]]
name = "合格"
min = 0
"#;
    let (r, d) = rules::parse("t.toml", text);
    assert!(!d.has_errors(), "{d}");
    let r = r.unwrap();
    let scores = [("1", 90.0), ("2", 95.0), ("3", 95.0), ("4", 80.0)];
    let mut inputs = std::collections::BTreeMap::new();
    inputs.insert("a".to_string(), Input::Csv(scores.iter().map(|(c, s)| (c.to_string(), *s)).collect()));
    let counties: Vec<(String, String)> =
        scores.iter().map(|(c, _)| (c.to_string(), c.to_string())).collect();
    let rows = compute::compute(&r, &inputs, &counties).unwrap();
    let ranks: Vec<usize> = rows.iter().map(|r| r.rank).collect();
    assert_eq!(ranks, [3, 1, 1, 4]);
    // A county absent from a source is an error, unless the rules say zero.
    let mut inputs2 = std::collections::BTreeMap::new();
    inputs2
        .insert("a".to_string(), Input::Csv(scores[..3].iter().map(|(c, s)| (c.to_string(), *s)).collect()));
    let err = compute::compute(&r, &inputs2, &counties).unwrap_err().to_string();
    assert!(err.contains("county 4 is not in `a`"), "{err}");
    let (r0, _) = rules::parse("t.toml", &text.replace("points = 100", "points = 100\nmissing = \"zero\""));
    let rows = compute::compute(&r0.unwrap(), &inputs2, &counties).unwrap();
    assert_eq!(rows[3].total, 0.0);
}

#[test]
fn english_headings_with_lang_en() {
    let tmp = tempfile::tempdir().unwrap();
    let (c, _, e) = annual(&["--lang", "en"], &annual_rules(), tmp.path());
    assert_eq!(c, 0, "{e}");
    let csv = std::fs::read_to_string(tmp.path().join("annual.csv")).unwrap();
    assert!(csv.contains("code,county,") && csv.contains("grade"), "{csv}");
    assert!(["excellent", "good", "pass", "fail"].iter().any(|g| csv.contains(g)), "{csv}");
    let zh = std::fs::read_to_string(example().join("annual/annual.csv")).unwrap();
    assert!(zh.contains("县代码") && zh.contains("等级"));
}

/// Regression: the table's veto column listed the campaign's error-rate
/// veto and the annual rule on the same measure once in Chinese, where
/// their short names coincide, and twice in English.
#[test]
fn the_veto_column_lists_the_same_vetoes_in_both_languages() {
    let mut cells = Vec::new();
    for lang in ["zh", "en"] {
        let tmp = tempfile::tempdir().unwrap();
        let (c, out, e) = annual(&["--lang", lang], &annual_rules(), tmp.path());
        assert_eq!(c, 0, "{e}");
        cells.push(out.lines().find(|l| l.contains("130921")).unwrap().to_string());
    }
    let (zh, en) = (&cells[0], &cells[1]);
    assert!(zh.contains("出生统计误差率超过7%；瞒报出生；总分低于80分"), "{zh}");
    assert!(en.contains("birth statistics error rate above 7%; concealed births; total below 80"), "{en}");
    assert!(!en.contains("birth statistics error above 7%"), "{en}");
}

/// Regressions from review: rules that silently gave wrong or empty results.
#[test]
fn annual_rules_refuse_what_would_silently_mislead() {
    let base = std::fs::read_to_string(annual_rules()).unwrap();
    for (change, says) in [
        (base.replace("cap = 3", "cap = -1"), "`cap` must be 0 or more"),
        (base.replace("out_of = 100", "out_of = 0"), "`out_of` must be more than 0"),
        (
            base.replace("campaign = \"face-to-face\"\nmeasure", "campaign = \"elsewhere\"\nmeasure"),
            "feeds no [[component]]",
        ),
    ] {
        let (_, d) = rules::parse("annual.toml", &change);
        assert!(d.to_string().contains(says), "{says}: {d}");
    }
    let none = "[annual]\nname = \"t\"\nyear = 2009\npoints = 100\n[[grade]]\nname = \"合格\"\nmin = 0\n";
    let (_, d) = rules::parse("t.toml", none);
    assert!(d.to_string().contains("no [[component]]"), "{d}");
}

#[test]
fn annual_inputs_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    // A misspelled measure in a veto.
    let text = std::fs::read_to_string(annual_rules())
        .unwrap()
        .replace("measure = \"births_error_rate\"", "measure = \"birth_error_rate\"");
    let path = tmp.path().join("a.toml");
    std::fs::write(&path, text).unwrap();
    let (c, _, e) = annual(&[], &path, &tmp.path().join("o1"));
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("`birth_error_rate`, which is not a measure"), "{e}");
    // A bonus input left out.
    let ex = root("examples/cangzhou-2008");
    let camp = format!("face-to-face={}", example().display());
    let routine = format!("routine={}", ex.join("routine-2009.csv").display());
    let out = tmp.path().join("o2");
    let rules = annual_rules();
    let with_inputs = |inputs: &[&str]| {
        let mut args = vec!["annual", "--rules", rules.to_str().unwrap(), "--campaign", &camp];
        for i in inputs {
            args.extend(["--input", i]);
        }
        args.extend(["--out", out.to_str().unwrap()]);
        run(&args)
    };
    let (c, _, e) = with_inputs(&[&routine]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("item `innovation` reads `bonus`"), "{e}");
    // A negative bonus value.
    let neg = tmp.path().join("bonus.csv");
    std::fs::write(&neg, "县代码,加分\n130921,-2\n").unwrap();
    let bonus = format!("bonus={}", neg.display());
    let (c, _, e) = with_inputs(&[&routine, &bonus]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("values are 0 or more"), "{e}");
}

/// Regression: routine scores outside 0…out_of were clamped (150 → full
/// marks; -40 and 1e308 accepted), and unknown county codes and headers
/// were ignored; an unknown code was said only once the scores were right.
/// Each bad score file in tests/data/annual/err is refused
/// with its diagnostics, exit 1, and no report written.
#[test]
fn bad_score_files_are_refused() {
    let ex = root("examples/cangzhou-2008");
    let camp = format!("face-to-face={}", example().display());
    let bonus = format!("bonus={}", ex.join("bonus-2009.csv").display());
    let rules = annual_rules();
    crate::support::check_dir(&data("annual/err"), "csv", |p| {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let routine = format!("routine={}", p.display());
        let (c, _, e) = run(&[
            "annual",
            "--rules",
            rules.to_str().unwrap(),
            "--campaign",
            &camp,
            "--input",
            &routine,
            "--input",
            &bonus,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(c, 1, "{}: {e}", p.display());
        assert!(!out.exists(), "{}: nothing is written", p.display());
        e.replace(&p.parent().unwrap().display().to_string(), "err")
    });
}

#[test]
fn grades_and_ranks_use_the_printed_total() {
    use spotcheck::annual::compute::{self, Input};
    let text = "[annual]\nname = \"t\"\nyear = 2009\npoints = 100\n[[component]]\nid = \"a\"\nname = \"a\"\nweight = 100\nfrom = \"csv:a\"\n[[grade]]\nname = \"优秀\"\nmin = 95\n[[grade]]\nname = \"合格\"\nmin = 0\n";
    let r = rules::parse("t.toml", text).0.unwrap();
    let mut inputs = std::collections::BTreeMap::new();
    inputs.insert(
        "a".to_string(),
        Input::Csv([("1".to_string(), 94.996), ("2".to_string(), 95.0)].into_iter().collect()),
    );
    let counties = vec![("1".to_string(), "1".to_string()), ("2".to_string(), "2".to_string())];
    let rows = compute::compute(&r, &inputs, &counties).unwrap();
    assert_eq!((rows[0].total, rows[0].rank, rows[0].grade.as_str()), (95.0, 1, "优秀"));
    assert_eq!((rows[1].rank, rows[1].grade.as_str()), (1, "优秀"));
}

/// Regression: with --allow-provisional, annual.csv begins with a one-cell
/// note above the table, and a CSV writer that wants every row as long as
/// the first refused it.
#[test]
fn a_provisional_table_is_written_with_its_note() {
    let (tmp, camp) = crate::support::drawn_example();
    let ex = root("examples/cangzhou-2008");
    let out = tmp.path().join("out");
    let (c, _, e) = run(&[
        "annual",
        "--rules",
        annual_rules().to_str().unwrap(),
        "--campaign",
        &format!("face-to-face={}", camp.display()),
        "--input",
        &format!("routine={}", ex.join("routine-2009.csv").display()),
        "--input",
        &format!("bonus={}", ex.join("bonus-2009.csv").display()),
        "--out",
        out.to_str().unwrap(),
        "--allow-provisional",
    ]);
    assert_eq!(c, 0, "{e}");
    let csv = std::fs::read_to_string(out.join("annual.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().contains("临时结果"), "{csv}");
    assert!(lines.next().unwrap().starts_with("分组,名次,县代码,"), "{csv}");
}

/// A campaign without findings is provisional: annual refuses it (exit 3,
/// nothing written) unless --allow-provisional, and then marks every output.
#[test]
fn annual_refuses_provisional_campaigns_unless_allowed() {
    let (tmp, camp) = crate::support::drawn_example();
    let ex = root("examples/cangzhou-2008");
    let out = tmp.path().join("out");
    let args = |extra: &[&str]| -> (i32, String, String) {
        let campaign = format!("face-to-face={}", camp.display());
        let routine = format!("routine={}", ex.join("routine-2009.csv").display());
        let bonus = format!("bonus={}", ex.join("bonus-2009.csv").display());
        let rules = annual_rules();
        let mut a = vec![
            "annual",
            "--rules",
            rules.to_str().unwrap(),
            "--campaign",
            &campaign,
            "--input",
            &routine,
            "--input",
            &bonus,
            "--out",
            out.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        run(&a)
    };
    let (c, _, e) = args(&[]);
    assert_eq!(c, 3, "{e}");
    assert!(
        e.contains("provisional") && e.contains("without findings") && e.contains("nothing was written"),
        "{e}"
    );
    assert!(!out.join("annual.csv").exists());
    let (c, _, e) = args(&["--allow-provisional"]);
    assert_eq!(c, 0, "{e}");
    for f in ["annual.md", "annual.html"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(text.contains("临时结果"), "{f} is not marked provisional");
    }
}

/// annual-inputs.json records what a run read; --check recomputes from it
/// and confirms the published reports, and names what changed when an
/// input, a report or the campaign changed.
#[test]
fn a_published_result_can_be_checked_against_its_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("annual");
    // Copies of the inputs, so that the test can change them.
    let ex = root("examples/cangzhou-2008");
    let routine = tmp.path().join("routine.csv");
    std::fs::copy(ex.join("routine-2009.csv"), &routine).unwrap();
    let camp = format!("face-to-face={}", example().display());
    let (c, _, e) = run(&[
        "annual",
        "--rules",
        annual_rules().to_str().unwrap(),
        "--campaign",
        &camp,
        "--input",
        &format!("routine={}", routine.display()),
        "--input",
        &format!("bonus={}", ex.join("bonus-2009.csv").display()),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(c, 0, "{e}");
    let manifest = std::fs::read_to_string(out.join("annual-inputs.json")).unwrap();
    assert!(manifest.contains("journal_head") && manifest.contains("\"sha256\""), "{manifest}");
    let check = || run(&["annual", "--check", "--out", out.to_str().unwrap()]);
    let (c, _, e) = check();
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("still matches its inputs"), "{e}");
    // An edited report.
    let md = std::fs::read_to_string(out.join("annual.md")).unwrap();
    std::fs::write(out.join("annual.md"), md.replace("合格", "优秀")).unwrap();
    let (c, _, e) = check();
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("annual.md: the file was changed after it was written"), "{e}");
    std::fs::write(out.join("annual.md"), md).unwrap();
    // A changed input.
    let text = std::fs::read_to_string(&routine).unwrap();
    std::fs::write(&routine, text.replacen("8", "9", 1)).unwrap();
    let (c, _, e) = check();
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("input `routine`") && e.contains("has changed"), "{e}");
}

/// No output shows a zero-width interval: every `_lo`/`_hi` pair of every
/// county's measures, and every interval of the scorecards, has lo < hi
/// (the example's honest counties match their reports exactly, where a
/// design-based interval would have zero width).
#[test]
fn no_interval_in_the_scorecards_has_zero_width() {
    let json = std::fs::read_to_string(example().join("score/scorecards.json")).unwrap();
    let cards: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut pairs = 0;
    for c in cards.as_array().unwrap() {
        let m = c["measures"].as_object().unwrap();
        for (k, lo) in m.iter().filter(|(k, _)| k.ends_with("_lo")) {
            let hi = &m[&format!("{}_hi", &k[..k.len() - 3])];
            assert!(lo.as_f64().unwrap() < hi.as_f64().unwrap(), "{} {k}: {lo} – {hi}", c["code"]);
            pairs += 1;
        }
    }
    assert!(pairs > 500, "{pairs}");
    let csv = std::fs::read_to_string(example().join("score/scorecards.csv")).unwrap();
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    let (lo, hi) = (
        header.iter().position(|h| *h == "区间下限").unwrap(),
        header.iter().position(|h| *h == "区间上限").unwrap(),
    );
    let mut shown = 0;
    for r in rows {
        let f: Vec<&str> = r.split(',').collect();
        if let (Ok(a), Ok(b)) = (f[lo].parse::<f64>(), f[hi].parse::<f64>()) {
            assert!(a < b, "{r}");
            shown += 1;
        }
    }
    assert!(shown > 50, "{shown}");
}

/// Without a campaign the counties come from the score files themselves:
/// a file with a bad score is refused for that score alone, its codes are
/// not called unknown.
#[test]
fn a_bad_score_without_a_campaign_is_the_only_problem_said() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("annual.toml");
    std::fs::write(
        &rules,
        "[annual]\nname = \"t\"\nyear = 2009\npoints = 100\n\n[[component]]\nid = \"routine\"\nname = \"平时考核\"\nweight = 100\nfrom = \"csv:routine\"\n\n[[grade]]\nname = \"合格\"\nmin = 0\n",
    )
    .unwrap();
    let routine = tmp.path().join("routine.csv");
    std::fs::write(&routine, "县代码,平时考核得分\n130902,85.6\n130903,-40\n").unwrap();
    let out = tmp.path().join("out");
    let input = format!("routine={}", routine.display());
    let (c, _, e) = run(&[
        "annual",
        "--rules",
        rules.to_str().unwrap(),
        "--input",
        &input,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("-40 is outside 0") && e.contains("1 problem found"), "{e}");
    assert!(!e.contains("not among the counties assessed"), "{e}");
}
