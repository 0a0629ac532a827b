//! `spotcheck verify`: re-derive the sample and compare.

use serde_json::{Value, json};

use super::output::{self, Format, FormatArg};
use super::{At, CmdResult, Folder, Found, note, out};
use crate::error::Error;
use crate::workspace::draw;
use crate::workspace::lock::Mode;

/// Re-derive the sample from the published files and the seed, and compare
/// it unit by unit with sample.csv; then every further round of a
/// sequential plan (round-2.csv, …) from its round record.
///
/// Works in a campaign folder and in a bare folder holding only the
/// published rules, frame, draw.toml and sample.csv (and round-N.toml with
/// round-N.csv). In a campaign folder it also re-applies the plan's
/// decision rule to each round before a further one. Exit 0 if identical,
/// 1 with the list of differences otherwise.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  spotcheck -C camp-2009 verify\n  spotcheck -C published-files verify")]
pub struct Args {
    #[command(flatten)]
    pub at: At,
    #[command(flatten)]
    pub format: FormatArg,
}

/// The columns of `verify --format csv`, and the keys of its JSON.
const KEYS: [&str; 9] = [
    "verified",
    "sample",
    "villages",
    "reserves",
    "seed",
    "seed_normalized",
    "commitment",
    "in_campaign",
    "problems",
];

pub fn run(f: &Folder, a: &Args) -> CmdResult {
    if f.found == Found::Nowhere {
        return Err(Error::Usage(
            "nothing to verify: neither this folder nor any above it holds journal.jsonl (a campaign) or draw.toml (published files); name the folder with -C DIR".into(),
        ));
    }
    // A campaign whose journal records no draw has nothing to verify yet
    // (a draw record deleted after a draw is a problem verify reports).
    let journal = std::fs::read_to_string(f.dir.join(crate::workspace::JOURNAL)).unwrap_or_default();
    let drawn = ["\"event\":\"draw\"", "\"event\":\"redraw\""].iter().any(|e| journal.contains(e));
    if !journal.is_empty() && !drawn && !f.dir.join(crate::workspace::DRAW).exists() {
        return Err(Error::Usage(format!(
            "no sample yet in {}: run `spotcheck draw --seed …` (after `spotcheck commit`), then verify",
            f.dir.display()
        )));
    }
    let result = f.with_access(Mode::Shared, |access| draw::verify(&f.dir, access));
    let format = a.format.format;
    let doc = match &result {
        Ok(v) => {
            let r = &v.record;
            json!({
                "verified": true,
                "sample": r.sample,
                "villages": r.villages,
                "reserves": r.reserves,
                "seed": r.seed,
                "seed_normalized": r.seed_normalized,
                "commitment": r.commitment,
                "in_campaign": v.in_workspace,
                "problems": Vec::<String>::new(),
            })
        }
        // A mismatch is data too: the list of differences.
        Err(Error::CheckFailed(m)) => json!({
            "verified": false,
            "sample": Value::Null, "villages": Value::Null, "reserves": Value::Null,
            "seed": Value::Null, "seed_normalized": Value::Null, "commitment": Value::Null,
            "in_campaign": f.dir.join(crate::workspace::JOURNAL).exists(),
            "problems": m.lines().collect::<Vec<_>>(),
        }),
        Err(_) => Value::Null,
    };
    match format {
        Format::Table => {}
        Format::Csv if !doc.is_null() => out(&output::csv(&KEYS, std::slice::from_ref(&doc))),
        Format::Json if !doc.is_null() => out(&output::json(&doc)),
        _ => {}
    }
    let v = result?;
    let r = &v.record;
    note(&format!(
        "verified: {}{} re-derives identically ({} villages, {} reserves) from seed {} and commitment {}{}",
        r.sample,
        r.households.as_ref().map_or(String::new(), |h| format!(" with the household lists of {h}")),
        r.villages,
        r.reserves,
        r.seed_normalized,
        r.commitment,
        if v.in_workspace { "; the journal and frozen files are intact" } else { "" }
    ));
    for (round, villages, new) in &v.rounds {
        note(&format!(
            "verified: round {round} ({}) re-derives identically: {villages} villages, {new} of them new{}",
            crate::workspace::rounds::sample_name(*round),
            if v.in_workspace {
                "; the decision rule applied to the round before gives the recorded decisions"
            } else {
                ""
            }
        ));
    }
    Ok(0)
}
