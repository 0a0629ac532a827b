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
        let got = sample_size(rate(f[1]), Expected::Rate(rate(f[3])), rate(f[2]), Model::Hypergeometric { population })
            .map_or(population, |p| p.n);
        if got != want {
            wrong.push(format!("{line}: got {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
