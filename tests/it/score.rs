//! Scoring against independent references: R's survey package on a shared
//! fixture, the domain's worked examples, interval reference values.

use std::collections::BTreeMap;

use spotcheck::score::estimate::{self, Obs, PropMethod};

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

/// R's numbers: scope → name → (estimate, se, lo, hi).
fn reference() -> BTreeMap<(String, String), Vec<f64>> {
    let text = std::fs::read_to_string(data("score/survey-reference.txt")).unwrap();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let nums = f[2..].iter().map(|v| v.parse::<f64>().unwrap_or(f64::NAN)).collect();
            ((f[0].to_string(), f[1].to_string()), nums)
        })
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

#[test]
fn estimators_agree_with_r_survey() {
    let rows = fixture();
    let reference = reference();
    let mut scopes: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    scopes.dedup();
    scopes.push("all".into());
    let mut checked = 0;
    for scope in scopes {
        let obs: Vec<Obs> =
            rows.iter().filter(|r| scope == "all" || r.0 == scope).map(|r| r.1.clone()).collect();
        let paid: Vec<Obs> = rows
            .iter()
            .filter(|r| scope == "all" || r.0 == scope)
            .map(|r| Obs { y: r.2, ..r.1.clone() })
            .collect();
        let t = estimate::total(&obs, 0.95);
        let r = estimate::ratio(&obs, 0.95).unwrap();
        let m = estimate::ratio(&paid.iter().map(|o| Obs { x: 1.0, ..o.clone() }).collect::<Vec<_>>(), 0.95)
            .unwrap();
        for (name, est, se) in [
            ("total_found", t.value, t.se),
            ("ratio_found_reported", r.value, r.se),
            ("mean_paid", m.value, m.se),
        ] {
            let want = &reference[&(scope.clone(), name.to_string())];
            assert!(close(est, want[0], 1e-9), "{scope} {name}: {est} vs R {}", want[0]);
            assert!(
                close(se, want[1], 1e-9) || (se < 1e-12 && want[1].abs() < 1e-12),
                "{scope} {name} se: {se} vs R {}",
                want[1]
            );
            checked += 1;
        }
    }
    // The design-based proportion interval (R fits a GLM iteratively, so its
    // point estimate agrees to about 1e-9 and the interval to 1e-7).
    let paid: Vec<Obs> = rows.iter().map(|r| Obs { y: r.2, ..r.1.clone() }).collect();
    let p = estimate::proportion(&paid, 0.95, PropMethod::Design).unwrap();
    let want = &reference[&("all".to_string(), "ciprop_paid_logit".to_string())];
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
        reference[&("all".to_string(), "degf".to_string())][0]
    );
    assert!(checked >= 50, "{checked}");
}
