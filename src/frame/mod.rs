//! The sampling frame: the commission's own roster of villages, with their
//! township and county and any numeric size columns. It is loaded from CSV,
//! validated in full (every problem reported at once) and held in a compact
//! form that the sampler reads.

mod parse;
pub mod snapshot;
pub mod synth;
pub mod tree;

pub use parse::{normalize_header, parse, parse_in_pieces};

use crate::error::{Diags, Error, Result};
use crate::text::{self, Encoding};
use std::path::Path;

/// Which frame column plays which role. Headers are matched ignoring case and
/// white space, so `Population ` and `population` are the same column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameSchema {
    pub code: String,
    pub name: String,
    pub county: String,
    /// When absent, the county name identifies the county.
    pub county_code: Option<String>,
    pub township: String,
    /// When absent, county and township name together identify the township.
    pub township_code: Option<String>,
    /// Numeric size columns (population, households, ...), in this order.
    pub sizes: Vec<String>,
    /// Other columns that may be present and are carried but not used.
    pub extra: Vec<String>,
}

impl Default for FrameSchema {
    fn default() -> FrameSchema {
        FrameSchema {
            code: "code".into(),
            name: "name".into(),
            county: "county".into(),
            county_code: None,
            township: "township".into(),
            township_code: None,
            sizes: Vec::new(),
            extra: Vec::new(),
        }
    }
}

impl FrameSchema {
    /// Index of a size column by its (normalised) name.
    pub fn size_index(&self, name: &str) -> Option<usize> {
        let want = normalize_header(name);
        self.sizes.iter().position(|s| normalize_header(s) == want)
    }
}

/// A county or a township.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    /// The code when the frame has a code column, else the name (for a
    /// township without codes: `county key/township name`).
    pub key: String,
    pub name: String,
    /// For a township, the index of its county; for a county, `usize::MAX`.
    pub parent: usize,
}

/// Where a string lies in the frame's text arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: u32,
    len: u32,
}

/// One village (the final sampling unit). Its code and name live in the
/// frame's arena: half a million small strings would cost more in allocator
/// overhead than in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Village {
    pub code: Span,
    pub name: Span,
    pub county: usize,
    pub township: usize,
    /// Line of the frame file the village was read from.
    pub line: u64,
}

/// Size values, flat, `size_names.len()` per village: 32 bits each when
/// every value fits (populations and households always do), which halves
/// what a national frame's sizes take in memory; else 64.
#[derive(Debug, Clone)]
enum Sizes {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Default for Sizes {
    fn default() -> Sizes {
        Sizes::Narrow(Vec::new())
    }
}

impl Sizes {
    /// The values, narrowed when they all fit in 32 bits.
    fn new(wide: Vec<u64>) -> Sizes {
        match wide.iter().map(|&x| u32::try_from(x)).collect::<Result<Vec<u32>, _>>() {
            Ok(narrow) => Sizes::Narrow(narrow),
            Err(_) => Sizes::Wide(wide),
        }
    }

    fn get(&self, i: usize) -> u64 {
        match self {
            Sizes::Narrow(v) => u64::from(v[i]),
            Sizes::Wide(v) => v[i],
        }
    }

    fn len(&self) -> usize {
        match self {
            Sizes::Narrow(v) => v.len(),
            Sizes::Wide(v) => v.len(),
        }
    }
}

/// The same values, however wide they are held.
impl PartialEq for Sizes {
    fn eq(&self, other: &Sizes) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.get(i) == other.get(i))
    }
}

/// A validated frame. Sizes are stored flat, `size_names.len()` per village.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    pub file: String,
    pub size_names: Vec<String>,
    pub counties: Vec<Area>,
    pub townships: Vec<Area>,
    pub villages: Vec<Village>,
    sizes: Sizes,
    /// Village codes and names, one after the other.
    arena: String,
    /// Village indices sorted by code (byte order), then line.
    pub by_code: Vec<u32>,
    /// The township of each village in code order: `township_by_code[j]`
    /// is the township of village `by_code[j]`. The population's lists are
    /// placed from it in one pass in code order, without reaching for each
    /// village's areas (in a shuffled national frame, a cache miss each).
    pub township_by_code: Vec<u32>,
    /// The encoding the file was read in.
    pub encoding: Option<Encoding>,
}

impl Frame {
    /// The code of village `v`.
    pub fn code(&self, v: usize) -> &str {
        self.text(self.villages[v].code)
    }

    /// The name of village `v`.
    pub fn name(&self, v: usize) -> &str {
        self.text(self.villages[v].name)
    }

    pub fn text(&self, s: Span) -> &str {
        &self.arena[s.start as usize..(s.start + s.len) as usize]
    }

    /// The value of size column `col` for village `v`.
    pub fn size(&self, v: usize, col: usize) -> u64 {
        self.sizes.get(v * self.size_names.len() + col)
    }

    /// The village with this code (the first, in file order, of a code
    /// given twice), found in the code order.
    pub fn find(&self, code: &str) -> Option<usize> {
        let at = self.by_code.partition_point(|&i| self.code(i as usize) < code);
        self.by_code.get(at).map(|&i| i as usize).filter(|&i| self.code(i) == code)
    }

    /// The villages of many codes at once, by code (codes not in the frame
    /// are left out). A binary search in code order reaches all over a
    /// national frame's memory, twice a step (the order, then the code), so
    /// beyond a few hundred codes one pass over the villages in their
    /// stored order, each code looked up in a small table of those wanted,
    /// is cheaper.
    pub fn find_many<'c>(
        &self,
        codes: impl IntoIterator<Item = &'c str>,
    ) -> rustc_hash::FxHashMap<&'c str, usize> {
        let wanted: rustc_hash::FxHashSet<&'c str> = codes.into_iter().collect();
        if wanted.len() < 256 {
            return wanted.into_iter().filter_map(|c| Some((c, self.find(c)?))).collect();
        }
        let mut found = rustc_hash::FxHashMap::default();
        for i in 0..self.villages.len() {
            if let Some(&c) = wanted.get(self.code(i)) {
                found.insert(c, i);
            }
        }
        found
    }

    /// Index of a size column by name, matched like headers.
    pub fn size_column(&self, name: &str) -> Option<usize> {
        let want = normalize_header(name);
        self.size_names.iter().position(|s| normalize_header(s) == want)
    }
}

/// Reads, decodes and parses a frame file. The returned diagnostics may hold
/// warnings; errors make this return `Err` with all of them.
pub fn load(path: &Path, display: &str, schema: &FrameSchema, enc: Encoding) -> Result<Frame> {
    check_size(path, display)?;
    let (frame, diags) = match load_in_pieces(path, display, schema, enc) {
        Some(read) => read,
        None => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            from_bytes(display, &bytes, schema, enc)
        }
    };
    diags.into_result()?;
    Ok(frame)
}

/// The largest frame spotcheck reads: 1 GiB, about thirty times a frame of
/// every village in China (500,000 villages, 35 MiB). Reading takes up to
/// three times the file in memory, so the bound keeps any frame within
/// about 3 GiB.
pub const FRAME_MAX_BYTES: u64 = 1 << 30;

/// Refuses a frame larger than [`FRAME_MAX_BYTES`] before anything reads
/// or copies it.
pub fn check_size(path: &Path, display: &str) -> Result<()> {
    let size = std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
    if size > FRAME_MAX_BYTES {
        return Err(Error::Invalid(Diags(vec![crate::error::Diag::error(
            display,
            None,
            format!(
                "the frame is {} MiB; spotcheck reads frames of at most {} MiB (a frame of every village in China is about 35 MiB): is this the right file?",
                size.div_ceil(1 << 20),
                FRAME_MAX_BYTES >> 20
            ),
        )])));
    }
    Ok(())
}

/// A large UTF-8 frame read from its file a piece at a time, on all cores:
/// the file is never held whole. `None` when the file is small, not UTF-8,
/// or has a problem (it is then read whole, and every problem reported).
fn load_in_pieces(path: &Path, display: &str, schema: &FrameSchema, enc: Encoding) -> Option<(Frame, Diags)> {
    use std::io::Read;
    if enc == Encoding::Gb18030 {
        return None;
    }
    let len = usize::try_from(std::fs::metadata(path).ok()?.len()).ok()?;
    let pieces = parse::default_pieces(len);
    if pieces < 2 {
        return None;
    }
    let mut head = [0u8; 3];
    std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
    if text::is_utf16(&head) {
        return None;
    }
    let skip = head.len() - text::strip_bom(&head).len();
    let src = parse::FileSource { path: path.to_path_buf(), skip, len: len - skip };
    let (mut frame, diags) = parse::read_in_pieces(display, &src, schema, pieces, pieces)?;
    frame.encoding = Some(Encoding::Utf8);
    Some((frame, diags))
}

/// Decodes and parses frame bytes; the pure core of [`load`]. UTF-8 is
/// read in place, on all cores when the file is large.
pub fn from_bytes(file: &str, bytes: &[u8], schema: &FrameSchema, enc: Encoding) -> (Frame, Diags) {
    if enc != Encoding::Gb18030 && !text::is_utf16(bytes) {
        let body = text::strip_bom(bytes);
        if let Some((mut frame, diags)) = parse::parse_utf8(file, body, schema) {
            frame.encoding = Some(Encoding::Utf8);
            return (frame, diags);
        }
    }
    match text::decode_cow(file, bytes, enc) {
        Ok((text, used)) => {
            let (mut frame, diags) = parse(file, &text, schema);
            frame.encoding = Some(used);
            (frame, diags)
        }
        Err(d) => (Frame { file: file.to_string(), ..Frame::default() }, Diags(vec![d])),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_are_held_narrow_when_they_fit_and_compare_by_value() {
        let narrow = super::Sizes::new(vec![0, 7, u64::from(u32::MAX)]);
        assert!(matches!(narrow, super::Sizes::Narrow(_)));
        assert_eq!((narrow.get(1), narrow.get(2), narrow.len()), (7, u64::from(u32::MAX), 3));
        let wide = super::Sizes::new(vec![0, 7, 1 << 32]);
        assert!(matches!(wide, super::Sizes::Wide(_)));
        assert_eq!(wide.get(2), 1 << 32);
        assert_eq!(super::Sizes::Wide(vec![0, 7, u64::from(u32::MAX)]), narrow);
        assert_ne!(wide, narrow);
        assert_ne!(super::Sizes::new(vec![0, 7]), narrow);
    }

    use super::*;

    /// A large file is read from disk a piece at a time, with or without a
    /// byte-order mark, into the frame a reading from the top gives.
    #[test]
    fn large_files_are_read_in_pieces() {
        let schema = FrameSchema { sizes: vec!["population".into()], ..FrameSchema::default() };
        let mut text = String::from("code,name,county,township,population\n");
        let mut i = 0;
        while text.len() < 3 << 20 {
            text.push_str(&format!("{i:08},村{i},县{},乡{},{}\n", i % 97, i % 1009, i % 5000));
            i += 1;
        }
        let tmp = tempfile::tempdir().unwrap();
        let whole = parse_in_pieces("f.csv", &text, &schema, 1).0;
        for bom in [false, true] {
            let path = tmp.path().join("f.csv");
            let mut bytes = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
            bytes.extend_from_slice(text.as_bytes());
            std::fs::write(&path, bytes).unwrap();
            let src = parse::FileSource { path: path.clone(), skip: usize::from(bom) * 3, len: text.len() };
            let (f, d) = parse::read_in_pieces("f.csv", &src, &schema, 2, 2).expect("read in pieces");
            assert!(d.is_empty(), "{d}");
            assert_eq!(f, whole);
        }
    }

    /// Many codes are found as one at a time finds them, by either way
    /// (a binary search each for a few, one pass over the villages for
    /// many); codes not in the frame are left out.
    #[test]
    fn many_codes_are_found_as_one_code_is() {
        let schema = FrameSchema { sizes: vec!["population".into()], ..FrameSchema::default() };
        let mut text = String::from("code,name,county,township,population\n");
        for i in 0..2_000u32 {
            // Shuffled, so that stored order is not code order.
            let c = (i * 7919) % 2_000;
            text.push_str(&format!("{c:06},村{c},县{},乡{},{}\n", c % 7, c % 41, c + 1));
        }
        let (f, d) = parse("f.csv", &text, &schema);
        assert!(d.is_empty(), "{d}");
        for n in [3usize, 255, 256, 900] {
            let mut codes: Vec<String> = (0..n).map(|k| format!("{:06}", (k * 13) % 2_000)).collect();
            codes.push("999999".into());
            codes.push("00001".into());
            let found = f.find_many(codes.iter().map(String::as_str));
            let want: Vec<(&str, usize)> =
                codes.iter().filter_map(|c| Some((c.as_str(), f.find(c)?))).collect();
            assert_eq!(found.len(), want.len(), "{n} codes");
            for (c, i) in want {
                assert_eq!(found.get(c), Some(&i), "{c}");
                assert_eq!(f.code(i), c);
            }
            assert!(!found.contains_key("999999") && !found.contains_key("00001"));
        }
    }
}
