//! Detection power of the real design, by simulation: plant "falsified"
//! villages in the population, run the actual draw with many seeds, and
//! count how often the sample contains one. Multistage designs with
//! clustered falsification have no closed form; this is the honest answer.
//!
//! Replicate r draws with the seed `sim:<seed>:<r>`, so results do not depend
//! on the number of threads: every replicate is the same wherever it runs,
//! and the tallies are sums of integers.

use std::sync::atomic::{AtomicU64, Ordering};

use super::design::Design;
use super::select::fisher_yates;
use super::stream::Stream;
use crate::frame::tree::{Level, Population, Unit};
use crate::plan::rate::Rate;

/// Where falsified villages are planted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Villages at random within each county.
    Random,
    /// Whole townships at random within each county, until the rate is met.
    Clustered,
    /// The smallest villages of each county (by the size column).
    Small,
    /// The largest villages of each county.
    Large,
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Share of each county's villages to plant (⌈rate × villages⌉ at least).
    pub rate: Rate,
    pub pattern: Pattern,
    pub replicates: u64,
    /// Seeds the planting and the replicates.
    pub seed: u64,
    pub threads: usize,
    /// Size column for `Small` and `Large`.
    pub size_column: usize,
}

/// One county's (or the whole city's) result.
#[derive(Debug, Clone, PartialEq)]
pub struct Power {
    /// County index in the frame, `None` for the whole population.
    pub county: Option<usize>,
    pub villages: usize,
    pub planted: usize,
    /// Mean number of villages sampled (main sample).
    pub sampled: f64,
    /// P(at least one falsified village is sampled).
    pub detect: f64,
    pub detect_se: f64,
    /// Expected number of falsified villages sampled.
    pub found: f64,
    pub found_se: f64,
}

/// Integer tallies of one county over replicates.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    hits: u64,
    found: u64,
    found_sq: u64,
    sampled: u64,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.hits += o.hits;
        self.found += o.found;
        self.found_sq += o.found_sq;
        self.sampled += o.sampled;
    }
}

/// Marks the planted villages (indexed like the frame's villages).
pub fn plant(pop: &Population<'_>, spec: &Spec) -> Vec<bool> {
    let frame = pop.frame;
    let mut planted = vec![false; frame.villages.len()];
    for &c in pop.children(None, Level::County) {
        let county = Unit { level: Level::County, index: c };
        let villages = pop.children(Some(county), Level::Village);
        let want = spec.rate.ceil_times(villages.len() as u64) as usize;
        let mut stream = Stream::for_stratum(&format!("plant:{}", spec.seed), pop.key(county));
        match spec.pattern {
            Pattern::Random => {
                for i in fisher_yates(villages.len(), want, &mut stream) {
                    planted[villages[i]] = true;
                }
            }
            Pattern::Clustered => {
                let townships = pop.children(Some(county), Level::Township);
                let mut count = 0;
                for t in fisher_yates(townships.len(), townships.len(), &mut stream) {
                    if count >= want {
                        break;
                    }
                    let unit = Unit { level: Level::Township, index: townships[t] };
                    for &v in pop.children(Some(unit), Level::Village) {
                        planted[v] = true;
                        count += 1;
                    }
                }
            }
            Pattern::Small | Pattern::Large => {
                // A stable sort of villages in code order: ties stay in code order.
                let size = |v: &usize| frame.size(*v, spec.size_column);
                let mut by_size = villages.to_vec();
                if spec.pattern == Pattern::Small {
                    by_size.sort_by_key(size);
                } else {
                    by_size.sort_by_key(|v| std::cmp::Reverse(size(v)));
                }
                for &v in by_size.iter().take(want) {
                    planted[v] = true;
                }
            }
        }
    }
    planted
}

/// Runs the simulation. `progress(done)` is called from worker threads as
/// replicates finish (about every 1%).
pub fn simulate(
    design: &Design<'_>,
    pop: &Population<'_>,
    spec: &Spec,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<Power> {
    let planted = plant(pop, spec);
    let frame = pop.frame;
    let ncounties = frame.counties.len();
    let done = AtomicU64::new(0);
    let step = (spec.replicates / 100).max(1);
    let threads = spec.threads.max(1).min(spec.replicates.max(1) as usize);

    // Tallies per county plus one for the whole population (index ncounties).
    let run = |first: u64| -> Vec<Tally> {
        let mut tallies = vec![Tally::default(); ncounties + 1];
        let mut found = vec![0u64; ncounties + 1];
        let mut sampled = vec![0u64; ncounties + 1];
        let mut r = first;
        while r < spec.replicates {
            found.iter_mut().for_each(|f| *f = 0);
            sampled.iter_mut().for_each(|s| *s = 0);
            let sample = design.draw(pop, &format!("sim:{}:{r}", spec.seed));
            for d in sample.main() {
                let c = frame.villages[d.village].county;
                sampled[c] += 1;
                sampled[ncounties] += 1;
                if planted[d.village] {
                    found[c] += 1;
                    found[ncounties] += 1;
                }
            }
            for (t, (&f, &s)) in tallies.iter_mut().zip(found.iter().zip(&sampled)) {
                t.hits += u64::from(f > 0);
                t.found += f;
                t.found_sq += f * f;
                t.sampled += s;
            }
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(step) || n == spec.replicates {
                progress(n);
            }
            r += threads as u64;
        }
        tallies
    };
    let parts: Vec<Vec<Tally>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u64).map(|t| s.spawn(move || run(t))).collect();
        handles.into_iter().map(|h| h.join().expect("a simulation thread panicked")).collect()
    });
    let mut total = vec![Tally::default(); ncounties + 1];
    for p in &parts {
        for (t, o) in total.iter_mut().zip(p) {
            t.add(o);
        }
    }

    let r = spec.replicates.max(1) as f64;
    let summarise = |county: Option<usize>, t: &Tally, villages: usize, planted_n: usize| {
        let detect = t.hits as f64 / r;
        let found = t.found as f64 / r;
        let var = if r > 1.0 { ((t.found_sq as f64 - r * found * found) / (r - 1.0)).max(0.0) } else { 0.0 };
        Power {
            county,
            villages,
            planted: planted_n,
            sampled: t.sampled as f64 / r,
            detect,
            detect_se: (detect * (1.0 - detect) / r).sqrt(),
            found,
            found_se: (var / r).sqrt(),
        }
    };
    let mut out = Vec::new();
    for &c in pop.children(None, Level::County) {
        let vs = pop.children(Some(Unit { level: Level::County, index: c }), Level::Village);
        let n_planted = vs.iter().filter(|&&v| planted[v]).count();
        out.push(summarise(Some(c), &total[c], vs.len(), n_planted));
    }
    let all_planted = planted.iter().filter(|p| **p).count();
    out.push(summarise(None, &total[ncounties], pop.village_count(), all_planted));
    out
}
