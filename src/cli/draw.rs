//! `spotcheck draw`: draw the sample from the public seed.

use super::{At, CmdResult, Folder, note};
use crate::error::Error;
use crate::workspace::{DRAW, SAMPLE, draw};

/// Draw the sample from the seed rolled at the public ceremony.
///
/// Needs a commitment. Writes sample.csv (UTF-8 with BOM, opens in Excel)
/// and draw.toml (everything needed to re-derive it). A second draw is
/// refused unless --redraw and --reason are given; both seeds are journaled.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 draw --seed \"3917 0245 8812 6603 1954\"\n  spotcheck -C camp-2009 draw --redraw --reason \"frame error found in 青县\" \\\n      --seed \"5521 0987 3346 1208 7765\""
)]
pub struct Args {
    #[command(flatten)]
    pub at: At,
    /// The seed rolled in public (spaces are ignored).
    #[arg(long)]
    pub seed: String,
    /// Replace an earlier draw (journaled, with --reason).
    #[arg(long, requires = "reason")]
    pub redraw: bool,
    /// Why the earlier draw is replaced.
    #[arg(long, requires = "redraw")]
    pub reason: Option<String>,
}

pub fn run(f: &Folder, a: &Args, lang: crate::lang::Lang) -> CmdResult {
    // The frame and its snapshot, the campaign's largest files, are
    // checked while the sample is drawn; a changed one stops the draw
    // before anything is written, and comes before any other error.
    let mut ws = f.write_deferred()?;
    let reason = if a.redraw { a.reason.as_deref() } else { None };
    if a.redraw && reason.is_none() {
        ws.settle()?;
        return Err(Error::Usage("--redraw needs --reason".into()));
    }
    let drawn = draw::draw_in(&mut ws, &a.seed, reason, lang);
    ws.settle()?;
    let o = drawn?;
    let r = &o.record;
    if o.already {
        note(&format!(
            "the sample was already drawn with this seed on {} ({} villages, +{} reserves, {}); nothing to do",
            crate::time::show(&r.drawn_at, ws.offset),
            r.villages,
            r.reserves,
            ws.path(SAMPLE).display()
        ));
        return Ok(0);
    }
    if let Some(old) = &o.superseded {
        note(&format!(
            "the earlier draw (seed {}) is kept in {old}",
            r.redraw.as_ref().map_or("", |x| x.previous_seed.as_str())
        ));
    }
    note(&format!(
        "drew {} villages (+{} reserves) in {} strata with seed {}; wrote {}{} and {}",
        r.villages,
        r.reserves,
        r.strata_per_stage.last().copied().unwrap_or(0),
        r.seed_normalized,
        ws.path(SAMPLE).display(),
        r.households
            .as_ref()
            .map_or(String::new(), |h| format!(", {} (the household lists)", ws.path(h).display())),
        ws.path(DRAW).display()
    ));
    Ok(0)
}
