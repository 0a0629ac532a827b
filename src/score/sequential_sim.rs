//! The whole sequential procedure, simulated before anyone looks at data
//! (SCORING.md §9): each replicate draws the first round with the real
//! design, scores every county by the real rules at round 1's confidence,
//! applies the real decision rule, draws the next round for the counties it
//! sends on (the same seed's order, SAMPLING.md §15), and so on until the
//! plan stops. A county is honest (its findings carry unbiased recording
//! noise) or hides a share of one field; its villages' findings are fixed
//! per replicate, whatever round draws them.
//!
//! Replicate r draws with the seed `sequential:<seed>:<r>` and takes each
//! village's noise from the stream labelled `noise:<code>` of that seed, so
//! results do not depend on the number of threads.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use super::card;
use super::measures::{CountyInput, Sampled};
use super::sequential::{Outcome, decide};
use super::simulate::{design_rows, noisy};
use crate::findings::values::Value;
use crate::frame::tree::{Level, Population};
use crate::rules::sequential::Sequential;
use crate::rules::{Kind, Rules};
use crate::sample::design::Design;
use crate::sample::stream::Stream;

pub use super::simulate::frequency;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Honest recording noise: found = true × (1 + u), u uniform in ±noise.
    pub noise: f64,
    /// The shares of `field` a county hides from its report; 0 is an honest
    /// county.
    pub shares: Vec<f64>,
    pub field: String,
    pub replicates: u64,
    pub seed: u64,
    pub threads: usize,
}

/// Counts over county-replicates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub trials: u64,
    /// Vetoed by the end of the plan, and in which round (index r − 1).
    pub vetoed: u64,
    pub vetoed_at: Vec<u64>,
    /// Sent on to a second round.
    pub escalated: u64,
    /// Sampled villages at the end of the plan, summed, and the most.
    pub villages: u64,
    pub max_villages: u64,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.trials += o.trials;
        self.vetoed += o.vetoed;
        self.escalated += o.escalated;
        self.villages += o.villages;
        self.max_villages = self.max_villages.max(o.max_villages);
        if self.vetoed_at.len() < o.vetoed_at.len() {
            self.vetoed_at.resize(o.vetoed_at.len(), 0);
        }
        for (a, b) in self.vetoed_at.iter_mut().zip(&o.vetoed_at) {
            *a += b;
        }
    }
}

/// The result for one share hidden: the city over all county-replicates,
/// each county, and the villages per county if every county went through
/// every round.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareResult {
    pub share: f64,
    pub city: Tally,
    pub by_county: Vec<(usize, Tally)>,
    pub worst_mean: f64,
}

type Row = (usize, String, String, f64);

/// Runs the simulation. `truth` gives each frame village's true figures
/// (the self-report's row), `None` where there is none.
pub fn simulate(
    rules: &Rules,
    plan: &Sequential,
    design: &Design<'_>,
    pop: &Population<'_>,
    truth: &[Option<BTreeMap<String, Value>>],
    spec: &Spec,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<ShareResult> {
    let frame = pop.frame;
    let ncounties = frame.counties.len();
    let kinds: HashMap<&str, Kind> =
        rules.inspection.fields.iter().filter(|f| f.reported).map(|f| (f.id.as_str(), f.kind)).collect();
    let mut totals: Vec<BTreeMap<String, f64>> = vec![BTreeMap::new(); ncounties];
    let mut reported_villages = vec![0usize; ncounties];
    let mut villages = vec![0usize; ncounties];
    for (i, v) in frame.villages.iter().enumerate() {
        villages[v.county] += 1;
        let Some(t) = &truth[i] else { continue };
        reported_villages[v.county] += 1;
        for (k, val) in t {
            if let Some(x) = val.number() {
                *totals[v.county].entry(k.clone()).or_default() += x;
            }
        }
    }
    let counties: Vec<usize> = pop.children(None, Level::County).to_vec();
    let nshares = spec.shares.len();
    let done = AtomicU64::new(0);
    let threads = spec.threads.max(1).min(spec.replicates.max(1) as usize);
    // Per share and county: the tally; and the plan's villages per county.
    type Part = (Vec<Vec<Tally>>, u64, u64);
    let run = |first: u64| -> Part {
        let mut tallies = vec![vec![Tally::default(); ncounties]; nshares];
        let (mut worst_sum, mut worst_n) = (0u64, 0u64);
        let mut r = first;
        while r < spec.replicates {
            let seed = format!("sequential:{}:{r}", spec.seed);
            let first_round = design_rows(&design.draw(pop, &seed), pop);
            let all = design.draw_round(pop, &seed, plan, plan.total_rounds(), &counties);
            worst_sum += all.sample.main().count() as u64;
            worst_n += counties.len() as u64;
            // Each village's findings and hidden report, fixed for the replicate.
            let mut found: HashMap<usize, BTreeMap<String, Value>> = HashMap::new();
            let mut cover: HashMap<usize, f64> = HashMap::new();
            let mut values = |v: usize| -> (Option<BTreeMap<String, Value>>, f64) {
                let t = truth[v].as_ref();
                let f = t.map(|t| {
                    found
                        .entry(v)
                        .or_insert_with(|| {
                            let mut s = Stream::for_stratum(&seed, &format!("noise:{}", frame.code(v)));
                            t.iter()
                                .map(|(k, val)| {
                                    let kind = kinds.get(k.as_str()).copied().unwrap_or(Kind::Text);
                                    (k.clone(), noisy(val, kind, spec.noise, &mut s))
                                })
                                .collect()
                        })
                        .clone()
                });
                let u = *cover.entry(v).or_insert_with(|| {
                    let mut s = Stream::for_stratum(&seed, &format!("hide:{}", frame.code(v)));
                    super::simulate::uniform(&mut s)
                });
                (f, u)
            };
            let mut by_county: BTreeMap<usize, Vec<Row>> = BTreeMap::new();
            for row in first_round {
                by_county.entry(frame.villages[row.0].county).or_default().push(row);
            }
            for (&c, first_rows) in &by_county {
                for (si, &share) in spec.shares.iter().enumerate() {
                    let mut round = 1u32;
                    let mut rows = first_rows.clone();
                    let mut t = Tally {
                        trials: 1,
                        vetoed_at: vec![0; plan.total_rounds() as usize],
                        ..Tally::default()
                    };
                    loop {
                        let sampled: Vec<Sampled> = rows
                            .iter()
                            .map(|(v, stratum, psu, w)| {
                                let (f, u) = values(*v);
                                let reported = truth[*v].as_ref().map(|tv| {
                                    tv.iter()
                                        .map(|(k, val)| {
                                            let x = if *k == spec.field && share > 0.0 {
                                                hidden_with(val, share, u)
                                            } else {
                                                val.clone()
                                            };
                                            (k.clone(), x)
                                        })
                                        .collect()
                                });
                                Sampled {
                                    code: frame.code(*v).to_string(),
                                    name: String::new(),
                                    stratum: stratum.clone(),
                                    psu: psu.clone(),
                                    w: *w,
                                    reported,
                                    found: f,
                                    households: None,
                                    listed: false,
                                }
                            })
                            .collect();
                        let mut rt = totals[c].clone();
                        if let Some(x) = rt.get_mut(&spec.field) {
                            *x *= 1.0 - share;
                        }
                        let input = CountyInput {
                            code: frame.counties[c].key.clone(),
                            name: frame.counties[c].name.clone(),
                            reported_totals: rt,
                            report_submitted: reported_villages[c] > 0,
                            villages: villages[c],
                            reported_villages: reported_villages[c],
                            sampled,
                        };
                        let Ok(card) = card::card(rules, &input, plan.level(round)) else { break };
                        let d = decide(rules, plan, &card, round);
                        match d.outcome {
                            Outcome::Escalate => {
                                t.escalated = 1;
                                round += 1;
                                let rs = design.draw_round(pop, &seed, plan, round, &[c]);
                                rows = design_rows(&rs.sample, pop);
                                continue;
                            }
                            Outcome::Veto => {
                                t.vetoed = 1;
                                t.vetoed_at[round as usize - 1] = 1;
                            }
                            Outcome::Accept | Outcome::NotProven => {}
                        }
                        break;
                    }
                    t.villages = rows.len() as u64;
                    t.max_villages = t.villages;
                    tallies[si][c].add(&t);
                }
            }
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(n);
            r += threads as u64;
        }
        (tallies, worst_sum, worst_n)
    };
    let parts: Vec<Part> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u64).map(|t| s.spawn(move || run(t))).collect();
        handles.into_iter().map(|h| h.join().expect("a simulation thread panicked")).collect()
    });
    let (worst_sum, worst_n) = parts.iter().fold((0u64, 0u64), |a, p| (a.0 + p.1, a.1 + p.2));
    let worst_mean = worst_sum as f64 / worst_n.max(1) as f64;
    (0..nshares)
        .map(|si| {
            let mut city = Tally::default();
            let mut by_county = Vec::new();
            for c in 0..ncounties {
                let mut t = Tally::default();
                for p in &parts {
                    t.add(&p.0[si][c]);
                }
                if t.trials > 0 {
                    city.add(&t);
                    by_county.push((c, t));
                }
            }
            ShareResult { share: spec.shares[si], city, by_county, worst_mean }
        })
        .collect()
}

/// A count or amount with `share` of it hidden, rounded up or down by the
/// village's own uniform `u`, so that every share hides the same villages'
/// remainders (common random numbers across shares).
fn hidden_with(v: &Value, share: f64, u: f64) -> Value {
    let keep = |x: u64| (x as f64 * (1.0 - share) + u).floor().max(0.0) as u64;
    match v {
        Value::Count(x) => Value::Count(keep(*x)),
        Value::Amount(x) => Value::Amount(keep(*x)),
        other => other.clone(),
    }
}

/// Each county's sampled villages after every round of the plan, if it
/// went through all of them (the numbers do not depend on the seed, except
/// where PPS picks townships of different sizes): the information of each
/// round relative to the first, for the plan's computed risks.
pub fn villages_by_round(
    design: &Design<'_>,
    pop: &Population<'_>,
    plan: &Sequential,
) -> Vec<(usize, Vec<usize>)> {
    let counties: Vec<usize> = pop.children(None, Level::County).to_vec();
    let frame = pop.frame;
    let mut out: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for r in 1..=plan.total_rounds() {
        let rs = design.draw_round(pop, "information", plan, r, &counties);
        let mut n: BTreeMap<usize, usize> = BTreeMap::new();
        for d in rs.sample.main() {
            *n.entry(frame.villages[d.village].county).or_default() += 1;
        }
        for (c, k) in n {
            out.entry(c).or_default().push(k);
        }
    }
    out.into_iter().filter(|(_, v)| v.len() == plan.total_rounds() as usize).collect()
}
