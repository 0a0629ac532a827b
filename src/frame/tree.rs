//! The population a draw works on: the frame minus exclusions, arranged as
//! county → township → village with every list sorted by code, so the order
//! of rows in the CSV never matters. Unit sizes are summed up the hierarchy.

use std::collections::HashSet;

use super::Frame;

/// A level of the administrative hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    County,
    Township,
    Village,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::County => "county",
            Level::Township => "township",
            Level::Village => "village",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Level::County => "counties",
            Level::Township => "townships",
            Level::Village => "villages",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "county" => Some(Level::County),
            "township" => Some(Level::Township),
            "village" => Some(Level::Village),
            _ => None,
        }
    }
}

/// A unit at some level, by its index in the frame's county, township or
/// village list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Unit {
    pub level: Level,
    pub index: usize,
}

/// The indexes of the areas that `keep`, sorted by key (byte order). The
/// keys' first 16 bytes are compared as one number, so that tens of
/// thousands of townships sort without reaching each key's text.
fn sorted_by_key(areas: &[super::Area], keep: impl Fn(usize) -> bool) -> Vec<usize> {
    let prefix = |k: &str| {
        let mut buf = [0u8; 16];
        let n = k.len().min(16);
        buf[..n].copy_from_slice(&k.as_bytes()[..n]);
        u128::from_be_bytes(buf)
    };
    let mut keyed: Vec<(u128, usize)> =
        (0..areas.len()).filter(|&i| keep(i)).map(|i| (prefix(&areas[i].key), i)).collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| areas[a.1].key.cmp(&areas[b.1].key)));
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Lists of units per parent, one after another: the units of parent `p`
/// are `items[offsets[p]..offsets[p + 1]]`.
struct Lists {
    offsets: Vec<usize>,
    items: Vec<usize>,
}

impl Lists {
    fn of(&self, p: usize) -> &[usize] {
        &self.items[self.offsets[p]..self.offsets[p + 1]]
    }
}

/// The frame after exclusions, sorted and summed.
pub struct Population<'f> {
    pub frame: &'f Frame,
    /// Kept villages, counties and townships (with at least one kept village).
    counties: Vec<usize>,
    townships: Vec<usize>,
    villages: Vec<usize>,
    county_townships: Vec<Vec<usize>>,
    county_villages: Lists,
    township_villages: Lists,
    county_sizes: Vec<u128>,
    township_sizes: Vec<u128>,
    /// Per size column, the kept villages whose size is 0, in stored order.
    zeros: Vec<Vec<usize>>,
    ncols: usize,
    /// How many villages the exclusions removed.
    pub excluded: usize,
}

impl<'f> Population<'f> {
    /// Builds the population. `excluded` holds village codes, township keys
    /// or county keys; excluding an area excludes all its villages.
    pub fn new(frame: &'f Frame, excluded: &HashSet<String>) -> Population<'f> {
        let ncols = frame.size_names.len();
        let (nc, nt, n) = (frame.counties.len(), frame.townships.len(), frame.villages.len());
        let kept: Option<Vec<bool>> = (!excluded.is_empty()).then(|| {
            let county_out: Vec<bool> = frame.counties.iter().map(|c| excluded.contains(&c.key)).collect();
            let township_out: Vec<bool> = frame.townships.iter().map(|t| excluded.contains(&t.key)).collect();
            (0..n)
                .map(|i| {
                    let v = &frame.villages[i];
                    !(county_out[v.county] || township_out[v.township] || excluded.contains(frame.code(i)))
                })
                .collect()
        });
        let is_kept = |i: usize| kept.as_ref().is_none_or(|k| k[i]);
        // Counts and sizes walk the villages in their stored order; only the
        // placing in code order jumps about, and then in small arrays: a
        // frame is shuffled, and half a million jumps into the villages
        // themselves cost more than all the rest.
        let mut county_sizes = vec![0u128; nc * ncols];
        let mut township_sizes = vec![0u128; nt * ncols];
        let mut county_count = vec![0usize; nc];
        let mut township_count = vec![0usize; nt];
        let mut zeros = vec![Vec::new(); ncols];
        for (i, v) in frame.villages.iter().enumerate() {
            if !is_kept(i) {
                continue;
            }
            county_count[v.county] += 1;
            township_count[v.township] += 1;
            for (k, zeros) in zeros.iter_mut().enumerate() {
                let s = frame.size(i, k);
                if s == 0 {
                    zeros.push(i);
                }
                county_sizes[v.county * ncols + k] += u128::from(s);
                township_sizes[v.township * ncols + k] += u128::from(s);
            }
        }
        let offsets = |counts: &[usize]| {
            let mut o = Vec::with_capacity(counts.len() + 1);
            let mut at = 0;
            o.push(0);
            for c in counts {
                at += c;
                o.push(at);
            }
            o
        };
        let (c_off, t_off) = (offsets(&county_count), offsets(&township_count));
        let kept_n = t_off[nt];
        // The townships' counties in a small array of their own.
        let parent: Vec<usize> = frame.townships.iter().map(|t| t.parent).collect();
        // Walking the villages in code order leaves every list sorted. Each
        // village's areas come from the frame's townships in code order,
        // read in step with the order; a frame whose list does not agree
        // with the counts (none that spotcheck made) is placed again from
        // the villages themselves.
        let place = |area: fn(&Frame, &[usize], usize, usize) -> (usize, usize)| -> Option<[Vec<usize>; 3]> {
            let (mut c_at, mut t_at) = (c_off.clone(), t_off.clone());
            let (mut c_items, mut t_items) = (vec![0usize; kept_n], vec![0usize; kept_n]);
            let mut villages = Vec::with_capacity(kept_n);
            for (j, &i) in frame.by_code.iter().enumerate() {
                let i = i as usize;
                if !is_kept(i) {
                    continue;
                }
                let (c, t) = area(frame, &parent, j, i);
                if c >= nc || t >= nt || t_at[t] >= t_off[t + 1] || c_at[c] >= c_off[c + 1] {
                    return None;
                }
                t_items[t_at[t]] = i;
                t_at[t] += 1;
                c_items[c_at[c]] = i;
                c_at[c] += 1;
                villages.push(i);
            }
            (villages.len() == kept_n).then_some([c_items, t_items, villages])
        };
        fn in_step(frame: &Frame, parent: &[usize], j: usize, _: usize) -> (usize, usize) {
            let t = frame.township_by_code[j] as usize;
            (parent.get(t).copied().unwrap_or(usize::MAX), t)
        }
        fn own(frame: &Frame, _: &[usize], _: usize, i: usize) -> (usize, usize) {
            (frame.villages[i].county, frame.villages[i].township)
        }
        let placed = if frame.township_by_code.len() == n { place(in_step) } else { None };
        let [c_items, t_items, villages] = placed.or_else(|| place(own)).unwrap_or_default();
        let mut county_townships = vec![Vec::new(); nc];
        let townships = sorted_by_key(&frame.townships, |t| township_count[t] > 0);
        for &t in &townships {
            county_townships[frame.townships[t].parent].push(t);
        }
        let counties = sorted_by_key(&frame.counties, |c| county_count[c] > 0);
        Population {
            frame,
            counties,
            townships,
            villages,
            county_townships,
            county_villages: Lists { offsets: c_off, items: c_items },
            township_villages: Lists { offsets: t_off, items: t_items },
            county_sizes,
            township_sizes,
            zeros,
            ncols,
            excluded: n - kept_n,
        }
    }

    /// The units of `level` inside `parent` (`None`: the whole population),
    /// sorted by code.
    pub fn children(&self, parent: Option<Unit>, level: Level) -> &[usize] {
        match (parent.map(|p| (p.level, p.index)), level) {
            (None, Level::County) => &self.counties,
            (None, Level::Township) => &self.townships,
            (None, Level::Village) => &self.villages,
            (Some((Level::County, c)), Level::Township) => &self.county_townships[c],
            (Some((Level::County, c)), Level::Village) => self.county_villages.of(c),
            (Some((Level::Township, t)), Level::Village) => self.township_villages.of(t),
            _ => &[],
        }
    }

    /// The unit's total of size column `col`.
    pub fn size(&self, u: Unit, col: usize) -> u128 {
        match u.level {
            Level::County => self.county_sizes[u.index * self.ncols + col],
            Level::Township => self.township_sizes[u.index * self.ncols + col],
            Level::Village => u128::from(self.frame.size(u.index, col)),
        }
    }

    /// The total of size column `col` over the whole population.
    pub fn total(&self, col: usize) -> u128 {
        self.county_sizes.iter().skip(col).step_by(self.ncols.max(1)).sum()
    }

    /// The kept villages whose size column `col` is 0, in the frame's
    /// order: most frames have none, and a check for them need not walk
    /// every village in code order.
    pub fn zero_villages(&self, col: usize) -> &[usize] {
        self.zeros.get(col).map_or(&[], Vec::as_slice)
    }

    /// The code (or key) of a unit.
    pub fn key(&self, u: Unit) -> &str {
        match u.level {
            Level::County => &self.frame.counties[u.index].key,
            Level::Township => &self.frame.townships[u.index].key,
            Level::Village => self.frame.code(u.index),
        }
    }

    /// A readable name for messages: `key (name)`.
    pub fn label(&self, u: Unit) -> String {
        let name = match u.level {
            Level::County => &self.frame.counties[u.index].name,
            Level::Township => &self.frame.townships[u.index].name,
            Level::Village => self.frame.name(u.index),
        };
        let key = self.key(u);
        if key == name { key.to_string() } else { format!("{key} ({name})") }
    }

    /// Whether `ancestor` contains `u` (or is `u`).
    pub fn contains(&self, ancestor: Unit, u: Unit) -> bool {
        let f = self.frame;
        match (ancestor.level, u.level) {
            (a, b) if a == b => ancestor.index == u.index,
            (Level::County, Level::Township) => f.townships[u.index].parent == ancestor.index,
            (Level::County, Level::Village) => f.villages[u.index].county == ancestor.index,
            (Level::Township, Level::Village) => f.villages[u.index].township == ancestor.index,
            _ => false,
        }
    }

    /// The ancestor of a village at `level`.
    pub fn village_ancestor(&self, village: usize, level: Level) -> Unit {
        let v = &self.frame.villages[village];
        let index = match level {
            Level::County => v.county,
            Level::Township => v.township,
            Level::Village => village,
        };
        Unit { level, index }
    }

    pub fn village_count(&self) -> usize {
        self.villages.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{FrameSchema, parse};

    /// A shuffled frame of three counties, townships of a few villages,
    /// sizes with zeros.
    fn shuffled() -> Frame {
        let schema = FrameSchema {
            county_code: Some("cc".into()),
            township_code: Some("tc".into()),
            sizes: vec!["population".into(), "households".into()],
            ..FrameSchema::default()
        };
        let mut text = String::from("code,name,cc,county,tc,township,population,households\n");
        for k in 0..300u32 {
            let i = (k * 7) % 300;
            let (c, t) = (i % 3, i % 23);
            let t = format!("{c}{t:02}");
            text.push_str(&format!("{t}{i:03},村{i},{c},县{c},{t},乡{t},{},{}\n", i % 11, (i * 5) % 13));
        }
        let (f, d) = parse("f.csv", &text, &schema);
        assert!(d.is_empty(), "{d}");
        f
    }

    /// Every list of a population, with the sums and zeros.
    fn lists(p: &Population<'_>) -> Vec<Vec<usize>> {
        let f = p.frame;
        let mut out =
            vec![p.children(None, Level::County).to_vec(), p.children(None, Level::Township).to_vec()];
        out.push(p.children(None, Level::Village).to_vec());
        for c in 0..f.counties.len() {
            let u = Some(Unit { level: Level::County, index: c });
            out.push(p.children(u, Level::Township).to_vec());
            out.push(p.children(u, Level::Village).to_vec());
        }
        for t in 0..f.townships.len() {
            out.push(p.children(Some(Unit { level: Level::Township, index: t }), Level::Village).to_vec());
        }
        for col in 0..2 {
            out.push(vec![p.total(col) as usize]);
            out.push(p.zero_villages(col).to_vec());
            for t in 0..f.townships.len() {
                out.push(vec![p.size(Unit { level: Level::Township, index: t }, col) as usize]);
            }
        }
        out
    }

    /// Each list is the villages the frame puts there, in code order; the
    /// sums and zeros are the villages' own.
    #[test]
    fn lists_hold_their_villages_in_code_order() {
        let f = shuffled();
        let excluded: HashSet<String> = ["0", "105", "2003"].iter().map(|s| s.to_string()).collect();
        for ex in [HashSet::new(), excluded] {
            let p = Population::new(&f, &ex);
            let kept = |i: usize| {
                let v = &f.villages[i];
                !ex.contains(&f.counties[v.county].key)
                    && !ex.contains(&f.townships[v.township].key)
                    && !ex.contains(f.code(i))
            };
            let by_code = |pick: &dyn Fn(usize) -> bool| {
                let mut v: Vec<usize> = (0..f.villages.len()).filter(|&i| kept(i) && pick(i)).collect();
                v.sort_by_key(|&i| f.code(i));
                v
            };
            assert_eq!(p.excluded, f.villages.len() - by_code(&|_| true).len());
            assert_eq!(p.children(None, Level::Village), by_code(&|_| true));
            for t in 0..f.townships.len() {
                let u = Unit { level: Level::Township, index: t };
                assert_eq!(p.children(Some(u), Level::Village), by_code(&|i| f.villages[i].township == t));
                for col in 0..2 {
                    let sum: u64 =
                        by_code(&|i| f.villages[i].township == t).iter().map(|&i| f.size(i, col)).sum();
                    assert_eq!(p.size(u, col), u128::from(sum));
                }
            }
            for c in 0..f.counties.len() {
                let u = Some(Unit { level: Level::County, index: c });
                assert_eq!(p.children(u, Level::Village), by_code(&|i| f.villages[i].county == c));
            }
            for col in 0..2 {
                let all = by_code(&|_| true);
                assert_eq!(p.total(col), all.iter().map(|&i| u128::from(f.size(i, col))).sum::<u128>());
                let mut zeros = p.zero_villages(col).to_vec();
                zeros.sort_by_key(|&i| f.code(i));
                assert_eq!(zeros, by_code(&|i| f.size(i, col) == 0));
                assert!(!zeros.is_empty());
            }
            assert!(p.zero_villages(2).is_empty());
        }
    }

    /// A frame whose townships in code order are missing, or do not agree
    /// with its villages, is placed from the villages themselves: the same
    /// population, and no panic.
    #[test]
    fn townships_in_code_order_that_disagree_are_passed_over() {
        let f = shuffled();
        let n = f.villages.len();
        let last = f.townships.len() as u32 - 1;
        let mut spoiled: Vec<Vec<u32>> = vec![Vec::new(), f.township_by_code[1..].to_vec()];
        for (j, t) in [(0, last), (n - 1, 0), (n / 2, last + 1), (n / 3, u32::MAX)] {
            let mut v = f.township_by_code.clone();
            assert_ne!(v[j], t);
            v[j] = t;
            spoiled.push(v);
        }
        for ex in [HashSet::new(), HashSet::from(["2".to_string()])] {
            let want = lists(&Population::new(&f, &ex));
            for towns in &spoiled {
                let g = Frame { township_by_code: towns.clone(), ..f.clone() };
                assert_eq!(lists(&Population::new(&g, &ex)), want, "{towns:?}");
            }
        }
    }
}
