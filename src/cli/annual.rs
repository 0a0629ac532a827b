//! `spotcheck annual`: the year-end assessment table and its reports.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::json;

use super::output::{self, Format, FormatArg};
use super::table::{Align, Table};
use super::{CmdResult, Folder, note, out, say};
use crate::annual::compute::{self, Input};
use crate::annual::inputs::{self, Scores};
use crate::annual::rules::{self, Source};
use crate::error::{Diags, Error, Result, excerpt};
use crate::findings::table;
use crate::lang::{self, Lang};
use crate::report::annual as report;
use crate::report::points;
use crate::report::words::{self, AnnualNames};
use crate::rules::names::Names;
use crate::score::card::Card;
use crate::text::Encoding;
use crate::workspace::step::Step;
use crate::workspace::{JOURNAL, Workspace, atomic, score};

/// Combine campaign scorecards and other departments' scores into the
/// year-end table (年终考核): component points, bonuses and deductions,
/// totals, vetoes, grades and ranks within groups.
///
/// Writes annual.csv, annual.md, annual.html (self-contained, printable)
/// and annual.xlsx into --out. --explain follows one county's total down to
/// the indicators and the sampled villages behind them.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck annual --rules rules/cangzhou-2009-annual.toml \\\n    --campaign face-to-face=camp-2009 \\\n    --input routine=examples/cangzhou-2008/routine-2009.csv \\\n    --input bonus=examples/cangzhou-2008/bonus-2009.csv --out annual-2009\n  spotcheck annual --check --out annual-2009"
)]
pub struct Args {
    /// The annual rules (TOML).
    #[arg(long, value_name = "FILE", required_unless_present = "check")]
    pub rules: Option<PathBuf>,
    /// A campaign folder feeding a component: NAME=DIR.
    #[arg(long, value_name = "NAME=DIR")]
    pub campaign: Vec<String>,
    /// A CSV of county code and score: NAME=FILE.
    #[arg(long, value_name = "NAME=FILE")]
    pub input: Vec<String>,
    /// Folder for the reports.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The date the assessment is issued, shown in the report's title
    /// block (YYYY-MM-DD); default: the rules' `issued`, else the day the
    /// newest data were recorded.
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Replace existing reports in --out.
    #[arg(long)]
    pub force: bool,
    /// Print the trail behind one county's total.
    #[arg(long, value_name = "COUNTY")]
    pub explain: Option<String>,
    /// Grade counties even though a campaign's findings are incomplete
    /// (provisional); every output is then marked 临时结果.
    #[arg(long)]
    pub allow_provisional: bool,
    /// Re-check a published result: read --out's annual-inputs.json,
    /// confirm that the rules, input files and campaign journals are as
    /// recorded, recompute, and compare every report byte for byte.
    #[arg(long, conflicts_with_all = ["rules", "campaign", "input", "explain", "force"])]
    pub check: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

/// The record of what an annual run read, written beside its reports.
pub const MANIFEST: &str = "annual-inputs.json";

/// What an annual run reads.
struct Spec {
    rules: PathBuf,
    campaigns: Vec<(String, PathBuf)>,
    inputs: Vec<(String, PathBuf)>,
    lang: Lang,
    allow_provisional: bool,
    date: Option<String>,
}

/// A campaign as the run read it: where its journal stood.
struct CampaignRead {
    name: String,
    dir: PathBuf,
    head: String,
    entries: usize,
    confidence: f64,
    /// The campaign's display names and clock.
    names: Names,
    /// When its newest findings or scores were recorded (the journal's
    /// newest `findings`, `substitute` or `score` entry).
    as_of: String,
}

/// Everything an annual run computes.
struct Computed {
    rules: rules::AnnualRules,
    warnings: Diags,
    rows: Vec<compute::Row>,
    inputs: BTreeMap<String, Input>,
    campaigns: Vec<CampaignRead>,
    /// Provisional counties: campaign, code, name, villages without findings.
    /// Campaign, county code and name, why its card is provisional, and
    /// whether a sequential plan checks it again.
    provisional: Vec<(String, String, String, String, bool)>,
    files: Vec<(&'static str, Vec<u8>)>,
}

/// The campaign folder that `out` lies in (the nearest one above it that
/// holds a journal), with `out`'s path inside it.
fn campaign_of(out: &Path) -> Option<(PathBuf, String)> {
    let abs = std::path::absolute(out).ok()?;
    let mut clean = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                clean.pop();
            }
            std::path::Component::CurDir => {}
            c => clean.push(c),
        }
    }
    let mut inside: Vec<String> = Vec::new();
    let mut cur = clean.as_path();
    loop {
        if cur.join(JOURNAL).is_file() {
            inside.reverse();
            return Some((cur.to_path_buf(), inside.join("/")));
        }
        inside.push(cur.file_name()?.to_string_lossy().to_string());
        cur = cur.parent()?;
    }
}

/// A file's path inside the campaign, for reports at `rel`.
fn outputs_path(rel: &str, name: &str) -> String {
    if rel.is_empty() { name.to_string() } else { format!("{rel}/{name}") }
}

/// A campaign held open for writing (the one --out lies in), which the run
/// reads through its lock rather than opening it again.
struct Held<'a> {
    dir: PathBuf,
    ws: &'a Workspace,
}

fn pair(s: &str) -> Result<(String, PathBuf)> {
    s.split_once('=')
        .map(|(n, p)| (n.trim().to_string(), PathBuf::from(p.trim())))
        .filter(|(n, _)| !n.is_empty())
        .ok_or_else(|| Error::Usage(format!("`{s}`: expected NAME=PATH")))
}

/// Reads the score file of source `name`: the rows read and every problem,
/// or the problems that stopped the reading (the file, its columns).
fn csv_scores(path: &Path, name: &str, rules: &rules::AnnualRules) -> Result<Result<(Scores, Diags), Diags>> {
    let bytes = crate::workspace::read_input(path)?;
    let shown = path.display().to_string();
    Ok(table::read(&shown, &bytes, Encoding::Auto, None).and_then(|s| inputs::parse_all(&s, name, rules)))
}

fn compute_all(spec: &Spec, f: &Folder, held: Option<&Held>) -> Result<Computed> {
    let lang = spec.lang;
    let (rules, warnings) = rules::load(&spec.rules, &spec.rules.display().to_string())?;
    let mut inputs: BTreeMap<String, Input> = BTreeMap::new();
    let mut counties: Vec<(String, String)> = Vec::new();
    let mut all_cards: Vec<Card> = Vec::new();
    let mut campaigns = Vec::new();
    let mut provisional = Vec::new();
    for (name, dir) in &spec.campaigns {
        let name = name.clone();
        let opened;
        let ws = match held {
            Some(h) if dir.canonicalize().ok().as_ref() == Some(&h.dir) => h.ws,
            _ => {
                opened = f.at(dir).read()?;
                &opened
            }
        };
        let crules = ws.load_rules()?;
        if crules.scoring.indicators.is_empty() {
            return Err(Error::Usage(format!(
                "campaign `{name}` ({}) has no [[indicator]]: nothing to carry into the annual total",
                dir.display()
            )));
        }
        // Score at the confidence the campaign's own scorecards were made
        // with (a sequential plan fixes it round by round).
        let level = ws
            .journal
            .last("score")
            .and_then(|e| e.data.get("confidence"))
            .and_then(|v| v.as_f64())
            .unwrap_or(score::DEFAULT_LEVEL);
        let known = crate::rules::scoring::measure_names(&crules);
        for (v, _) in &rules.vetoes {
            if let crate::annual::rules::VetoRule::MeasureAbove { campaign, measure, .. } = v
                && *campaign == name
                && !known.iter().any(|k| k == measure)
            {
                return Err(Error::Usage(format!(
                    "{}: a veto reads `{measure}`, which is not a measure of campaign `{name}`{}",
                    rules.file,
                    crate::error::did_you_mean(measure, known.iter().map(|k| k.as_str()))
                )));
            }
        }
        let asked = if crules.sequential.is_some() { None } else { Some(level) };
        let (_, _, cards) = score::campaign_cards(ws, asked, spec.lang)?;
        for c in cards.iter().filter(|c| c.provisional) {
            let why = match &c.pending {
                Some(p) => p.clone(),
                None => format!("{} sampled village(s) without findings", c.measures.missing_findings.len()),
            };
            provisional.push((name.clone(), c.code.clone(), c.name.clone(), why, c.pending.is_some()));
        }
        let as_of = ws
            .journal
            .entries
            .iter()
            .rev()
            .find(|e| ["findings", "substitute", "score", "draw", "redraw"].contains(&e.event.as_str()))
            .map_or_else(String::new, |e| e.at.clone());
        campaigns.push(CampaignRead {
            name: name.clone(),
            dir: dir.clone(),
            head: ws.journal.head.clone(),
            entries: ws.journal.entries.len(),
            confidence: level,
            names: Names::new(&crules),
            as_of,
        });
        if counties.is_empty() {
            counties = cards.iter().map(|c| (c.code.clone(), c.name.clone())).collect();
            all_cards = cards.clone();
        }
        inputs.insert(name, Input::Campaign(cards));
    }
    let mut diags = Diags::default();
    let mut files: Vec<Scores> = Vec::new();
    for (name, path) in &spec.inputs {
        match csv_scores(path, name, &rules)? {
            Ok((scores, d)) => {
                if !d.has_errors() {
                    inputs.insert(name.clone(), Input::Csv(scores.values.clone()));
                }
                diags.extend(d);
                files.push(scores);
            }
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() && !counties.is_empty() {
        // The counties are the campaigns': unknown codes are said with the
        // other problems, all at once.
        let known: HashSet<&str> = counties.iter().map(|c| c.0.as_str()).collect();
        for f in &files {
            diags.extend(inputs::unknown_codes(f, &known));
        }
    }
    diags.into_result()?;
    for c in &rules.components {
        let (Source::Campaign(n) | Source::Csv(n)) = &c.source;
        if !inputs.contains_key(n) {
            return Err(Error::Usage(format!(
                "component `{}` reads `{n}`, which was not given (--campaign {n}=DIR or --input {n}=FILE)",
                c.id
            )));
        }
    }
    for it in rules.bonuses.iter().chain(&rules.deductions) {
        if !inputs.contains_key(&it.source) {
            return Err(Error::Usage(format!(
                "item `{}` reads `{}`, which was not given (--input {}=FILE)",
                it.id, it.source, it.source
            )));
        }
    }
    if counties.is_empty() {
        // Without a campaign, the counties are those of the components' CSVs.
        let mut v: Vec<(String, String)> = Vec::new();
        for c in &rules.components {
            if let Source::Csv(n) = &c.source
                && let Some(Input::Csv(m)) = inputs.get(n)
            {
                v.extend(m.keys().map(|k| (k.clone(), k.clone())));
            }
        }
        v.sort();
        v.dedup();
        counties = v;
    }
    if counties.is_empty() {
        return Err(Error::Usage("the components' sources list no county: nothing to assess".into()));
    }
    // Every code of every score file, and of every ranking group, must be
    // a county assessed: an unknown one is a typo or another year's file.
    let known: HashSet<&str> = counties.iter().map(|c| c.0.as_str()).collect();
    let mut diags = Diags::default();
    for f in &files {
        diags.extend(inputs::unknown_codes(f, &known));
    }
    for g in &rules.groups {
        for c in g.counties.iter().filter(|c| !known.contains(c.as_str())) {
            diags.push(crate::Diag::error(
                &rules.file,
                None,
                format!(
                    "group `{}` lists county {}, which is not among the counties assessed",
                    g.name,
                    excerpt(c)
                ),
            ));
        }
    }
    diags.into_result()?;
    let rows = compute::compute(&rules, &inputs, &counties)?;
    let names: Vec<(String, Names, f64)> =
        campaigns.iter().map(|c| (c.name.clone(), c.names.clone(), c.confidence)).collect();
    let doc = document(&rules, &campaigns, spec)?;
    let ctx =
        report::Context { rules: &rules, names: AnnualNames { rules: &rules, campaigns: &names }, doc, lang };
    let xlsx = report::xlsx(&ctx, &rows, &all_cards)
        .map_err(|e| Error::CheckFailed(format!("cannot write the workbook: {e}")))?;
    let files = vec![
        ("annual.csv", report::csv(&ctx, &rows)),
        ("annual.md", report::markdown(&ctx, &rows, &all_cards)),
        ("annual.html", report::html(&ctx, &rows, &all_cards)),
        ("annual.xlsx", xlsx),
    ];
    Ok(Computed { rules, warnings, rows, inputs, campaigns, provisional, files })
}

/// The title block: who issues the assessment, its number and date, the
/// campaigns it reads and when their data were last recorded.
fn document(rules: &rules::AnnualRules, campaigns: &[CampaignRead], spec: &Spec) -> Result<report::Document> {
    let offset = rules.utc_offset;
    let newest = campaigns
        .iter()
        .filter_map(|c| crate::time::parse(&c.as_of).map(|t| (t, c.as_of.clone())))
        .max_by_key(|(t, _)| *t)
        .map(|(_, at)| at);
    let date = match (&spec.date, &rules.issued) {
        (Some(d), _) => Some(
            crate::time::parse_day(d)
                .ok_or_else(|| Error::Usage(format!("--date `{d}`: expected a date like 2010-01-15")))?,
        ),
        (None, Some(d)) => crate::time::parse_day(d),
        (None, None) => newest.as_deref().and_then(|at| crate::time::day(at, offset)),
    };
    Ok(report::Document {
        date,
        as_of: newest.map(|at| crate::time::show(&at, offset)),
        campaigns: campaigns.iter().map(|c| c.names.campaign.clone()).collect(),
    })
}

fn spec_of(a: &Args, lang: Lang) -> Result<Spec> {
    Ok(Spec {
        rules: a.rules.clone().ok_or_else(|| Error::Usage("--rules is required".into()))?,
        campaigns: a.campaign.iter().map(|c| pair(c)).collect::<Result<_>>()?,
        inputs: a.input.iter().map(|c| pair(c)).collect::<Result<_>>()?,
        lang,
        allow_provisional: a.allow_provisional,
        date: a.date.clone(),
    })
}

pub fn run(f: &Folder, a: &Args, lang: Lang) -> CmdResult {
    if a.check {
        return check(f, &a.out);
    }
    let spec = spec_of(a, lang)?;
    // Reports written into a campaign folder are a step of that campaign:
    // its lock is taken (and an interrupted step recovered) before anything
    // is read, and the campaign itself, if it is one of the inputs, is read
    // under that lock.
    let target = if a.explain.is_none() { campaign_of(&a.out) } else { None };
    let mut target_ws = match &target {
        Some((camp, _)) => Some(f.at(camp).write()?),
        None => None,
    };
    let held = match (&target, &target_ws) {
        (Some((camp, _)), Some(ws)) => camp.canonicalize().ok().map(|dir| Held { dir, ws }),
        _ => None,
    };
    let Computed { rules, warnings, rows, inputs, campaigns, provisional, files } =
        compute_all(&spec, f, held.as_ref())?;
    drop(held);
    super::print_warnings(&warnings);
    let names: Vec<(String, Names, f64)> =
        campaigns.iter().map(|c| (c.name.clone(), c.names.clone(), c.confidence)).collect();
    let an = AnnualNames { rules: &rules, campaigns: &names };
    if !provisional.is_empty() && !spec.allow_provisional && a.explain.is_none() {
        let list: Vec<String> = provisional
            .iter()
            .map(|(c, code, name, why, _)| format!("  {c}: {code} {name}, {why}"))
            .collect();
        if provisional.iter().any(|p| p.4) {
            say(&format!(
                "the campaign results are provisional (临时结果): findings are missing, or a sequential plan checks a county again, for\n{}\nnothing was written. Import the missing findings (or substitute unreachable villages), run `spotcheck escalate` where the plan says so, and score again; or pass --allow-provisional to grade anyway with every output marked provisional.",
                list.join("\n")
            ));
        } else {
            say(&format!(
                "the campaign results are provisional (临时结果): findings are missing for\n{}\nnothing was written. Import the missing findings (or substitute unreachable villages) and score again, or pass --allow-provisional to grade anyway with every output marked provisional.",
                list.join("\n")
            ));
        }
        return Ok(super::score::PROVISIONAL_EXIT);
    }

    if let Some(who) = &a.explain {
        let r = &rows[super::find_county(who, rows.iter().map(|r| (r.code.as_str(), r.name.as_str())))?];
        match a.format.format {
            Format::Table => out(&explain_text(&rules, &an, &inputs, r, lang)),
            Format::Csv => out(&output::csv(&ROW_KEYS, &[row_json(&rules, &an, r, lang)])),
            Format::Json => out(&output::json(&row_json(&rules, &an, r, lang))),
        }
        return Ok(0);
    }

    let manifest = manifest(&spec, &campaigns, &files)?;
    let all: Vec<(&str, Vec<u8>)> =
        files.iter().map(|(n, b)| (*n, b.clone())).chain([(MANIFEST, manifest.into_bytes())]).collect();
    let refuse = |name: &str| {
        Err(Error::Usage(format!(
            "{} exists; use --force to replace the reports",
            a.out.join(name).display()
        )))
    };
    match (target, target_ws.as_mut()) {
        // Inside a campaign folder the reports are a journaled step.
        (Some((_, rel)), Some(ws)) => {
            // The same reports there already: the run was done (its
            // manifest differs only in the journal head it records, which
            // that run's own step moved on).
            let there = |name: &str| std::fs::read(ws.path(&outputs_path(&rel, name))).ok();
            let same = files.iter().all(|(n, b)| there(n).as_ref() == Some(b)) && there(MANIFEST).is_some();
            let mut step = Step::new();
            let mut outputs = Vec::new();
            for (name, bytes) in all {
                if !same && !a.force && there(name).is_some_and(|t| t != bytes) {
                    return refuse(name);
                }
                outputs.push(step.write(outputs_path(&rel, name), bytes));
            }
            if same {
                note(&format!("the reports in {} are already these; nothing to write", a.out.display()));
                return Ok(0);
            }
            let names: Vec<&str> = spec.campaigns.iter().map(|c| c.0.as_str()).collect();
            let rules_name = spec.rules.file_name().map(|n| n.to_string_lossy().to_string());
            ws.apply(
                step,
                "annual",
                serde_json::json!({ "rules": rules_name, "campaigns": names, "outputs": outputs }),
            )?;
        }
        _ => {
            if !a.force {
                for (name, _) in &all {
                    if a.out.join(name).exists() {
                        return refuse(name);
                    }
                }
            }
            atomic::create_dir_all(&a.out)?;
            for (name, bytes) in &all {
                atomic::write(&a.out.join(name), bytes)?;
            }
        }
    }
    match a.format.format {
        Format::Table => out(&terminal_table(&rules, &an, &rows, lang)),
        Format::Csv => {
            let rows: Vec<_> =
                report::ordered(&rules, &rows).into_iter().map(|r| row_json(&rules, &an, r, lang)).collect();
            out(&output::csv(&ROW_KEYS, &rows));
        }
        Format::Json => {
            let list: Vec<_> =
                report::ordered(&rules, &rows).into_iter().map(|r| row_json(&rules, &an, r, lang)).collect();
            out(&output::json(&json!({
                "provisional": rows.iter().any(|r| r.provisional),
                "counties": list,
            })));
        }
    }
    note(&format!(
        "wrote annual.csv, annual.md, annual.html and annual.xlsx in {}; open {} in a browser",
        a.out.display(),
        a.out.join("annual.html").display()
    ));
    Ok(0)
}

/// The columns of `annual --format csv`.
const ROW_KEYS: [&str; 8] = ["group", "rank", "code", "name", "total", "grade", "provisional", "vetoes"];

/// A county's annual row as JSON: its total, grade and rank, and the parts
/// of the total.
fn row_json(
    rules: &rules::AnnualRules,
    an: &AnnualNames<'_>,
    r: &compute::Row,
    lang: Lang,
) -> serde_json::Value {
    let round = |x: f64| (x * 100.0).round() / 100.0 + 0.0;
    json!({
        "group": report::group_name(rules, r, lang),
        "rank": r.rank,
        "code": r.code,
        "name": r.name,
        "total": round(r.total),
        "grade": if lang == Lang::En { &r.grade_en } else { &r.grade },
        "provisional": r.provisional,
        "vetoes": an.vetoes_full(&r.vetoes, lang),
        "components": r.parts.iter().map(|p| {
            let name = rules
                .components
                .iter()
                .find(|c| c.id == p.id)
                .map_or(p.name.clone(), |c| report::component_name(c, lang));
            json!({"id": p.id, "name": name, "raw": round(p.raw), "out_of": p.out_of,
                "weight": p.weight, "points": round(p.points)})
        }).collect::<Vec<_>>(),
        "items": r.items.iter().map(|(id, name, v)| {
            let item = rules.bonuses.iter().chain(&rules.deductions).find(|i| &i.id == id);
            json!({"id": id, "name": item.map_or(name.clone(), |i| report::item_name(i, lang)), "points": round(*v)})
        }).collect::<Vec<_>>(),
    })
}

/// The annual table for the terminal: by group, then rank, naming the group.
fn terminal_table(
    rules: &rules::AnnualRules,
    an: &AnnualNames<'_>,
    rows: &[compute::Row],
    lang: Lang,
) -> String {
    let mut t = Table::new(&[
        (lang.t("分组", "group"), Align::Left),
        (lang.t("名次", "rank"), Align::Right),
        (lang.t("县代码", "code"), Align::Left),
        (lang.t("县", "county"), Align::Left),
        (lang.t("总分", "total"), Align::Right),
        (lang.t("等级", "grade"), Align::Left),
        (lang.t("一票否决", "veto"), Align::Left),
    ]);
    for r in report::ordered(rules, rows) {
        t.row(vec![
            report::group_name(rules, r, lang),
            r.rank.to_string(),
            r.code.clone(),
            r.name.clone(),
            points(r.total),
            if lang == Lang::En { r.grade_en.clone() } else { r.grade.clone() },
            an.vetoes_short(&r.vetoes, lang),
        ]);
    }
    t.render()
}

/// `annual --explain`: one county's total down to the indicators and the
/// sampled villages behind them.
fn explain_text(
    rules: &rules::AnnualRules,
    an: &AnnualNames<'_>,
    inputs: &BTreeMap<String, Input>,
    r: &compute::Row,
    lang: Lang,
) -> String {
    let colon = lang.t("：", ": ");
    let mut s = format!(
        "{} {} — {}{colon}{} ({}), {} {} {}\n",
        r.code,
        r.name,
        report::title(rules, lang),
        points(r.total),
        if lang == Lang::En { &r.grade_en } else { &r.grade },
        lang.t("名次", "rank"),
        r.rank,
        {
            let g = report::group_name(rules, r, lang);
            if g.is_empty() { lang.t("（全市）", "(all)").to_string() } else { format!("({g})") }
        }
    );
    for p in &r.parts {
        let comp = rules.components.iter().find(|c| c.id == p.id);
        let name = comp.map_or(p.name.clone(), |c| report::component_name(c, lang));
        s.push_str(&match lang {
            Lang::Zh => format!(
                "  {name}：{} / {} → {} / {}分\n",
                points(p.raw),
                points(p.out_of),
                points(p.points),
                lang::number(p.weight)
            ),
            Lang::En => format!(
                "  {name}: {} of {} → {} of {} points\n",
                points(p.raw),
                points(p.out_of),
                points(p.points),
                lang::number(p.weight)
            ),
        });
        let campaign = comp.and_then(|c| match &c.source {
            Source::Campaign(n) => inputs.get(n).map(|i| (n, i)),
            Source::Csv(_) => None,
        });
        if let Some((source, Input::Campaign(cards))) = campaign
            && let Some(card) = cards.iter().find(|c| c.code == r.code)
            && let Some((_, names, level)) = an.campaigns.iter().find(|c| &c.0 == source)
        {
            for ind in &card.results {
                s.push_str(&format!(
                    "    {}（{}）{colon}{} / {}\n",
                    names.indicator(&ind.id, lang),
                    names.activity(&ind.id, lang),
                    points(ind.total()),
                    points(ind.max)
                ));
                for l in &ind.lines {
                    s.push_str(&format!(
                        "      {:>8}  {}\n",
                        lang::delta(l.delta, lang).unwrap_or_default(),
                        words::step(&l.step, names, lang, Some(*level))
                    ));
                }
                for (field, est) in &card.measures.fields {
                    if ind.used.iter().any(|(k, _)| k.starts_with(&format!("{field}_"))) {
                        s.push_str(&match lang {
                            Lang::Zh => format!(
                                "      {}：上报{:.0}，核实估计{:.0}（{}）；样本村（村代码、权数、上报、核实）：\n",
                                names.field(field, lang),
                                est.reported_total,
                                est.verified.value,
                                crate::report::interval(est.verified.lo, est.verified.hi, lang)
                            ),
                            Lang::En => format!(
                                "      {}: reported {:.0}, verified {:.0} ({}); villages (code, weight, reported, found):\n",
                                names.field(field, lang),
                                est.reported_total,
                                est.verified.value,
                                crate::report::interval(est.verified.lo, est.verified.hi, lang)
                            ),
                        });
                        for (code, w, rep, found) in &est.villages {
                            s.push_str(&format!(
                                "        {code} {w:.3} {} {found}\n",
                                rep.map_or(
                                    lang.t("（自查报告遗漏）", "(left out of the report)").to_string(),
                                    |r| r.to_string()
                                )
                            ));
                        }
                    }
                }
            }
        }
    }
    for (id, name, v) in &r.items {
        let item = rules.bonuses.iter().chain(&rules.deductions).find(|i| &i.id == id);
        let shown = item.map_or(name.clone(), |i| report::item_name(i, lang));
        s.push_str(&format!("  {shown}{colon}{}\n", lang::delta(*v, lang).unwrap_or_else(|| "0".into())));
    }
    for v in an.vetoes_full(&r.vetoes, lang) {
        s.push_str(&format!("  {}{colon}{v}\n", lang.t("一票否决", "VETO")));
    }
    s
}

fn absolute(p: &Path) -> String {
    std::fs::canonicalize(p).map_or_else(|_| p.display().to_string(), |x| x.display().to_string())
}

fn file_sha(p: &Path) -> Result<String> {
    Ok(crate::hash::sha256_hex(&std::fs::read(p).map_err(|e| Error::io(p, e))?))
}

/// The record of a run's inputs and outputs (no time stamp, so that a
/// re-run writes the same bytes).
fn manifest(spec: &Spec, campaigns: &[CampaignRead], files: &[(&str, Vec<u8>)]) -> Result<String> {
    let inputs: Vec<serde_json::Value> = spec
        .inputs
        .iter()
        .map(|(n, p)| {
            Ok(serde_json::json!({
                "name": n, "path": p.display().to_string(), "absolute": absolute(p), "sha256": file_sha(p)?,
            }))
        })
        .collect::<Result<_>>()?;
    let v = serde_json::json!({
        "spotcheck_version": env!("CARGO_PKG_VERSION"),
        "rules": {
            "path": spec.rules.display().to_string(),
            "absolute": absolute(&spec.rules),
            "sha256": file_sha(&spec.rules)?,
        },
        "campaigns": campaigns.iter().map(|c| serde_json::json!({
            "name": c.name,
            "dir": c.dir.display().to_string(),
            "absolute": absolute(&c.dir),
            "journal_head": c.head,
            "journal_entries": c.entries,
            "confidence": c.confidence,
        })).collect::<Vec<_>>(),
        "inputs": inputs,
        "lang": spec.lang.code(),
        "allow_provisional": spec.allow_provisional,
        "date": spec.date,
        "outputs": files.iter().map(|(n, b)| serde_json::json!({
            "file": n, "sha256": crate::hash::sha256_hex(b),
        })).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&v).expect("the manifest serialises");
    s.push('\n');
    Ok(s)
}

/// `annual --check`: does the published result in `out` still follow from
/// the inputs it records?
fn check(f: &Folder, out: &Path) -> CmdResult {
    let mpath = out.join(MANIFEST);
    let text = std::fs::read_to_string(&mpath).map_err(|e| Error::io(&mpath, e))?;
    let m: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::CheckFailed(format!("{}: not a readable record of an annual run: {e}", mpath.display()))
    })?;
    let s =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string();
    // The path as recorded in full, else as given.
    let locate = |v: &serde_json::Value, given: &str| -> PathBuf {
        let abs = PathBuf::from(s(v, "absolute"));
        if abs.exists() { abs } else { PathBuf::from(s(v, given)) }
    };
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let rules_v = m.get("rules").cloned().unwrap_or_default();
    let rules_path = locate(&rules_v, "path");
    let hashed = |what: &str, path: &Path, want: String, problems: &mut Vec<String>| match file_sha(path) {
        Ok(h) if h == want => {}
        Ok(h) => {
            problems.push(format!("{what} {} has changed (sha256 {h}, recorded {want})", path.display()))
        }
        Err(e) => problems.push(format!("{what}: {e}")),
    };
    hashed("the annual rules", &rules_path, s(&rules_v, "sha256"), &mut problems);
    let mut inputs = Vec::new();
    for i in m.get("inputs").and_then(|v| v.as_array()).cloned().unwrap_or_default() {
        let p = locate(&i, "path");
        hashed(&format!("input `{}`", s(&i, "name")), &p, s(&i, "sha256"), &mut problems);
        inputs.push((s(&i, "name"), p));
    }
    let mut campaigns = Vec::new();
    for c in m.get("campaigns").and_then(|v| v.as_array()).cloned().unwrap_or_default() {
        let dir = locate(&c, "dir");
        let name = s(&c, "name");
        let entries = c.get("journal_entries").and_then(|v| v.as_u64()).unwrap_or(0) as usize;
        match f.at(&dir).read() {
            Err(e) => problems.push(format!("campaign `{name}` ({}): {e}", dir.display())),
            Ok(ws) => {
                let hashes = &ws.journal.line_hashes;
                if hashes.len() < entries || entries == 0 || hashes[entries - 1] != s(&c, "journal_head") {
                    problems.push(format!(
                        "campaign `{name}`: its journal no longer passes through the recorded head {} (entry {entries})",
                        s(&c, "journal_head")
                    ));
                } else if hashes.len() > entries {
                    let since: Vec<&str> =
                        ws.journal.entries[entries..].iter().map(|e| e.event.as_str()).collect();
                    notes.push(format!(
                        "campaign `{name}` has {} journal entries since: {}",
                        since.len(),
                        since.join(", ")
                    ));
                }
            }
        }
        campaigns.push((name, dir));
    }
    if !problems.is_empty() {
        say(&format!(
            "{}\nthe published result in {} no longer matches its inputs",
            problems.join("\n"),
            out.display()
        ));
        return Ok(1);
    }
    let spec = Spec {
        rules: rules_path,
        campaigns,
        inputs,
        lang: if s(&m, "lang") == "en" { Lang::En } else { Lang::Zh },
        allow_provisional: m.get("allow_provisional").and_then(|v| v.as_bool()).unwrap_or(false),
        date: m.get("date").and_then(|v| v.as_str()).map(str::to_string),
    };
    let computed = compute_all(&spec, f, None)?;
    let recorded: BTreeMap<String, String> = m
        .get("outputs")
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|o| (s(o, "file"), s(o, "sha256")))
        .collect();
    for (name, bytes) in &computed.files {
        let now = crate::hash::sha256_hex(bytes);
        match recorded.get(*name) {
            None => problems.push(format!("{name}: not recorded in {MANIFEST}")),
            Some(want) if *want != now => problems.push(format!(
                "{name}: recomputing from the inputs gives different content (sha256 {now}, recorded {want})"
            )),
            Some(want) => match file_sha(&out.join(name)) {
                Ok(h) if h == *want => {}
                Ok(h) => problems.push(format!(
                    "{name}: the file was changed after it was written (sha256 {h}, recorded {want})"
                )),
                Err(e) => problems.push(format!("{name}: {e}")),
            },
        }
    }
    for n in &notes {
        note(n);
    }
    if problems.is_empty() {
        note(&format!(
            "the published result in {} still matches its inputs: {} report(s) recomputed identically",
            out.display(),
            computed.files.len()
        ));
        Ok(0)
    } else {
        say(&format!(
            "{}\nthe published result in {} no longer matches its inputs",
            problems.join("\n"),
            out.display()
        ));
        Ok(1)
    }
}
