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
        let mut area_of = Vec::with_capacity(n);
        for (i, v) in frame.villages.iter().enumerate() {
            area_of.push((v.county as u32, v.township as u32));
            if !is_kept(i) {
                continue;
            }
            county_count[v.county] += 1;
            township_count[v.township] += 1;
            for k in 0..ncols {
                let s = u128::from(frame.size(i, k));
                county_sizes[v.county * ncols + k] += s;
                township_sizes[v.township * ncols + k] += s;
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
        let (mut c_at, mut t_at) = (c_off.clone(), t_off.clone());
        let (mut c_items, mut t_items) = (vec![0usize; kept_n], vec![0usize; kept_n]);
        let mut villages = Vec::with_capacity(kept_n);
        // Walking the villages in code order leaves every list sorted.
        for &i in &frame.by_code {
            let i = i as usize;
            if !is_kept(i) {
                continue;
            }
            let (c, t) = (area_of[i].0 as usize, area_of[i].1 as usize);
            t_items[t_at[t]] = i;
            t_at[t] += 1;
            c_items[c_at[c]] = i;
            c_at[c] += 1;
            villages.push(i);
        }
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
