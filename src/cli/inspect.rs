//! The inspection commands: `assign`, `forms`, `substitute`, `findings
//! import` and `status`.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use serde_json::json;

use super::output::{self, Format, FormatArg};
use super::table::{Align, Table};
use super::{At, CmdResult, Folder, note, out, say};
use crate::error::Error;
use crate::lang::Lang;
use crate::workspace::inspection;

/// Assign every sampled village to an inspection team.
///
/// Never to a team with a member from the village's county (回避); workloads
/// balanced by villages or households as the rules say; a county's villages
/// kept together where possible; ties broken by the draw's seed. Writes
/// assignment.csv.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 assign --teams examples/cangzhou-2008/teams.csv\n  spotcheck -C camp-2009 assign --teams examples/cangzhou-2008/teams.csv \\\n      --reassign --reason \"第三组人员调整\""
)]
pub struct AssignArgs {
    #[command(flatten)]
    pub at: At,
    /// Teams: columns 检查组 (team), 成员 (members), 籍贯县 (home counties).
    #[arg(long, value_name = "FILE")]
    pub teams: PathBuf,
    /// Replace an earlier assignment (journaled, with --reason).
    #[arg(long, requires = "reason")]
    pub reassign: bool,
    /// Why the earlier assignment is replaced (journaled).
    #[arg(long, requires = "reassign", value_name = "TEXT")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// Write one findings form per team, as .xlsx (validated input cells,
/// locked headers) and .csv, under forms/. Forms never show what the
/// county reported.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  spotcheck -C camp-2009 forms")]
pub struct FormsArgs {
    #[command(flatten)]
    pub at: At,
}

/// Replace a village that cannot be reached with the next reserve village
/// of its stratum. A commission decision: journaled with its reason.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 substitute 130921104204 --reason \"道路冲毁，无法到达\""
)]
pub struct SubstituteArgs {
    #[command(flatten)]
    pub at: At,
    /// The code of the sampled village that cannot be reached.
    #[arg(value_name = "VILLAGE")]
    pub village: String,
    /// Why it cannot be reached (journaled, and shown on the reissued form).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

/// Inspectors' findings.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 findings import \\\n      examples/cangzhou-2008/findings/*.csv"
)]
pub struct FindingsArgs {
    #[command(subcommand)]
    pub command: FindingsCommand,
}

impl FindingsArgs {
    pub fn at(&self) -> &At {
        let FindingsCommand::Import(a) = &self.command;
        &a.at
    }
}

#[derive(Subcommand, Debug)]
pub enum FindingsCommand {
    Import(ImportArgs),
}

/// Import filled-in findings forms (.xlsx, or CSV in UTF-8 or GB18030).
///
/// Each file is all or nothing: every problem is listed with file, sheet,
/// row and column, and a file with any problem leaves the campaign as it
/// was. A corrected file replaces an earlier one of the same name only with
/// --supersede --reason; the old one is kept.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 findings import \\\n      examples/cangzhou-2008/findings/检查表-第一组.csv\n  spotcheck -C camp-2009 findings import --supersede --reason \"改正第5行出生人数\" \\\n      examples/cangzhou-2008/corrected/检查表-第一组.csv"
)]
pub struct ImportArgs {
    #[command(flatten)]
    pub at: At,
    /// The teams' filled-in forms: .xlsx, or CSV in UTF-8 or GB18030.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Replace the same team's earlier file with this corrected one (the
    /// old one is kept under superseded/; needs --reason).
    #[arg(long, requires = "reason")]
    pub supersede: bool,
    /// Why the earlier file is replaced (journaled).
    #[arg(long, requires = "supersede", value_name = "TEXT")]
    pub reason: Option<String>,
}

/// Show, per county and per team, what has been sampled, assigned and
/// received, substitutions, and self-reports.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 status\n  spotcheck -C camp-2009 status --format csv"
)]
pub struct StatusArgs {
    #[command(flatten)]
    pub at: At,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn assign(f: &Folder, a: &AssignArgs, lang: Lang) -> CmdResult {
    let mut ws = f.write()?;
    let o = inspection::assign(&mut ws, &a.teams, a.reason.as_deref().filter(|_| a.reassign))?;
    // Asked again for the same assignment, the teams' loads are read back
    // from it (villages only: households need the frame).
    let mut loads = o.loads.clone();
    if o.already.is_some() {
        for r in &o.rows {
            match loads.iter_mut().find(|l| l.0 == r.team) {
                Some(l) => l.1 += 1,
                None => loads.push((r.team.clone(), 1, 0)),
            }
        }
        loads.sort_by(|x, y| crate::findings::teams::natural_cmp(&x.0, &y.0));
    }
    let households = o.households && o.already.is_none();
    let rows: Vec<serde_json::Value> = loads
        .iter()
        .map(|(team, villages, load)| {
            json!({"team": team, "villages": villages, "households": if households { json!(load) } else { json!(null) }})
        })
        .collect();
    match a.format.format {
        Format::Table => {
            let mut head =
                vec![(lang.t("检查组", "team"), Align::Left), (lang.t("村数", "villages"), Align::Right)];
            if households {
                head.push((lang.t("户数", "households"), Align::Right));
            }
            let mut t = Table::new(&head);
            for (team, villages, load) in &loads {
                let mut r = vec![team.clone(), villages.to_string()];
                if households {
                    r.push(load.to_string());
                }
                t.row(r);
            }
            out(&t.render());
        }
        Format::Csv => out(&output::csv(&["team", "villages", "households"], &rows)),
        Format::Json => out(&output::json(&json!({ "teams": rows }))),
    }
    if let Some(at) = &o.already {
        let at = crate::time::show(at, ws.offset);
        note(&format!(
            "these teams were already assigned with this teams file on {at}: {} villages in {}; nothing to do",
            o.rows.len(),
            ws.path(inspection::ASSIGNMENT).display()
        ));
        return Ok(0);
    }
    note(&format!(
        "assigned {} villages; wrote {}; next: spotcheck forms",
        o.rows.len(),
        ws.path(inspection::ASSIGNMENT).display()
    ));
    Ok(0)
}

pub fn forms(f: &Folder, _a: &FormsArgs) -> CmdResult {
    let mut ws = f.write()?;
    let written = inspection::write_forms(&mut ws)?;
    for w in &written {
        out(&format!("{}\n", ws.path(w).display()));
    }
    let xlsx = written.iter().filter(|w| w.ends_with(".xlsx")).count();
    let households = written.iter().any(|w| w.contains(crate::workspace::inspection::HOUSEHOLD_FORM));
    note(&format!(
        "wrote {xlsx} forms ({} per team)",
        if households {
            "an .xlsx with a household sheet per village, a .csv and a household .csv"
        } else {
            ".xlsx and .csv"
        }
    ));
    Ok(0)
}

pub fn substitute(f: &Folder, a: &SubstituteArgs) -> CmdResult {
    let mut ws = f.write()?;
    let s = inspection::substitute(&mut ws, &a.village, &a.reason)?;
    let (old, new) = (&s.village, &s.replacement);
    match &s.already {
        Some(at) => note(&format!(
            "village {old} was already replaced by reserve {new} on {}, for this reason; nothing to do",
            crate::time::show(at, ws.offset)
        )),
        None => note(&format!(
            "village {old} is replaced by reserve {new}; run `spotcheck forms` to reissue the team's form"
        )),
    }
    Ok(0)
}

pub fn findings(f: &Folder, a: &FindingsArgs) -> CmdResult {
    let FindingsCommand::Import(args) = &a.command;
    let mut ws = f.write()?;
    let files: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    let results =
        inspection::import_findings(&mut ws, &files, args.reason.as_deref().filter(|_| args.supersede))?;
    let mut failed = 0;
    for r in &results {
        if r.already {
            note(&format!("{}: already imported with the same content; nothing to do", r.file));
            continue;
        }
        match &r.accepted {
            Some((team, n)) => note(&format!(
                "{}: accepted, team {team}, {n} villages{}",
                r.file,
                r.households
                    .map_or(String::new(), |(v, h)| format!("; households in {v} villages ({h} visited)"))
            )),
            None => {
                failed += 1;
                say(r.problems.clone().sorted().to_string().trim_end());
                let n = r.problems.errors().count();
                let plural = if n == 1 { "" } else { "s" };
                say(&format!("{}: refused ({n} problem{plural}); nothing of it was imported", r.file));
            }
        }
    }
    if failed > 0 {
        return Err(Error::CheckFailed(format!("{failed} of {} file(s) refused", results.len())));
    }
    Ok(0)
}

pub fn status(f: &Folder, a: &StatusArgs, lang: Lang) -> CmdResult {
    let ws = f.read()?;
    let st = inspection::status(&ws)?;
    match a.format.format {
        Format::Table => out(&status_table(&st, lang)),
        Format::Csv => {
            // One table: a row per county, then a row per team.
            let mut rows: Vec<serde_json::Value> = st
                .counties
                .iter()
                .map(|(code, name, sampled, got, subs, rep)| {
                    json!({"kind": "county", "id": code, "name": name, "villages": sampled, "received": got,
                        "missing": sampled - got, "substitutions": subs, "report_rows": rep})
                })
                .collect();
            rows.extend(st.teams.iter().map(|(team, assigned, got)| {
                json!({"kind": "team", "id": team, "name": team, "villages": assigned, "received": got,
                    "missing": assigned - got})
            }));
            out(&output::csv(
                &["kind", "id", "name", "villages", "received", "missing", "substitutions", "report_rows"],
                &rows,
            ));
        }
        Format::Json => {
            let counties: Vec<_> = st
                .counties
                .iter()
                .map(|(code, name, sampled, got, subs, rep)| {
                    json!({"code": code, "name": name, "sampled": sampled, "received": got,
                        "missing": sampled - got, "substitutions": subs, "report_rows": rep})
                })
                .collect();
            let teams: Vec<_> = st
                .teams
                .iter()
                .map(|(team, assigned, got)| {
                    json!({"team": team, "assigned": assigned, "received": got, "missing": assigned - got})
                })
                .collect();
            out(&output::json(&json!({"counties": counties, "teams": teams})));
        }
    }
    Ok(0)
}

/// The county table and, once teams are assigned, the team table.
fn status_table(st: &inspection::Status, lang: Lang) -> String {
    let mut t = Table::new(&[
        (lang.t("县代码", "code"), Align::Left),
        (lang.t("县", "county"), Align::Left),
        (lang.t("抽中", "sampled"), Align::Right),
        (lang.t("已收到", "received"), Align::Right),
        (lang.t("缺少", "missing"), Align::Right),
        (lang.t("替换", "substitutions"), Align::Right),
        (lang.t("自查报告", "self-report"), Align::Right),
    ]);
    for (code, name, sampled, got, subs, rep) in &st.counties {
        let report = match (*rep, lang) {
            (0, _) => lang.t("缺", "missing").to_string(),
            (n, Lang::Zh) => format!("{n}行"),
            (n, Lang::En) => format!("{n} rows"),
        };
        t.row(vec![
            code.clone(),
            name.clone(),
            sampled.to_string(),
            got.to_string(),
            (sampled - got).to_string(),
            subs.to_string(),
            report,
        ]);
    }
    let mut s = t.render();
    if !st.teams.is_empty() {
        let mut t = Table::new(&[
            (lang.t("检查组", "team"), Align::Left),
            (lang.t("分配", "assigned"), Align::Right),
            (lang.t("已收到", "received"), Align::Right),
            (lang.t("缺少", "missing"), Align::Right),
        ]);
        for (team, assigned, got) in &st.teams {
            t.row(vec![team.clone(), assigned.to_string(), got.to_string(), (assigned - got).to_string()]);
        }
        s.push('\n');
        s.push_str(&t.render());
    }
    s
}
