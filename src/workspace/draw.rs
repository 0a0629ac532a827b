//! Drawing into a campaign folder and verifying a draw, in the folder or
//! in a bare folder of published files (the outside auditor's case).

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::lock::Access;
use super::step::Step;
use super::{DRAW, FileRecord, SAMPLE, SUPERSEDED, Workspace, commitment, read, str_field};
use crate::error::{Error, Result, excerpt};
use crate::frame;
use crate::hash::sha256_hex;
use crate::rules;
use crate::sample::{self, ALGORITHM, normalize_seed};

/// The published household lists (SAMPLING.md §16).
pub const HOUSEHOLDS: &str = crate::sample::households::FILE;

/// `draw.toml`: what anyone needs to re-derive the sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawRecord {
    pub algorithm: String,
    pub spotcheck_version: String,
    /// The seed as typed at the ceremony.
    pub seed: String,
    /// The seed after normalisation (SAMPLING.md §3): what the streams use.
    pub seed_normalized: String,
    pub commitment: String,
    pub drawn_at: String,
    pub rules: String,
    pub frame: String,
    pub frame_encoding: String,
    pub sample: String,
    pub sample_sha256: String,
    /// The household lists (SAMPLING.md §16), when the rules have a
    /// household stage: the path of `households.csv` and its SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub households: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub households_sha256: Option<String>,
    pub villages: usize,
    pub reserves: usize,
    pub strata_per_stage: Vec<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redraw: Option<Redraw>,
    pub inputs: Vec<FileRecord>,
    /// The n that attribute plans in the rules set, stratum by stratum.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<crate::sample::design::Planned>,
}

/// Why a sample was drawn again, and what it replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redraw {
    pub reason: String,
    pub previous_seed: String,
    pub previous_sample_sha256: String,
}

/// What a draw produced.
pub struct DrawOutcome {
    pub record: DrawRecord,
    pub superseded: Option<String>,
    /// The sample had already been drawn with this seed (the command was
    /// run again, for example after an interruption): nothing was done.
    pub already: bool,
}

fn current_record(ws: &Workspace) -> Result<DrawRecord> {
    let text = String::from_utf8_lossy(&read(&ws.path(DRAW))?).to_string();
    toml::from_str(&text)
        .map_err(|e| Error::CheckFailed(format!("{DRAW}: not a draw record: {}", e.message())))
}

/// Draws the sample in a campaign folder. Needs a commitment; refuses a
/// second draw unless `redraw` gives a reason. Asked again for the draw
/// that is already there (the same seed), it does nothing.
pub fn draw(ws: &mut Workspace, seed: &str, redraw: Option<&str>) -> Result<DrawOutcome> {
    draw_in(ws, seed, redraw, crate::lang::Lang::Zh)
}

/// As [`draw`], with `sample.xlsx` in `lang`.
pub fn draw_in(
    ws: &mut Workspace,
    seed: &str,
    redraw: Option<&str>,
    lang: crate::lang::Lang,
) -> Result<DrawOutcome> {
    let Some(commit) = ws.journal.last("commit") else {
        return Err(Error::Usage(
            "no commitment yet: run `spotcheck commit` and publish the value before the seed is rolled"
                .to_string(),
        ));
    };
    let commitment_hash = str_field(commit, "commitment");
    let previous =
        ws.journal.entries.iter().rev().find(|e| e.event == "draw" || e.event == "redraw").cloned();
    if let Some(p) = &previous {
        let rules = ws.load_rules()?;
        if normalize_seed(seed, &rules.seed).is_ok_and(|s| s == str_field(p, "seed_normalized")) {
            let same_step = match redraw {
                None => true,
                Some(r) => p.event == "redraw" && str_field(p, "reason") == r,
            };
            if !same_step {
                return Err(Error::Usage(format!(
                    "the current sample was drawn on {} with this very seed; drawing again with it would give the same sample",
                    p.at
                )));
            }
            return Ok(DrawOutcome { record: current_record(ws)?, superseded: None, already: true });
        }
    }
    match (&previous, redraw) {
        (Some(p), None) => {
            return Err(Error::Usage(format!(
                "a sample was already drawn on {} with seed {}; drawing again needs --redraw --reason \"…\", and is journaled with both seeds",
                crate::time::show(&p.at, ws.offset),
                str_field(p, "seed")
            )));
        }
        (None, Some(_)) => {
            return Err(Error::Usage("--redraw: there is no earlier draw to replace".to_string()));
        }
        (_, Some(r)) if r.trim().is_empty() => {
            return Err(Error::Usage("--redraw needs a non-empty --reason".to_string()));
        }
        _ => {}
    }
    if let Some(e) = ws.journal.last(super::rounds::EVENT) {
        return Err(Error::Usage(format!(
            "the sequential plan's round {} was decided on {}; its rounds continue this draw, so it cannot be drawn again",
            e.data.get("round").and_then(|v| v.as_u64()).unwrap_or(1),
            crate::time::show(&e.at, ws.offset)
        )));
    }
    let (rules, frame) = ws.load_inputs()?;
    let seed_norm =
        normalize_seed(seed, &rules.seed).map_err(|e| Error::Usage(format!("seed refused: {e}")))?;
    let s = sample::select(&rules, &frame, &seed_norm)?;
    let frame_encoding = frame.encoding.unwrap_or(ws.encoding).to_string();
    let mut superseded = None;
    let mut step = Step::new();
    let mut kept_outputs = Vec::new();
    let redraw_rec = match (&previous, redraw) {
        (Some(p), Some(reason)) => {
            // Keep the replaced files; the journal already holds their hashes.
            let dir = format!("{SUPERSEDED}/draw-{}", p.seq);
            for f in [SAMPLE, DRAW] {
                let old = read(&ws.path(f))?;
                kept_outputs.push(step.write(format!("{dir}/{f}"), old));
            }
            if ws.path(HOUSEHOLDS).exists() {
                let old = read(&ws.path(HOUSEHOLDS))?;
                kept_outputs.push(step.write(format!("{dir}/{HOUSEHOLDS}"), old));
            }
            superseded = Some(dir);
            Some(Redraw {
                reason: reason.to_string(),
                previous_seed: str_field(p, "seed"),
                previous_sample_sha256: str_field(p, "sample_sha256"),
            })
        }
        _ => None,
    };
    // The same list for people, in Excel with Chinese headings, is made from
    // sample.csv's fields on another thread while the file is written and
    // the other outputs are made and hashed; sample.csv stays the record
    // that `verify` re-derives.
    let heading = crate::report::sample_xlsx::Heading {
        campaign: rules.campaign.name.clone(),
        seed: seed_norm.clone(),
        commitment: commitment_hash.clone(),
        document: rules.campaign.document.clone(),
    };
    let table = sample::table::Table::new(&s, &frame, sample::table::TextFields::Defused, None);
    let made = std::thread::scope(|sc| {
        let xlsx = sc.spawn(|| table_workbook(&table, &rules.campaign.issued, &heading, lang));
        let bytes = table.to_csv();
        let lists = sample::derive_households(&rules, &frame, &s, &seed_norm);
        let record = DrawRecord {
            algorithm: ALGORITHM.to_string(),
            spotcheck_version: env!("CARGO_PKG_VERSION").to_string(),
            seed: seed.to_string(),
            seed_normalized: seed_norm.clone(),
            commitment: commitment_hash.clone(),
            drawn_at: super::now(ws.offset),
            rules: ws.rules_path.clone(),
            frame: ws.frame_path.clone(),
            frame_encoding,
            sample: SAMPLE.to_string(),
            sample_sha256: sha256_hex(&bytes),
            households: lists.as_ref().map(|_| HOUSEHOLDS.to_string()),
            households_sha256: lists.as_ref().map(|l| sha256_hex(l)),
            villages: s.main().count(),
            reserves: s.rows.len() - s.main().count(),
            strata_per_stage: s.strata.clone(),
            redraw: redraw_rec.clone(),
            inputs: ws.committed_files(),
            planned: s.planned.clone(),
        };
        let toml_text = render_record(&record);
        let draw_sha256 = sha256_hex(toml_text.as_bytes());
        step.write(SAMPLE, bytes);
        step.write(DRAW, toml_text.into_bytes());
        let xlsx = xlsx.join().map_err(|_| Error::CheckFailed("cannot write sample.xlsx".into()))??;
        Ok((record, draw_sha256, lists, xlsx))
    });
    drop(table);
    drop(frame);
    let (record, draw_sha256, lists, xlsx) = made?;
    let xlsx_out = step.write("sample.xlsx", xlsx);
    let lists_out = lists.map(|l| step.write(HOUSEHOLDS, l));
    let mut data = json!({
        "seed": seed,
        "seed_normalized": seed_norm,
        "commitment": commitment_hash,
        "sample_sha256": record.sample_sha256,
        "draw_sha256": draw_sha256,
        "villages": record.villages,
        "outputs": std::iter::once(xlsx_out).chain(lists_out).chain(kept_outputs).collect::<Vec<_>>(),
    });
    if let Some(r) = &redraw_rec {
        data["reason"] = json!(r.reason);
        data["previous_seed"] = json!(r.previous_seed);
        data["previous_sample_sha256"] = json!(r.previous_sample_sha256);
    }
    ws.apply(step, if redraw_rec.is_some() { "redraw" } else { "draw" }, data)?;
    Ok(DrawOutcome { record, superseded, already: false })
}

/// `sample.xlsx` (or a round's workbook) from the bytes of `sample.csv`
/// (or of the round's sample), which spotcheck wrote itself: UTF-8 with a
/// byte-order mark, one record per row.
pub(super) fn sample_workbook(
    csv_bytes: &[u8],
    issued: &str,
    heading: &crate::report::sample_xlsx::Heading,
    lang: crate::lang::Lang,
) -> Result<Vec<u8>> {
    let text = crate::text::as_str(crate::text::strip_bom(csv_bytes))
        .ok_or_else(|| Error::CheckFailed(format!("{SAMPLE} is not UTF-8")))?;
    let mut scanner = crate::csvscan::Scanner::new(text);
    let mut rec = crate::csvscan::Record::default();
    let mut rows: Vec<Vec<std::borrow::Cow<'_, str>>> = Vec::new();
    while scanner.next_record(&mut rec) {
        rows.push(
            rec.fields_of(text)
                .map(|c| match c {
                    std::borrow::Cow::Borrowed(b) => std::borrow::Cow::Borrowed(crate::text::trim(b)),
                    std::borrow::Cow::Owned(o) => std::borrow::Cow::Owned(crate::text::trim(&o).to_string()),
                })
                .collect(),
        );
    }
    if rows.is_empty() {
        return Err(Error::CheckFailed(format!("{SAMPLE} is empty")));
    }
    let header: Vec<String> = rows.remove(0).into_iter().map(|h| h.to_string()).collect();
    workbook(&header, &rows, issued, heading, lang)
}

/// `sample.xlsx` from the table `sample.csv` is written from: the same
/// workbook as [`sample_workbook`] makes from the file, whose fields it
/// trims.
fn table_workbook(
    table: &sample::table::Table<'_>,
    issued: &str,
    heading: &crate::report::sample_xlsx::Heading,
    lang: crate::lang::Lang,
) -> Result<Vec<u8>> {
    let rows: Vec<Vec<&str>> =
        table.rows.iter().map(|r| r.iter().map(|c| crate::text::trim(c)).collect()).collect();
    workbook(&table.header, &rows, issued, heading, lang)
}

/// The workbook of a header and rows of (trimmed) fields.
fn workbook(
    header: &[String],
    rows: &[Vec<impl AsRef<str>>],
    issued: &str,
    heading: &crate::report::sample_xlsx::Heading,
    lang: crate::lang::Lang,
) -> Result<Vec<u8>> {
    let _job = crate::progress::job(crate::progress::Task::WriteSample, 0);
    let d: Vec<u16> = issued.split('-').filter_map(|x| x.parse().ok()).collect();
    let created = (
        d.first().copied().unwrap_or(2000),
        d.get(1).copied().unwrap_or(1) as u8,
        d.get(2).copied().unwrap_or(1) as u8,
    );
    crate::report::sample_xlsx::sample_xlsx(header, rows, created, heading, lang)
        .map_err(|e| Error::CheckFailed(format!("cannot write sample.xlsx: {e}")))
}

fn render_record(r: &DrawRecord) -> String {
    let body = toml::to_string(r).expect("the draw record serialises");
    format!(
        "# spotcheck draw record. Anyone can re-derive {} from the files listed\n# under [[inputs]] and the seed: `spotcheck verify`, or by SAMPLING.md.\n{body}",
        r.sample
    )
}

/// What a successful verification checked.
pub struct Verified {
    pub record: DrawRecord,
    pub in_workspace: bool,
    /// Further rounds of a sequential plan re-derived: (round, villages,
    /// villages that joined in it).
    pub rounds: Vec<(u32, usize, usize)>,
}

/// Re-derives the sample from the published files and the seed and compares
/// it unit by unit with `sample.csv`. Works in a campaign folder and in a
/// folder holding only the rules, frame, `draw.toml` and `sample.csv`.
pub fn verify(dir: &Path, access: &Access) -> Result<Verified> {
    let in_workspace = dir.join(super::JOURNAL).exists();
    let mut problems = Vec::new();
    let ws = if in_workspace {
        let (ws, p) = Workspace::inspect(dir, access)?;
        problems.extend(p);
        // verify reads only the published CSV: snapshot bytes kept from
        // the hashing are let go before the frame is parsed.
        ws.forget_snapshots();
        Some(ws)
    } else {
        None
    };
    let draw_path = dir.join(DRAW);
    if !draw_path.exists() {
        return Err(Error::Usage(format!(
            "no {DRAW} in {}: nothing to verify (has the sample been drawn?)",
            dir.display()
        )));
    }
    let text = String::from_utf8_lossy(&read(&draw_path)?).to_string();
    let record: DrawRecord = toml::from_str(&text)
        .map_err(|e| Error::CheckFailed(format!("{DRAW}: not a draw record: {}", e.message())))?;
    let text_fields = sample::ALGORITHMS.iter().find(|a| a.0 == record.algorithm).map(|a| a.1);
    if text_fields.is_none() {
        problems.push(format!(
            "{DRAW}: drawn with algorithm {}, but this spotcheck implements {}",
            excerpt(&record.algorithm),
            sample::ALGORITHMS.map(|a| a.0).join(" and ")
        ));
    }
    for f in &record.inputs {
        match std::fs::read(dir.join(&f.path)) {
            Ok(b) if sha256_hex(&b) == f.sha256 => {}
            Ok(_) => problems.push(format!("{}: does not match the sha256 in {DRAW}", f.path)),
            Err(e) => problems.push(format!("{}: cannot be read: {e}", f.path)),
        }
    }
    let (_, recomputed) = commitment(&record.inputs);
    if recomputed != record.commitment {
        problems.push(format!(
            "{DRAW}: the listed inputs hash to commitment {recomputed}, not {}",
            record.commitment
        ));
    }
    if let Some(ws) = &ws {
        match ws.journal.entries.iter().rev().find(|e| e.event == "draw" || e.event == "redraw") {
            Some(e) if str_field(e, "seed") == record.seed => {}
            Some(e) => problems.push(format!(
                "{DRAW}: seed {} differs from the journaled seed {}",
                record.seed,
                str_field(e, "seed")
            )),
            None => problems.push(format!("{DRAW} exists but the journal records no draw")),
        }
    }
    // With the inputs intact the sample can still be re-derived and the
    // differences listed unit by unit; without them there is nothing to
    // re-derive from.
    let inputs_intact = recomputed == record.commitment
        && record
            .inputs
            .iter()
            .all(|f| std::fs::read(dir.join(&f.path)).is_ok_and(|b| sha256_hex(&b) == f.sha256));
    if !inputs_intact {
        return Err(Error::CheckFailed(problems.join("\n")));
    }

    // Everything the derivation reads must be covered by the commitment.
    let covered = |p: &str| record.inputs.iter().any(|f| f.path == p);
    for (what, p) in [("rules", &record.rules), ("frame", &record.frame)] {
        if !rules::is_plain_relative(p) || !covered(p) {
            return Err(Error::CheckFailed(format!(
                "{DRAW}: the {what} file `{p}` is not among the committed [[inputs]]"
            )));
        }
    }
    let rules = rules::load(&dir.join(&record.rules), &record.rules)?;
    let rules_dir = Path::new(&record.rules).parent().unwrap_or(Path::new(""));
    for list in rules.referenced_files() {
        let p = rules_dir.join(&list).to_string_lossy().replace('\\', "/");
        if !covered(&p) {
            return Err(Error::CheckFailed(format!(
                "{DRAW}: the list `{p}` the rules name is not among the committed [[inputs]]"
            )));
        }
    }
    let enc =
        record.frame_encoding.parse().map_err(|e: String| Error::CheckFailed(format!("{DRAW}: {e}")))?;
    let frame = frame::load(&dir.join(&record.frame), &record.frame, &rules.frame, enc)?;
    let seed_norm = normalize_seed(&record.seed, &rules.seed)
        .map_err(|e| Error::CheckFailed(format!("{DRAW}: seed: {e}")))?;
    if seed_norm != record.seed_normalized {
        problems.push(format!("{DRAW}: the seed normalises to {seed_norm}, not {}", record.seed_normalized));
    }
    let text_fields = text_fields.unwrap_or(sample::table::TextFields::Defused);
    let (derived_sample, derived) = sample::derive_as(&rules, &frame, &seed_norm, text_fields)?;
    if derived_sample.planned != record.planned {
        problems.push(format!("{DRAW}: the planned n per stratum differ from what the rules give"));
    }
    // The counts are part of the record people read first; a record that
    // misstates them must not pass as verified.
    let main = derived_sample.main().count();
    let counts = [
        ("villages", record.villages.to_string(), main.to_string()),
        ("reserves", record.reserves.to_string(), (derived_sample.rows.len() - main).to_string()),
        (
            "strata_per_stage",
            format!("{:?}", record.strata_per_stage),
            format!("{:?}", derived_sample.strata),
        ),
    ];
    for (field, theirs, ours) in counts {
        if theirs != ours {
            problems.push(format!("{DRAW}: {field} is {theirs}, but the draw gives {ours}"));
        }
    }
    // A missing or unreadable sample is a failed check (exit 1), like any
    // other difference from what the draw published.
    let published = match std::fs::read(dir.join(&record.sample)) {
        Ok(b) => b,
        Err(e) => {
            let known = format!("{}:", record.sample);
            if !problems.iter().any(|p| p.starts_with(&known)) {
                problems.push(format!("{known} the published sample cannot be read ({e})"));
            }
            return Err(Error::CheckFailed(problems.join("\n")));
        }
    };
    if sha256_hex(&published) != record.sample_sha256 {
        problems.push(format!("{}: does not match sample_sha256 in {DRAW}", record.sample));
    }
    problems.extend(
        sample::table::diff(&published, &derived).into_iter().map(|d| format!("{}: {d}", record.sample)),
    );
    problems.extend(verify_households(dir, &record, &rules, &frame, &derived_sample, &seed_norm));
    // Every further round of a sequential plan, from the same inputs and seed.
    let rounds = super::rounds::verify(dir, ws.as_ref(), &rules, &frame, &seed_norm)?;
    problems.extend(rounds.problems);
    if problems.is_empty() {
        Ok(Verified { record, in_workspace, rounds: rounds.rounds })
    } else {
        Err(Error::CheckFailed(problems.join("\n")))
    }
}

/// The household lists of a draw (SAMPLING.md §16): present exactly when
/// the rules have a household stage, hashed as `draw.toml` says, and equal
/// byte for byte to the lists re-derived from the seed.
fn verify_households(
    dir: &Path,
    record: &DrawRecord,
    rules: &rules::Rules,
    frame: &frame::Frame,
    sample: &sample::Sample,
    seed: &str,
) -> Vec<String> {
    let derived = sample::derive_households(rules, frame, sample, seed);
    let (path, sha, derived) = match (&record.households, &record.households_sha256, derived) {
        (None, None, None) => return Vec::new(),
        (Some(path), Some(sha), Some(derived)) => (path, sha, derived),
        (_, _, Some(_)) => {
            return vec![format!(
                "{DRAW}: the rules have a household stage, but the record names no `households` file and `households_sha256`"
            )];
        }
        (_, _, None) => {
            return vec![format!(
                "{DRAW}: names household lists, but the rules have no [households] stage to derive them"
            )];
        }
    };
    if !rules::is_plain_relative(path) {
        return vec![format!(
            "{DRAW}: `households` must be a path inside the folder, not `{}`",
            excerpt(path)
        )];
    }
    let published = match std::fs::read(dir.join(path)) {
        Ok(b) => b,
        Err(e) => return vec![format!("{path}: the published household lists cannot be read ({e})")],
    };
    let mut out = Vec::new();
    if &sha256_hex(&published) != sha {
        out.push(format!("{path}: does not match households_sha256 in {DRAW}"));
    }
    out.extend(sample::households::diff(&published, &derived).into_iter().map(|d| format!("{path}: {d}")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample_xlsx::Heading;
    use crate::sample::table::{Table, TextFields};

    /// `draw` makes sample.xlsx from the fields it writes to sample.csv;
    /// a round's workbook is made from the file. Both give the same bytes,
    /// in either language, cells with spaces around them included.
    #[test]
    fn the_workbook_from_the_fields_is_the_workbook_from_the_file() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let rules =
            crate::rules::load(&root.join("rules/cangzhou-2008-face-to-face.toml"), "rules.toml").unwrap();
        let bytes = std::fs::read(root.join("examples/cangzhou-2008/synthetic-frame.csv")).unwrap();
        let (frame, d) =
            crate::frame::from_bytes("frame.csv", &bytes, &rules.frame, crate::text::Encoding::Auto);
        assert!(!d.has_errors(), "{d}");
        let s = sample::select(&rules, &frame, "12345678901234567890").unwrap();
        let mut table = Table::new(&s, &frame, TextFields::Defused, None);
        // Cells the CSV quotes, and spaces that the file's reading trims.
        table.rows[0][1] = std::borrow::Cow::Borrowed(" 东,\"关\"村\u{3000}");
        table.rows[1][3] = std::borrow::Cow::Borrowed("县\n二");
        let heading = Heading {
            campaign: "例".into(),
            seed: "12345678901234567890".into(),
            commitment: "ab".into(),
            document: "文".into(),
        };
        for lang in [crate::lang::Lang::Zh, crate::lang::Lang::En] {
            let from_fields = table_workbook(&table, "2008-06-01", &heading, lang).unwrap();
            let from_file = sample_workbook(&table.to_csv(), "2008-06-01", &heading, lang).unwrap();
            assert!(from_fields == from_file, "{lang:?}");
        }
    }
}
