//! Scoring against independent references: R's survey package on a shared
//! fixture, the domain's worked examples, interval reference values.

use std::collections::BTreeMap;

use spotcheck::score::estimate::{self, LonelyPsu, Obs, PropMethod, Settings};

use crate::support::data;

fn fixture() -> Vec<(String, Obs, f64)> {
    let text = std::fs::read_to_string(data("score/fixture.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let obs = Obs {
                stratum: f[1].into(),
                psu: f[2].into(),
                w: f[3].parse().unwrap(),
                y: f[4].parse().unwrap(),
                x: f[5].parse().unwrap(),
            };
            (f[0].to_string(), obs, f[6].parse().unwrap())
        })
        .collect()
}

/// R's numbers: (lonely, scope, name) → (estimate, se, lo, hi).
fn reference() -> BTreeMap<(String, String, String), Vec<f64>> {
    let text = std::fs::read_to_string(data("score/survey-reference.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let nums = f[3..].iter().map(|v| v.parse::<f64>().unwrap_or(f64::NAN)).collect();
            ((f[0].to_string(), f[1].to_string(), f[2].to_string()), nums)
        })
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

/// Estimates, SEs, degrees of freedom and t intervals agree with R's
/// survey for each lonely-PSU choice; where R has no interval (no degrees
/// of freedom) or a zero-width one, spotcheck gives an exact bound of
/// positive width instead.
#[test]
fn estimators_agree_with_r_survey() {
    let rows = fixture();
    let reference = reference();
    let mut scopes: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    scopes.dedup();
    scopes.push("all".into());
    let mut checked = 0;
    let mut intervals = 0;
    let mut fallbacks = 0;
    for lonely in [LonelyPsu::Certainty, LonelyPsu::Adjust, LonelyPsu::Average] {
        let s = Settings { level: 0.95, lonely };
        for scope in &scopes {
            let obs: Vec<Obs> =
                rows.iter().filter(|r| scope == "all" || &r.0 == scope).map(|r| r.1.clone()).collect();
            let paid: Vec<Obs> = rows
                .iter()
                .filter(|r| scope == "all" || &r.0 == scope)
                .map(|r| Obs { y: r.2, x: 1.0, ..r.1.clone() })
                .collect();
            let t = estimate::total(&obs, &s, true).unwrap();
            let r = estimate::ratio(&obs, &s).unwrap().unwrap();
            let m = estimate::ratio(&paid, &s).unwrap().unwrap();
            let key = |n: &str| (lonely.name().to_string(), scope.clone(), n.to_string());
            assert_eq!(t.df as f64, reference[&key("degf")][0], "{scope} degf");
            for (name, e) in [("total_found", &t), ("ratio_found_reported", &r), ("mean_paid", &m)] {
                let want = &reference[&key(name)];
                assert!(
                    close(e.value, want[0], 1e-9),
                    "{lonely:?} {scope} {name}: {} vs R {}",
                    e.value,
                    want[0]
                );
                let se_ok = if want[1].is_nan() {
                    // R: every stratum lonely under "average".
                    !e.pivot.design_based()
                } else {
                    close(e.se, want[1], 1e-9) || (e.se < 1e-12 && want[1].abs() < 1e-12)
                };
                assert!(se_ok, "{lonely:?} {scope} {name} se: {} vs R {}", e.se, want[1]);
                checked += 1;
                if e.pivot.design_based() {
                    assert!(
                        close(e.lo, want[2], 1e-9) && close(e.hi, want[3], 1e-9),
                        "{lonely:?} {scope} {name}: [{}, {}] vs R [{}, {}]",
                        e.lo,
                        e.hi,
                        want[2],
                        want[3]
                    );
                    intervals += 1;
                } else {
                    // R's interval is missing (df 0) or has zero width.
                    assert!(want[2].is_nan() || want[2] == want[3], "{lonely:?} {scope} {name}: {want:?}");
                    assert!(e.hi > e.lo, "{lonely:?} {scope} {name}: zero-width fallback {e:?}");
                    fallbacks += 1;
                }
            }
        }
    }
    // The design-based proportion interval (R fits a GLM iteratively, so its
    // point estimate agrees to about 1e-9 and the interval to 1e-7).
    let s = Settings { level: 0.95, lonely: LonelyPsu::Certainty };
    let paid: Vec<Obs> = rows.iter().map(|r| Obs { y: r.2, ..r.1.clone() }).collect();
    let p = estimate::proportion(&paid, &s, PropMethod::Design).unwrap().unwrap();
    let want = &reference[&("certainty".to_string(), "all".to_string(), "ciprop_paid_logit".to_string())];
    assert!(
        close(p.lo, want[2], 1e-7) && close(p.hi, want[3], 1e-7),
        "{} {} vs R {} {}",
        p.lo,
        p.hi,
        want[2],
        want[3]
    );
    let obs: Vec<Obs> = rows.iter().map(|r| r.1.clone()).collect();
    assert_eq!(
        estimate::degrees_of_freedom(&obs) as f64,
        reference[&("certainty".to_string(), "all".to_string(), "degf".to_string())][0]
    );
    assert!(checked >= 150 && intervals >= 60 && fallbacks >= 10, "{checked} {intervals} {fallbacks}");
}

mod rules_and_points {
    use std::collections::BTreeMap;

    use spotcheck::findings::values::Value;
    use spotcheck::rules::{self, Rules};
    use spotcheck::score::card::card;
    use spotcheck::score::estimate::Side;
    use spotcheck::score::measures::{CountyInput, Sampled, measure};
    use spotcheck::score::points;

    use crate::support::{data, example_rules, root, run};

    /// Measures given as plain values, bounds included by name.
    struct Values<'a>(&'a BTreeMap<String, f64>);

    impl points::Lookup for Values<'_> {
        fn value(&self, name: &str) -> Option<f64> {
            self.0.get(name).copied()
        }
        fn bound(&self, name: &str, side: Side) -> Option<f64> {
            let s = if side == Side::Lower { "lcb" } else { "ucb" };
            self.0.get(&format!("{name}_{s}")).or(self.0.get(name)).copied()
        }
        fn risk(&self, _: &str, _: f64, _: Side) -> Option<f64> {
            None
        }
        fn level(&self) -> Option<f64> {
            None
        }
    }

    fn rules() -> Rules {
        rules::load(&example_rules(), "rules.toml").unwrap()
    }

    /// A county of `n` sampled villages in two PSUs, with births found and
    /// reported as given, every other field equal in report and findings.
    fn county(found: &[u64], reported: &[u64], reported_total: f64) -> CountyInput {
        let sampled = found
            .iter()
            .zip(reported)
            .enumerate()
            .map(|(i, (&f, &r))| {
                let row = |b: u64| -> BTreeMap<String, Value> {
                    [
                        ("births", Value::Count(b)),
                        ("married", Value::Count(5)),
                        ("long_acting_required", Value::Count(10)),
                        ("long_acting_done", Value::Count(9)),
                        ("fee_due", Value::Amount(100_000)),
                        ("fee_collected", Value::Amount(80_000)),
                        ("one_child_reward_paid", Value::YesNo(true)),
                        ("service_room", Value::YesNo(true)),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect()
                };
                let mut found_row = row(f);
                found_row.insert("complaints".into(), Value::Count(0));
                Sampled {
                    code: format!("v{i}"),
                    name: String::new(),
                    stratum: "c".into(),
                    psu: format!("t{}", i % 2),
                    w: 10.0,
                    reported: Some(row(r)),
                    found: Some(found_row),
                }
            })
            .collect();
        let mut totals = BTreeMap::new();
        totals.insert("births".to_string(), reported_total);
        CountyInput {
            code: "c".into(),
            name: "c".into(),
            reported_totals: totals,
            report_submitted: true,
            villages: 100,
            reported_villages: 100,
            sampled,
        }
    }

    #[test]
    fn worked_examples_of_the_domain_notes() {
        let r = rules();
        // 15,844 births found against 15,832 reported: accuracy 99.92%.
        let m = measure(&r, &county(&[15_844], &[15_832], 15_832.0), 0.95).unwrap();
        assert!(
            (m.get("births_accuracy").unwrap() - 0.999_242_6).abs() < 1e-6,
            "{:?}",
            m.get("births_accuracy")
        );
        // Under-report rate 10% in the sample: 5,706 reported → 5,706 / 0.9 = 6,340.
        let m = measure(&r, &county(&[60, 40], &[54, 36], 5706.0), 0.95).unwrap();
        assert!((m.get("births_under_rate").unwrap() - 0.10).abs() < 1e-12);
        assert!((m.get("births_verified").unwrap() - 6340.0).abs() < 1e-9, "{:?}", m.get("births_verified"));
    }

    #[test]
    fn exact_reports_lose_nothing_for_accuracy() {
        let r = rules();
        let c = card(&r, &county(&[3, 5, 7, 9], &[3, 5, 7, 9], 24.0), 0.95).unwrap();
        let acc = c.results.iter().find(|x| x.id == "birth_accuracy").unwrap();
        assert_eq!(acc.earned, acc.max);
        assert!(c.vetoes.is_empty(), "{:?}", c.vetoes);
        for x in &c.measures.values {
            assert!(x.1.is_finite(), "{} is not finite", x.0);
        }
    }

    #[test]
    fn zero_found_and_zero_reported_give_finite_measures() {
        let r = rules();
        let c = card(&r, &county(&[0, 0], &[0, 0], 0.0), 0.95).unwrap();
        assert!(c.measures.values.values().all(|v| v.is_finite()));
        let c = card(&r, &county(&[0, 0], &[4, 4], 8.0), 0.95).unwrap();
        assert_eq!(c.measures.get("births_error_rate"), Some(1.0));
    }

    #[test]
    fn a_worse_report_never_scores_higher() {
        let r = rules();
        let found = [10, 12, 8, 14, 9, 11];
        let mut last = f64::INFINITY;
        for k in 0..=10u64 {
            // Reports fall further below the truth as k grows.
            let reported: Vec<u64> = found.iter().map(|f| f * (20 - k) / 20).collect();
            let total: u64 = reported.iter().sum();
            let c = card(&r, &county(&found, &reported, total as f64), 0.95).unwrap();
            assert!(c.total <= last + 1e-9, "k = {k}: {} after {last}", c.total);
            last = c.total;
        }
    }

    #[test]
    fn scores_stay_within_their_points_plus_bonus() {
        let r = rules();
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let names = spotcheck::score::measures::measure_names(&r);
        for _ in 0..2000 {
            let values: BTreeMap<String, f64> =
                names.iter().map(|n| (n.clone(), next() * 3.0 - 0.5)).collect();
            for ind in &r.scoring.indicators {
                let s = points::score(ind, &Values(&values));
                let bonus_cap = match &ind.kind {
                    spotcheck::rules::scoring::IndicatorKind::Target { bonus_cap, .. } => *bonus_cap,
                    _ => 0.0,
                };
                assert!(s.earned >= 0.0 && s.earned <= ind.points + 1e-9, "{}: {}", ind.id, s.earned);
                assert!(s.bonus >= 0.0 && s.bonus <= bonus_cap + 1e-9, "{}: bonus {}", ind.id, s.bonus);
            }
        }
    }

    #[test]
    fn scoring_cases_pass_and_a_wrong_case_fails() {
        let (c, out, e) = run(&["test", root("examples/cangzhou-2008/rules").to_str().unwrap()]);
        assert_eq!(c, 0, "{out}{e}");
        assert!(e.contains("27 passed, 0 failed"), "{e}");
        let (c, out, _) = run(&["test", data("score/cases-fail").to_str().unwrap()]);
        assert_eq!(c, 1);
        assert!(out.contains("FAIL deliberately wrong expectation"), "{out}");
    }

    #[test]
    fn unknown_names_in_indicators_are_errors_with_their_line() {
        let text = std::fs::read_to_string(example_rules())
            .unwrap()
            .replace("births_under_cases", "births_undercases");
        let (_, d) = rules::parse("r.toml", &text);
        let e = d.to_string();
        assert!(e.contains("`births_undercases` is not a measure"), "{e}");
        assert!(e.starts_with("r.toml:"), "{e}");
    }
}
