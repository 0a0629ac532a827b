//! Every validation rule has a bad-input fixture; its diagnostics are
//! snapshotted in a `.expected` file beside it.

use std::path::Path;

use spotcheck::frame::{self, FrameSchema};
use spotcheck::text::Encoding;
use spotcheck::{Error, rules, sample};

use crate::support::{check_dir, data};

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().to_string()
}

fn render(result: Result<spotcheck::Diags, Error>) -> String {
    match result {
        Ok(warnings) => warnings.to_string(),
        Err(Error::Invalid(d)) => d.to_string(),
        Err(e) => format!("{e}\n"),
    }
}

#[test]
fn frame_errors() {
    let schema = FrameSchema {
        county_code: Some("county_code".into()),
        township_code: Some("township_code".into()),
        sizes: vec!["population".into(), "households".into()],
        ..FrameSchema::default()
    };
    check_dir(&data("frame/err"), "csv", |p| {
        let bytes = std::fs::read(p).unwrap();
        let (_, diags) = frame::from_bytes(&name(p), &bytes, &schema, Encoding::Auto);
        assert!(diags.has_errors(), "{} should be rejected", p.display());
        diags.sorted().to_string()
    });
}

#[test]
fn rules_errors() {
    check_dir(&data("rules/err"), "toml", |p| {
        let r = rules::load(p, &name(p)).map(|_| spotcheck::Diags::default());
        let weak_seed_only_warns = name(p) == "weak_seed.toml";
        assert!(r.is_err() || weak_seed_only_warns, "{} should be rejected", p.display());
        render(r)
    });
}

#[test]
fn rules_that_are_fine_load_without_diagnostics() {
    for entry in std::fs::read_dir(data("rules/ok")).unwrap() {
        let p = entry.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let (r, d) = rules::parse(&name(&p), &text);
        assert!(r.is_some() && d.is_empty(), "{}: {d}", p.display());
    }
}

#[test]
fn design_errors_against_the_frame() {
    check_dir(&data("design/err"), "toml", |p| {
        let own_frame = p.with_extension("csv");
        let frame_path = if own_frame.exists() { own_frame } else { data("design/frame.csv") };
        let r = rules::load(p, &name(p)).unwrap();
        let f = frame::load(&frame_path, "frame.csv", &r.frame, Encoding::Auto).unwrap();
        render(sample::check(&r, &f))
    });
}

/// A tiny deterministic generator for the robustness test (not the draw's).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Damaged inputs never panic: bytes flipped, deleted and duplicated in the
/// example's frame and rules give diagnostics, not crashes.
#[test]
fn damaged_inputs_give_diagnostics_not_panics() {
    let frame_bytes = std::fs::read(crate::support::example_frame()).unwrap();
    let frame_bytes = &frame_bytes[..4000]; // the header and ~60 rows
    let rules_text = std::fs::read_to_string(crate::support::example_rules()).unwrap();
    let good_rules = rules::parse("r.toml", &rules_text).0.unwrap();
    let mut rng = Lcg(2008);
    let noise = b",\"\n\r 0-9.E\xe5\xff";
    for _ in 0..400 {
        let mut f = frame_bytes.to_vec();
        let mut r = rules_text.as_bytes().to_vec();
        for buf in [&mut f, &mut r] {
            for _ in 0..(1 + rng.next() % 6) {
                let at = (rng.next() as usize) % buf.len();
                match rng.next() % 3 {
                    0 => buf[at] = noise[(rng.next() as usize) % noise.len()],
                    1 => {
                        buf.remove(at);
                    }
                    _ => {
                        let end = (at + 40).min(buf.len());
                        let piece = buf[at..end].to_vec();
                        buf.splice(at..at, piece);
                    }
                }
            }
        }
        let (frame, _) = frame::from_bytes("f.csv", &f, &good_rules.frame, Encoding::Auto);
        let _ = sample::check(&good_rules, &frame);
        let text = String::from_utf8_lossy(&r);
        if let (Some(rr), _) = rules::parse("r.toml", &text) {
            let (frame, d) = frame::from_bytes("f.csv", frame_bytes, &rr.frame, Encoding::Auto);
            if !d.has_errors() {
                let _ = sample::check(&rr, &frame);
                let _ = sample::derive(&rr, &frame, "12345678901234567890");
            }
        }
    }
}

/// The frame and the problems read in `pieces` pieces, as text to compare.
fn read_in(text: &str, schema: &FrameSchema, pieces: usize) -> (frame::Frame, String) {
    let (f, d) = frame::parse_in_pieces("f.csv", text, schema, pieces);
    (f, d.sorted().to_string())
}

/// Reading a frame in pieces on threads gives the same frame and the same
/// problems as reading it from the top, wherever the cuts fall: inside
/// quoted line breaks, among blank lines, before or after a problem.
#[test]
fn frames_read_in_pieces_equal_frames_read_whole() {
    let fixture_schema = FrameSchema {
        county_code: Some("county_code".into()),
        township_code: Some("township_code".into()),
        sizes: vec!["population".into(), "households".into()],
        ..FrameSchema::default()
    };
    let example_rules = rules::load(&crate::support::example_rules(), "r.toml").unwrap();
    let mut cases: Vec<(String, FrameSchema)> = Vec::new();
    for entry in std::fs::read_dir(data("frame/err")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "csv")
            && let Ok(text) = String::from_utf8(std::fs::read(&p).unwrap())
        {
            cases.push((text, fixture_schema.clone()));
        }
    }
    let example = std::fs::read_to_string(crate::support::example_frame()).unwrap();
    cases.push((example.clone(), example_rules.frame.clone()));
    // The example with quoted names holding line breaks and quotes, blank
    // lines and CR LF line ends, so that cuts fall inside quotes.
    let mut odd = String::new();
    for (i, line) in example.lines().enumerate() {
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        if i > 0 && i % 3 == 0 {
            cells[1] = format!("\"{}\n\"\"{}\"\"\"", cells[1], i);
        }
        odd.push_str(&cells.join(","));
        odd.push_str(if i % 5 == 0 { "\r\n" } else { "\n" });
        if i % 7 == 0 {
            odd.push_str("\n,,,\n");
        }
    }
    cases.push((odd.clone(), example_rules.frame.clone()));
    // And with a problem at the end, one in the middle, one near the top.
    let mut bad = odd.clone();
    bad.push_str("999,合计,x,y,z,1,2,3,4\n");
    let mid = bad.len() / 2;
    let at = mid + bad[mid..].find('\n').unwrap() + 1;
    bad.insert_str(at, "1,2\n");
    let top = bad.find('\n').unwrap() + 1;
    bad.insert_str(top, "\"\n");
    cases.push((bad, example_rules.frame.clone()));
    for (text, schema) in &cases {
        let whole = read_in(text, schema, 1);
        for pieces in 2..=7 {
            let got = read_in(text, schema, pieces);
            let start: String = text.chars().take(40).collect();
            assert!(got == whole, "{pieces} pieces differ for a text beginning {start:?}");
        }
    }
}

/// A large frame file is read a piece at a time on threads: the frame, and
/// the problems of a bad one, are those of a reading from the top, with or
/// without a byte-order mark.
#[test]
fn large_frame_files_read_in_pieces_equal_frames_read_whole() {
    use spotcheck::frame::synth::{SynthSpec, synth_frame};
    let rules = rules::load(&data("../../benches/national.toml"), "national.toml").unwrap();
    let bytes = synth_frame(&SynthSpec { villages: 20_000, ..SynthSpec::national() }, 3);
    assert!(bytes.len() > 1 << 20, "large enough to be read in pieces");
    let text = String::from_utf8(bytes.clone()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut bad = text.clone();
    let line = bad.lines().nth(15_000).unwrap().to_string();
    bad.push_str(&line); // a duplicate code at the end
    bad.push('\n');
    let mid = bad.len() / 3;
    let at = mid + bad[mid..].find('\n').unwrap() + 1;
    bad.insert_str(at, "1,2\n");
    for (name, content, bom) in
        [("good.csv", &text, false), ("bom.csv", &text, true), ("bad.csv", &bad, false)]
    {
        let path = tmp.path().join(name);
        let mut b = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
        b.extend_from_slice(content.as_bytes());
        std::fs::write(&path, &b).unwrap();
        let whole = frame::parse_in_pieces(name, content, &rules.frame, 1);
        match frame::load(&path, name, &rules.frame, Encoding::Auto) {
            Ok(f) => {
                assert!(whole.1.is_empty(), "{name}: {}", whole.1);
                assert!(f.villages == whole.0.villages && f.by_code == whole.0.by_code, "{name}");
                assert_eq!(f.encoding, Some(Encoding::Utf8));
            }
            Err(spotcheck::Error::Invalid(d)) => {
                assert_eq!(d.to_string(), whole.1.sorted().to_string(), "{name}")
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
}
