//! Sequential plans: the further rounds' vectors (SAMPLING.md §15), the
//! order each round continues, estimation on the combined sample, the
//! decision rule, and a two-round campaign from escalation to verification.

use std::path::{Path, PathBuf};

use spotcheck::frame::tree::Population;
use spotcheck::frame::{self, Frame};
use spotcheck::hash::sha256_hex;
use spotcheck::rules::{self, Rules};
use spotcheck::sample::{Design, excluded_codes, table};
use spotcheck::text::Encoding;
use spotcheck::workspace::rounds::{self, DecisionRecord, RoundRecord};

use crate::support::{data, init, run_in};

const VECTOR_SEED: &str = "12345678901234567890";

/// The further-round vectors: folder, rules file, and the counties sent on
/// into rounds 2, 3, …
const ROUND_VECTORS: [(&str, &str, &[&[&str]]); 2] = [
    ("srs", "srs.toml", &[&["110101", "110102"], &["110101"]]),
    ("pps-rivest", "pps-rivest.toml", &[&["110102"]]),
];

fn load(dir: &Path, rules_rel: &str) -> (Rules, Frame) {
    let r = rules::load(&dir.join(rules_rel), rules_rel).unwrap();
    let f = frame::load(&dir.join("frame/frame.csv"), "frame/frame.csv", &r.frame, Encoding::Utf8).unwrap();
    (r, f)
}

/// Draws a vector's first round with the command line and its further
/// rounds with the library, and publishes them into `dir` (which holds the
/// rules and the frame).
fn bless_vector(dir: &Path, rules_name: &str, rounds_spec: &[&[&str]]) {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    let (c, _, e) = init(&camp, &dir.join("rules").join(rules_name), &dir.join("frame/frame.csv"));
    assert_eq!(c, 0, "{e}");
    assert_eq!(run_in(&camp, &["commit"]).0, 0);
    let (c, _, e) = run_in(&camp, &["draw", "--seed", VECTOR_SEED]);
    assert_eq!(c, 0, "{e}");
    let (r, f) = load(&camp, &format!("rules/{rules_name}"));
    let pop = Population::new(&f, &excluded_codes(&r));
    let (design, d) = Design::prepare(&r, &pop);
    let design = design.unwrap_or_else(|| panic!("{d}"));
    let plan = r.sequential.clone().unwrap();
    let draw_sha = sha256_hex(&std::fs::read(camp.join("draw.toml")).unwrap());
    let mut before: Vec<String> = f.counties.iter().map(|c| c.key.clone()).collect();
    let mut previous: Option<(String, String)> = None;
    for (i, on) in rounds_spec.iter().enumerate() {
        let round = i as u32 + 2;
        let index: Vec<usize> =
            on.iter().map(|k| f.counties.iter().position(|c| &c.key == k).unwrap()).collect();
        let rs = design.draw_round(&pop, VECTOR_SEED, &plan, round, &index);
        let bytes = table::round_csv(&rs, &pop);
        let decisions = before
            .iter()
            .map(|k| DecisionRecord {
                county: k.clone(),
                name: f.counties.iter().find(|c| &c.key == k).unwrap().name.clone(),
                round: round - 1,
                outcome: if on.contains(&k.as_str()) { "escalate" } else { "accept" }.to_string(),
                reasons: Vec::new(),
            })
            .collect();
        let record = RoundRecord {
            algorithm: "spotcheck-rounds-v1".into(),
            spotcheck_version: env!("CARGO_PKG_VERSION").into(),
            round,
            draw: "draw.toml".into(),
            draw_sha256: draw_sha.clone(),
            previous: previous.as_ref().map(|p| p.0.clone()),
            previous_sha256: previous.as_ref().map(|p| p.1.clone()),
            counties: on.iter().map(|s| s.to_string()).collect(),
            sample: rounds::sample_name(round),
            sample_sha256: sha256_hex(&bytes),
            villages: rs.sample.main().count(),
            new_villages: rs.new_villages(),
            reserves: rs.sample.rows.len() - rs.sample.main().count(),
            decided_at: "2026-01-15T09:00:00Z".into(),
            decisions,
        };
        let text = rounds::render_record(&record);
        std::fs::write(camp.join(rounds::sample_name(round)), &bytes).unwrap();
        std::fs::write(camp.join(rounds::record_name(round)), &text).unwrap();
        previous = Some((rounds::record_name(round), sha256_hex(text.as_bytes())));
        before = on.iter().map(|s| s.to_string()).collect();
    }
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::remove_file(p).unwrap();
        }
    }
    let mut files = vec!["draw.toml".to_string(), "sample.csv".to_string()];
    for i in 0..rounds_spec.len() as u32 {
        files.push(rounds::sample_name(i + 2));
        files.push(rounds::record_name(i + 2));
    }
    for name in files {
        std::fs::copy(camp.join(&name), dir.join(&name)).unwrap();
    }
}

fn vector_dir(name: &str) -> PathBuf {
    data(&format!("vectors/rounds/{name}"))
}

#[test]
fn further_round_vectors_re_derive_from_their_files_alone() {
    for (name, rules_name, spec) in ROUND_VECTORS {
        let dir = vector_dir(name);
        if std::env::var_os("SPOTCHECK_BLESS").is_some() {
            bless_vector(&dir, rules_name, spec);
        }
        let v = spotcheck::workspace::draw::verify(&dir, &spotcheck::workspace::lock::Access::read())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let rounds: Vec<u32> = v.rounds.iter().map(|r| r.0).collect();
        assert_eq!(rounds, (2..spec.len() as u32 + 2).collect::<Vec<_>>(), "{name}");
    }
}

/// The Python verifier re-derives the further rounds too, from SAMPLING.md
/// alone.
#[test]
fn the_python_verifier_re_derives_every_round_of_the_vectors() {
    if std::process::Command::new("python3").arg("--version").output().is_err() {
        return;
    }
    for (name, _, spec) in ROUND_VECTORS {
        let out = std::process::Command::new("python3")
            .arg(crate::support::root("tools/verify_draw.py"))
            .arg(vector_dir(name))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        for r in 2..spec.len() + 2 {
            assert!(stdout.contains(&format!("OK: round {r} re-derived")), "{name}: {stdout}");
        }
    }
}

/// SAMPLING.md §15.3 shows the vectors' round samples as they are.
#[test]
fn sampling_md_shows_the_round_vectors_as_published() {
    let doc = std::fs::read_to_string(crate::support::root("SAMPLING.md")).unwrap();
    for file in ["srs/round-3.csv", "pps-rivest/round-2.csv"] {
        let text = std::fs::read_to_string(data(&format!("vectors/rounds/{file}"))).unwrap();
        let text = text.trim_start_matches('\u{feff}');
        assert!(doc.contains(text), "SAMPLING.md does not show {file} as published:\n{text}");
    }
}

fn vector(name: &str, rules_name: &str) -> (Rules, Frame) {
    load(&vector_dir(name), &format!("rules/{rules_name}"))
}

/// A sequential plan changes nothing in the first round: the example's
/// rules draw the same `sample.csv` with and without `[sequential]`, and
/// round 1 of the round algorithm is the first draw.
#[test]
fn the_first_round_is_the_draw_without_a_plan() {
    let path = crate::support::example_rules();
    let text = std::fs::read_to_string(&path).unwrap();
    let cut = text.find("[sequential]").expect("the example has a plan");
    let plain = text[..cut].to_string();
    let with = rules::parse("rules.toml", &text).0.unwrap();
    let without = rules::parse("rules.toml", &plain).0.unwrap();
    assert!(with.sequential.is_some() && without.sequential.is_none());
    let frame_bytes = std::fs::read(crate::support::example_frame()).unwrap();
    let (mut f, d) = frame::from_bytes("frame.csv", &frame_bytes, &with.frame, Encoding::Utf8);
    assert!(!d.has_errors(), "{d}");
    f.file = "frame.csv".into();
    // The exclusion list is read by `load`; parse alone leaves it empty, the same for both.
    let seed = "39170245881266031954";
    let (_, a) = spotcheck::sample::derive(&with, &f, seed).unwrap();
    let (_, b) = spotcheck::sample::derive(&without, &f, seed).unwrap();
    assert_eq!(a, b, "the plan changed the first draw");
    let pop = Population::new(&f, &excluded_codes(&with));
    let design = Design::prepare(&with, &pop).0.unwrap();
    let plan = with.sequential.clone().unwrap();
    let first = design.draw(&pop, seed);
    let all: Vec<usize> = (0..f.counties.len()).collect();
    let round1 = design.draw_round(&pop, seed, &plan, 1, &all);
    assert_eq!(round1.sample.rows, first.rows);
    assert!(round1.joined.iter().all(|&j| j == 1));
}

/// Each round keeps what the round before took, in the same order, with
/// its reserves still reserves; every unit of a stratum carries M / |C|.
#[test]
fn each_round_keeps_what_the_last_one_took() {
    let (r, f) = vector("srs", "srs.toml");
    let pop = Population::new(&f, &excluded_codes(&r));
    let design = Design::prepare(&r, &pop).0.unwrap();
    let plan = r.sequential.clone().unwrap();
    let all: Vec<usize> = (0..f.counties.len()).collect();
    for seed in ["12345678901234567890", "00000000000000000001", "31415926535897932384"] {
        let mut before: Option<spotcheck::sample::rounds::RoundSample> = None;
        for round in 1..=plan.total_rounds() {
            let now = design.draw_round(&pop, seed, &plan, round, &all);
            if let Some(b) = &before {
                for (d, j) in b.sample.rows.iter().zip(&b.joined) {
                    let same = now.sample.rows.iter().zip(&now.joined).find(|(x, _)| x.village == d.village);
                    let (x, xj) = same
                        .unwrap_or_else(|| panic!("round {round} dropped a village of round {}", round - 1));
                    assert_eq!((d.reserve, j, &d.stratum), (x.reserve, xj, &x.stratum), "round {round}");
                }
            }
            // Per stratum: the stage probability is the number in the sample over the free units.
            let mut by: std::collections::BTreeMap<&str, (usize, Vec<String>)> = Default::default();
            for d in &now.sample.rows {
                let e = by.entry(d.stratum.as_str()).or_default();
                if d.reserve.is_none() {
                    e.0 += 1;
                }
                e.1.push(d.stage_pi.last().unwrap().decimal(12));
            }
            for (stratum, (m, pis)) in by {
                let units = f.villages.iter().enumerate().filter(|(i, v)| {
                    format!("{}/{}", f.counties[v.county].key, f.townships[v.township].key) == stratum
                        && *i < usize::MAX
                });
                let c = units.count();
                let want = spotcheck::sample::ratio::Ratio::new(m as u128, c as u128).decimal(12);
                assert!(pis.iter().all(|p| *p == want), "{stratum}: {pis:?} vs {m}/{c}");
            }
            before = Some(now);
        }
    }
}

/// The combined sample of a further round is a simple random sample of its
/// size, whatever the seed: each unit's frequency over many seeds is its
/// stated probability, and the Horvitz–Thompson total from the combined
/// sample's weights is unbiased. (R `survey` has no sequential design to
/// compare with, so the weights are checked by simulation; SCORING.md §9.)
#[test]
fn the_combined_sample_is_a_simple_random_sample_of_its_size() {
    const RULES: &str = r#"
[campaign]
name = "rounds"
issuer = "spotcheck"
document = "test"
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
n = 2
reserve = 1

[[field]]
id = "births"
name = "出生人数"
kind = "count"

[[veto]]
id = "concealment"
when = "births_under_rate > 0.04"
evidence = "bound"
reason = "瞒报"

[sequential]
confidence = [0.95, 0.975]

[[sequential.round]]
village = 3
"#;
    let r = rules::parse("rounds.toml", RULES).0.unwrap();
    let bytes = std::fs::read(vector_dir("srs").join("frame/frame.csv")).unwrap();
    let (f, d) = frame::from_bytes("frame.csv", &bytes, &r.frame, Encoding::Utf8);
    assert!(!d.has_errors(), "{d}");
    let pop = Population::new(&f, &excluded_codes(&r));
    let design = Design::prepare(&r, &pop).0.unwrap();
    let plan = r.sequential.clone().unwrap();
    let reps = 3000u32;
    let mut hits = vec![0u32; f.villages.len()];
    let mut totals = Vec::new();
    for i in 0..reps {
        let seed = format!("{i:020}");
        let rs = design.draw_round(&pop, &seed, &plan, 2, &[0, 1]);
        let mut total = 0.0;
        for d in rs.sample.main() {
            hits[d.village] += 1;
            total += f.size(d.village, 0) as f64 / d.pi.to_f64();
        }
        totals.push(total);
    }
    // 2 + 3 of 12 villages per county: 5/12 each.
    let p = 5.0 / 12.0;
    let se = (p * (1.0 - p) / f64::from(reps)).sqrt();
    for (v, &h) in hits.iter().enumerate() {
        let freq = f64::from(h) / f64::from(reps);
        assert!((freq - p).abs() < 4.0 * se, "village {}: {freq} vs {p}", f.code(v));
    }
    let truth: f64 = (0..f.villages.len()).map(|v| f.size(v, 0) as f64).sum();
    let mean = totals.iter().sum::<f64>() / totals.len() as f64;
    let sd = (totals.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (totals.len() - 1) as f64).sqrt();
    assert!((mean - truth).abs() < 4.0 * sd / f64::from(reps).sqrt(), "HT mean {mean} vs {truth}");
}

/// Double-sampling plans against published values.
///
/// - SAS/QC User's Guide, functions PROBACC2 and ASN2 (the examples printed
///   there): the plan n1 = n2 = 13, Ac 0 then 1, Re 2 and 2 — the acceptance
///   and rejection numbers of ISO 2859-1's double plans at code letter E,
///   AQL 4.0% (8 + 8, as AS 1199.1 gives it) — at p = 0.18 accepts with
///   probability 0.0921738126 and inspects 15.811418112 units on average.
/// - NIST/SEMATECH e-Handbook of Statistical Methods, §6.2.4: n1 = 50, c1 =
///   2, n2 = 100, c2 = 6 (reject on the first sample above 6) at p = 0.06
///   accepts on the first sample with .416, rejects on it with .029, and
///   inspects 50(.445) + 150(.555) = 105.5 units on average.
/// - SAS's type A example PROBACC2(1,4,3,50,100,10,200) = 0.2396723824 draws
///   the second sample from the whole lot of 200 again, as its documented
///   formula says; the same recursion with that convention gives its
///   digits, and the exact value, with the second sample drawn from the 150
///   units left, is 0.2374843077 (exact fractions, Python's standard
///   library).
#[test]
fn double_sampling_plans_match_published_values() {
    use spotcheck::plan::sequential::{self as ps, Lot};
    let sas = ps::parse("13,13", "0,1", "2,2").unwrap();
    ps::check(&sas, Lot::Binomial).unwrap();
    let o = ps::oc(&sas, Lot::Binomial, 0.18, 0);
    assert!((o.accept - 0.0921738126).abs() < 1e-10, "{o:?}");
    assert!((o.asn - 15.811418112).abs() < 1e-8, "{o:?}");
    assert_eq!(ps::worst_case(&sas), 26);

    let nist = ps::parse("50,100", "2,6", "7,7").unwrap();
    let o = ps::oc(&nist, Lot::Binomial, 0.06, 0);
    assert!((o.accept_at[0] - 0.416).abs() < 5e-4 && (o.reject_at[0] - 0.029).abs() < 5e-4, "{o:?}");
    assert!((o.asn - 105.5).abs() < 0.1, "{o:?}");

    let type_a = ps::parse("50,100", "1,3", "4,4").unwrap();
    let whole_lot_again = ps::oc_with(&type_a, &|_, _, n, d| ps::hypergeometric(200, 10, n, d));
    assert!((whole_lot_again.accept - 0.2396723824).abs() < 1e-10, "{whole_lot_again:?}");
    let exact = ps::oc(&type_a, Lot::Finite { size: 200 }, 0.0, 10);
    assert!((exact.accept - 0.2374843077).abs() < 1e-10, "{exact:?}");
    assert!((exact.accept + exact.reject - 1.0).abs() < 1e-12);
}

/// A double-sampling plan run through the real rounds: villages of one
/// county drawn by SRS, 13 then 13 more in the order the first draw fixed,
/// accept at 0 deviating villages, reject at 2, else go on and accept at 1.
/// Over 4,000 seeds the chance of acceptance and the mean number of
/// villages agree with the exact finite-lot values.
#[test]
fn a_double_plan_through_the_real_rounds_has_the_exact_operating_characteristic() {
    use spotcheck::plan::sequential::{self as ps, Lot};
    let mut csv = String::from("code,name,county_code,county,township_code,township,population\n");
    for i in 0..60 {
        csv.push_str(&format!("1101010010{i:02},V{i},110101,North,110101001,Ash,100\n"));
    }
    const RULES: &str = r#"
[campaign]
name = "double"
issuer = "spotcheck"
document = "test"
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
n = 13

[[field]]
id = "births"
name = "出生人数"
kind = "count"

[[veto]]
id = "concealment"
when = "births_under_rate > 0.04"
evidence = "bound"
reason = "瞒报"

[sequential]
confidence = [0.95, 0.975]

[[sequential.round]]
village = 13
"#;
    let r = rules::parse("double.toml", RULES).0.unwrap();
    let (f, d) = frame::from_bytes("frame.csv", csv.as_bytes(), &r.frame, Encoding::Utf8);
    assert!(!d.has_errors(), "{d}");
    let pop = Population::new(&f, &excluded_codes(&r));
    let design = Design::prepare(&r, &pop).0.unwrap();
    let plan = r.sequential.clone().unwrap();
    // Six deviating villages: every tenth.
    let deviating = |v: usize| f.code(v).ends_with('0');
    let reps = 4000u32;
    let (mut accepted, mut units) = (0u32, 0u64);
    for i in 0..reps {
        let seed = format!("{i:020}");
        let first = design.draw(&pop, &seed);
        let x1 = first.main().filter(|d| deviating(d.village)).count();
        let (x, n) = match x1 {
            0 => (0, 13),
            x if x >= 2 => (x, 13),
            _ => {
                let second = design.draw_round(&pop, &seed, &plan, 2, &[0]);
                assert_eq!(second.sample.main().count(), 26);
                (second.sample.main().filter(|d| deviating(d.village)).count(), 26)
            }
        };
        let accept = if n == 13 { x == 0 } else { x <= 1 };
        accepted += u32::from(accept);
        units += n as u64;
    }
    let exact = ps::oc(&ps::parse("13,13", "0,1", "2,2").unwrap(), Lot::Finite { size: 60 }, 0.0, 6);
    let p = f64::from(accepted) / f64::from(reps);
    let se = (exact.accept * (1.0 - exact.accept) / f64::from(reps)).sqrt();
    assert!((p - exact.accept).abs() < 4.0 * se, "simulated {p}, exact {}", exact.accept);
    let asn = units as f64 / f64::from(reps);
    // The number of villages is 13 or 26: its SD is at most 6.5.
    assert!((asn - exact.asn).abs() < 4.0 * 6.5 / f64::from(reps).sqrt(), "ASN {asn} vs {}", exact.asn);
}

/// A campaign of 4 counties × 5 townships × 24 villages: every township
/// checked (so villages are the PSUs and a county's verdicts have 20
/// degrees of freedom in round 1, 45 in round 2), 5 villages each, 5 more in
/// round 2; births 5 to 24 a village.
fn synthetic_campaign()
-> (Rules, Frame, Vec<Option<std::collections::BTreeMap<String, spotcheck::findings::values::Value>>>) {
    const RULES: &str = r#"
[campaign]
name = "sequential risks"
issuer = "spotcheck"
document = "test"
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
level = "township"
n = "all"

[[stage]]
level = "village"
n = 5
reserve = 1

[[field]]
id = "births"
name = "出生人数"
kind = "count"

[[veto]]
id = "concealment"
when = "births_under_rate > 0.04"
evidence = "bound"
reason = "瞒报"

[sequential]
confidence = [0.95, 0.975]

[[sequential.round]]
village = 5
"#;
    let r = rules::parse("risks.toml", RULES).0.unwrap();
    let mut csv = String::from("code,name,county_code,county,township_code,township,population\n");
    let mut births = Vec::new();
    let mut x: u64 = 7;
    for c in 1..=4 {
        for t in 1..=5 {
            for v in 1..=24 {
                csv.push_str(&format!(
                    "1101{c:02}{t:03}{v:03},V,1101{c:02},C{c},1101{c:02}{t:03},T{t},500\n"
                ));
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                births.push(5 + (x >> 33) % 20);
            }
        }
    }
    let (f, d) = frame::from_bytes("frame.csv", csv.as_bytes(), &r.frame, Encoding::Utf8);
    assert!(!d.has_errors(), "{d}");
    let truth = (0..f.villages.len())
        .map(|v| {
            let code = f.code(v);
            let i = births.len() - 1 - (0..births.len()).rev().find(|_| true).unwrap();
            let _ = i;
            let n = code[6..9].parse::<usize>().unwrap() - 1;
            let c = code[4..6].parse::<usize>().unwrap() - 1;
            let k = code[9..].parse::<usize>().unwrap() - 1;
            Some(
                [(
                    "births".to_string(),
                    spotcheck::findings::values::Value::Count(births[(c * 5 + n) * 24 + k]),
                )]
                .into(),
            )
        })
        .collect();
    (r, f, truth)
}

/// The plan's computed risks (SCORING.md §9: nested rounds in the normal
/// limit, critical values on each round's degrees of freedom) agree with
/// the whole procedure simulated with the real draw, scoring and decision
/// rule: the chance that a county exactly at the line is vetoed, and, from
/// the first round's power at a concealment past the line, the power of
/// the two rounds together. Both stay under the sum of the rounds' risks at
/// the line.
#[test]
fn the_whole_procedure_vetoes_at_its_computed_rates() {
    use spotcheck::plan::sequential::{self as ps, BoundPlan};
    use spotcheck::score::sequential_sim::{self as sim, Spec};
    let (r, f, truth) = synthetic_campaign();
    let pop = Population::new(&f, &excluded_codes(&r));
    let design = Design::prepare(&r, &pop).0.unwrap();
    let plan = r.sequential.clone().unwrap();
    let spec = Spec {
        noise: 0.10,
        shares: vec![0.04, 0.07],
        field: "births".into(),
        replicates: 250,
        seed: 11,
        threads: 2,
    };
    let res = sim::simulate(&r, &plan, &design, &pop, &truth, &spec, &|_| {});
    // In the normal limit: the t-test on the design's df keeps its level, as
    // the normal test does with normal quantiles.
    let model = BoundPlan::normal(&[0.95, 0.975], vec![1.0, 2.0], true);
    for x in &res {
        let t = &x.city;
        let (p, se) = sim::frequency(t.vetoed, t.trials);
        let v1 = t.vetoed_at[0] as f64 / t.trials as f64;
        eprintln!(
            "share {}: vetoed {p} ± {se} (round 1 {v1}), sent on {}, villages {}",
            x.share,
            t.escalated as f64 / t.trials as f64,
            t.villages as f64 / t.trials as f64
        );
        if x.share == 0.04 {
            let at_line = ps::bound_oc(&model, 0.0).veto;
            eprintln!("computed at the line {at_line}");
            assert!(
                (p - at_line).abs() < 4.0 * (at_line * (1.0 - at_line) / t.trials as f64).sqrt(),
                "at the line: simulated {p} ± {se}, computed {at_line}"
            );
            assert!(p <= plan.risk_through(2) + 4.0 * se);
        } else {
            let delta = model.critical[0] - ps::normal_quantile(1.0 - v1);
            let both = ps::bound_oc(&model, delta).veto;
            eprintln!("delta {delta}, computed {both}");
            assert!(
                (p - both).abs() < 4.0 * (both * (1.0 - both) / t.trials as f64).sqrt(),
                "past the line: simulated {p} ± {se}, computed {both}"
            );
        }
    }
}

/// The example campaign's second round, as `run.sh` leaves it: the round
/// re-derives in spotcheck and in the Python verifier; the new villages go
/// to the team that checked the county, on a form of their own; `explain`
/// shows the trail through both rounds.
#[test]
fn the_example_escalates_a_county_and_reaches_a_final_verdict() {
    use crate::support::{example_campaign, run_in};
    let camp = example_campaign();
    let (c, _, e) = run_in(camp, &["verify"]);
    assert_eq!(c, 0, "{e}");
    assert!(
        e.contains("round 2 (round-2.csv) re-derives identically") && e.contains("recorded decisions"),
        "{e}"
    );
    if std::process::Command::new("python3").arg("--version").output().is_ok() {
        let out = std::process::Command::new("python3")
            .arg(crate::support::root("tools/verify_draw.py"))
            .arg(camp)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && stdout.contains("OK: round 2 re-derived"), "{stdout}");
    }
    let record: RoundRecord =
        toml::from_str(&std::fs::read_to_string(camp.join("round-2.toml")).unwrap()).unwrap();
    assert_eq!(record.counties, ["130983"]);
    let d = record.decisions.iter().find(|d| d.county == "130983").unwrap();
    assert_eq!(d.outcome, "escalate");
    assert!(d.reasons[0].contains("估计6.39%"), "{:?}", d.reasons);
    for v in ["130921", "130925", "130981"] {
        assert_eq!(record.decisions.iter().find(|d| d.county == v).unwrap().outcome, "veto", "{v}");
    }
    // The new villages: the team that checked 黄骅市 before (第八组), on its
    // round-2 form; never 第七组, whose member comes from 130983.
    let rows = std::fs::read_to_string(camp.join("round-2.csv")).unwrap();
    let new: Vec<&str> =
        rows.lines().skip(1).filter(|l| l.ends_with(",,2")).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(new.len(), record.new_villages);
    let assignment = std::fs::read_to_string(camp.join("assignment.csv")).unwrap();
    for code in &new {
        let line =
            assignment.lines().find(|l| l.contains(code)).unwrap_or_else(|| panic!("{code} not assigned"));
        assert!(line.starts_with("第八组,第八组-第2轮-"), "{line}");
    }
    let form = std::fs::read_to_string(camp.join("forms/检查表-第八组-第2轮.csv")).unwrap();
    assert_eq!(form.lines().count() - 1, new.len());
    assert!(camp.join("forms/检查表-第八组-第2轮.xlsx").exists() && camp.join("round-2.xlsx").exists());

    let (c, trail, e) = run_in(camp, &["--lang", "en", "explain", "130983", "birth_accuracy"]);
    assert_eq!(c, 0, "{e}");
    for want in [
        "round 1 of 2: 25 sampled villages, confidence 95%",
        "→ round 2 (round-2.toml, round-2.csv)",
        "round 2 of 2: 50 sampled villages, confidence 97.5%",
        "still in between after the last round: not proven, so no veto",
        "round 2 in full:",
    ] {
        assert!(trail.contains(want), "missing `{want}`:\n{trail}");
    }
    // Its final card is round 2's, final (not provisional), without a veto.
    let json = std::fs::read_to_string(camp.join("score/scorecards.json")).unwrap();
    let cards: serde_json::Value = serde_json::from_str(&json).unwrap();
    let card = cards.as_array().unwrap().iter().find(|c| c["code"] == "130983").unwrap();
    assert_eq!(card["provisional"], false);
    assert!(card["vetoes"].as_array().unwrap().is_empty(), "{card}");
}

/// Whatever the plan has decided stays decided: the same round is not
/// decided twice, the draw it continues cannot be redrawn, the teams cannot
/// be reassigned, and findings a decision rests on cannot be replaced. A
/// changed round file or decision is found by `verify`.
#[test]
fn decided_rounds_are_fixed_and_tampering_is_found() {
    use crate::support::{copy_tree, example_campaign, root, run_in};
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    copy_tree(example_campaign(), &camp);
    let (c, _, e) = run_in(&camp, &["escalate"]);
    // Round 2 is the last: it is decided now, and nothing more can be.
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("第2轮（共2轮）已决定：") && e.contains("方案到此结束"), "{e}");
    assert!(!e.contains("decided") && !e.contains("stops here"), "Chinese by default: {e}");
    // Asked again, it does nothing.
    let before = std::fs::read(camp.join("journal.jsonl")).unwrap();
    let (c, _, e) = run_in(&camp, &["escalate"]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("已于") && e.contains("本次未做任何改动"), "{e}");
    let (c, _, e) = run_in(&camp, &["--lang", "en", "escalate"]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("already decided") && e.contains("nothing was done"), "{e}");
    // The last round drew nothing after it.
    assert!(!e.contains("round 3") && !e.contains("drawn then"), "{e}");
    assert_eq!(std::fs::read(camp.join("journal.jsonl")).unwrap(), before);
    let (c, _, e) = run_in(&camp, &["draw", "--redraw", "--reason", "x", "--seed", "12345678901234567890"]);
    assert_eq!(c, 2);
    assert!(e.contains("cannot be drawn again"), "{e}");
    let teams = root("examples/cangzhou-2008/teams.csv");
    let (c, _, e) =
        run_in(&camp, &["assign", "--teams", teams.to_str().unwrap(), "--reassign", "--reason", "x"]);
    assert_eq!(c, 2);
    assert!(e.contains("cannot be assigned again"), "{e}");
    // A corrected round-1 file: the same form, one inspector's name changed.
    let original =
        std::fs::read_to_string(root("examples/cangzhou-2008/findings/检查表-第一组.csv")).unwrap();
    let findings = tmp.path().join("检查表-第一组.csv");
    std::fs::write(&findings, original.replacen("张建国", "张建华", 1)).unwrap();
    let (c, _, e) =
        run_in(&camp, &["findings", "import", findings.to_str().unwrap(), "--supersede", "--reason", "x"]);
    assert_eq!(c, 2);
    assert!(e.contains("decision") && e.contains("cannot be replaced"), "{e}");

    // A bare folder of the published files: a changed round file is found.
    let pub_dir = tmp.path().join("published");
    std::fs::create_dir_all(&pub_dir).unwrap();
    for d in ["rules", "frame"] {
        copy_tree(&camp.join(d), &pub_dir.join(d));
    }
    for f in ["draw.toml", "sample.csv", "households.csv", "round-2.toml", "round-2.csv"] {
        std::fs::copy(camp.join(f), pub_dir.join(f)).unwrap();
    }
    copy_tree(&camp.join("reports"), &pub_dir.join("reports"));
    assert_eq!(run_in(&pub_dir, &["verify"]).0, 0);
    let csv = std::fs::read_to_string(pub_dir.join("round-2.csv")).unwrap();
    let second = csv.lines().nth(1).unwrap().to_string();
    std::fs::write(pub_dir.join("round-2.csv"), csv.replacen(&second, &second.replace(",,1", ",,2"), 1))
        .unwrap();
    let (c, _, e) = run_in(&pub_dir, &["verify"]);
    assert_eq!(c, 1);
    assert!(e.contains("round-2.csv") && e.contains("re-derives as `1`"), "{e}");

    // In the campaign: a recorded decision changed is found by the rule.
    let rec = std::fs::read_to_string(camp.join("round-2.toml")).unwrap();
    let forged = rec.replacen("outcome = \"veto\"", "outcome = \"accept\"", 1);
    std::fs::write(camp.join("round-2.toml"), &forged).unwrap();
    let (c, _, e) = run_in(&camp, &["verify"]);
    assert_eq!(c, 1);
    assert!(e.contains("round-2.toml"), "{e}");
}

/// What escalation needs: a plan in the rules, every finding of the round,
/// and the plan's own confidence.
#[test]
fn escalation_is_refused_without_a_plan_or_with_findings_missing() {
    use crate::support::{drawn_example, root, run_in};
    let (_tmp, camp) = drawn_example();
    let teams = root("examples/cangzhou-2008/teams.csv");
    assert_eq!(run_in(&camp, &["assign", "--teams", teams.to_str().unwrap()]).0, 0);
    let f = root("examples/cangzhou-2008/findings/检查表-第一组.csv");
    let (c, _, e) = run_in(&camp, &["findings", "import", f.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    let (c, _, e) = run_in(&camp, &["escalate"]);
    assert_eq!(c, 2);
    assert!(e.contains("cannot be decided while sampled villages lack findings"), "{e}");
    let (c, _, e) = run_in(&camp, &["score", "--confidence", "0.9"]);
    assert_eq!(c, 2);
    assert!(e.contains("fixes the confidence of each round"), "{e}");

    // A campaign without a plan has one round.
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    let (c, _, e) = init(&plain, &data("vectors/multistage.toml"), &data("vectors/frame.csv"));
    assert_eq!(c, 0, "{e}");
    let (c, _, e) = run_in(&plain, &["escalate"]);
    assert_eq!(c, 2, "{e}");
}

/// Before the plan's next round is drawn, a county in between has no final
/// result: `score` marks it provisional and `annual` refuses to grade.
#[test]
fn a_county_in_between_is_provisional_until_its_round_is_drawn() {
    use crate::support::{root, run, run_in};
    let tmp = tempfile::tempdir().unwrap();
    let ex = root("examples/cangzhou-2008");
    // Reports come before the commitment.
    let fresh = tmp.path().join("fresh");
    let (c, _, e) = init(&fresh, &crate::support::example_rules(), &crate::support::example_frame());
    assert_eq!(c, 0, "{e}");
    let reports: Vec<String> = std::fs::read_dir(ex.join("reports"))
        .unwrap()
        .map(|f| f.unwrap().path().display().to_string())
        .collect();
    let mut imp = vec!["reports", "import"];
    imp.extend(reports.iter().map(String::as_str));
    assert_eq!(run_in(&fresh, &imp).0, 0);
    assert_eq!(run_in(&fresh, &["commit"]).0, 0);
    assert_eq!(run_in(&fresh, &["draw", "--seed", crate::support::SEED]).0, 0);
    let teams = ex.join("teams.csv");
    assert_eq!(run_in(&fresh, &["assign", "--teams", teams.to_str().unwrap()]).0, 0);
    let round1: Vec<String> = std::fs::read_dir(ex.join("findings"))
        .unwrap()
        .map(|f| f.unwrap().path().display().to_string())
        .collect();
    let mut imp = vec!["findings", "import"];
    imp.extend(round1.iter().map(String::as_str));
    let (c, _, e) = run_in(&fresh, &imp);
    assert_eq!(c, 0, "{e}");
    let (c, out, e) = run_in(&fresh, &["score"]);
    assert_eq!(c, 3, "{out}{e}");
    assert!(e.contains("介于两者之间：130983") && e.contains("spotcheck escalate"), "{e}");
    assert!(e.contains("临时结果：扩大抽查方案将再次检查1个县") && !e.contains("PROVISIONAL"), "{e}");
    let (c, _, e) = run_in(&fresh, &["--lang", "en", "score"]);
    assert_eq!(c, 3, "{e}");
    assert!(
        e.contains("IN BETWEEN: 130983") && e.contains("PROVISIONAL: the sequential plan checks 1"),
        "{e}"
    );
    let out_dir = tmp.path().join("annual");
    let (c, _, e) = run(&[
        "annual",
        "--rules",
        root("rules/cangzhou-2009-annual.toml").to_str().unwrap(),
        "--campaign",
        &format!("face-to-face={}", fresh.display()),
        "--input",
        &format!("routine={}", ex.join("routine-2009.csv").display()),
        "--input",
        &format!("bonus={}", ex.join("bonus-2009.csv").display()),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(c, 3, "{e}");
    assert!(e.contains("130983") && e.contains("spotcheck escalate"), "{e}");
    // Graded anyway, the reports give the real reason: no finding is
    // missing; the plan checks the county in a further round.
    let (c, _, e) = run(&[
        "annual",
        "--rules",
        root("rules/cangzhou-2009-annual.toml").to_str().unwrap(),
        "--campaign",
        &format!("face-to-face={}", fresh.display()),
        "--input",
        &format!("routine={}", ex.join("routine-2009.csv").display()),
        "--input",
        &format!("bonus={}", ex.join("bonus-2009.csv").display()),
        "--out",
        out_dir.to_str().unwrap(),
        "--allow-provisional",
    ]);
    assert_eq!(c, 0, "{e}");
    let md = std::fs::read_to_string(out_dir.join("annual.md")).unwrap();
    assert!(md.contains("扩大抽查方案还要抽查下一轮") && md.contains("黄骅市"), "{md}");
    assert!(!md.contains("有样本村缺少检查结果"), "no finding is missing: {md}");
    // The scorecards as the last `score` (in English) wrote them.
    let cards = std::fs::read_to_string(fresh.join("score/scorecards.csv")).unwrap();
    assert!(cards.contains("provisional: waits for a further round of the sequential plan"), "{cards}");
    assert!(!cards.contains("sampled villages without findings"), "{cards}");
    let cards = std::fs::read_to_string(fresh.join("score/scorecards.md")).unwrap();
    assert!(cards.contains("the sequential plan checks these counties again: 130983"), "{cards}");
    std::fs::remove_dir_all(&out_dir).unwrap();

    // Reserves still work in round 2: a new village that cannot be reached
    // is replaced by the first unused reserve of its township (round 1's
    // reserve comes first), on the same team's round-2 form.
    let (c, _, e) = run_in(&fresh, &["escalate"]);
    assert_eq!(c, 0, "{e}");
    let rows = std::fs::read_to_string(fresh.join("round-2.csv")).unwrap();
    let cells: Vec<Vec<&str>> = rows.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let new = cells.iter().find(|r| r[14] == "2" && r[13].is_empty()).unwrap();
    let stratum = new[6];
    let first_reserve = cells.iter().find(|r| r[6] == stratum && r[13] == "1").unwrap();
    assert_eq!(first_reserve[14], "1", "round 1's reserve ranks first");
    let (c, _, e) = run_in(&fresh, &["substitute", new[0], "--reason", "道路冲毁"]);
    assert_eq!(c, 0, "{e}");
    let assignment = std::fs::read_to_string(fresh.join("assignment.csv")).unwrap();
    let line = assignment.lines().find(|l| l.contains(first_reserve[0])).unwrap();
    assert!(line.contains("-第2轮-"), "the reserve joins the round-2 form: {line}");
    assert!(!assignment.contains(new[0]));
}

/// Asked again right after it drew a round (a retry after a kill, say),
/// `escalate` does nothing and says where the campaign stands, instead of
/// refusing because the new round's findings are not in yet.
#[test]
fn escalate_again_before_the_new_rounds_findings_does_nothing() {
    use crate::support::{example_before_escalate, root, run_in};
    let (_tmp, camp) = example_before_escalate();
    let (c, _, e) = run_in(&camp, &["escalate"]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("第1轮（共2轮）已决定：") && e.contains("第2轮已用同一种子"), "{e}");
    let journal = std::fs::read(camp.join("journal.jsonl")).unwrap();
    let (c, out, e) = run_in(&camp, &["--lang", "en", "escalate"]);
    assert_eq!(c, 0, "{e}");
    assert!(
        e.contains("round 1 of 2 was already decided")
            && e.contains("nothing was done; round 2 was drawn then")
            && e.contains("findings import"),
        "{e}"
    );
    assert!(out.contains("escalate"), "the recorded decisions are shown again:\n{out}");
    assert_eq!(std::fs::read(camp.join("journal.jsonl")).unwrap(), journal, "nothing journaled");
    // Once a finding of the new round is in, the round is decided as before.
    let f = root("examples/cangzhou-2008/findings-round-2");
    let f = std::fs::read_dir(f).unwrap().next().unwrap().unwrap().path();
    assert_eq!(run_in(&camp, &["findings", "import", f.to_str().unwrap()]).0, 0);
    let (c, _, e) = run_in(&camp, &["--lang", "en", "escalate"]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("round 2 of 2 decided"), "{e}");
}
