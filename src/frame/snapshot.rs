//! A validated frame as a snapshot (layout in [`crate::snapshot`]): what
//! `init` keeps so that later commands load the frame without parsing and
//! validating its CSV again. Loading gives the same [`Frame`] that parsing
//! gave, index for index.

use super::{Area, Frame, Sizes, Span, Village};
use crate::snapshot::{Reader, Refused, Writer};
use crate::text::Encoding;

/// The snapshot kind in the header.
pub const KIND: &str = "frame";

fn encoding_byte(e: Option<Encoding>) -> u8 {
    match e {
        None => 0,
        Some(Encoding::Utf8 | Encoding::Auto) => 1,
        Some(Encoding::Gb18030) => 2,
    }
}

/// Whether the layout can hold the frame: at most 4 GiB of village text and
/// 2^32 villages, areas and lines, each village's county its township's.
/// A frame it cannot hold is parsed every time.
pub fn fits(frame: &Frame) -> bool {
    let small = |n: usize| u32::try_from(n).is_ok();
    let text: u64 = frame.villages.iter().map(|v| u64::from(v.code.len) + u64::from(v.name.len)).sum();
    small(frame.villages.len())
        && small(frame.counties.len())
        && small(frame.townships.len())
        && u32::try_from(text).is_ok()
        && frame.township_by_code.len() == frame.villages.len()
        && frame.villages.iter().all(|v| {
            small(v.line as usize) && frame.townships.get(v.township).is_some_and(|t| t.parent == v.county)
        })
}

/// Writes the snapshot of a valid frame that [`fits`], made from the inputs
/// `origin` names, to `out`.
pub fn write(frame: &Frame, origin: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut w = Writer::to(out, KIND, origin);
    put(&mut w, frame);
    w.flush()
}

/// The snapshot of a valid frame, in memory; `None` when it does not
/// [`fit`](fits).
pub fn encode(frame: &Frame, origin: &str) -> Option<Vec<u8>> {
    if !fits(frame) {
        return None;
    }
    let mut w = Writer::new(KIND, origin, size_bound(frame, origin));
    put(&mut w, frame);
    Some(w.finish())
}

/// At least the bytes [`put`] writes, so that the snapshot of a national
/// frame is built in one allocation instead of in doublings (which, at the
/// last, would hold one and a half times its size besides). Room reserved
/// and not written is never touched, and takes no memory.
fn size_bound(frame: &Frame, origin: &str) -> usize {
    // A string is its length (8 bytes) and its bytes.
    let strings = |v: &mut dyn Iterator<Item = usize>| v.map(|len| len + 8).sum::<usize>();
    let header = MAGIC_AND_VERSION + strings(&mut [KIND.len(), origin.len()].into_iter());
    let areas = 8
        + strings(&mut frame.counties.iter().flat_map(|c| [c.key.len(), c.name.len()]))
        + strings(&mut frame.townships.iter().flat_map(|t| [t.key.len(), t.name.len() + 4]));
    let text: usize = frame.villages.iter().map(|v| (v.code.len + v.name.len) as usize).sum();
    // Per village: two lengths, its township, its line, its place in code
    // order and its township there (4 bytes each), and each size (8 at most).
    let per_village = 6 * 4 + 8 * frame.size_names.len();
    // The counts and flags between the sections, and each size column's width.
    let counts = 64 + frame.size_names.len();
    header
        + strings(&mut frame.size_names.iter().map(String::len))
        + areas
        + text
        + frame.villages.len() * per_village
        + counts
}

/// The magic and the layout version that begin every snapshot.
const MAGIC_AND_VERSION: usize = crate::snapshot::MAGIC.len() + 4;

/// The frame's sections (which [`fits`] has checked).
fn put(w: &mut Writer<'_>, frame: &Frame) {
    let n = frame.villages.len();
    let ncols = frame.size_names.len();
    w.u8(encoding_byte(frame.encoding));
    w.u32(ncols as u32);
    for s in &frame.size_names {
        w.str(s);
    }
    w.u32(frame.counties.len() as u32);
    for c in &frame.counties {
        w.str(&c.key);
        w.str(&c.name);
    }
    w.u32(frame.townships.len() as u32);
    for t in &frame.townships {
        w.str(&t.key);
        w.str(&t.name);
        w.u32(t.parent as u32);
    }
    w.u32(n as u32);
    // Codes and names, one after the other in village order, with their
    // lengths; the county of a village is its township's.
    for v in &frame.villages {
        w.u32(v.code.len);
    }
    for v in &frame.villages {
        w.u32(v.name.len);
    }
    let text: u64 = frame.villages.iter().map(|v| u64::from(v.code.len) + u64::from(v.name.len)).sum();
    w.u64(text);
    for i in 0..n {
        w.bytes(frame.code(i).as_bytes());
        w.bytes(frame.name(i).as_bytes());
    }
    for v in &frame.villages {
        w.u32(v.township as u32);
    }
    // Lines: most frames have one village per line from line 2 on.
    let first = frame.villages.first().map_or(0, |v| v.line);
    if frame.villages.iter().enumerate().all(|(i, v)| v.line == first + i as u64) {
        w.u8(0);
        w.u64(first);
    } else {
        w.u8(1);
        for v in &frame.villages {
            w.u32(v.line as u32);
        }
    }
    for col in 0..ncols {
        let wide = (0..n).any(|v| frame.size(v, col) > u64::from(u32::MAX));
        w.u8(if wide { 8 } else { 4 });
        for v in 0..n {
            let x = frame.size(v, col);
            if wide { w.u64(x) } else { w.u32(x as u32) }
        }
    }
    for &i in &frame.by_code {
        w.u32(i);
    }
    // The townships again, in code order: a draw places the population
    // from them without reaching for each village.
    for &t in &frame.township_by_code {
        w.u32(t);
    }
}

/// Loads a frame from its snapshot. `origin` must be what it was made from;
/// `file` names the frame in messages, as when it was parsed.
pub fn decode(file: &str, bytes: &[u8], origin: &str) -> Result<Frame, Refused> {
    let mut r = Reader::new(bytes, KIND, origin)?;
    let encoding = match r.u8()? {
        0 => None,
        1 => Some(Encoding::Utf8),
        2 => Some(Encoding::Gb18030),
        e => return Err(format!("unknown encoding {e}")),
    };
    let ncols = r.count(8)?;
    let size_names = (0..ncols).map(|_| r.str().map(str::to_string)).collect::<Result<Vec<_>, _>>()?;
    let nc = r.count(16)?;
    let counties = (0..nc)
        .map(|_| Ok(Area { key: r.str()?.to_string(), name: r.str()?.to_string(), parent: usize::MAX }))
        .collect::<Result<Vec<_>, Refused>>()?;
    let nt = r.count(20)?;
    let townships = (0..nt)
        .map(|_| {
            let (key, name) = (r.str()?.to_string(), r.str()?.to_string());
            let parent = r.u32()? as usize;
            if parent >= nc {
                return Err(format!("township {key} in county {parent} of {nc}"));
            }
            Ok(Area { key, name, parent })
        })
        .collect::<Result<Vec<_>, Refused>>()?;
    let n = r.count(12)?;
    // The sections are found first, then decoded on two threads: the
    // villages here, the text, sizes and code order beside them.
    let code_lens = r.take(n.checked_mul(4).ok_or("too long")?)?;
    let name_lens = r.take(n * 4)?;
    let text_len = usize::try_from(r.u64()?).map_err(|_| "text longer than memory")?;
    let text = r.take(text_len)?;
    let townships_of = r.take(n * 4)?;
    let lines = match r.u8()? {
        0 => Lines::From(r.u64()?),
        1 => Lines::Each(r.take(n * 4)?),
        x => return Err(format!("unknown line layout {x}")),
    };
    let mut columns = Vec::with_capacity(ncols);
    for _ in 0..ncols {
        let width = r.u8()?;
        if width != 4 && width != 8 {
            return Err(format!("unknown size width {width}"));
        }
        columns.push((width, r.take(n * usize::from(width))?));
    }
    let by_code = r.take(n * 4)?;
    let townships_by_code = r.take(n * 4)?;
    r.done()?;
    let (villages, rest) = std::thread::scope(|s| {
        let rest = s.spawn(|| -> Result<Rest, Refused> {
            let arena = crate::text::as_str(text).ok_or("village text that is not UTF-8")?.to_string();
            // Held 32 bits wide when every column is (as when parsed: a
            // column is written 8 bytes wide only for a value that needs it).
            let sizes = if columns.iter().all(|(width, _)| *width == 4) {
                let mut sizes = vec![0u32; n * ncols];
                for (col, (_, bytes)) in columns.iter().enumerate() {
                    let at = sizes.iter_mut().skip(col).step_by(ncols.max(1));
                    for (x, c) in at.zip(bytes.chunks_exact(4)) {
                        *x = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                    }
                }
                Sizes::Narrow(sizes)
            } else {
                let mut sizes = vec![0u64; n * ncols];
                for (col, (width, bytes)) in columns.iter().enumerate() {
                    let at = sizes.iter_mut().skip(col).step_by(ncols.max(1));
                    if *width == 4 {
                        for (x, c) in at.zip(bytes.chunks_exact(4)) {
                            *x = u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
                        }
                    } else {
                        for (x, c) in at.zip(bytes.chunks_exact(8)) {
                            *x = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
                        }
                    }
                }
                Sizes::Wide(sizes)
            };
            let by_code = Reader::raw(by_code).u32s(n)?;
            let mut seen = vec![false; n];
            for &i in &by_code {
                match seen.get_mut(i as usize) {
                    Some(s) if !*s => *s = true,
                    _ => return Err("the code order is not an order of the villages".into()),
                }
            }
            let township_by_code = Reader::raw(townships_by_code).u32s(n)?;
            if township_by_code.iter().any(|&t| t as usize >= nt) {
                return Err("a township in code order out of range".into());
            }
            let pairs = fingerprint(by_code.iter().zip(&township_by_code).map(|(&i, &t)| (i, t)));
            Ok((arena, sizes, by_code, township_by_code, pairs))
        });
        (villages(text, code_lens, name_lens, townships_of, &lines, &townships), rest.join())
    });
    let villages = villages?;
    let (arena, sizes, by_code, township_by_code, pairs) =
        rest.map_err(|_| "decoding failed".to_string())??;
    if pairs != fingerprint(villages.iter().enumerate().map(|(i, v)| (i as u32, v.township as u32))) {
        return Err("the townships in code order are not the villages' townships".into());
    }
    Ok(Frame {
        file: file.to_string(),
        size_names,
        counties,
        townships,
        villages,
        sizes,
        arena,
        by_code,
        township_by_code,
        encoding,
    })
}

/// A sum over (village, township) pairs that does not depend on their
/// order, each pair mixed first (SplitMix64's finaliser): the townships in
/// code order are checked against the villages' own in two passes in
/// order, instead of a reach into the villages for each.
fn fingerprint(pairs: impl Iterator<Item = (u32, u32)>) -> u64 {
    pairs.fold(0u64, |sum, (i, t)| {
        let mut z = (u64::from(i) << 32 | u64::from(t)).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        sum.wrapping_add(z ^ (z >> 31))
    })
}

/// What the second thread decodes: the text, the sizes, the code order,
/// the townships in code order and the fingerprint of the last two.
type Rest = (String, Sizes, Vec<u32>, Vec<u32>, u64);

/// How a snapshot gives each village's line.
enum Lines<'b> {
    /// One village a line, from this line on.
    From(u64),
    /// Each village's line, as a little-endian u32.
    Each(&'b [u8]),
}

/// The villages from their sections: code and name spans laid end to end
/// over `text` (each must start on a character: `text` itself is checked as
/// UTF-8 beside this), their townships and lines.
fn villages(
    text: &[u8],
    code_lens: &[u8],
    name_lens: &[u8],
    townships_of: &[u8],
    lines: &Lines<'_>,
    townships: &[Area],
) -> Result<Vec<Village>, Refused> {
    // Parents in a small array: villages come in any order, and reaching
    // into the townships themselves would miss the cache each time.
    let parent: Vec<usize> = townships.iter().map(|t| t.parent).collect();
    let starts_char = |i: u32| text.get(i as usize).is_none_or(|&b| (b as i8) >= -0x40);
    let n = code_lens.len() / 4;
    let mut villages = Vec::with_capacity(n);
    let mut at = 0u32;
    let word = |b: &[u8], i: usize| u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
    for i in 0..n {
        let (cl, nl, t) = (word(code_lens, i), word(name_lens, i), word(townships_of, i) as usize);
        let code = Span { start: at, len: cl };
        at = at.checked_add(cl).ok_or("village text too long")?;
        let name = Span { start: at, len: nl };
        at = at.checked_add(nl).ok_or("village text too long")?;
        if at as usize > text.len() || !starts_char(code.start) || !starts_char(name.start) {
            return Err("village text cut inside a character".into());
        }
        let county = *parent.get(t).ok_or("a village in an unknown township")?;
        let line = match lines {
            Lines::From(first) => first.checked_add(i as u64).ok_or("a line number too large")?,
            Lines::Each(b) => u64::from(word(b, i)),
        };
        villages.push(Village { code, name, county, township: t, line });
    }
    if at as usize != text.len() {
        return Err("village text of the wrong length".into());
    }
    Ok(villages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{FrameSchema, parse};

    fn frame(text: &str) -> Frame {
        let schema = FrameSchema {
            county_code: Some("cc".into()),
            sizes: vec!["population".into(), "households".into()],
            ..FrameSchema::default()
        };
        let (f, d) = parse("f.csv", text, &schema);
        assert!(d.is_empty(), "{d}");
        f
    }

    /// The room reserved for a snapshot holds it, with little to spare:
    /// at most 4 bytes a size (reserved as 8, written as 4 when they fit),
    /// 4 bytes a line (not written when the lines follow one another) and
    /// a few bytes of counts.
    #[test]
    fn the_room_reserved_holds_the_snapshot() {
        let texts = [
            "code,name,cc,county,township,population,households\n3,丙村,C1,甲县,t1,30,9\n1,甲村,C1,甲县,t1,10,4\n2,乙村,C2,乙县,t2,20,99999999999\n",
            "code,name,cc,county,township,population,households\n1,a,C,A,t,1,1\n\n2,b,C,A,t,2,4294967295\n",
        ];
        let mut lots = String::from("code,name,cc,county,township,population,households\n");
        for i in 0..500 {
            lots.push_str(&format!("{i:06},村{i},C{},县{},乡{},{},{}\n", i % 7, i % 7, i % 31, i * 3, i));
        }
        for text in texts.iter().copied().chain([lots.as_str()]) {
            let f = frame(text);
            let origin = "frame 0123456789abcdef rules fedcba9876543210";
            let bytes = encode(&f, origin).unwrap();
            let room = size_bound(&f, origin);
            let spare = 4 * f.villages.len() * (f.size_names.len() + 1) + 64 + f.size_names.len();
            assert!(bytes.len() <= room, "{} bytes in {room}", bytes.len());
            assert!(room <= bytes.len() + spare, "{room} reserved for {} bytes", bytes.len());
        }
    }

    #[test]
    fn a_frame_loads_as_it_was_parsed() {
        let text = "code,name,cc,county,township,population,households\n\
                    3,丙村,C1,甲县,t1,30,9\n1,甲村,C1,甲县,t1,10,4\n2,\"乙\n村\",C2,乙县,t2,20,99999999999\n\n5,戊,C2,乙县,t3,0,0\n";
        let f = frame(text);
        let bytes = encode(&f, "origin").unwrap();
        let back = decode("f.csv", &bytes, "origin").unwrap();
        assert_eq!(back, f);
        assert!(matches!((&f.sizes, &back.sizes), (Sizes::Wide(_), Sizes::Wide(_))));
        assert_eq!(back.size(2, 1), 99_999_999_999);
        assert!(decode("f.csv", &bytes, "other").is_err());
        // Consecutive lines are stored as the first line only; sizes that
        // fit in 32 bits are held so, parsed or loaded.
        let f = frame(
            "code,name,cc,county,township,population,households\n1,a,C,A,t,1,1\n2,b,C,A,t,2,4294967295\n",
        );
        let back = decode("f.csv", &encode(&f, "o").unwrap(), "o").unwrap();
        assert_eq!(back, f);
        assert!(matches!((&f.sizes, &back.sizes), (Sizes::Narrow(_), Sizes::Narrow(_))));
        assert_eq!(back.size(1, 1), u64::from(u32::MAX));
    }

    /// Each (village, township) pair is mixed as SplitMix64 mixes its state
    /// `village << 32 | township` (the generator's published first outputs
    /// for the states 0 and 1234567), and the mixes are summed, in any
    /// order.
    #[test]
    fn the_fingerprint_sums_splitmix64_of_each_pair() {
        assert_eq!(fingerprint([(0, 0)].into_iter()), 0xe220_a839_7b1d_cdaf);
        assert_eq!(fingerprint([(0, 1_234_567)].into_iter()), 6_457_827_717_110_365_317);
        let two = fingerprint([(0, 0), (5, 7)].into_iter());
        assert_eq!(two, 13_648_045_203_269_449_661);
        assert_eq!(two, fingerprint([(5, 7), (0, 0)].into_iter()));
        assert_ne!(two, fingerprint([(5, 0), (0, 7)].into_iter()));
        assert_eq!(fingerprint(std::iter::empty()), 0);
    }

    /// A frame whose townships in code order are not one per village has
    /// no snapshot.
    #[test]
    fn a_frame_without_its_townships_in_code_order_does_not_fit() {
        let f = frame("code,name,cc,county,township,population,households\n1,a,C,A,t,1,1\n2,b,C,A,u,2,4\n");
        assert!(fits(&f));
        let short = Frame { township_by_code: f.township_by_code[1..].to_vec(), ..f.clone() };
        assert!(!fits(&short) && encode(&short, "o").is_none());
    }

    /// Written to a file as it is built, a snapshot has the bytes it has in
    /// memory.
    #[test]
    fn a_snapshot_written_as_it_is_built_is_the_same() {
        let mut text = String::from("code,name,cc,county,township,population,households\n");
        for i in 0..50_000 {
            text.push_str(&format!("{i},村{i},C{},县{},t{},{},{}\n", i % 30, i % 30, i % 700, i, i % 99));
        }
        let f = frame(&text);
        let mut out = Vec::new();
        write(&f, "o", &mut out).unwrap();
        assert!(out.len() > 1 << 20);
        assert_eq!(Some(out), encode(&f, "o"));
    }

    /// A damaged snapshot is refused with a reason, never a panic or a
    /// wrong frame.
    #[test]
    fn damaged_snapshots_are_refused() {
        let mut text = String::from("code,name,cc,county,township,population,households\n");
        for i in 0..40 {
            text.push_str(&format!("{i},村{i},C{},县{},t{},{},{}\n", i % 3, i % 3, i % 7, i * 10, i));
        }
        let f = frame(&text);
        let bytes = encode(&f, "o").unwrap();
        for n in 0..bytes.len() {
            assert!(decode("f.csv", &bytes[..n], "o").is_err());
        }
        // A code one byte longer and its name one byte shorter: the name
        // would start inside a character.
        let n = f.villages.len();
        let first = format!("{}{}", f.code(0), f.name(0));
        let p = bytes.windows(first.len()).position(|w| w == first.as_bytes()).unwrap();
        let mut cut = bytes.clone();
        let (code_lens, name_lens) = (p - 8 - 8 * n, p - 8 - 4 * n);
        cut[code_lens] += 1;
        cut[name_lens] -= 1;
        assert!(decode("f.csv", &cut, "o").is_err_and(|e| e.contains("inside a character")));
        // The second village's code starting inside a character, its name
        // on one: "0村0" + "1村1" read as "0", "村01\xE6", "\x9D\x91", "1".
        let mut cut = bytes.clone();
        cut[name_lens] += 2;
        cut[code_lens + 4] += 1;
        cut[name_lens + 4] -= 3;
        assert!(decode("f.csv", &cut, "o").is_err_and(|e| e.contains("inside a character")));
        // The code order, the section before last, naming one village
        // twice.
        let mut twice = bytes.clone();
        let (order, towns) = (bytes.len() - 8 * n, bytes.len() - 4 * n);
        let first: [u8; 4] = twice[order..][..4].try_into().unwrap();
        twice[towns - 4..towns].copy_from_slice(&first);
        assert!(decode("f.csv", &twice, "o").is_err_and(|e| e.contains("code order")));
        // The townships in code order, the last section: one out of range;
        // two villages' townships swapped, or one moved to another
        // township, so that they are not the villages' own.
        let entry =
            |b: &mut Vec<u8>, j: usize, t: u32| b[towns + 4 * j..][..4].copy_from_slice(&t.to_le_bytes());
        let mut far = bytes.clone();
        entry(&mut far, 3, f.townships.len() as u32);
        assert!(decode("f.csv", &far, "o").is_err_and(|e| e.contains("out of range")));
        let (j, k) = (0, (1..n).find(|&k| f.township_by_code[k] != f.township_by_code[0]).unwrap());
        let mut swapped = bytes.clone();
        entry(&mut swapped, j, f.township_by_code[k]);
        entry(&mut swapped, k, f.township_by_code[j]);
        let mut moved = bytes.clone();
        entry(&mut moved, j, f.township_by_code[k]);
        for b in [swapped, moved] {
            assert!(decode("f.csv", &b, "o").is_err_and(|e| e.contains("not the villages' townships")));
        }
        assert!(decode("f.csv", &bytes, "o").is_ok());
        let mut state = 7u64;
        for _ in 0..2000 {
            let mut b = bytes.clone();
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let at = (state >> 33) as usize % b.len();
            b[at] ^= 1 << ((state >> 20) % 8);
            if let Ok(g) = decode("f.csv", &b, "o") {
                // A flipped bit that still decodes changed some value, not
                // the frame's shape.
                assert_eq!(g.villages.len(), f.villages.len());
            }
        }
    }
}
