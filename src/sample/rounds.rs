//! Further rounds of a sequential plan (SAMPLING.md §15). The first draw
//! already fixes the order in which every stratum would give up more units:
//! the Fisher–Yates shuffle of an SRS stratum continues on the same stream,
//! Rivest's sampler continues its draws. Round r takes, in each stratum of
//! an escalated county, the next blocks of that order; so a county's sample
//! after round r is a fixed set of positions of its strata's orders, that is
//! a simple random sample of the round's cumulative size, whatever was
//! decided on the way. Nothing here reads more than the seed, the design
//! and the plan.

use super::design::{Basis, Design, Drawn, Pick, Sample, wanted};
use super::ratio::Ratio;
use super::select::{fisher_yates, rivest};
use super::stream::Stream;
use crate::frame::tree::{Level, Population, Unit};
use crate::rules::Method;
use crate::rules::sequential::Sequential;

/// Names the algorithm of further rounds in a round record.
pub const ROUNDS_ALGORITHM: &str = "spotcheck-rounds-v1";

/// The escalated counties' samples as they stand after a round: the rows
/// of `sample` (in the depth-first order of SAMPLING.md §5) and, for each,
/// the round it joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundSample {
    pub round: u32,
    pub sample: Sample,
    pub joined: Vec<u32>,
}

impl RoundSample {
    /// Rows of the main sample that joined in this round.
    pub fn new_villages(&self) -> usize {
        self.sample
            .rows
            .iter()
            .zip(&self.joined)
            .filter(|(d, j)| d.reserve.is_none() && **j == self.round)
            .count()
    }
}

/// A run of positions of a stratum's order: main units or reserves, and
/// the round they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    len: usize,
    reserve: bool,
    round: u32,
}

/// The blocks of a stratum after round `r`: the first round's m units and k
/// reserves, then for each later round j that adds e_j > 0 units at this
/// stage, e_j units and k more reserves.
fn blocks(m: usize, k: usize, r: u32, more: impl Fn(u32) -> u64) -> Vec<Block> {
    let mut out = vec![Block { len: m, reserve: false, round: 1 }, Block { len: k, reserve: true, round: 1 }];
    for j in 2..=r {
        let e = more(j) as usize;
        if e > 0 {
            out.push(Block { len: e, reserve: false, round: j });
            out.push(Block { len: k, reserve: true, round: j });
        }
    }
    out
}

impl Design<'_> {
    /// The samples of `counties` (indexes into the frame's counties) after
    /// round `r` ≥ 1 of `plan`, in county code order. Stage 1 takes every
    /// county (the rules check this for a sequential plan).
    pub fn draw_round(
        &self,
        pop: &Population<'_>,
        seed: &str,
        plan: &Sequential,
        r: u32,
        counties: &[usize],
    ) -> RoundSample {
        let mut sample = Sample {
            levels: self.stages.iter().map(|s| s.level).collect(),
            rows: Vec::new(),
            strata: vec![0; self.stages.len()],
            planned: Vec::new(),
        };
        let mut joined = Vec::new();
        for &c in pop.children(None, Level::County) {
            if !counties.contains(&c) {
                continue;
            }
            let unit = Unit { level: Level::County, index: c };
            let key = pop.key(unit).to_string();
            sample.strata[0] += 1;
            if self.stages.len() == 1 {
                continue;
            }
            self.visit_round(
                pop,
                seed,
                plan,
                r,
                1,
                Some(unit),
                &key,
                &[Ratio::ONE],
                1,
                &mut sample,
                &mut joined,
            );
        }
        RoundSample { round: r, sample, joined }
    }

    #[allow(clippy::too_many_arguments)]
    fn visit_round(
        &self,
        pop: &Population<'_>,
        seed: &str,
        plan: &Sequential,
        r: u32,
        s: usize,
        parent: Option<Unit>,
        path: &str,
        pis: &[Ratio],
        since: u32,
        out: &mut Sample,
        joined: &mut Vec<u32>,
    ) {
        let stage = &self.stages[s];
        out.strata[s] += 1;
        let picks = self.select_round(pop, seed, plan, r, s, parent, path);
        let last = s + 1 == self.stages.len();
        for (p, round) in picks {
            let mut stage_pi = pis.to_vec();
            stage_pi.push(p.pi);
            let unit = Unit { level: stage.level, index: p.index };
            let round = round.max(since);
            if last {
                let pi = stage_pi.iter().try_fold(Ratio::ONE, |a, b| a.checked_mul(*b));
                out.rows.push(Drawn {
                    village: p.index,
                    stratum: path.to_string(),
                    order: p.order,
                    pi: pi.expect("stratum sizes below 2^40 keep the product exact"),
                    stage_pi,
                    basis: p.basis,
                    reserve: p.reserve,
                });
                joined.push(round);
            } else if p.reserve.is_none() {
                let key = pop.key(unit);
                let child = if path.is_empty() { key.to_string() } else { format!("{path}/{key}") };
                self.visit_round(
                    pop,
                    seed,
                    plan,
                    r,
                    s + 1,
                    Some(unit),
                    &child,
                    &stage_pi,
                    round,
                    out,
                    joined,
                );
            }
        }
    }

    /// One stratum's selection after round `r`, each pick with the round its
    /// block belongs to. A stage the plan never adds units to selects as in
    /// the first round.
    #[allow(clippy::too_many_arguments)]
    fn select_round(
        &self,
        pop: &Population<'_>,
        seed: &str,
        plan: &Sequential,
        r: u32,
        s: usize,
        parent: Option<Unit>,
        path: &str,
    ) -> Vec<(Pick, u32)> {
        let stage = &self.stages[s];
        if !plan.escalates(stage.level) || stage.method == Method::Pps {
            return self.select(pop, seed, s, parent, path).into_iter().map(|p| (p, 1)).collect();
        }
        let units = pop.children(parent, stage.level);
        let n_all = units.len() as u64;
        let want = wanted(stage, self.alloc[s].as_ref(), &self.plan_n[s], parent, n_all);
        if want >= n_all {
            return self.select(pop, seed, s, parent, path).into_iter().map(|p| (p, 1)).collect();
        }
        let (forced, free): (Vec<usize>, Vec<usize>) =
            units.iter().partition(|&&i| self.forced.contains(&Unit { level: stage.level, index: i }));
        let m = (want - forced.len() as u64) as usize;
        let k = stage.reserve as usize;
        let c = free.len();
        let layout = blocks(m, k, r, |j| plan.more(j, stage.level));
        let length: usize = layout.iter().map(|b| b.len).sum::<usize>().min(c);
        let label = format!("{}:{path}", stage.level.name());
        let order = if stage.method == Method::Srs {
            fisher_yates(c, length, &mut Stream::for_stratum(seed, &label))
        } else {
            rivest(&format!("{seed}/{label}"), c, length)
        };
        // Positions are handed out block by block; a block the order cannot
        // fill gets what is left.
        let mut main: Vec<(usize, u32)> = Vec::new();
        let mut spare: Vec<(usize, u32)> = Vec::new();
        let mut at = 0usize;
        for b in &layout {
            let take = b.len.min(order.len() - at);
            for &pos in &order[at..at + take] {
                if b.reserve { spare.push((pos, b.round)) } else { main.push((pos, b.round)) }
            }
            at += take;
        }
        let pi = Ratio::new(main.len() as u128, c as u128);
        let mut picks = Vec::new();
        let mut push = |index: usize, pi: Ratio, basis: Basis, reserve: Option<u32>, round: u32| {
            let order = picks.len() as u32 + 1;
            picks.push((Pick { index, pi, basis, order, reserve }, round));
        };
        for &i in &forced {
            push(i, Ratio::ONE, Basis::Forced, None, 1);
        }
        for &(pos, round) in &main {
            push(free[pos], pi, Basis::Random, None, round);
        }
        for (rank, &(pos, round)) in spare.iter().enumerate() {
            push(free[pos], pi, Basis::Random, Some(rank as u32 + 1), round);
        }
        picks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_follow_the_rounds_that_add_units() {
        let b = blocks(5, 2, 3, |j| if j == 2 { 5 } else { 0 });
        let lens: Vec<(usize, bool, u32)> = b.iter().map(|b| (b.len, b.reserve, b.round)).collect();
        assert_eq!(lens, [(5, false, 1), (2, true, 1), (5, false, 2), (2, true, 2)]);
        assert_eq!(blocks(3, 0, 1, |_| 9).len(), 2);
    }
}
