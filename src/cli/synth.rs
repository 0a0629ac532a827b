//! `spotcheck synth`: write a synthetic frame for examples and benchmarks.

use std::path::PathBuf;

use super::{CmdResult, note, parse_count};
use crate::frame::synth::{SynthPreset, SynthSpec, synth_frame};
use crate::workspace::atomic;

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Preset {
    /// The 18 county-level units of Cangzhou, about 5,700 villages.
    City,
    /// About 2,800 counties and 500,000 villages.
    National,
}

/// Write a realistic synthetic frame (the data are invented), deterministic
/// from --seed. Columns: 村代码,村名,县代码,县名,乡镇代码,乡镇名,人口,户数,育龄妇女.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck synth --preset city --out frame.csv\n  spotcheck synth --preset national --villages 20,000 --seed 7 \\\n      --out national.csv"
)]
pub struct Args {
    /// The kind of frame to invent.
    #[arg(long, value_enum, default_value = "city")]
    pub preset: Preset,
    /// Number of villages (default: 5,700 for city, 500,000 for national).
    #[arg(long, value_parser = parse_count, value_name = "COUNT")]
    pub villages: Option<u64>,
    /// The generator's seed: the same seed gives the same frame, byte for
    /// byte (2008 gives the example's frame).
    #[arg(long, default_value_t = 2008)]
    pub seed: u64,
    /// Output file; refused if it exists, unless --force.
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: &Args) -> CmdResult {
    let mut spec = match a.preset {
        Preset::City => SynthSpec::city(),
        Preset::National => SynthSpec::national(),
    };
    if let Some(n) = a.villages {
        spec.villages =
            usize::try_from(n).map_err(|_| crate::Error::Usage(format!("--villages {n} is too many")))?;
    }
    let kind = match spec.preset {
        SynthPreset::City => "city",
        SynthPreset::National => "national",
    };
    let bytes = synth_frame(&spec, a.seed);
    if a.force {
        atomic::write(&a.out, &bytes)?;
    } else {
        atomic::write_new(&a.out, &bytes)?;
    }
    note(&format!("wrote a synthetic {kind} frame of {} villages to {}", spec.villages, a.out.display()));
    Ok(0)
}
