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
            let obs =
                Obs::new(f[1], f[2], f[3].parse().unwrap(), f[4].parse().unwrap(), f[5].parse().unwrap());
            (f[0].to_string(), obs, f[6].parse().unwrap())
        })
        .collect()
}

/// R's numbers: (lonely, scope, name) → (estimate, se, lo, hi).
fn reference() -> BTreeMap<(String, String, String), Vec<f64>> {
    r_reference("score/survey-reference.txt")
}

/// A reference file written by an R script under tests/data: lines of
/// three keys and numbers (`NA` read as NaN), `#` lines skipped.
pub(crate) fn r_reference(file: &str) -> BTreeMap<(String, String, String), Vec<f64>> {
    let text = std::fs::read_to_string(data(file)).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let nums = f[3..].iter().map(|v| v.parse::<f64>().unwrap_or(f64::NAN)).collect();
            ((f[0].to_string(), f[1].to_string(), f[2].to_string()), nums)
        })
        .collect()
}

pub(crate) fn close(a: f64, b: f64, rel: f64) -> bool {
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
                    households: None,
                    listed: false,
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

    /// Regression: a sampled village without findings was dropped from the
    /// HT sum, in effect counting as zero. Under "reweight" the villages of
    /// its PSU carry its weight; under "worst" it counts as 0 found.
    #[test]
    fn missing_findings_are_reweighted_or_the_worst_case() {
        let mut r = rules();
        let mut c = county(&[10, 10, 10, 10, 10, 10], &[10, 10, 10, 10, 10, 10], 600.0);
        let full = measure(&r, &c, 0.95).unwrap();
        c.sampled[0].found = None;
        let m = measure(&r, &c, 0.95).unwrap();
        // The HT total is unchanged: the two other villages of PSU t0 carry v0.
        assert!((m.get("births_ht").unwrap() - full.get("births_ht").unwrap()).abs() < 1e-9);
        assert_eq!(m.reweighted, ["v0"]);
        assert_eq!(m.missing_findings, ["v0"]);
        r.scoring.missing_findings = spotcheck::rules::scoring::MissingFindings::Worst;
        let w = measure(&r, &c, 0.95).unwrap();
        // Worst case: v0 found 0 births against 10 reported.
        assert_eq!(w.get("births_over_cases"), Some(10.0));
        assert!(w.get("births_error_rate").unwrap() > 0.15, "{:?}", w.get("births_error_rate"));
        assert!(w.reweighted.is_empty());
        // Either way the card is provisional.
        assert!(card(&r, &c, 0.95).unwrap().provisional);
    }

    /// Regression: villages left out of a self-report were scored as
    /// concealment. They are their own measures; the comparison uses the
    /// reported villages, and the verified total adds what the left-out
    /// villages hold.
    #[test]
    fn villages_left_out_of_the_report_are_their_own_finding() {
        let r = rules();
        let mut c = county(&[10, 12, 8, 14, 9, 11], &[10, 12, 8, 14, 9, 11], 540.0);
        c.sampled[0].reported = None;
        c.reported_villages = 90;
        let m = measure(&r, &c, 0.95).unwrap();
        assert_eq!(m.get("births_under_rate"), Some(0.0));
        assert_eq!(m.get("births_under_cases"), Some(0.0));
        assert_eq!(m.get("births_found_omitted"), Some(10.0));
        assert_eq!(m.get("omitted_villages"), Some(10.0));
        assert_eq!(m.get("reports_missing"), Some(1.0));
        // 540 reported × ratio 1 + 10 found × weight 10.
        assert!((m.get("births_verified").unwrap() - 640.0).abs() < 1e-9, "{:?}", m.get("births_verified"));
        let card = card(&r, &c, 0.95).unwrap();
        assert!(card.vetoes.is_empty(), "{:?}", card.vetoes);
    }

    /// `lonely_psu = "fail"` stops scoring and names the stratum; the other
    /// choices give a variance and say which strata were lonely.
    #[test]
    fn a_lonely_psu_fails_only_when_the_rules_say_so() {
        let mut r = rules();
        let mut c = county(&[10, 12, 8, 14], &[9, 12, 8, 13], 40.0);
        // One PSU in a stratum of its own beside the county's two.
        c.sampled[3].stratum = "c/certain".into();
        let m = measure(&r, &c, 0.95).unwrap();
        assert_eq!(m.fields["births"].verified.lonely, ["c/certain"]);
        r.scoring.lonely_psu = spotcheck::score::estimate::LonelyPsu::Fail;
        let e = spotcheck::score::card::cards(&r, &[c], 0.95).unwrap_err().to_string();
        assert!(e.contains("stratum c/certain has a single PSU") && e.contains("lonely_psu"), "{e}");
    }

    #[test]
    fn scoring_cases_pass_and_a_wrong_case_fails() {
        let (c, out, e) = run(&["test", root("rules").to_str().unwrap()]);
        assert_eq!(c, 0, "{out}{e}");
        assert!(e.contains("33 passed, 0 failed"), "{e}");
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

/// The exact bounds used where the design gives no usable variance agree
/// with an independent computation in 60-digit arithmetic
/// (tests/data/score/fallback_reference.py).
#[test]
fn exact_fallback_bounds_agree_with_an_independent_computation() {
    use spotcheck::plan::limit::cp_upper;
    use spotcheck::score::estimate::{Side, poisson_bound, sign_test, stringer};
    let text = std::fs::read_to_string(data("score/fallback-reference.txt")).unwrap();
    let want: BTreeMap<&str, f64> = text
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap();
            (k, v.parse().unwrap())
        })
        .collect();
    let got = [
        ("cp_upper_12_0_0.95", cp_upper(12, 0, 0.95)),
        ("cp_upper_12_0_0.975", cp_upper(12, 0, 0.975)),
        ("cp_upper_30_2_0.95", cp_upper(30, 2, 0.95)),
        ("stringer_12_none_tau1_0.95", stringer(12, &[], 1.0, 0.95)),
        ("stringer_12_0.4_0.1_tau1_0.95", stringer(12, &[0.4, 0.1], 1.0, 0.95)),
        ("stringer_20_1.5_0.2_tau1.5_0.975", stringer(20, &[1.5, 0.2], 1.5, 0.975)),
        ("poisson_upper_0_0.95", poisson_bound(0, 0.95, Side::Upper)),
        ("poisson_upper_7_0.975", poisson_bound(7, 0.975, Side::Upper)),
        ("poisson_lower_7_0.975", poisson_bound(7, 0.975, Side::Lower)),
        ("sign_test_9_1", sign_test(9, 1)),
        ("sign_test_3_3", sign_test(3, 3)),
    ];
    for (name, v) in got {
        assert!(close(v, want[name], 1e-9), "{name}: {v} vs {}", want[name]);
    }
    assert_eq!(want.len(), 11);
    // A ratio whose villages all match their reports: the interval is the
    // Stringer bound around 1, never zero width.
    let s = Settings::new(0.95);
    let obs: Vec<Obs> = (0..12).map(|i| Obs::new("c", format!("t{}", i % 4), 3.0, 20.0, 20.0)).collect();
    let r = estimate::ratio(&obs, &s).unwrap().unwrap();
    assert!(close(r.ucb, 1.0 + want["stringer_12_none_tau1_0.95"], 1e-9), "{r:?}");
    assert!(close(r.hi, 1.0 + want["cp_upper_12_0_0.975"], 1e-9), "{r:?}");
}

/// Simulations, not timed: intervals cover the truth at their stated rate on
/// a design with enough PSUs, and a bound-based veto fires against a county
/// exactly at its line no more often than the stated risk.
mod simulation {
    use std::collections::BTreeMap;

    use spotcheck::findings::values::Value;
    use spotcheck::rules::{self, Rules};
    use spotcheck::score::card::{CardVeto, card};
    use spotcheck::score::estimate::{self, LonelyPsu, Obs, Settings};
    use spotcheck::score::measures::{CountyInput, Sampled};

    use crate::support::example_rules;

    /// A small deterministic generator (splitmix64), uniform in [0, 1).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        }

        fn below(&mut self, n: usize) -> usize {
            ((self.next() * n as f64) as usize).min(n - 1)
        }

        /// k distinct indices of 0..n.
        fn choose(&mut self, n: usize, k: usize) -> Vec<usize> {
            let mut v: Vec<usize> = (0..n).collect();
            for i in 0..k {
                let j = i + self.below(n - i);
                v.swap(i, j);
            }
            v.truncate(k);
            v
        }
    }

    /// 95% intervals of the ratio and the HT total cover the population's
    /// values 93–97% of the time: 200 townships of 12 villages, 12 townships
    /// by SRS, 4 villages in each, 2,000 draws.
    #[test]
    fn intervals_cover_the_truth_at_their_stated_rate() {
        let mut rng = Rng(20091);
        let (towns, per) = (200usize, 12usize);
        // Reported x; found y = x (1 + township effect + village noise).
        let mut pop: Vec<Vec<(f64, f64)>> = Vec::new();
        for _ in 0..towns {
            let effect = 0.2 * (rng.next() - 0.5);
            pop.push(
                (0..per)
                    .map(|_| {
                        let x = 5.0 + (rng.next() * 30.0).floor();
                        let y = (x * (1.0 + effect + 0.3 * (rng.next() - 0.5))).round().max(0.0);
                        (x, y)
                    })
                    .collect(),
            );
        }
        let ty: f64 = pop.iter().flatten().map(|v| v.1).sum();
        let tx: f64 = pop.iter().flatten().map(|v| v.0).sum();
        let s = Settings { level: 0.95, lonely: LonelyPsu::Adjust };
        let (mut ratio_in, mut total_in, reps) = (0, 0, 2000);
        for _ in 0..reps {
            let (m, k) = (12, 4);
            let w = (towns as f64 / m as f64) * (per as f64 / k as f64);
            let mut obs = Vec::new();
            for t in rng.choose(towns, m) {
                for v in rng.choose(per, k) {
                    let (x, y) = pop[t][v];
                    obs.push(Obs::new("c", format!("t{t}"), w, y, x));
                }
            }
            let r = estimate::ratio(&obs, &s).unwrap().unwrap();
            assert!(r.pivot.design_based() && r.df == m - 1);
            ratio_in += usize::from(r.lo <= ty / tx && ty / tx <= r.hi);
            let t = estimate::total(&obs, &s, true).unwrap();
            total_in += usize::from(t.lo <= ty && ty <= t.hi);
        }
        for (what, hits) in [("ratio", ratio_in), ("total", total_in)] {
            let cover = hits as f64 / reps as f64;
            assert!((0.93..=0.97).contains(&cover), "{what}: covered {cover}");
        }
    }

    /// One county of the shipped rules' design shape: 5 townships (PSUs) of
    /// 5 sampled villages, births about 15 a village. Found births carry
    /// unbiased ±10% recording noise; the report hides `hide` of them.
    fn county(rng: &mut Rng, hide: f64) -> CountyInput {
        let whole = |x: f64, rng: &mut Rng| (x + rng.next()).floor().max(0.0) as u64;
        let mut sampled = Vec::new();
        let mut reported_total = 0.0;
        for t in 0..5 {
            for v in 0..5 {
                let truth = 5.0 + (rng.next() * 20.0).floor();
                let found = whole(truth * (1.0 + 0.2 * (rng.next() - 0.5)), rng);
                let reported = whole(truth * (1.0 - hide), rng);
                reported_total += reported as f64 * 40.0;
                let row =
                    |b: u64| -> BTreeMap<String, Value> { [("births".to_string(), Value::Count(b))].into() };
                sampled.push(Sampled {
                    code: format!("{t}{v}"),
                    name: String::new(),
                    stratum: "c".into(),
                    psu: format!("t{t}"),
                    w: 40.0,
                    reported: Some(row(reported)),
                    found: Some(row(found)),
                    households: None,
                    listed: false,
                });
            }
        }
        CountyInput {
            code: "c".into(),
            name: "c".into(),
            reported_totals: [("births".to_string(), reported_total)].into(),
            report_submitted: true,
            villages: 1000,
            reported_villages: 1000,
            sampled,
        }
    }

    fn rules() -> Rules {
        rules::load(&example_rules(), "rules.toml").unwrap()
    }

    /// How often the concealment veto fires over `reps` draws.
    fn concealment_rate(hide: f64, reps: usize, seed: u64) -> f64 {
        let r = rules();
        let mut rng = Rng(seed);
        let fired = (0..reps)
            .filter(|_| {
                let c = card(&r, &county(&mut rng, hide), 0.95).unwrap();
                c.vetoes.iter().any(|v| matches!(v, CardVeto::Rule(v) if v.id == "concealment"))
            })
            .count();
        fired as f64 / reps as f64
    }

    /// The shipped concealment veto (lower bound of the under-report rate
    /// above 4%, evidence = "bound"): an honest county with recording noise
    /// is almost never vetoed; a county exactly at the line is vetoed at the
    /// stated risk (5%) or less; a county hiding 12% is vetoed nearly always.
    #[test]
    fn bound_based_vetoes_fire_at_the_stated_risk_or_less() {
        let honest = concealment_rate(0.0, 600, 1);
        assert!(honest <= 0.01, "honest counties vetoed in {honest}");
        // Hiding 4% of births: the under-report rate is about 4%, the line.
        let at_line = concealment_rate(0.04, 600, 2);
        // 5% plus four simulation standard errors.
        assert!(at_line <= 0.05 + 4.0 * (0.05f64 * 0.95 / 600.0).sqrt(), "at the line: {at_line}");
        let hiding = concealment_rate(0.12, 300, 3);
        assert!(hiding >= 0.85, "a county hiding 12% vetoed in only {hiding}");
    }
}
