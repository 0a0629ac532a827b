//! Planning against published and independently computed references.

use spotcheck::plan::attribute::{Expected, Model, sample_size};
use spotcheck::plan::limit::{cp_lower, cp_upper};
use spotcheck::plan::lqas;
use spotcheck::plan::rate::Rate;

use crate::support::data;

fn rate(s: &str) -> Rate {
    Rate::parse(s).unwrap()
}

/// Checks every printed cell of an AICPA sample-size table; returns how many.
fn check_aicpa(file: &str, confidence: &str) -> usize {
    let text = std::fs::read_to_string(data(file)).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().skip(1).collect();
    let mut cells = 0;
    let mut wrong = Vec::new();
    for line in lines {
        let mut parts = line.split_whitespace();
        let expected = parts.next().unwrap();
        for (tol, cell) in header.iter().zip(parts) {
            if cell == "*" {
                continue;
            }
            let (n, x) = cell.trim_end_matches(')').split_once('(').unwrap();
            let (n, x): (u64, u64) = (n.parse().unwrap(), x.parse().unwrap());
            let plan =
                sample_size(rate(tol), Expected::Rate(rate(expected)), rate(confidence), Model::Binomial)
                    .unwrap();
            if (plan.n, plan.deviations) != (n, x) {
                wrong.push(format!(
                    "expected {expected}, tolerable {tol}: table {n}({x}), computed {}({})",
                    plan.n, plan.deviations
                ));
            }
            cells += 1;
        }
    }
    assert!(wrong.is_empty(), "{file}:\n{}", wrong.join("\n"));
    cells
}

#[test]
fn aicpa_tables_a1_and_a2() {
    let n95 = check_aicpa("plan/aicpa-a1-95.txt", "0.95");
    let n90 = check_aicpa("plan/aicpa-a2-90.txt", "0.90");
    assert!(n95 >= 40 && n90 >= 40, "cells checked: {n95} at 95%, {n90} at 90%");
}

#[test]
fn finite_population_sample_sizes() {
    let text = std::fs::read_to_string(data("plan/hypergeometric.txt")).unwrap();
    let mut cells = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (population, tol, conf, n): (u64, &str, &str, u64) =
            (f[0].parse().unwrap(), f[1], f[2], f[3].parse().unwrap());
        let plan =
            sample_size(rate(tol), Expected::Count(0), rate(conf), Model::Hypergeometric { population })
                .unwrap();
        assert_eq!(plan.n, n, "N {population}, tolerable {tol}, confidence {conf}");
        cells += 1;
    }
    assert!(cells >= 10);
}

#[test]
fn clopper_pearson_against_mpmath() {
    let text = std::fs::read_to_string(data("plan/cp-reference.txt")).unwrap();
    let mut rows = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (n, x, conf): (u64, u64, f64) =
            (f[0].parse().unwrap(), f[1].parse().unwrap(), f[2].parse().unwrap());
        let (lo, hi): (f64, f64) = (f[3].parse().unwrap(), f[4].parse().unwrap());
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-300) || (a - b).abs() < 1e-15;
        assert!(
            close(cp_lower(n, x, conf), lo),
            "lower n {n} x {x} conf {conf}: {} vs {lo}",
            cp_lower(n, x, conf)
        );
        assert!(
            close(cp_upper(n, x, conf), hi),
            "upper n {n} x {x} conf {conf}: {} vs {hi}",
            cp_upper(n, x, conf)
        );
        rows += 1;
    }
    assert!(rows >= 40);
}

#[test]
fn lqas_19_at_80_50() {
    let r = lqas::rule_for(19, 0.8, 0.5);
    assert_eq!(r.d, 13);
    assert!(r.alpha < 0.10 && r.beta < 0.10);
}

#[test]
fn n_never_decreases_as_the_tolerable_rate_falls() {
    for conf in ["0.90", "0.95", "0.99"] {
        for expected in ["0", "0.005", "0.01"] {
            let mut last = 0;
            for pct in (2..=30).rev() {
                let tol = Rate { num: pct, den: 100 };
                if !rate(expected).lt(tol) {
                    continue;
                }
                let n = sample_size(tol, Expected::Rate(rate(expected)), rate(conf), Model::Binomial)
                    .map_or(u64::MAX, |p| p.n);
                assert!(n >= last, "conf {conf}, expected {expected}: n fell to {n} at {pct}%");
                last = n;
            }
        }
    }
}

#[test]
fn hypergeometric_never_needs_more_than_binomial() {
    for population in [30, 80, 200, 750, 3000] {
        for pct in [3, 5, 10, 20] {
            for count in [0, 1, 2] {
                let tol = Rate { num: pct, den: 100 };
                let c = rate("0.95");
                let b = sample_size(tol, Expected::Count(count), c, Model::Binomial).unwrap();
                if let Ok(h) =
                    sample_size(tol, Expected::Count(count), c, Model::Hypergeometric { population })
                {
                    assert!(
                        h.n <= b.n,
                        "N {population}, {pct}%, {count}: hypergeometric {} > binomial {}",
                        h.n,
                        b.n
                    );
                }
            }
        }
    }
}

/// The rules' per-stratum plans (floating point with an exact fallback at
/// the boundary) agree with exact rational arithmetic over a grid.
#[test]
fn stratum_plans_match_exact_arithmetic() {
    let text = std::fs::read_to_string(data("plan/hypergeometric-grid.txt")).unwrap();
    let mut wrong = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let population: u64 = f[0].parse().unwrap();
        let want: u64 = f[4].parse().unwrap();
        let got = sample_size(
            rate(f[1]),
            Expected::Rate(rate(f[3])),
            rate(f[2]),
            Model::Hypergeometric { population },
        )
        .map_or(population, |p| p.n);
        if got != want {
            wrong.push(format!("{line}: got {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

mod simulation {
    use spotcheck::frame::tree::Population;
    use spotcheck::frame::{self};
    use spotcheck::plan::rate::Rate;
    use spotcheck::rules;
    use spotcheck::sample::power::{Pattern, Spec, plant, simulate};
    use spotcheck::sample::{Design, excluded_codes};
    use spotcheck::text::Encoding;

    use crate::support::data;

    const RULES: &str = r#"
[campaign]
name = "power"
issuer = "spotcheck"
document = "tests"
issued = 2026-01-01
period = { start = 2026-01-01, end = 2026-01-31 }
check_window = { start = 2026-02-01, end = 2026-02-28 }

[frame]
code = "code"
name = "name"
county_code = "county_code"
county = "county"
township_code = "township_code"
township = "township"
sizes = ["population"]

[[stage]]
level = "county"
n = "all"

[[stage]]
level = "village"
n = 3
"#;

    fn run(pattern: Pattern, replicates: u64, threads: usize) -> Vec<spotcheck::sample::power::Power> {
        let r = rules::parse("power.toml", RULES).0.unwrap();
        let bytes = std::fs::read(data("vectors/frame.csv")).unwrap();
        let (f, d) = frame::from_bytes("frame.csv", &bytes, &r.frame, Encoding::Auto);
        assert!(!d.has_errors(), "{d}");
        let pop = Population::new(&f, &excluded_codes(&r));
        let design = Design::prepare(&r, &pop).0.unwrap();
        let spec =
            Spec { rate: Rate { num: 3, den: 10 }, pattern, replicates, seed: 7, threads, size_column: 0 };
        simulate(&design, &pop, &spec, &|_| {})
    }

    #[test]
    fn srs_detection_agrees_with_the_exact_hypergeometric_value() {
        let res = run(Pattern::Random, 4000, 2);
        // North: 9 villages, ⌈2.7⌉ = 3 planted, 3 drawn: 1 − C(6,3)/C(9,3).
        // South: 7 villages, ⌈2.1⌉ = 3 planted: 1 − C(4,3)/C(7,3).
        for (p, exact) in res.iter().zip([1.0 - 20.0 / 84.0, 1.0 - 4.0 / 35.0]) {
            assert_eq!(p.planted, 3);
            assert!(
                (p.detect - exact).abs() < 4.0 * p.detect_se,
                "{} vs exact {exact} (se {})",
                p.detect,
                p.detect_se
            );
            // Expected number found: 3 drawn × 3 planted / N.
            let mean = 9.0 / p.villages as f64;
            assert!((p.found - mean).abs() < 4.0 * p.found_se, "{} vs {mean}", p.found);
        }
    }

    #[test]
    fn results_do_not_depend_on_the_number_of_threads() {
        for pattern in [Pattern::Random, Pattern::Clustered] {
            let one = run(pattern, 300, 1);
            assert_eq!(one, run(pattern, 300, 2));
            assert_eq!(one, run(pattern, 300, 3));
        }
    }

    #[test]
    fn planting_patterns() {
        let r = rules::parse("power.toml", RULES).0.unwrap();
        let bytes = std::fs::read(data("vectors/frame.csv")).unwrap();
        let f = frame::from_bytes("frame.csv", &bytes, &r.frame, Encoding::Auto).0;
        let pop = Population::new(&f, &excluded_codes(&r));
        let spec = |pattern| Spec {
            rate: Rate { num: 3, den: 10 },
            pattern,
            replicates: 1,
            seed: 7,
            threads: 1,
            size_column: 0,
        };
        let names = |marks: Vec<bool>| -> Vec<String> {
            let mut v: Vec<String> =
                (0..marks.len()).filter(|&i| marks[i]).map(|i| f.name(i).to_string()).collect();
            v.sort();
            v
        };
        // The three smallest of each county by population.
        assert_eq!(
            names(plant(&pop, &spec(Pattern::Small))),
            ["Brook", "Dale", "Ivy", "Lark", "Nook", "Oak"]
        );
        assert_eq!(
            names(plant(&pop, &spec(Pattern::Large))),
            ["Cross", "Elm", "Heath", "Jay", "Kell", "Moss"]
        );
        // Clustered: whole townships only.
        let marks = plant(&pop, &spec(Pattern::Clustered));
        for t in 0..f.townships.len() {
            let members: Vec<bool> =
                (0..f.villages.len()).filter(|&v| f.villages[v].township == t).map(|v| marks[v]).collect();
            assert!(members.iter().all(|m| *m) || members.iter().all(|m| !*m), "township {t} split");
        }
    }
}

mod commands {
    use crate::support::{drawn_example, run, run_in};

    #[test]
    fn plan_attribute_prints_a_sentence_and_formats() {
        let (c, out, e) = run(&["plan", "attribute", "--tolerable", "5%", "--expected", "1%"]);
        assert_eq!(c, 0, "{e}");
        assert!(
            out.contains(
                "Check 93 units: if at most 1 deviates, the deviation rate is below 5% with 95% confidence"
            ),
            "{out}"
        );
        let (_, json, _) =
            run(&["plan", "attribute", "--tolerable", "0.10", "--population", "212", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["sample_size"], 26);
        let (_, csv, _) = run(&[
            "plan",
            "limit",
            "--n",
            "20",
            "--deviations",
            "1",
            "--confidence",
            "97.5%",
            "--format",
            "csv",
        ]);
        assert!(csv.starts_with("n,deviations,confidence,upper_limit,sentence\n20,1,0.975,0.2487"), "{csv}");
        let (_, table, _) =
            run(&["plan", "limit", "--n", "59", "--deviations", "0", "--table-rounding", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&table).unwrap();
        assert_eq!(v["upper_limit"], 0.05);
        let (_, lqas, _) = run(&["plan", "lqas", "--upper", "80%", "--lower", "50%"]);
        assert!(lqas.contains("Check 19 units; the area passes if at least 13 comply."), "{lqas}");
        // Regression: with no deviation, --lower printed "at least 0.00%".
        let (_, text, _) = run(&["plan", "limit", "--n", "29", "--deviations", "0", "--lower"]);
        assert!(text.contains("sets no lower limit above 0") && !text.contains("at least 0.00%"), "{text}");
        let (_, text, _) = run(&["plan", "limit", "--n", "100", "--deviations", "10", "--lower"]);
        assert!(text.contains("It is at least 5.5"), "{text}");
    }

    #[test]
    fn bad_planning_input_exits_2_with_a_message() {
        for (args, says) in [
            (&["plan", "attribute", "--tolerable", "1.5"][..], "more than 1"),
            (&["plan", "attribute", "--tolerable", "0"], "between 0 and 1"),
            (&["plan", "attribute", "--tolerable", "5%", "--expected", "5%"], "must be below the tolerable"),
            (&["plan", "attribute", "--tolerable", "5%", "--confidence", "1"], "confidence must be between"),
            (
                &["plan", "attribute", "--tolerable", "10%", "--expected-count", "3", "--population", "20"],
                "population is smaller",
            ),
            (&["plan", "limit", "--n", "5", "--deviations", "6"], "cannot be found"),
            (&["plan", "lqas", "--n", "19", "--upper", "50%", "--lower", "80%"], "lower < upper"),
        ] {
            let (c, _, e) = run(args);
            assert_eq!(c, 2, "{args:?}: {e}");
            assert!(e.contains(says), "{args:?}: {e}");
        }
    }

    #[test]
    fn simulate_runs_on_the_campaign_and_reports_every_county() {
        let (_tmp, camp) = drawn_example();
        let (c, out, e) =
            run_in(&camp, &["plan", "simulate", "--rate", "10%", "--replicates", "50", "--format", "csv"]);
        assert_eq!(c, 0, "{e}");
        // Progress shows only on a terminal; a redirected stderr gets the
        // summary line alone.
        assert!(e.contains("50 replicates on") && !e.contains('\r'), "{e}");
        assert_eq!(out.lines().count(), 1 + 18 + 1, "header, 18 counties, all: {out}");
        let (c, out, _) = run_in(
            &camp,
            &["plan", "simulate", "--rate", "10%", "--pattern", "clustered", "--replicates", "20"],
        );
        assert_eq!(c, 0);
        assert!(out.contains("至少查出一个的比例为"), "{out}");
        let (c, out, _) = run_in(
            &camp,
            &[
                "--lang",
                "en",
                "plan",
                "simulate",
                "--rate",
                "10%",
                "--pattern",
                "clustered",
                "--replicates",
                "20",
            ],
        );
        assert_eq!(c, 0);
        assert!(out.contains("found at least one of them in"), "{out}");
        let (c, _, e) = run_in(&camp, &["plan", "simulate", "--rate", "0"]);
        assert_eq!(c, 2, "{e}");
    }
}

/// `check` prints each county's PSUs and degrees of freedom before any
/// draw, and warns where verdicts would rest on fewer than 2; `plan
/// simulate --noise` scores honest and concealing counties by the real
/// rules and reports frequencies with their simulation errors.
mod verdicts {
    use crate::support::{example_frame, example_rules, init, root, run, run_in};

    #[test]
    fn check_reports_degrees_of_freedom_and_warns_when_few() {
        let (c, out, e) = run(&[
            "check",
            "--rules",
            example_rules().to_str().unwrap(),
            "--frame",
            example_frame().to_str().unwrap(),
        ]);
        assert_eq!(c, 0, "{e}");
        let line = out.lines().find(|l| l.starts_with("130921")).unwrap();
        let df: usize = line.split_whitespace().last().unwrap().parse().unwrap();
        assert!(df >= 3, "{line}");
        assert!(!e.contains("fewer than 2 degrees of freedom"), "{e}");
        // Two villages per county from one township: no degrees of freedom.
        let tmp = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(example_rules())
            .unwrap()
            .replace("total = 80, min = 4, max = 6", "total = 18, min = 1, max = 1");
        let rules = tmp.path().join("r.toml");
        std::fs::write(&rules, text).unwrap();
        copy_lists(tmp.path());
        let (c, _, e) =
            run(&["check", "--rules", rules.to_str().unwrap(), "--frame", example_frame().to_str().unwrap()]);
        assert_eq!(c, 0, "{e}");
        assert!(e.contains("fewer than 2 degrees of freedom"), "{e}");
    }

    fn copy_lists(dir: &std::path::Path) {
        let from = root("rules/lists");
        std::fs::create_dir_all(dir.join("lists")).unwrap();
        for f in std::fs::read_dir(from).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, dir.join("lists").join(f.file_name().unwrap())).unwrap();
        }
    }

    #[test]
    fn simulate_noise_reports_veto_frequencies_for_honest_and_concealing_counties() {
        let tmp = tempfile::tempdir().unwrap();
        let camp = tmp.path().join("camp");
        assert_eq!(init(&camp, &example_rules(), &example_frame()).0, 0);
        let (c, out, e) = run_in(&camp, &["plan", "simulate", "--noise", "10%", "--replicates", "2"]);
        assert_eq!(c, 2, "without self-reports there is no truth to simulate: {out}{e}");
        assert!(e.contains("no self-reports"), "{e}");
        let reports: Vec<String> = std::fs::read_dir(root("examples/cangzhou-2008/reports"))
            .unwrap()
            .map(|f| f.unwrap().path().display().to_string())
            .collect();
        let mut args = vec!["reports", "import"];
        args.extend(reports.iter().map(String::as_str));
        assert_eq!(run_in(&camp, &args).0, 0);
        let (c, out, e) = run_in(
            &camp,
            &[
                "plan",
                "simulate",
                "--noise",
                "10%",
                "--conceal",
                "30%",
                "--replicates",
                "6",
                "--format",
                "csv",
            ],
        );
        assert_eq!(c, 0, "{e}");
        let rows: Vec<Vec<&str>> = out.lines().skip(1).map(|l| l.split(',').collect()).collect();
        let any = |scenario: &str| -> f64 {
            rows.iter().find(|r| r[0] == "all" && r[4] == scenario && r[5] == "any veto").unwrap()[7]
                .parse()
                .unwrap()
        };
        // Honest counties are not vetoed; hiding 30% of births is caught.
        assert!(any("honest") < 0.05, "{out}");
        assert!(any("concealing") > 0.5, "{out}");
        let (c, out, _) = run_in(&camp, &["plan", "simulate", "--noise", "10%", "--replicates", "2"]);
        assert_eq!(c, 0);
        assert!(
            out.contains("诚实县") && out.contains("瞒报出生（一票否决）") && out.contains(" ± "),
            "{out}"
        );
        let (c, out, _) =
            run_in(&camp, &["--lang", "en", "plan", "simulate", "--noise", "10%", "--replicates", "2"]);
        assert_eq!(c, 0);
        assert!(out.contains("honest county") && out.contains("concealed births (veto)"), "{out}");
    }
}

/// The commented template in rules/ stays a valid campaign: it checks
/// against the example's frame with no error.
#[test]
fn the_rules_template_checks_against_the_example_frame() {
    let (c, out, e) = crate::support::run(&[
        "check",
        "--rules",
        crate::support::root("rules/template-campaign.toml").to_str().unwrap(),
        "--frame",
        crate::support::example_frame().to_str().unwrap(),
    ]);
    assert_eq!(c, 0, "{e}");
    assert!(out.contains("130921") && !e.contains("error"), "{out}{e}");
}

/// Households per village for a rate within a margin: without clustering
/// (design effect 1) the simple random sample of 385 shared by 25 villages;
/// with a design effect of 2 at 20 households, many more; a correlation no
/// number of households can overcome asks for more villages.
#[test]
fn households_per_village_for_a_margin() {
    let run = |args: &[&str]| {
        let mut all = vec!["plan", "households", "--margin", "5%"];
        all.extend(args);
        let (c, out, e) = crate::support::run(&all);
        assert_eq!(c, 0, "{e}");
        out
    };
    let srs = run(&["--villages", "25", "--deff", "1", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&srs).unwrap();
    // 1.96² × 0.25 / 0.05² = 384.15 households, 15.4 per village.
    assert_eq!(v["counties"][0]["households_per_village"], 16, "{srs}");
    let clustered = run(&["--villages", "25", "--deff", "2", "--at", "20", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&clustered).unwrap();
    assert_eq!(v["counties"][0]["households_per_village"], 77, "{clustered}");
    let hopeless = run(&["--villages", "10", "--deff", "5", "--at", "20"]);
    assert!(hopeless.contains("需增加抽查村数"), "{hopeless}");
    let (c, _, e) = crate::support::run(&["plan", "households", "--margin", "5%", "--deff", "2"]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("--villages"), "{e}");
}
