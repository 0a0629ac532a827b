//! The draw: golden vectors, invariance to row order, independence of
//! counties, and selection frequencies against stated probabilities.

use std::collections::HashMap;

use spotcheck::frame::tree::Population;
use spotcheck::frame::{self, Frame};
use spotcheck::rules::{self, Rules};
use spotcheck::sample::{self, Design, excluded_codes};
use spotcheck::text::Encoding;

use crate::support::{data, example_frame, example_rules};

const VECTOR_SEED: &str = "12345678901234567890";

fn load(rules_path: &std::path::Path, frame_bytes: &[u8]) -> (Rules, Frame) {
    let r = rules::load(rules_path, "rules.toml").unwrap();
    let (f, d) = frame::from_bytes("frame.csv", frame_bytes, &r.frame, Encoding::Auto);
    assert!(!d.has_errors(), "{d}");
    (r, f)
}

#[test]
fn golden_vectors_of_sampling_md() {
    let frame_bytes = std::fs::read(data("vectors/frame.csv")).unwrap();
    for name in ["multistage", "pps", "rivest", "plan"] {
        let (r, f) = load(&data(&format!("vectors/{name}.toml")), &frame_bytes);
        let (_, bytes) = sample::derive(&r, &f, VECTOR_SEED).unwrap();
        let want = std::fs::read(data(&format!("vectors/{name}.sample.csv"))).unwrap();
        assert_eq!(String::from_utf8_lossy(&bytes), String::from_utf8_lossy(&want), "vector {name}");
    }
}

/// The vector folders holding `marker`: `draw.toml` for the published
/// draws, `refused.txt` for the designs spotcheck refuses.
fn vector_folders(marker: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(data("vectors"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join(marker).is_file())
        .collect();
    v.sort();
    v
}

/// The vectors that are published draws: folders with a `draw.toml`.
fn draw_vectors() -> Vec<std::path::PathBuf> {
    vector_folders("draw.toml")
}

fn folder_names(dirs: &[std::path::PathBuf]) -> Vec<String> {
    dirs.iter().map(|p| p.file_name().unwrap().to_string_lossy().to_string()).collect()
}

#[test]
fn published_draw_vectors_verify_from_their_files_alone() {
    assert_eq!(
        folder_names(&draw_vectors()),
        [
            "allocate",
            "allocate-equal",
            "allocate-units",
            "allocate-zero-weight",
            "attribute-rate",
            "defused-names",
            "forced-collision",
            "households",
            "names-gb18030",
            "pps-forced",
        ]
    );
    assert_eq!(folder_names(&vector_folders("refused.txt")), ["short-error"]);
    for dir in draw_vectors() {
        if let Err(e) = spotcheck::workspace::draw::verify(&dir, &spotcheck::workspace::lock::Access::read())
        {
            panic!("{}: {e}", dir.display());
        }
    }
}

/// The rules text from the first `[[stage]]` on: the part of a vector's rules
/// that SAMPLING.md shows for each vector.
fn stages_text(rules: &std::path::Path) -> String {
    let text = std::fs::read_to_string(rules).unwrap();
    text[text.find("[[stage]]").unwrap()..].to_string()
}

#[test]
fn sampling_md_shows_the_vectors_as_tested() {
    let doc = std::fs::read_to_string(crate::support::root("SAMPLING.md")).unwrap();
    let shows = |what: &str, text: &str| {
        assert!(doc.contains(text), "SAMPLING.md does not show {what} as the tests pin it:\n{text}");
    };
    shows("the frame of vectors 1-4", &std::fs::read_to_string(data("vectors/frame.csv")).unwrap());
    let shared = std::fs::read_to_string(data("vectors/multistage.toml")).unwrap();
    shows(
        "[frame] and [seed]",
        shared[shared.find("[frame]").unwrap()..shared.find("[[stage]]").unwrap()].trim_end(),
    );
    for name in ["multistage", "pps", "rivest", "plan"] {
        let want = std::fs::read_to_string(data(&format!("vectors/{name}.sample.csv"))).unwrap();
        shows(&format!("vector {name}"), want.trim_start_matches('\u{feff}'));
        shows(&format!("the stages of vector {name}"), &stages_text(&data(&format!("vectors/{name}.toml"))));
    }
    for dir in draw_vectors().into_iter().chain(vector_folders("refused.txt")) {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let outcome = if dir.join("sample.csv").is_file() { "sample.csv" } else { "refused.txt" };
        let want = std::fs::read_to_string(dir.join(outcome)).unwrap();
        shows(&format!("vector {name}"), want.trim_start_matches('\u{feff}'));
        if dir.join("households.csv").is_file() {
            let lists = std::fs::read_to_string(dir.join("households.csv")).unwrap();
            shows(&format!("the household lists of vector {name}"), lists.trim_start_matches('\u{feff}'));
        }
        if outcome == "sample.csv" {
            let record: toml::Table =
                toml::from_str(&std::fs::read_to_string(dir.join("draw.toml")).unwrap()).unwrap();
            shows(&format!("the seed of vector {name}"), record["seed"].as_str().unwrap());
        }
        // The GB18030 frame of vector 6 is shown as a table of its lines.
        if let Ok(frame) = String::from_utf8(std::fs::read(dir.join("frame/frame.csv")).unwrap()) {
            shows(&format!("the frame of vector {name}"), frame.trim_start_matches('\u{feff}'));
        }
        let rules = std::fs::read_dir(dir.join("rules")).unwrap().map(|e| e.unwrap().path());
        for r in rules.filter(|p| p.extension().is_some_and(|e| e == "toml")) {
            shows(&format!("the stages of vector {name}"), &stages_text(&r));
            let text = std::fs::read_to_string(&r).unwrap();
            shows(
                &format!("[frame] and [seed] of {name}"),
                text[text.find("[frame]").unwrap()..text.find("[[stage]]").unwrap()].trim_end(),
            );
        }
    }
    shows(
        "the draw record of vector 5",
        &std::fs::read_to_string(data("vectors/allocate/draw.toml")).unwrap(),
    );
}

/// SAMPLING.md §4.1 names the encoding_rs release whose GB18030 decoder the
/// draw follows; a new release must be checked against the table there.
#[test]
fn sampling_md_names_the_gb18030_decoder_in_use() {
    let lock = std::fs::read_to_string(crate::support::root("Cargo.lock")).unwrap();
    let at = lock.find("name = \"encoding_rs\"\nversion = \"").unwrap() + 31;
    let version = &lock[at..at + lock[at..].find('"').unwrap()];
    let doc = std::fs::read_to_string(crate::support::root("SAMPLING.md")).unwrap();
    let words = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(&format!("spotcheck uses encoding_rs {version}")),
        "SAMPLING.md §4.1 should name encoding_rs {version}"
    );
}

fn example() -> (Rules, Vec<u8>) {
    let r = rules::load(&example_rules(), "rules.toml").unwrap();
    (r, std::fs::read(example_frame()).unwrap())
}

fn draw_bytes(r: &Rules, frame_bytes: &[u8], seed: &str) -> Vec<u8> {
    let (f, d) = frame::from_bytes("frame.csv", frame_bytes, &r.frame, Encoding::Auto);
    assert!(!d.has_errors(), "{d}");
    sample::derive(r, &f, seed).unwrap().1
}

/// Rows of sample.csv grouped by county code.
fn by_county(bytes: &[u8]) -> HashMap<String, Vec<String>> {
    let text = String::from_utf8_lossy(bytes);
    let mut m: HashMap<String, Vec<String>> = HashMap::new();
    for line in text.lines().skip(1) {
        let county = line.split(',').nth(2).unwrap().to_string();
        m.entry(county).or_default().push(line.to_string());
    }
    m
}

#[test]
fn same_seed_gives_identical_bytes() {
    let (r, fb) = example();
    let a = draw_bytes(&r, &fb, "39170245881266031954");
    let b = draw_bytes(&r, &fb, "39170245881266031954");
    assert_eq!(a, b);
    let c = draw_bytes(&r, &fb, "39170245881266031955");
    assert_ne!(a, c, "a different seed must give a different sample");
}

#[test]
fn shuffling_the_frame_rows_changes_nothing() {
    let (r, fb) = example();
    let text = String::from_utf8(fb.clone()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    lines.rotate_left(1234);
    let shuffled = format!("{header}\n{}\n", lines.join("\n"));
    assert_eq!(
        draw_bytes(&r, &fb, "39170245881266031954"),
        draw_bytes(&r, shuffled.as_bytes(), "39170245881266031954")
    );
}

#[test]
fn changing_one_county_leaves_every_other_county_unchanged() {
    let (r, fb) = example();
    let text = String::from_utf8(fb.clone()).unwrap();
    // 沧县 (130921): new populations, a renamed village and one more village
    // in an existing township. The township count is unchanged, so the
    // allocation by units is too.
    let mut changed = String::new();
    let mut added = false;
    for (i, line) in text.lines().enumerate() {
        let mut cells: Vec<String> = line.split(',').map(String::from).collect();
        if i > 0 && cells[2] == "130921" {
            let pop: u64 = cells[6].parse().unwrap();
            cells[6] = (pop + 137).to_string();
            cells[1].push('庄');
            if !added {
                let mut extra = cells.clone();
                extra[0] = format!("{}999", &cells[4]);
                extra[1] = "新增村".into();
                changed.push_str(&extra.join(","));
                changed.push('\n');
                added = true;
            }
        }
        changed.push_str(&cells.join(","));
        changed.push('\n');
    }
    let seed = "39170245881266031954";
    let before = by_county(&draw_bytes(&r, &fb, seed));
    let after = by_county(&draw_bytes(&r, changed.as_bytes(), seed));
    assert_eq!(before.len(), 18);
    for (county, rows) in &before {
        if county != "130921" {
            assert_eq!(Some(rows), after.get(county), "county {county} moved");
        }
    }
    assert_ne!(before.get("130921"), after.get("130921"), "the changed county should differ");
}

/// Wilson–Hilferty approximation of the chi-square quantile.
fn chi2_quantile(df: f64, z: f64) -> f64 {
    let a = 2.0 / (9.0 * df);
    df * (1.0 - a + z * a.sqrt()).powi(3)
}

/// Draws `reps` samples with seeds derived from the index and returns, for
/// every village with 0 < π < 1, (count, π).
fn frequencies(rules_name: &str, reps: usize) -> Vec<(u64, f64)> {
    let frame_bytes = std::fs::read(data("vectors/frame.csv")).unwrap();
    let (r, f) = load(&data(&format!("vectors/{rules_name}.toml")), &frame_bytes);
    let pop = Population::new(&f, &excluded_codes(&r));
    let (design, d) = Design::prepare(&r, &pop);
    let design = design.unwrap_or_else(|| panic!("{d}"));
    let mut counts = vec![0u64; f.villages.len()];
    let mut pi = vec![None; f.villages.len()];
    for rep in 0..reps {
        let s = design.draw(&pop, &format!("{:020}", rep));
        for row in s.main() {
            counts[row.village] += 1;
            pi[row.village] = Some(row.pi.to_f64());
        }
    }
    // π of a village never drawn is unknown here; with these designs every
    // village has π ≥ 0.1, so all are seen.
    counts.into_iter().zip(pi).filter_map(|(c, p)| p.map(|p| (c, p))).filter(|(_, p)| *p < 1.0).collect()
}

fn chi2(freq: &[(u64, f64)], reps: f64) -> f64 {
    freq.iter().map(|&(o, p)| (o as f64 - reps * p).powi(2) / (reps * p * (1.0 - p))).sum()
}

#[test]
fn selection_frequencies_match_inclusion_probabilities() {
    let reps = 20_000;
    for design in ["multistage", "pps"] {
        let freq = frequencies(design, reps);
        assert!(freq.len() >= 8, "{design}: too few random units ({})", freq.len());
        let x2 = chi2(&freq, reps as f64);
        let limit = chi2_quantile(freq.len() as f64, 3.09); // 0.999
        assert!(x2 < limit, "{design}: chi-square {x2:.1} over {} units exceeds {limit:.1}", freq.len());
        for &(o, p) in &freq {
            let z = (o as f64 - reps as f64 * p) / (reps as f64 * p * (1.0 - p)).sqrt();
            assert!(z.abs() < 4.5, "{design}: a unit with π = {p:.4} was drawn {o} times (z = {z:.1})");
        }
    }
}

#[test]
fn the_frequency_test_has_power_against_wrong_probabilities() {
    // If the PPS draw were equal-probability, its frequencies would not fit
    // the equal π = 4/15 of the non-certainty villages; the test must say so.
    let reps = 20_000;
    let freq = frequencies("pps", reps);
    let wrong: Vec<(u64, f64)> = freq.iter().map(|&(o, _)| (o, 4.0 / 15.0)).collect();
    let limit = chi2_quantile(wrong.len() as f64, 3.09);
    assert!(chi2(&wrong, reps as f64) > limit * 10.0);
}

/// The household stage (SAMPLING.md §16): the households a team takes from
/// a register of H households, the first k list numbers within H, are a
/// simple random sample of the register, whether H is the frame's count,
/// smaller or larger. Every household of the register is taken with chance
/// k/H.
#[test]
fn the_first_k_numbers_within_any_register_are_a_simple_random_sample_of_it() {
    use spotcheck::sample::households::list;
    let stage = spotcheck::rules::HouseholdStage {
        k: 5,
        reserve: 3,
        size: "households".into(),
        cap_percent: 150,
        register: "户籍册".into(),
        register_en: None,
        basis: None,
        loc: Default::default(),
    };
    let reps = 6_000;
    // Frame count 60 (cap 90); registers of 45, 60 and 84 households. The
    // list may run out for the smallest: then the team takes what it has.
    for h in [45u64, 60, 84] {
        let mut counts = vec![0u64; h as usize + 1];
        let mut short = 0;
        for rep in 0..reps {
            let l = list(&format!("{rep:020}"), "V", 60, &stage);
            let taken: Vec<u64> = l.numbers.iter().copied().filter(|&x| x <= h).take(5).collect();
            if taken.len() < 5 {
                short += 1;
                continue;
            }
            for x in taken {
                counts[x as usize] += 1;
            }
        }
        let n = (reps - short) as f64;
        let p = 5.0 / h as f64;
        let x2: f64 = counts[1..].iter().map(|&o| (o as f64 - n * p).powi(2) / (n * p * (1.0 - p))).sum();
        // Each household's count is binomial(n, k/H); their sum of squared
        // z-scores is close to chi-square with H − 1 df (the counts sum to nk).
        let limit = chi2_quantile(h as f64 - 1.0, 3.09);
        assert!(x2 < limit, "register of {h}: chi-square {x2:.1} exceeds {limit:.1}");
        assert!(counts[1..].iter().all(|&c| c > 0), "register of {h}: a household was never taken");
        if h >= 60 {
            assert_eq!(short, 0, "a register of at least the frame's count never runs out");
        }
    }
}

#[test]
fn a_tampered_household_list_is_refused_by_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let src = data("vectors/households");
    for rel in ["draw.toml", "sample.csv", "households.csv", "rules/households.toml", "frame/frame.csv"] {
        let dest = tmp.path().join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(src.join(rel), dest).unwrap();
    }
    let access = spotcheck::workspace::lock::Access::read();
    assert!(spotcheck::workspace::draw::verify(tmp.path(), &access).is_ok());
    // Dunton's first two numbers swapped: the team would visit 11 before 7.
    let path = tmp.path().join("households.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("170101002002,8,12,7 11 ", "170101002002,8,12,11 7 ")).unwrap();
    let e = spotcheck::workspace::draw::verify(tmp.path(), &access).err().unwrap().to_string();
    assert!(e.contains("households.csv: does not match households_sha256"), "{e}");
    assert!(e.contains("village 170101002002: position 1 is 11 but re-derives as 7"), "{e}");
    // The lists dropped from the record while the rules keep the stage.
    std::fs::write(&path, text).unwrap();
    let record = std::fs::read_to_string(tmp.path().join("draw.toml")).unwrap();
    let cut: String =
        record.lines().filter(|l| !l.starts_with("households")).map(|l| format!("{l}\n")).collect();
    std::fs::write(tmp.path().join("draw.toml"), cut).unwrap();
    let e = spotcheck::workspace::draw::verify(tmp.path(), &access).err().unwrap().to_string();
    assert!(e.contains("the rules have a household stage, but the record names no `households` file"), "{e}");
}

/// A national sample's table is made in two halves on two threads: its rows
/// are the sample's, in the sample's order, `sample.csv` is those rows, and
/// its bytes are those that were written before there was a table.
#[test]
fn a_large_sample_is_tabled_row_for_row_in_the_samples_order() {
    use spotcheck::frame::synth::{SynthSpec, synth_frame};
    use spotcheck::sample::table::{Table, TextFields};
    let bytes = synth_frame(&SynthSpec { villages: 40_000, ..SynthSpec::national() }, 5);
    let (r, f) = load(&data("../../benches/national.toml"), &bytes);
    let s = sample::select(&r, &f, VECTOR_SEED).unwrap();
    assert!(s.rows.len() > 2_000, "large enough for two threads: {}", s.rows.len());
    let t = Table::new(&s, &f, TextFields::Defused, None);
    assert_eq!(t.rows.len(), s.rows.len());
    let pi = t.header.iter().position(|h| h == "pi").unwrap();
    for (row, d) in t.rows.iter().zip(&s.rows) {
        assert_eq!(row.len(), t.header.len());
        assert_eq!(row[0], f.code(d.village));
        assert_eq!(row[1], f.name(d.village));
        assert_eq!(row[6], d.stratum);
        assert_eq!(row[7], d.order.to_string());
        assert_eq!(row[pi], d.pi.decimal(12));
    }
    let csv_bytes = t.to_csv();
    // The bytes the writer before the table wrote (a row at a time, straight
    // from the sample), for this frame, design and seed.
    assert_eq!(s.rows.len(), 2_188);
    assert_eq!(
        spotcheck::hash::sha256_hex(&csv_bytes),
        "52ba3e1afbe5cc9568027526a9fbc2b4c31b2b9054f40152b07c618d51c58329"
    );
    let mut rdr = csv::ReaderBuilder::new().from_reader(&csv_bytes[3..]);
    assert_eq!(rdr.headers().unwrap().iter().collect::<Vec<_>>(), t.header);
    let read: Vec<Vec<String>> =
        rdr.records().map(|rec| rec.unwrap().iter().map(String::from).collect()).collect();
    let rows: Vec<Vec<String>> = t.rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(read, rows);
}
