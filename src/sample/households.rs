//! The household stage of a draw (SAMPLING.md §16): for every village of
//! `sample.csv`, reserves included, an ordered list of household numbers in
//! the village's register, drawn from the public seed on the village's own
//! stream. The list is a prefix of a random order of 1 … K, K a cap above
//! the frame's count of households; a team takes, in list order, the first
//! k numbers its register holds, so the households visited are a simple
//! random sample of the register the team finds, whatever its size up to K.
//! Also `households.csv`, the published lists, and their comparison.

use std::collections::HashMap;

use super::design::Sample;
use super::stream::Stream;
use crate::cell;
use crate::error::{Diag, Diags};
use crate::frame::Frame;
use crate::frame::tree::{Level, Population};
use crate::rules::HouseholdStage;
use crate::rules::households::MAX_CAP;

/// The published file.
pub const FILE: &str = "households.csv";

/// One village's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    pub code: String,
    /// The frame's count of households.
    pub households: u64,
    /// The cap K: the list is a random order of 1 … K.
    pub cap: u64,
    /// The numbers, in list order.
    pub numbers: Vec<u64>,
}

impl List {
    /// The rank of each number among those within the frame's count (1, 2,
    /// …), `None` above it: with a register of the frame's size, ranks 1 … k
    /// are the households to visit and the rest are reserves.
    pub fn ranks(&self) -> Vec<Option<u64>> {
        let mut n = 0;
        self.numbers
            .iter()
            .map(|&x| {
                (x <= self.households).then(|| {
                    n += 1;
                    n
                })
            })
            .collect()
    }
}

/// The stream label of a village's household list.
pub fn label(code: &str) -> String {
    format!("household:{code}")
}

/// A village's list: a Fisher–Yates shuffle of 1 … K on the stream of
/// `household:<code>`, stopped once it holds k + reserve numbers no larger
/// than the frame's count (or when all K are listed).
pub fn list(seed: &str, code: &str, households: u64, stage: &HouseholdStage) -> List {
    let cap = u64::try_from(stage.cap(households)).expect("prepare keeps the cap below 2^32");
    let wanted = stage.wanted();
    let mut stream = Stream::for_stratum(seed, &label(code));
    // Only the positions a swap touched differ from 1 … K: a map keeps the
    // shuffle within memory whatever K is.
    let mut moved: HashMap<u64, u64> = HashMap::new();
    let at = |moved: &HashMap<u64, u64>, p: u64| moved.get(&p).copied().unwrap_or(p + 1);
    let (mut numbers, mut within) = (Vec::new(), 0u64);
    for i in 0..cap {
        let j = i + stream.below(cap - i);
        let (ai, aj) = (at(&moved, i), at(&moved, j));
        moved.insert(j, ai);
        moved.insert(i, aj);
        numbers.push(aj);
        if aj <= households {
            within += 1;
            if within == wanted {
                break;
            }
        }
    }
    List { code: code.to_string(), households, cap, numbers }
}

/// Checks the household stage against the population: its size column is in
/// the frame, and every village's cap stays below 2^32.
pub fn check(stage: &HouseholdStage, rules_file: &str, pop: &Population<'_>) -> Diags {
    let mut diags = Diags::default();
    let frame = pop.frame;
    let Some(col) = frame.size_column(&stage.size) else {
        diags.push(Diag::error(
            rules_file,
            Some(stage.loc),
            format!("[households] size column `{}` is not in the frame", stage.size),
        ));
        return diags;
    };
    let big: Vec<String> = pop
        .children(None, Level::Village)
        .iter()
        .filter(|&&v| stage.cap(frame.size(v, col)) >= u128::from(MAX_CAP))
        .take(5)
        .map(|&v| format!("{} ({} = {})", frame.code(v), frame.size_names[col], frame.size(v, col)))
        .collect();
    if !big.is_empty() {
        diags.push(Diag::error(
            rules_file,
            Some(stage.loc),
            format!(
                "[households]: a village's list would reach 2^32 numbers or more, which no village has: {}",
                big.join("; ")
            ),
        ));
    }
    diags
}

/// The lists of every village of the sample, in `sample.csv`'s row order.
pub fn derive(stage: &HouseholdStage, sample: &Sample, frame: &Frame, seed: &str) -> Vec<List> {
    let col = frame.size_column(&stage.size).expect("prepare checked the size column");
    sample.rows.iter().map(|d| list(seed, frame.code(d.village), frame.size(d.village, col), stage)).collect()
}

/// `households.csv`: UTF-8 with a byte-order mark, `\n` line ends, the
/// village code defused as `sample.csv`'s text fields (SAMPLING.md §11),
/// one row per village with its numbers separated by single spaces.
pub fn to_csv(lists: &[List]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(&mut out);
        // Writing to memory cannot fail.
        w.write_record(["code", "households", "cap", "numbers"]).expect("write to memory");
        for l in lists {
            let numbers: Vec<String> = l.numbers.iter().map(u64::to_string).collect();
            w.write_record([
                cell::defuse(&l.code).into_owned(),
                l.households.to_string(),
                l.cap.to_string(),
                numbers.join(" "),
            ])
            .expect("write to memory");
        }
        w.flush().expect("write to memory");
    }
    out
}

/// Reads `households.csv` (as [`to_csv`] writes it) into lists.
pub fn read(bytes: &[u8]) -> Result<Vec<List>, String> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new().from_reader(body);
    let header: Vec<String> = rdr.headers().map_err(|e| e.to_string())?.iter().map(String::from).collect();
    if header != ["code", "households", "cap", "numbers"] {
        return Err(format!("columns are [{}], not [code,households,cap,numbers]", header.join(",")));
    }
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| e.to_string())?;
        let line = i + 2;
        let num = |s: &str, what: &str| {
            s.parse::<u64>()
                .map_err(|_| format!("line {line}: {what} `{}` is not a whole number", excerpt(s)))
        };
        let numbers = rec
            .get(3)
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(|s| num(s, "household number"))
            .collect::<Result<Vec<u64>, String>>()?;
        out.push(List {
            code: cell::restore(rec.get(0).unwrap_or("")).to_string(),
            households: num(rec.get(1).unwrap_or(""), "households")?,
            cap: num(rec.get(2).unwrap_or(""), "cap")?,
            numbers,
        });
    }
    Ok(out)
}

fn excerpt(s: &str) -> String {
    crate::error::excerpt(s).to_string()
}

/// The differences between the published lists and the re-derived ones,
/// village by village. Empty when the files are identical.
pub fn diff(published: &[u8], derived: &[u8]) -> Vec<String> {
    if published == derived {
        return Vec::new();
    }
    let p = match read(published) {
        Ok(p) => p,
        Err(e) => return vec![format!("the published lists cannot be read: {e}")],
    };
    let d = match read(derived) {
        Ok(d) => d,
        Err(e) => return vec![format!("internal: the re-derived lists cannot be read: {e}")],
    };
    let mut out = Vec::new();
    let theirs: HashMap<&str, &List> = p.iter().map(|l| (l.code.as_str(), l)).collect();
    let ours: HashMap<&str, &List> = d.iter().map(|l| (l.code.as_str(), l)).collect();
    for l in &d {
        match theirs.get(l.code.as_str()) {
            None => out.push(format!("village {}: its list is missing", l.code)),
            Some(t) if t.households != l.households || t.cap != l.cap => out.push(format!(
                "village {}: households {} and cap {} re-derive as {} and {}",
                l.code, t.households, t.cap, l.households, l.cap
            )),
            Some(t) if t.numbers != l.numbers => {
                let at = t
                    .numbers
                    .iter()
                    .zip(&l.numbers)
                    .position(|(a, b)| a != b)
                    .unwrap_or(t.numbers.len().min(l.numbers.len()));
                let show = |v: &[u64]| v.get(at).map_or("(end of list)".to_string(), u64::to_string);
                out.push(format!(
                    "village {}: position {} is {} but re-derives as {} (the list has {} numbers, re-derived {})",
                    l.code,
                    at + 1,
                    show(&t.numbers),
                    show(&l.numbers),
                    t.numbers.len(),
                    l.numbers.len()
                ));
            }
            Some(_) => {}
        }
    }
    for l in p.iter().filter(|l| !ours.contains_key(l.code.as_str())) {
        out.push(format!("village {}: listed, but not a village of the sample", l.code));
    }
    if out.is_empty() {
        out.push(
            "the files differ in row order or formatting; rows follow sample.csv (SAMPLING.md §16)".into(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::households::stage;

    #[test]
    fn a_list_is_a_prefix_of_a_permutation_holding_k_plus_reserve_within_the_count() {
        let s = stage(15, 10, 150);
        for code in ["130921104203", "A", "村"] {
            let l = list("12345678901234567890", code, 231, &s);
            assert_eq!(l.cap, 347);
            let mut seen = l.numbers.clone();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), l.numbers.len(), "no number twice");
            assert!(l.numbers.iter().all(|&x| (1..=347).contains(&x)));
            let within = l.numbers.iter().filter(|&&x| x <= 231).count();
            assert_eq!(within, 25);
            assert!(*l.numbers.last().unwrap() <= 231, "the list stops at its 25th number within the count");
            assert_eq!(l.ranks().into_iter().flatten().max(), Some(25));
        }
    }

    #[test]
    fn a_small_village_lists_every_number_of_its_cap() {
        let l = list("12345678901234567890", "X", 8, &stage(15, 10, 150));
        assert_eq!(l.cap, 25);
        let mut all = l.numbers.clone();
        all.sort_unstable();
        assert_eq!(all, (1..=25).collect::<Vec<_>>());
    }

    #[test]
    fn the_sparse_shuffle_equals_the_plain_one() {
        // The plain Fisher–Yates of SAMPLING.md §16 on a full array.
        let s = stage(5, 3, 200);
        let l = list("99999999999999999999", "V1", 40, &s);
        let mut a: Vec<u64> = (1..=80).collect();
        let mut st = Stream::for_stratum("99999999999999999999", "household:V1");
        let mut out = Vec::new();
        let mut within = 0;
        for i in 0..80usize {
            let j = i + st.below((80 - i) as u64) as usize;
            a.swap(i, j);
            out.push(a[i]);
            if a[i] <= 40 {
                within += 1;
                if within == 8 {
                    break;
                }
            }
        }
        assert_eq!(l.numbers, out);
    }

    #[test]
    fn the_csv_round_trips_and_differences_are_named() {
        let s = stage(3, 1, 150);
        let lists =
            vec![list("12345678901234567890", "=A1", 12, &s), list("12345678901234567890", "B", 30, &s)];
        let bytes = to_csv(&lists);
        assert!(String::from_utf8_lossy(&bytes).contains("'=A1"));
        assert_eq!(read(&bytes).unwrap(), lists);
        let mut tampered = lists.clone();
        tampered[1].numbers.swap(0, 1);
        let d = diff(&to_csv(&tampered), &bytes);
        assert_eq!(d.len(), 1);
        assert!(d[0].starts_with("village B: position 1 is"), "{d:?}");
    }

    #[test]
    fn ranks_count_the_numbers_within_the_frame_count_in_list_order() {
        let l =
            List { code: "V".into(), households: 8, cap: 12, numbers: vec![7, 11, 12, 8, 10, 3, 1, 5, 4] };
        let want = [Some(1), None, None, Some(2), None, Some(3), Some(4), Some(5), Some(6)];
        assert_eq!(l.ranks(), want);
    }

    #[test]
    fn a_bad_number_is_named_with_its_line() {
        let text = "code,households,cap,numbers\nA,8,12,7 11\nB,8,12,7 x1 3\n";
        assert_eq!(read(text.as_bytes()).unwrap_err(), "line 3: household number `x1` is not a whole number");
    }

    #[test]
    fn a_changed_register_count_or_cap_is_named() {
        let s = stage(4, 2, 150);
        let ours = vec![list("1", "A", 8, &s)];
        let mut theirs = ours.clone();
        theirs[0].households = 9;
        let d = diff(&to_csv(&theirs), &to_csv(&ours));
        assert_eq!(d, vec!["village A: households 9 and cap 12 re-derive as 8 and 12".to_string()]);
    }
}
