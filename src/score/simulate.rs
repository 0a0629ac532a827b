//! What the rules would decide before anyone looks at data: the degrees of
//! freedom each county's verdicts will rest on, and, by simulation of the
//! real draw and the real scoring, how often each rule and veto fires
//! against an honest county whose figures carry unbiased recording noise,
//! next to how often it fires against a county that hides a share of one
//! figure. SCORING.md §8.
//!
//! Replicate r draws with the seed `verdicts:<seed>:<r>` and takes its noise
//! from its own stream, so results do not depend on the number of threads.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use super::card;
use super::measures::{CountyInput, Sampled};
use crate::findings::values::Value;
use crate::frame::tree::Population;
use crate::rules::{Kind, Rules};
use crate::sample::design::{Design, Sample};
use crate::sample::stream::Stream;

/// The variance stratum and PSU of a sampled village (SCORING.md §2): the
/// units above it are stratum while their stage took them with certainty;
/// the first unit drawn at random is the PSU (the village itself if none).
pub fn stratum_and_psu(path: &[&str], stage_pis: &[f64], village: &str) -> (String, String) {
    let mut units: Vec<&str> = path.iter().copied().filter(|p| !p.is_empty()).collect();
    units.push(village);
    match stage_pis.iter().position(|p| *p < 1.0) {
        Some(s) if s < units.len() => {
            let stratum = if s == 0 { "all".to_string() } else { units[..s].join("/") };
            (stratum, units[s].to_string())
        }
        _ => (units.join("/"), village.to_string()),
    }
}

/// The main sample's villages as scoring sees them: frame index, stratum,
/// PSU and weight.
pub fn design_rows(sample: &Sample, pop: &Population<'_>) -> Vec<(usize, String, String, f64)> {
    let frame = pop.frame;
    sample
        .main()
        .map(|d| {
            let path: Vec<&str> = d.stratum.split('/').collect();
            let pis: Vec<f64> = d.stage_pi.iter().map(|p| p.to_f64()).collect();
            let (stratum, psu) = stratum_and_psu(&path, &pis, frame.code(d.village));
            let pi = d.pi.to_f64();
            (d.village, stratum, psu, if pi > 0.0 { 1.0 / pi } else { 0.0 })
        })
        .collect()
}

/// A county's design before the draw: villages to be sampled, PSUs, strata
/// and degrees of freedom (PSUs − strata). These follow from the rules and
/// the frame alone: the numbers drawn per stratum, and which units PPS takes
/// with certainty, do not depend on the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct CountyDesign {
    pub county: usize,
    pub villages: usize,
    pub psus: usize,
    pub strata: usize,
    pub df: usize,
}

/// The design of every county that has sampled villages.
pub fn county_designs(design: &Design<'_>, pop: &Population<'_>) -> Vec<CountyDesign> {
    let sample = design.draw(pop, "degrees-of-freedom");
    let frame = pop.frame;
    // Per county: villages, PSUs (stratum, PSU) and strata.
    type Units = (usize, BTreeSet<(String, String)>, BTreeSet<String>);
    let mut by: BTreeMap<usize, Units> = BTreeMap::new();
    for (v, stratum, psu, _) in design_rows(&sample, pop) {
        let e = by.entry(frame.villages[v].county).or_default();
        e.0 += 1;
        e.1.insert((stratum.clone(), psu));
        e.2.insert(stratum);
    }
    by.into_iter()
        .map(|(county, (villages, psus, strata))| CountyDesign {
            county,
            villages,
            psus: psus.len(),
            strata: strata.len(),
            df: psus.len().saturating_sub(strata.len()),
        })
        .collect()
}

/// The field a concealment simulation hides by default: that of the first
/// accuracy indicator.
pub fn default_field(rules: &Rules) -> Option<String> {
    rules.scoring.indicators.iter().find_map(|i| match &i.kind {
        crate::rules::scoring::IndicatorKind::Accuracy { field, .. } => Some(field.clone()),
        _ => None,
    })
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Honest recording noise: a found count or amount is the true one times
    /// (1 + u), u uniform in [−noise, noise], rounded up or down at random
    /// so that its expected value is kept.
    pub noise: f64,
    /// The share of `field` a concealing county leaves out of its report.
    pub conceal: f64,
    pub field: String,
    pub replicates: u64,
    pub seed: u64,
    pub threads: usize,
    pub level: f64,
}

/// How often rules fired over the replicates, for one county or the city.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fired {
    /// Replicates with any veto.
    pub vetoed: u64,
    /// Replicates in which each rule fired: an indicator's threshold
    /// deduction (`id`), its veto (`id (veto)`), or a `[[veto]]` (`id`).
    pub by_rule: BTreeMap<String, u64>,
}

impl Fired {
    fn add(&mut self, o: &Fired) {
        self.vetoed += o.vetoed;
        for (k, v) in &o.by_rule {
            *self.by_rule.entry(k.clone()).or_default() += v;
        }
    }
}

/// One county's result (or the city's, `county = None`: counts of
/// county-replicates).
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    pub county: Option<usize>,
    /// Replicates (for the city: county-replicates).
    pub trials: u64,
    pub honest: Fired,
    pub concealing: Fired,
}

/// A frequency and its simulation standard error.
pub fn frequency(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let p = k as f64 / n as f64;
    (p, (p * (1.0 - p) / n as f64).sqrt())
}

pub(super) fn uniform(s: &mut Stream) -> f64 {
    (s.word64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A whole number whose expected value is `x` (stochastic rounding), so
/// that small counts keep their noise and their concealed share on average.
pub(super) fn whole(x: f64, s: &mut Stream) -> u64 {
    (x + uniform(s)).floor().max(0.0) as u64
}

pub(super) fn noisy(v: &Value, kind: Kind, noise: f64, s: &mut Stream) -> Value {
    let mut scale = |x: u64| whole(x as f64 * (1.0 + noise * (2.0 * uniform(s) - 1.0)), s);
    match (kind, v) {
        (Kind::Count, Value::Count(x)) => Value::Count(scale(*x)),
        (Kind::Amount, Value::Amount(x)) => Value::Amount(scale(*x)),
        _ => v.clone(),
    }
}

pub(super) fn hidden(v: &Value, share: f64, s: &mut Stream) -> Value {
    match v {
        Value::Count(x) => Value::Count(whole(*x as f64 * (1.0 - share), s)),
        Value::Amount(x) => Value::Amount(whole(*x as f64 * (1.0 - share), s)),
        other => other.clone(),
    }
}

/// The rules that fired for one card.
fn fired(c: &card::Card) -> Fired {
    let mut f = Fired { vetoed: u64::from(!c.vetoes.is_empty()), ..Fired::default() };
    for r in &c.results {
        if r.verdicts.iter().any(|v| !v.veto) {
            *f.by_rule.entry(r.id.clone()).or_default() += 1;
        }
        if r.veto.is_some() {
            *f.by_rule.entry(format!("{} (veto)", r.id)).or_default() += 1;
        }
    }
    for v in &c.vetoes {
        if let card::CardVeto::Rule(v) = v {
            *f.by_rule.entry(v.id.clone()).or_default() += 1;
        }
    }
    f
}

/// Runs the simulation. `truth` gives each frame village's true figures
/// (the self-report's row, taken as the truth), `None` where there is none.
/// `progress(done)` is called from worker threads as replicates finish.
pub fn simulate(
    rules: &Rules,
    design: &Design<'_>,
    pop: &Population<'_>,
    truth: &[Option<BTreeMap<String, Value>>],
    spec: &Spec,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<Rates> {
    let frame = pop.frame;
    let ncounties = frame.counties.len();
    let kinds: HashMap<&str, Kind> =
        rules.inspection.fields.iter().filter(|f| f.reported).map(|f| (f.id.as_str(), f.kind)).collect();
    // The report totals of each county, honest and concealing.
    let mut honest_totals: Vec<BTreeMap<String, f64>> = vec![BTreeMap::new(); ncounties];
    let mut hidden_totals: Vec<BTreeMap<String, f64>> = vec![BTreeMap::new(); ncounties];
    let mut reported_villages = vec![0usize; ncounties];
    let mut villages = vec![0usize; ncounties];
    for (i, v) in frame.villages.iter().enumerate() {
        villages[v.county] += 1;
        let Some(t) = &truth[i] else { continue };
        reported_villages[v.county] += 1;
        for (k, val) in t {
            if let Some(x) = val.number() {
                *honest_totals[v.county].entry(k.clone()).or_default() += x;
                // The concealing county's report total hides the share on
                // average, as its village rows do.
                let h = if *k == spec.field { x * (1.0 - spec.conceal) } else { x };
                *hidden_totals[v.county].entry(k.clone()).or_default() += h;
            }
        }
    }
    let done = AtomicU64::new(0);
    let step = (spec.replicates / 100).max(1);
    let threads = spec.threads.max(1).min(spec.replicates.max(1) as usize);
    let run = |first: u64| -> Vec<(Fired, Fired, u64)> {
        let mut tallies: Vec<(Fired, Fired, u64)> = vec![Default::default(); ncounties];
        let mut r = first;
        while r < spec.replicates {
            let seed = format!("verdicts:{}:{r}", spec.seed);
            let sample = design.draw(pop, &seed);
            let mut noise = Stream::for_stratum(&seed, "noise");
            let mut by_county: BTreeMap<usize, (Vec<Sampled>, Vec<Sampled>)> = BTreeMap::new();
            for (v, stratum, psu, w) in design_rows(&sample, pop) {
                let t = truth[v].as_ref();
                let found = t.map(|t| {
                    t.iter()
                        .map(|(k, val)| {
                            (
                                k.clone(),
                                noisy(
                                    val,
                                    kinds.get(k.as_str()).copied().unwrap_or(Kind::Text),
                                    spec.noise,
                                    &mut noise,
                                ),
                            )
                        })
                        .collect::<BTreeMap<_, _>>()
                });
                let base = Sampled {
                    code: frame.code(v).to_string(),
                    name: String::new(),
                    stratum,
                    psu,
                    w,
                    reported: t.cloned(),
                    found,
                    // Household answers are not simulated: the verdicts
                    // simulated read the villages' figures.
                    households: None,
                    listed: false,
                };
                let concealed = Sampled {
                    reported: t.map(|t| {
                        t.iter()
                            .map(|(k, val)| {
                                let v = if *k == spec.field {
                                    hidden(val, spec.conceal, &mut noise)
                                } else {
                                    val.clone()
                                };
                                (k.clone(), v)
                            })
                            .collect()
                    }),
                    ..base.clone()
                };
                let e = by_county.entry(frame.villages[v].county).or_default();
                e.0.push(base);
                e.1.push(concealed);
            }
            for (c, (honest, concealing)) in by_county {
                let input = |sampled: Vec<Sampled>, totals: &BTreeMap<String, f64>| CountyInput {
                    code: frame.counties[c].key.clone(),
                    name: frame.counties[c].name.clone(),
                    reported_totals: totals.clone(),
                    report_submitted: reported_villages[c] > 0,
                    villages: villages[c],
                    reported_villages: reported_villages[c],
                    sampled,
                };
                let h = card::card(rules, &input(honest, &honest_totals[c]), spec.level);
                let k = card::card(rules, &input(concealing, &hidden_totals[c]), spec.level);
                if let (Ok(h), Ok(k)) = (h, k) {
                    let t = &mut tallies[c];
                    t.0.add(&fired(&h));
                    t.1.add(&fired(&k));
                    t.2 += 1;
                }
            }
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(step) || n == spec.replicates {
                progress(n);
            }
            r += threads as u64;
        }
        tallies
    };
    let parts: Vec<Vec<(Fired, Fired, u64)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u64).map(|t| s.spawn(move || run(t))).collect();
        handles.into_iter().map(|h| h.join().expect("a simulation thread panicked")).collect()
    });
    let mut out: Vec<Rates> = Vec::new();
    let mut city = Rates { county: None, trials: 0, honest: Fired::default(), concealing: Fired::default() };
    for c in 0..ncounties {
        let mut r =
            Rates { county: Some(c), trials: 0, honest: Fired::default(), concealing: Fired::default() };
        for p in &parts {
            r.honest.add(&p[c].0);
            r.concealing.add(&p[c].1);
            r.trials += p[c].2;
        }
        if r.trials == 0 {
            continue;
        }
        city.honest.add(&r.honest);
        city.concealing.add(&r.concealing);
        city.trials += r.trials;
        out.push(r);
    }
    out.push(city);
    out
}
