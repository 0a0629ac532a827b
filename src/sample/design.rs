//! The multistage design: checking the rules against the population
//! ([`Design::prepare`]) and drawing the sample ([`Design::draw`]). Each
//! stage selects units of one level inside every unit the stage above
//! selected; each such stratum draws from its own stream.

use std::collections::{HashMap, HashSet};

use super::alloc::{Share, allocate};
use super::ratio::Ratio;
use super::select::{fisher_yates, pps_probabilities, rivest, systematic_pps};
use super::stream::Stream;
use crate::error::{Diag, Diags};
use crate::frame::tree::{Level, Population, Unit};
use crate::plan::attribute::{Model, sample_size};
use crate::rules::{AllocBy, AttributeSpec, Method, Rules, Short, Stage, StageN};

/// Size totals per stratum stay below 2^40 so that products of three stages'
/// probabilities are exact in 128-bit integers.
pub const MAX_STRATUM_SIZE: u128 = 1 << 40;

/// How many similar problems to list before summarising the rest.
const LIST_AT_MOST: usize = 20;

/// Why a unit is in the sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Drawn at random.
    Random,
    /// A PPS certainty unit: its size reaches the sampling interval.
    Size,
    /// The stratum is taken whole (n = "all", or fewer units than n).
    All,
    /// Forced in by the rules.
    Forced,
}

impl Basis {
    /// The certainty flag in `sample.csv`: empty for a random selection.
    pub fn flag(self) -> &'static str {
        match self {
            Basis::Random => "",
            Basis::Size => "size",
            Basis::All => "all",
            Basis::Forced => "forced",
        }
    }
}

/// One village of the sample, or of its reserve list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    /// Index into the frame's villages.
    pub village: usize,
    /// Codes of the units above, `/`-separated: the last stage's stratum.
    pub stratum: String,
    /// 1, 2, … in the order of selection within the stratum; reserves follow.
    pub order: u32,
    /// Inclusion probability at each stage, given the stages above.
    pub stage_pi: Vec<Ratio>,
    /// The product of the stage probabilities.
    pub pi: Ratio,
    /// Why the unit was taken at the last stage (for reserves: as drawn).
    pub basis: Basis,
    /// 1, 2, … for reserve units, in draw order; `None` for the sample.
    pub reserve: Option<u32>,
}

/// A drawn sample: villages in stratum order, main sample before reserves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub levels: Vec<Level>,
    pub rows: Vec<Drawn>,
    /// Number of strata visited at each stage.
    pub strata: Vec<usize>,
    /// The n an attribute plan set in each stratum it applied to.
    pub planned: Vec<Planned>,
}

/// A stratum's n as its stage's attribute plan computed it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Planned {
    /// 1-based stage number.
    pub stage: usize,
    /// The stratum's path (SAMPLING.md §5).
    pub stratum: String,
    pub units: u64,
    pub n: u64,
}

impl Sample {
    pub fn main(&self) -> impl Iterator<Item = &Drawn> {
        self.rows.iter().filter(|d| d.reserve.is_none())
    }
}

/// The rules' design, checked against one population and ready to draw.
pub struct Design<'a> {
    pub stages: &'a [Stage],
    pub(super) size_col: Vec<Option<usize>>,
    /// Per stage with an allocated n: n by parent unit index (the root is 0).
    pub(super) alloc: Vec<Option<HashMap<usize, u64>>>,
    /// Per stage with an attribute plan: n by the stratum's number of units.
    pub(super) plan_n: Vec<HashMap<u64, u64>>,
    pub(super) forced: HashSet<Unit>,
}

impl<'a> Design<'a> {
    /// Checks the rules against the population and prepares the draw. Every
    /// problem is reported: missing sizes, strata too small for their n,
    /// unknown codes in the exclusion and inclusion lists.
    pub fn prepare(rules: &'a Rules, pop: &Population<'_>) -> (Option<Design<'a>>, Diags) {
        let mut diags = Diags::default();
        let rf = rules.file.as_str();
        let frame = pop.frame;

        // Codes in the lists must exist (exclusions: a warning, since last
        // year's list may name villages since merged).
        if !rules.exclude.is_empty() || !rules.include.is_empty() {
            let known = all_keys(pop);
            let in_frame = frame_keys(frame);
            let excluded: HashSet<&str> =
                rules.exclude.iter().flat_map(|l| l.codes.iter().map(|c| c.code.as_str())).collect();
            for c in rules.exclude.iter().flat_map(|l| &l.codes) {
                if !known.contains_key(c.code.as_str()) && !in_frame.contains(c.code.as_str()) {
                    diags.push(Diag::warning(
                        &c.file,
                        Some(c.loc),
                        format!("excluded code {} is not in the frame", c.code),
                    ));
                }
            }
            for c in rules.include.iter().flat_map(|l| &l.codes) {
                if excluded.contains(c.code.as_str()) {
                    diags.push(Diag::error(
                        &c.file,
                        Some(c.loc),
                        format!("code {} is both excluded and forced in", c.code),
                    ));
                } else if !known.contains_key(c.code.as_str()) {
                    let why = if in_frame.contains(c.code.as_str()) {
                        "is inside an excluded area"
                    } else {
                        "is not in the frame"
                    };
                    diags.push(Diag::error(&c.file, Some(c.loc), format!("forced code {} {why}", c.code)));
                }
            }
        }
        if pop.village_count() == 0 {
            diags.push(Diag::error(rf, None, "no villages are left after the exclusions"));
            return (None, diags);
        }
        let forced = forced_units(rules, pop);
        for e in &rules.inspection.extensions {
            if !frame.counties.iter().any(|c| c.key == e.county) {
                diags.push(Diag::error(
                    rf,
                    Some(e.loc),
                    format!("extension for county {}, which is not in the frame", e.county),
                ));
            }
        }

        let mut size_col = Vec::new();
        let mut alloc = Vec::new();
        let mut plan_n: Vec<HashMap<u64, u64>> = Vec::new();
        for (s, stage) in rules.stages.iter().enumerate() {
            let col = stage.size.as_deref().and_then(|n| frame.size_column(n));
            size_col.push(col);
            let parents = potential_strata(rules, pop, s);
            let n_units = |p: Option<Unit>| pop.children(p, stage.level).len() as u64;

            let mut table: Option<HashMap<usize, u64>> = None;
            if let StageN::Allocate(a) = &stage.n {
                let shares: Vec<Share> = parents
                    .iter()
                    .map(|&p| Share {
                        weight: match &a.by {
                            AllocBy::Equal => 1,
                            AllocBy::Units => u128::from(n_units(p)),
                            AllocBy::Size(name) => frame
                                .size_column(name)
                                .map_or(0, |c| p.map_or_else(|| pop.total(c), |p| pop.size(p, c))),
                        },
                        units: n_units(p),
                    })
                    .collect();
                match allocate(&shares, a.total, a.min, a.max) {
                    Ok(ns) => {
                        table = Some(
                            parents.iter().zip(ns).map(|(p, n)| (p.map_or(0, |u| u.index), n)).collect(),
                        );
                    }
                    Err(why) => {
                        diags.push(Diag::error(rf, Some(stage.loc), format!("stage {}: {why}", s + 1)))
                    }
                }
            }
            alloc.push(table);
            let mut by_units = HashMap::new();
            if let StageN::Plan(spec) = &stage.n {
                for &p in &parents {
                    let units = n_units(p);
                    by_units.entry(units).or_insert_with(|| planned_n(spec, units));
                }
            }
            plan_n.push(by_units);

            let mut short = Vec::new();
            let mut over_forced = Vec::new();
            let mut zero_areas = Vec::new();
            let mut huge = Vec::new();
            let mut few_reserves = 0usize;
            // Villages of size 0 are few: only the strata that hold one
            // are walked for them, and a stratum of villages takes its
            // total from the population's sums.
            let parent_level = s.checked_sub(1).map(|q| rules.stages[q].level);
            let zero_strata: HashSet<Option<Unit>> = match col {
                Some(c) if stage.level == Level::Village => pop
                    .zero_villages(c)
                    .iter()
                    .map(|&i| parent_level.map(|l| pop.village_ancestor(i, l)))
                    .collect(),
                _ => HashSet::new(),
            };
            for &p in &parents {
                let units = pop.children(p, stage.level);
                let n_all = units.len() as u64;
                let want = wanted(stage, alloc[s].as_ref(), &plan_n[s], p, n_all);
                if want > n_all && stage.short == Short::Error {
                    short.push(format!("{} has {n_all}", stratum_name(pop, p)));
                }
                let taken = want.min(n_all);
                let nforced = units
                    .iter()
                    .filter(|&&i| forced.contains(&Unit { level: stage.level, index: i }))
                    .count() as u64;
                if taken < n_all && nforced > taken {
                    over_forced.push(format!("{} ({nforced} forced, n = {taken})", stratum_name(pop, p)));
                }
                if taken < n_all && n_all - taken < stage.reserve {
                    few_reserves += 1;
                }
                if let (Method::Pps, Some(c), true) = (stage.method, col, taken < n_all) {
                    let villages = stage.level == Level::Village;
                    let walked = if villages && !zero_strata.contains(&p) { &[][..] } else { units };
                    let mut walked_total = 0u128;
                    for &i in walked {
                        let u = Unit { level: stage.level, index: i };
                        let x = pop.size(u, c);
                        walked_total += x;
                        if x == 0 && !forced.contains(&u) {
                            if villages {
                                let v = &frame.villages[i];
                                diags.push(Diag::at_line(
                                    &frame.file,
                                    v.line,
                                    format!(
                                        "village {} ({}) has {} = 0, but stage {} samples villages proportional to {}",
                                        frame.code(i),
                                        frame.name(i),
                                        frame.size_names[c],
                                        s + 1,
                                        frame.size_names[c]
                                    ),
                                ));
                            } else {
                                zero_areas.push(pop.label(u));
                            }
                        }
                    }
                    // A stratum of villages, walked or not, has its total
                    // from the population's sums.
                    let total = if villages {
                        p.map_or_else(|| pop.total(c), |p| pop.size(p, c))
                    } else {
                        walked_total
                    };
                    if total >= MAX_STRATUM_SIZE {
                        huge.push(stratum_name(pop, p));
                    }
                }
            }
            let level = stage.level.plural();
            let per = if s == 0 {
                "in all".to_string()
            } else {
                format!("per {}", rules.stages[s - 1].level.name())
            };
            let mut report = |items: Vec<String>, head: String| {
                if !items.is_empty() {
                    diags.push(Diag::error(
                        rf,
                        Some(stage.loc),
                        format!("stage {}: {head}: {}", s + 1, summarise(&items)),
                    ));
                }
            };
            report(
                short,
                format!(
                    "takes {} {level} {per} but some strata have fewer (set if_short = \"take-all\" to take them whole, or lower n)",
                    match &stage.n {
                        StageN::Fixed(n) => n.to_string(),
                        _ => "up to the allocated".to_string(),
                    }
                ),
            );
            report(over_forced, "more forced inclusions than n".to_string());
            report(
                zero_areas,
                format!("size {} is 0 for units sampled by PPS", stage.size.as_deref().unwrap_or("")),
            );
            report(
                huge,
                "a stratum's size total reaches 2^40; sizes that large are not populations".to_string(),
            );
            if few_reserves > 0 {
                diags.push(Diag::warning(
                    rf,
                    Some(stage.loc),
                    format!(
                        "stage {}: {few_reserves} strata have fewer than {} units left for the reserve list",
                        s + 1,
                        stage.reserve
                    ),
                ));
            }
        }
        if pop.village_count() == 0 {
            diags.push(Diag::error(rf, None, "no villages are left after the exclusions"));
        }
        if let Some(h) = &rules.households {
            diags.extend(super::households::check(h, rf, pop));
        }
        if diags.has_errors() {
            return (None, diags);
        }
        (Some(Design { stages: &rules.stages, size_col, alloc, plan_n, forced }), diags)
    }

    /// Draws the sample from a normalised seed. Deterministic: the same
    /// population, design and seed always give the same sample.
    pub fn draw(&self, pop: &Population<'_>, seed: &str) -> Sample {
        let mut sample = Sample {
            levels: self.stages.iter().map(|s| s.level).collect(),
            rows: Vec::new(),
            strata: vec![0; self.stages.len()],
            planned: Vec::new(),
        };
        self.visit(pop, seed, 0, None, "", &[], &mut sample);
        sample
    }

    #[allow(clippy::too_many_arguments)]
    fn visit(
        &self,
        pop: &Population<'_>,
        seed: &str,
        s: usize,
        parent: Option<Unit>,
        path: &str,
        pis: &[Ratio],
        out: &mut Sample,
    ) {
        let stage = &self.stages[s];
        out.strata[s] += 1;
        if let StageN::Plan(_) = stage.n {
            let units = pop.children(parent, stage.level).len() as u64;
            let n = wanted(stage, None, &self.plan_n[s], parent, units).min(units);
            out.planned.push(Planned { stage: s + 1, stratum: path.to_string(), units, n });
        }
        let picks = self.select(pop, seed, s, parent, path);
        let last = s + 1 == self.stages.len();
        for p in picks {
            let mut stage_pi = pis.to_vec();
            stage_pi.push(p.pi);
            let unit = Unit { level: stage.level, index: p.index };
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
            } else if p.reserve.is_none() {
                let key = pop.key(unit);
                let child = if path.is_empty() { key.to_string() } else { format!("{path}/{key}") };
                self.visit(pop, seed, s + 1, Some(unit), &child, &stage_pi, out);
            }
        }
    }

    /// The selections of one stratum, in order: forced units, certainty
    /// units, then random draws; then the reserves.
    pub(super) fn select(
        &self,
        pop: &Population<'_>,
        seed: &str,
        s: usize,
        parent: Option<Unit>,
        path: &str,
    ) -> Vec<Pick> {
        let stage = &self.stages[s];
        let units = pop.children(parent, stage.level);
        let n_all = units.len() as u64;
        let want = wanted(stage, self.alloc[s].as_ref(), &self.plan_n[s], parent, n_all);
        let mut picks = Vec::new();
        let push = |index: usize, pi: Ratio, basis: Basis, reserve: Option<u32>, picks: &mut Vec<Pick>| {
            let order = picks.len() as u32 + 1;
            picks.push(Pick { index, pi, basis, order, reserve });
        };
        if want >= n_all {
            for &i in units {
                let basis = if self.forced.contains(&Unit { level: stage.level, index: i }) {
                    Basis::Forced
                } else {
                    Basis::All
                };
                push(i, Ratio::ONE, basis, None, &mut picks);
            }
            return picks;
        }
        let (forced, free): (Vec<usize>, Vec<usize>) =
            units.iter().partition(|&&i| self.forced.contains(&Unit { level: stage.level, index: i }));
        for &i in &forced {
            push(i, Ratio::ONE, Basis::Forced, None, &mut picks);
        }
        let m = want - forced.len() as u64;
        let c = free.len();
        let k = stage.reserve as usize;
        let label = format!("{}:{path}", stage.level.name());
        match stage.method {
            Method::Srs | Method::Rivest => {
                let order = if stage.method == Method::Srs {
                    fisher_yates(c, m as usize + k, &mut Stream::for_stratum(seed, &label))
                } else {
                    rivest(&format!("{seed}/{label}"), c, m as usize + k)
                };
                let pi = Ratio::new(u128::from(m), c as u128);
                for (j, &pos) in order.iter().enumerate() {
                    let reserve = (j >= m as usize).then(|| (j - m as usize + 1) as u32);
                    push(free[pos], pi, Basis::Random, reserve, &mut picks);
                }
            }
            Method::Pps => {
                let col = self.size_col[s].expect("prepare checked the size column");
                let sizes: Vec<u128> =
                    free.iter().map(|&i| pop.size(Unit { level: stage.level, index: i }, col)).collect();
                let (probs, certain) = pps_probabilities(&sizes, m);
                let mut stream = Stream::for_stratum(seed, &label);
                let mut chosen = vec![false; c];
                for pos in (0..c).filter(|&p| certain[p]) {
                    chosen[pos] = true;
                    push(free[pos], Ratio::ONE, Basis::Size, None, &mut picks);
                }
                for pos in systematic_pps(&sizes, &certain, m, &mut stream) {
                    chosen[pos] = true;
                    push(free[pos], probs[pos], Basis::Random, None, &mut picks);
                }
                // Reserves: a Fisher–Yates prefix over the units not chosen,
                // in code order, continuing the same stream.
                let rest: Vec<usize> = (0..c).filter(|&p| !chosen[p]).collect();
                for (j, r) in fisher_yates(rest.len(), k, &mut stream).into_iter().enumerate() {
                    let pos = rest[r];
                    push(free[pos], probs[pos], Basis::Random, Some(j as u32 + 1), &mut picks);
                }
            }
        }
        picks
    }
}

pub(super) struct Pick {
    pub(super) index: usize,
    pub(super) pi: Ratio,
    pub(super) basis: Basis,
    pub(super) order: u32,
    pub(super) reserve: Option<u32>,
}

/// The n a stage asks of a stratum with `n_all` units (before `if_short`).
pub(super) fn wanted(
    stage: &Stage,
    alloc: Option<&HashMap<usize, u64>>,
    plan_n: &HashMap<u64, u64>,
    parent: Option<Unit>,
    n_all: u64,
) -> u64 {
    match &stage.n {
        StageN::All => n_all,
        StageN::Fixed(n) => *n,
        StageN::Plan(_) => plan_n.get(&n_all).copied().unwrap_or(n_all),
        StageN::Allocate(_) => {
            alloc.and_then(|t| t.get(&parent.map_or(0, |u| u.index))).copied().unwrap_or(0)
        }
    }
}

/// The hypergeometric attribute sample size for a stratum of `units` units;
/// the whole stratum when no smaller sample meets the plan.
fn planned_n(spec: &AttributeSpec, units: u64) -> u64 {
    let model = Model::Hypergeometric { population: units };
    sample_size(spec.tolerable, spec.expected, spec.confidence, model).map_or(units, |p| p.n)
}

/// The strata stage `s` may meet: the root for the first stage, else every
/// unit of the level above (whichever the earlier stages select).
fn potential_strata(rules: &Rules, pop: &Population<'_>, s: usize) -> Vec<Option<Unit>> {
    if s == 0 {
        return vec![None];
    }
    let level = rules.stages[s - 1].level;
    pop.children(None, level).iter().map(|&index| Some(Unit { level, index })).collect()
}

fn stratum_name(pop: &Population<'_>, p: Option<Unit>) -> String {
    match p {
        None => "the whole population".to_string(),
        Some(u) => format!("{} {}", u.level.name(), pop.label(u)),
    }
}

fn summarise(items: &[String]) -> String {
    let mut s = items.iter().take(LIST_AT_MOST).cloned().collect::<Vec<_>>().join("; ");
    if items.len() > LIST_AT_MOST {
        s.push_str(&format!("; and {} more", items.len() - LIST_AT_MOST));
    }
    s
}

/// Every code in the population, at every level.
fn all_keys<'p>(pop: &'p Population<'_>) -> HashMap<&'p str, Unit> {
    let mut m = HashMap::new();
    for level in [Level::County, Level::Township, Level::Village] {
        for &index in pop.children(None, level) {
            let u = Unit { level, index };
            m.insert(pop.key(u), u);
        }
    }
    m
}

/// Every code in the frame, excluded or not.
fn frame_keys(frame: &crate::frame::Frame) -> HashSet<&str> {
    let villages = (0..frame.villages.len()).map(|i| frame.code(i));
    let areas = frame.townships.iter().chain(&frame.counties).map(|a| a.key.as_str());
    villages.chain(areas).collect()
}

/// Units forced in by the rules, with every unit above them.
fn forced_units(rules: &Rules, pop: &Population<'_>) -> HashSet<Unit> {
    let mut out = HashSet::new();
    if rules.include.is_empty() {
        return out;
    }
    let keys = all_keys(pop);
    for c in rules.include.iter().flat_map(|l| &l.codes) {
        let Some(&u) = keys.get(c.code.as_str()) else {
            continue;
        };
        out.insert(u);
        let f = pop.frame;
        match u.level {
            Level::Village => {
                out.insert(Unit { level: Level::Township, index: f.villages[u.index].township });
                out.insert(Unit { level: Level::County, index: f.villages[u.index].county });
            }
            Level::Township => {
                out.insert(Unit { level: Level::County, index: f.townships[u.index].parent });
            }
            Level::County => {}
        }
    }
    out
}

/// Codes the rules exclude from the population.
pub fn excluded_codes(rules: &Rules) -> HashSet<String> {
    rules.exclude.iter().flat_map(|l| l.codes.iter().map(|c| c.code.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{FrameSchema, parse};

    const CAMPAIGN: &str = "[campaign]\nname = \"t\"\nissuer = \"t\"\ndocument = \"t\"\nissued = 2026-01-01\n\
        period = { start = 2026-01-01, end = 2026-01-31 }\ncheck_window = { start = 2026-02-01, end = 2026-02-28 }\n\
        [frame]\ncode = \"code\"\nname = \"name\"\ncounty_code = \"cc\"\ncounty = \"county\"\n\
        township_code = \"tc\"\ntownship = \"township\"\nsizes = [\"population\"]\n";

    /// The problems `prepare` reports for `stages` (and more rules) on a
    /// frame of rows `(code, county, township, population)`, one a line.
    fn problems(stages: &str, rows: &[(&str, &str, &str, u64)]) -> Vec<String> {
        let (rules, d) = crate::rules::parse("r.toml", &format!("{CAMPAIGN}{stages}"));
        let rules = rules.unwrap_or_else(|| panic!("{d}"));
        let schema = FrameSchema {
            county_code: Some("cc".into()),
            township_code: Some("tc".into()),
            sizes: vec!["population".into()],
            ..FrameSchema::default()
        };
        let mut text = String::from("code,name,cc,county,tc,township,population\n");
        for (code, c, t, x) in rows {
            text.push_str(&format!("{code},村{code},{c},县{c},{t},乡{t},{x}\n"));
        }
        let (frame, d) = parse("f.csv", &text, &schema);
        assert!(!d.has_errors(), "{d}");
        let pop = Population::new(&frame, &super::super::excluded_codes(&rules));
        let (_, diags) = Design::prepare(&rules, &pop);
        diags.0.iter().map(|d| d.to_string()).collect()
    }

    const BY_TOWNSHIP: &str = "[[stage]]\nlevel = \"township\"\nn = 1\n\
        [[stage]]\nlevel = \"village\"\nn = 1\nmethod = \"pps\"\nsize = \"population\"\n";

    /// Villages of size 0 are reported in every stratum that samples
    /// them by size, in the strata's order and then the code's, however
    /// the frame is ordered; not in a stratum taken whole, and not when
    /// forced in.
    #[test]
    fn villages_of_size_zero_are_found_in_every_stratum() {
        let rows = [
            ("2002", "2", "20", 0),
            ("1001", "1", "10", 5),
            ("1003", "1", "10", 0),
            ("2001", "2", "20", 7),
            ("1002", "1", "10", 0),
            ("3001", "3", "30", 0),
            ("1101", "1", "11", 4),
            ("2003", "2", "20", 3),
        ];
        let got = problems(BY_TOWNSHIP, &rows);
        let lines: Vec<&str> = got.iter().map(|p| p.split(": village").next().unwrap()).collect();
        // Township 10 (lines 4 and 6, code order), then 20 (line 2); 30
        // holds one village and is taken whole.
        assert_eq!(lines, ["f.csv:6", "f.csv:4", "f.csv:2"], "{got:?}");
        assert!(got[0].contains("village 1002 (村1002) has population = 0"), "{got:?}");
        let forced = format!("{BY_TOWNSHIP}[[include]]\ncodes = [\"1003\"]\nreason = \"r\"\n");
        let got = problems(&forced, &rows);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got.iter().all(|p| !p.contains("1003")), "{got:?}");
        // A single stage over the whole population.
        let one = "[[stage]]\nlevel = \"village\"\nn = 2\nmethod = \"pps\"\nsize = \"population\"\n";
        let got = problems(one, &rows);
        let lines: Vec<&str> = got.iter().map(|p| p.split(": village").next().unwrap()).collect();
        assert_eq!(lines, ["f.csv:6", "f.csv:4", "f.csv:2", "f.csv:7"], "{got:?}");
    }

    /// An area of size 0 in a stage that samples areas by size is
    /// reported by name, whether or not its villages are sampled by size.
    #[test]
    fn areas_of_size_zero_are_found() {
        let rows =
            [("1001", "1", "10", 5), ("1101", "1", "11", 0), ("1102", "1", "11", 0), ("1201", "1", "12", 4)];
        for last in ["", "method = \"pps\"\nsize = \"population\"\n"] {
            let stages = format!(
                "[[stage]]\nlevel = \"township\"\nn = 1\nmethod = \"pps\"\nsize = \"population\"\n\
                 [[stage]]\nlevel = \"village\"\nn = 1\n{last}"
            );
            let got = problems(&stages, &rows);
            assert!(got.iter().any(|p| p.contains("is 0 for units sampled by PPS: 11 (乡11)")), "{got:?}");
        }
    }

    /// A stratum whose villages' sizes add up to 2^40 or more is refused,
    /// as a stratum of areas is; one just below passes.
    #[test]
    fn a_stratum_of_villages_too_large_is_refused() {
        let big = (1u64 << 40) / 3 + 1;
        let rows = [
            ("1001", "1", "10", big),
            ("1002", "1", "10", big),
            ("1003", "1", "10", big),
            ("2001", "2", "20", big),
            ("2002", "2", "20", big),
            ("2003", "2", "20", big - 3),
        ];
        let got = problems(BY_TOWNSHIP, &rows);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].contains("reaches 2^40") && got[0].ends_with("populations: township 10 (乡10)"),
            "{got:?}"
        );
        let one = "[[stage]]\nlevel = \"village\"\nn = 2\nmethod = \"pps\"\nsize = \"population\"\n";
        let got = problems(one, &rows[3..]);
        assert!(got.is_empty(), "{got:?}");
        let got = problems(one, &rows);
        assert!(got.len() == 1 && got[0].ends_with("populations: the whole population"), "{got:?}");
    }
}
