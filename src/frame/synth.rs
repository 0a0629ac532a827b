//! Synthetic sampling frames: village rosters laid out like a Chinese village
//! register, for the shipped city example and for national-scale benchmarks.
//! All names, codes and counts are synthetic, generated deterministically from
//! a seed with our own samplers so the bytes never drift with `rand` releases.

use std::collections::HashSet;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// Which kind of frame to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynthPreset {
    /// Cangzhou, Hebei (2008): its 18 county-level units and codes, synthetic villages.
    City,
    /// A country: about 2,800 synthetic counties per 500,000 villages.
    National,
}

/// What to generate: a preset and the exact number of villages (data rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthSpec {
    pub preset: SynthPreset,
    pub villages: usize,
}

impl SynthSpec {
    /// Cangzhou with 5,700 villages.
    pub fn city() -> Self {
        Self { preset: SynthPreset::City, villages: 5_700 }
    }

    /// A national frame of 500,000 villages, the benchmark size.
    pub fn national() -> Self {
        Self { preset: SynthPreset::National, villages: 500_000 }
    }
}

const HEADER: &str = "村代码,村名,县代码,县名,乡镇代码,乡镇名,人口,户数,育龄妇女\n";
// Township codes follow the register's blocks per kind (街道 001–099, 镇 100–199,
// 乡 200–299), so a county holds at most 99 townships; village codes have three
// digits, so a township holds at most 999 villages.
const TOWNSHIP_KINDS: [(&str, usize); 3] = [("街道", 1), ("镇", 100), ("乡", 200)];
const MAX_TOWNSHIPS: usize = 99;
const MAX_VILLAGES_PER_TOWNSHIP: usize = 999;
const MAX_VILLAGES_PER_COUNTY: usize = MAX_TOWNSHIPS * MAX_VILLAGES_PER_TOWNSHIP;

/// Code, name, villages at the default size (sums to 5,700) and townships.
/// Plausible magnitudes only; they are not official statistics.
#[rustfmt::skip]
const CANGZHOU: [(u32, &str, u32, usize); 18] = [
    (130902, "新华区", 25, 3),         (130903, "运河区", 47, 4),
    (130921, "沧县", 519, 19),         (130922, "青县", 345, 10),
    (130923, "东光县", 420, 9),        (130924, "海兴县", 196, 8),
    (130925, "盐山县", 430, 12),       (130926, "肃宁县", 253, 9),
    (130927, "南皮县", 319, 9),        (130928, "吴桥县", 430, 10),
    (130929, "献县", 508, 18),         (130930, "孟村回族自治县", 200, 8),
    (130981, "泊头市", 520, 14),       (130982, "任丘市", 436, 20),
    (130983, "黄骅市", 338, 13),       (130984, "河间市", 614, 20),
    (130971, "沧州经济开发区", 20, 2), (130973, "沧州渤海新区", 80, 6),
];

/// Province codes, weighted by roughly how many county-level units each has.
#[rustfmt::skip]
const PROVINCES: [(u32, f64); 31] = [
    (11, 16.0), (12, 16.0), (13, 167.0), (14, 117.0), (15, 103.0), (21, 100.0), (22, 60.0),
    (23, 121.0), (31, 16.0), (32, 95.0), (33, 90.0), (34, 104.0), (35, 84.0), (36, 100.0),
    (37, 136.0), (41, 157.0), (42, 103.0), (43, 122.0), (44, 122.0), (45, 111.0), (46, 25.0),
    (50, 38.0), (51, 183.0), (52, 88.0), (53, 129.0), (54, 74.0), (61, 107.0), (62, 86.0),
    (63, 44.0), (64, 22.0), (65, 106.0),
];
// Per prefecture the code blocks are 区 02–20, 县 21–80 and 市 81–99, which always
// fit 19 counties; prefecture codes run 01–99.
const MAX_PREFECTURE: usize = 19;
const MAX_PER_PROVINCE: usize = 99 * MAX_PREFECTURE;

// Pools hold only CJK ideographs, three bytes each in UTF-8, so `Draw::pick`
// can slice them in O(1). Repeats make 庄 and 村 the most common endings.
const SURNAMES: &str = concat!(
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾田董袁潘于蒋蔡杜",
    "叶程苏魏吕丁任沈姚卢姜崔钟陆范金石贾夏付方白邹孟秦尹薛闫段雷侯史贺毛郝邵常温康牛",
    "葛邢安齐乔庞耿关焦左祝纪单霍苗谷盛曲路辛靳柴鲍房解穆司卜窦宫米边师栾商刁甄苑迟",
);
const PLACE_ENDS: &str = "庄庄庄庄村村村屯屯营营店店集寨堡铺口洼坊窝楼桥台坨湾";
const POSITIONS: &str = "大小前后东西南北上中新老";
const MIDDLES: &str = "官辛高双林河堤";
const FEATURES: &str = "枣柳杏槐桃梨榆桑沙石泊双三五八十杨";
const LANDMARKS: &str = "林园树河庙桥沟堤坡井滩";
const PLACE_FIRST: &str =
    "兴旧捷杜崔纸风龙凤安宁永太平长康泰清沙石马牛官盐富文昌建金宝青靖定通嘉益广福隆庆临武和延怀乐";
const PLACE_SECOND: &str =
    "济州地林官口店里集屯河桥庙寨城头坊营台泉山阳安宁平化丰江川源都昌兴义远泽溪水沙陵德定";
const STREETS: &str = concat!(
    "建设新华解放人民胜利和平朝阳光明团结文化南环北环西环东环",
    "车站长芦永济公园运河渤海迎宾府前站前振兴开元前进幸福友谊",
);
const NUMERALS: &str = "一二三四五六七八九";

/// Our own samplers over ChaCha20, so output depends only on the raw stream.
struct Draw(ChaCha20Rng);

impl Draw {
    /// Uniform in `0..n` by rejection; `n` must be positive.
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let reject_under = n.wrapping_neg() % n;
        loop {
            let x = self.0.next_u64();
            if x >= reject_under {
                return (x % n) as usize;
            }
        }
    }

    /// Uniform in [0, 1) from the top 53 bits.
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Box-Muller; 1 - unit() lies in (0, 1], keeping ln finite.
    fn lognormal(&mut self, mu: f64, sigma: f64) -> f64 {
        let radius = (-2.0 * (1.0 - self.unit()).ln()).sqrt();
        let z = radius * (std::f64::consts::TAU * self.unit()).cos();
        (mu + sigma * z).exp()
    }

    fn lognormals(&mut self, n: usize, sigma: f64) -> Vec<f64> {
        (0..n).map(|_| self.lognormal(0.0, sigma)).collect()
    }

    /// One `width`-character word from a pool of equally long CJK words.
    fn pick(&mut self, pool: &'static str, width: usize) -> &'static str {
        let i = self.below(pool.len() / (3 * width)) * 3 * width;
        &pool[i..i + 3 * width]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }

    /// A village name such as 王家庄, 刘村, 大赵庄, 李官屯 or 枣林庄.
    fn village(&mut self) -> String {
        let shape: &[&'static str] = match self.below(20) {
            0..=5 => &[SURNAMES, "家", PLACE_ENDS],
            6..=10 => &[SURNAMES, PLACE_ENDS],
            11..=14 => &[POSITIONS, SURNAMES, PLACE_ENDS],
            15..=16 => &[SURNAMES, MIDDLES, PLACE_ENDS],
            _ => &[FEATURES, LANDMARKS, PLACE_ENDS],
        };
        shape.iter().map(|p| self.pick(p, 1)).collect()
    }

    fn place(&mut self) -> String {
        [self.pick(PLACE_FIRST, 1), self.pick(PLACE_SECOND, 1)].concat()
    }

    /// Registers tell namesakes apart by a direction prefix or a number.
    fn unique_village(&mut self, taken: &mut HashSet<String>) -> String {
        loop {
            let base = self.village();
            let stem = base.strip_suffix('村').unwrap_or(&base);
            let directions = "东西南北".chars().map(|p| format!("{p}{base}"));
            let numbered = NUMERALS.chars().map(|n| format!("{stem}{n}村"));
            let mut candidates = std::iter::once(base.clone()).chain(directions).chain(numbered);
            if let Some(name) = candidates.find(|n| !taken.contains(n)) {
                taken.insert(name.clone());
                return name;
            }
        }
    }

    /// An index into TOWNSHIP_KINDS. Shares of 街道/镇/乡: districts 60/25/15
    /// (mostly urban), county-level cities 10/55/35, counties 0/50/50.
    fn township_kind(&mut self, county_name: &str) -> usize {
        let roll = self.below(100);
        match county_name.chars().last() {
            Some('区') => usize::from(roll >= 60) + usize::from(roll >= 85),
            Some('市') => usize::from(roll >= 10) + usize::from(roll >= 65),
            _ => 1 + usize::from(roll >= 50),
        }
    }

    fn township_name(&mut self, kind: usize) -> String {
        let base = if kind == 0 && self.below(10) < 7 {
            self.pick(STREETS, 2).to_string()
        } else if self.below(2) == 0 {
            self.place()
        } else {
            // Many townships are named after their seat village, e.g. 崔尔庄镇.
            self.village()
        };
        base + TOWNSHIP_KINDS[kind].0
    }
}

/// Splits `total` proportionally to positive `weights` by cumulative rounding
/// (exact sum, each part within one of its quota), then lifts empty parts to
/// one unit when there are enough and caps parts at `cap` (needs total <= n * cap).
fn apportion(total: usize, weights: &[f64], cap: usize) -> Vec<usize> {
    let n = weights.len();
    let sum: f64 = weights.iter().sum();
    let (mut parts, mut cum, mut done) = (vec![0; n], 0.0, 0);
    for (i, w) in weights.iter().enumerate() {
        cum += w;
        let upto = ((cum / sum * total as f64).round() as usize).clamp(done, total);
        parts[i] = upto - done;
        done = upto;
    }
    if let Some(last) = parts.last_mut() {
        *last += total - done;
    }
    for i in 0..n {
        if parts[i] == 0 && total >= n {
            let largest = (0..n).max_by_key(|&j| (parts[j], n - j)).unwrap_or(i);
            parts[largest] -= 1;
            parts[i] = 1;
        }
    }
    let mut excess = 0;
    for p in parts.iter_mut().filter(|p| **p > cap) {
        excess += *p - cap;
        *p = cap;
    }
    for p in parts.iter_mut() {
        let moved = (cap - *p).min(excess);
        *p += moved;
        excess -= moved;
    }
    parts
}

fn national_counties(d: &mut Draw, villages: usize) -> Vec<(u32, String)> {
    let wanted = (villages * 2800 / 500_000).clamp(1, 31 * MAX_PER_PROVINCE);
    let weights: Vec<f64> = PROVINCES.iter().map(|p| p.1).collect();
    let per_province = apportion(wanted, &weights, MAX_PER_PROVINCE);
    let mut counties = Vec::new();
    for (&(province, _), &n) in PROVINCES.iter().zip(&per_province) {
        let weights = d.lognormals(n.div_ceil(12).min(99), 0.4);
        let mut names = HashSet::new();
        for (prefecture, size) in (1..).zip(apportion(n, &weights, MAX_PREFECTURE)) {
            let mut next = [2, 21, 81];
            for _ in 0..size {
                let roll = d.below(100);
                let (slot, suffix) = match roll {
                    0..=17 => (0, "区"),
                    18..=31 => (2, "市"),
                    _ if province == 15 && roll < 66 => (1, "旗"),
                    _ => (1, "县"),
                };
                // Unique within a province when possible; bounded retries keep
                // huge frames from looping once the syllable space runs thin.
                let fresh = (0..20).map(|_| d.place() + suffix).find(|n| !names.contains(n));
                let name = fresh.unwrap_or_else(|| d.place() + suffix);
                names.insert(name.clone());
                counties.push((province * 10_000 + prefecture * 100 + next[slot], name));
                next[slot] += 1;
            }
        }
    }
    counties
}

/// Returns the CSV bytes (UTF-8, no BOM, "\n" line ends): the header, then one
/// row per village in shuffled order.
///
/// Village counts beyond what the code space holds (99 townships of 999
/// villages per county) are capped at that capacity.
pub fn synth_frame(spec: &SynthSpec, seed: u64) -> Vec<u8> {
    let mut d = Draw(ChaCha20Rng::seed_from_u64(seed));
    let (counties, county_weights): (Vec<(u32, String)>, Vec<f64>) = match spec.preset {
        SynthPreset::City => CANGZHOU.iter().map(|c| ((c.0, c.1.to_string()), f64::from(c.2))).unzip(),
        SynthPreset::National => {
            let counties = national_counties(&mut d, spec.villages);
            let weights = d.lognormals(counties.len(), 0.7);
            (counties, weights)
        }
    };
    let total = spec.villages.min(counties.len() * MAX_VILLAGES_PER_COUNTY);
    let per_county = apportion(total, &county_weights, MAX_VILLAGES_PER_COUNTY);

    // Town seats: about 0.3% of villages (at least 3) are big enough to be PPS
    // certainty units; selection sampling picks exactly that many in one pass.
    let mut large_left = ((total as f64 * 0.003).round() as usize).max(3).min(total);
    let mut rows = Vec::with_capacity(total);
    for (ci, ((county_code, county_name), &villages)) in counties.iter().zip(&per_county).enumerate() {
        let hint = match spec.preset {
            SynthPreset::City => CANGZHOU[ci].3,
            SynthPreset::National => ((villages as f64 / d.uniform(10.0, 20.0)).round() as usize).max(4),
        };
        let count = hint.max(villages.div_ceil(MAX_VILLAGES_PER_TOWNSHIP)).min(MAX_TOWNSHIPS).min(villages);
        let weights = d.lognormals(count, 1.0);
        let mut taken_townships = HashSet::new();
        let mut next_code = TOWNSHIP_KINDS.map(|k| k.1);
        for size in apportion(villages, &weights, MAX_VILLAGES_PER_TOWNSHIP) {
            let kind = d.township_kind(county_name);
            let township_code = u64::from(*county_code) * 1000 + next_code[kind] as u64;
            next_code[kind] += 1;
            let mut township = d.township_name(kind);
            while !taken_townships.insert(township.clone()) {
                township = d.township_name(kind);
            }
            let place = format!("{county_code},{county_name},{township_code},{township}");
            // Village codes start at 201 as in the register, when they fit.
            let first = if size <= 799 { 201 } else { 1 };
            let mut taken = HashSet::with_capacity(size);
            for v in 0..size {
                let population = if d.below(total - rows.len()) < large_left {
                    large_left -= 1;
                    15_000 + d.below(25_001)
                } else {
                    (d.lognormal(900f64.ln(), 0.6).round() as usize).clamp(80, 9_000)
                };
                let pop = population as f64;
                let households = ((pop / d.uniform(3.2, 3.8)).round() as usize).max(1);
                let women = ((pop * d.uniform(0.22, 0.27)).round() as usize).max(1);
                let code = township_code * 1000 + (first + v) as u64;
                let name = d.unique_village(&mut taken);
                rows.push(format!("{code},{name},{place},{population},{households},{women}\n"));
            }
        }
    }
    d.shuffle(&mut rows);
    let mut out = String::with_capacity(HEADER.len() + rows.len() * 80) + HEADER;
    out.extend(rows);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use SynthPreset::{City, National};
    use csv::StringRecord;
    use std::collections::HashMap;

    fn frame(preset: SynthPreset, villages: usize, seed: u64) -> Vec<StringRecord> {
        let bytes = synth_frame(&SynthSpec { preset, villages }, seed);
        assert!(bytes.starts_with(HEADER.as_bytes()) && !bytes.contains(&b'\r'));
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        reader.records().collect::<Result<_, _>>().unwrap()
    }

    fn num(cell: &str) -> f64 {
        cell.parse().unwrap()
    }

    #[test]
    fn deterministic_per_seed() {
        for (preset, villages) in [(City, 5_700), (National, 3_000)] {
            let spec = SynthSpec { preset, villages };
            assert_eq!(synth_frame(&spec, 7), synth_frame(&spec, 7));
            assert_ne!(synth_frame(&spec, 7), synth_frame(&spec, 8));
        }
    }

    #[test]
    fn city_has_listed_counties_and_exact_rows() {
        let rows = frame(City, SynthSpec::city().villages, 2008);
        assert_eq!(rows.len(), 5_700);
        let mut per_county: HashMap<(u32, &str), u32> = HashMap::new();
        for row in &rows {
            let key = (row[2].parse().unwrap(), &row[3]);
            *per_county.entry(key).or_default() += 1;
        }
        // At the default size county sizes are exactly the table's.
        let expected: HashMap<_, _> = CANGZHOU.iter().map(|c| ((c.0, c.1), c.2)).collect();
        assert_eq!(per_county, expected);
    }

    #[test]
    fn codes_nested_unique_and_cells_plausible() {
        for (preset, villages) in [(City, 5_700), (National, 20_000)] {
            let rows = frame(preset, villages, 1);
            let (mut codes, mut names) = (HashSet::new(), HashSet::new());
            let mut townships: HashMap<&str, &str> = HashMap::new();
            for row in &rows {
                assert!(row.len() == 9 && row.iter().all(|c| !c.is_empty() && !c.contains(' ')));
                assert_eq!((row[0].len(), row[2].len(), row[4].len()), (12, 6, 9));
                assert!(row[0].starts_with(&row[4]) && row[4].starts_with(&row[2]));
                assert!(codes.insert(&row[0]) && names.insert((&row[4], &row[1])));
                let township = *townships.entry(&row[4]).or_insert(&row[5]);
                assert_eq!(township, &row[5]);
                assert!(["镇", "乡", "街道"].iter().any(|s| township.ends_with(s)));
                let (pop, households, women) = (num(&row[6]), num(&row[7]), num(&row[8]));
                assert!((3.1..=3.9).contains(&(pop / households)), "{row:?}");
                assert!((0.21..=0.28).contains(&(women / pop)), "{row:?}");
            }
            let per_county: HashSet<_> = townships.iter().map(|(c, n)| (&c[..6], n)).collect();
            assert_eq!(per_county.len(), townships.len());
        }
    }

    #[test]
    fn rows_shuffled_and_townships_uneven() {
        for seed in 0..5 {
            let rows = frame(City, 5_700, seed);
            assert!(rows.windows(2).any(|w| w[0][0] > w[1][0]));
            // Generation order keeps a county's rows together; a shuffle does not.
            let same_county = rows.windows(2).filter(|w| w[0][2] == w[1][2]).count();
            assert!(same_county < rows.len() / 5, "{same_county}");
            let mut per_township: HashMap<&str, usize> = HashMap::new();
            for row in &rows {
                *per_township.entry(&row[4]).or_default() += 1;
            }
            assert!(per_township.values().any(|&n| n <= 3));
            assert!(per_township.values().any(|&n| n >= 60));
            for &(code, name, _, _) in CANGZHOU.iter().filter(|c| !c.1.ends_with('区')) {
                let prefix = code.to_string();
                let county = per_township.iter().filter(|(t, _)| t.starts_with(&prefix));
                let sizes: Vec<usize> = county.map(|(_, &n)| n).collect();
                assert!((8..=25).contains(&sizes.len()), "{name}");
                assert!(sizes.iter().filter(|&&n| n >= 4).count() >= 3, "{name}");
            }
        }
    }

    #[test]
    fn large_villages_exist() {
        // About 0.3% of villages, and at least 3.
        let cases = [(City, 5_700, 17), (City, 300, 3), (National, 9_000, 27)];
        for (preset, villages, large) in cases {
            let rows = frame(preset, villages, 4);
            let mut pops: Vec<f64> = rows.iter().map(|r| num(&r[6])).collect();
            assert_eq!(pops.iter().filter(|&&p| p >= 15_000.0).count(), large);
            pops.sort_by(f64::total_cmp);
            assert!((600.0..=1_200.0).contains(&pops[pops.len() / 2]));
        }
    }

    #[test]
    fn national_scales_counties() {
        let rows = frame(National, 20_000, 5);
        assert_eq!(rows.len(), 20_000);
        let counties: HashSet<&str> = rows.iter().map(|r| &r[2]).collect();
        assert_eq!(counties.len(), 112);
        let provinces: HashSet<&str> = counties.iter().map(|c| &c[..2]).collect();
        assert!(provinces.len() >= 25 && provinces.iter().all(|p| ("11"..="65").contains(p)));
    }

    #[test]
    fn tiny_frames_and_helpers() {
        for villages in [0, 1, 5, 18, 40] {
            assert_eq!(frame(City, villages, 6).len(), villages);
            assert_eq!(frame(National, villages, 6).len(), villages);
        }
        assert_eq!(apportion(10, &[1.0, 1.0, 8.0], 5), vec![4, 1, 5]);
        assert_eq!(apportion(4, &[1.0, 100.0, 1.0], 5), vec![1, 2, 1]);
        // Draw::pick slices pools three bytes at a time.
        let pools = [SURNAMES, PLACE_ENDS, POSITIONS, MIDDLES, FEATURES].concat() + LANDMARKS;
        let pools = pools + PLACE_FIRST + PLACE_SECOND + STREETS + NUMERALS;
        assert!(pools.chars().all(|c| c.len_utf8() == 3));
    }
}
