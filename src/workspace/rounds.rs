//! Further rounds of a sequential plan in a campaign folder: applying the
//! published decision rule to the scored round, drawing the next round for
//! the counties it sends on (`round-<r>.csv`, `round-<r>.toml`), extending
//! the assignment and the forms to the same teams, and re-deriving every
//! round in `verify`. Every round is journaled (event `escalate`) with the
//! files it wrote, so `audit` finds any later edit.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::inspection::{self, ASSIGNMENT, AssignedRow, FORMS, Sampled};
use super::step::Step;
use super::{DRAW, Workspace, read, str_field};
use crate::error::{Error, Result, excerpt};
use crate::findings::forms::{self, Form, FormRow};
use crate::findings::import;
use crate::findings::table;
use crate::findings::teams;
use crate::frame::Frame;
use crate::frame::tree::{Level, Population};
use crate::hash::sha256_hex;
use crate::lang::Lang;
use crate::rules::Rules;
use crate::rules::names::Names;
use crate::rules::sequential::Sequential;
use crate::sample::design::Design;
use crate::sample::rounds::{ROUNDS_ALGORITHM, RoundSample};
use crate::sample::select::fisher_yates;
use crate::sample::stream::Stream;
use crate::sample::{excluded_codes, table as sample_table};
use crate::score::card::{self, Card};
use crate::score::measures::CountyInput;
use crate::score::sequential::{self as seq, Decision, Outcome};
use crate::text::Encoding;

/// The journal event of a decision after a round (and of the next round's
/// draw, when the decision sends counties on).
pub const EVENT: &str = "escalate";

/// `round-<r>.toml`, the record of round r ≥ 2.
pub fn record_name(r: u32) -> String {
    format!("round-{r}.toml")
}

/// `round-<r>.csv`, the sample of the escalated counties after round r.
pub fn sample_name(r: u32) -> String {
    format!("round-{r}.csv")
}

/// `round-<r>.toml`: what anyone needs, with `draw.toml` and its inputs, to
/// re-derive round r (SAMPLING.md §15).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundRecord {
    pub algorithm: String,
    pub spotcheck_version: String,
    pub round: u32,
    /// The draw record this round continues: its seed and inputs apply.
    pub draw: String,
    pub draw_sha256: String,
    /// The record of round r − 1, for r ≥ 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_sha256: Option<String>,
    /// The counties the decision after round r − 1 sent on, by key.
    pub counties: Vec<String>,
    pub sample: String,
    pub sample_sha256: String,
    /// Rows of the sample proper (no reserve rank), those that joined in
    /// this round, and reserves.
    pub villages: usize,
    pub new_villages: usize,
    pub reserves: usize,
    pub decided_at: String,
    /// The decision after round r − 1, county by county.
    #[serde(default, rename = "decision")]
    pub decisions: Vec<DecisionRecord>,
}

/// One county's decision, as the round record publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRecord {
    pub county: String,
    pub name: String,
    pub round: u32,
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

impl DecisionRecord {
    /// A decision as the round record publishes it, its reasons in `lang`.
    pub fn of(d: &Decision, rules: &Rules, names: &Names, lang: Lang) -> DecisionRecord {
        DecisionRecord {
            county: d.county.clone(),
            name: d.name.clone(),
            round: d.round,
            outcome: d.outcome.name().to_string(),
            reasons: crate::report::words::decision_reasons(d, rules, names, lang),
        }
    }
}

/// The further rounds drawn so far, in order: (round, county keys).
pub fn drawn(ws: &Workspace) -> Vec<(u32, Vec<String>)> {
    ws.journal
        .all(EVENT)
        .filter_map(|e| {
            let r = e.data.get("next_round")?.as_u64()? as u32;
            let counties = e
                .data
                .get("counties")?
                .as_array()?
                .iter()
                .filter_map(|c| c.as_str().map(String::from))
                .collect();
            Some((r, counties))
        })
        .collect()
}

/// The rounds whose decision is journaled.
pub fn decided(ws: &Workspace) -> Vec<u32> {
    ws.journal.all(EVENT).filter_map(|e| e.data.get("round")?.as_u64().map(|r| r as u32)).collect()
}

/// Each county's latest round (counties no further round reached: 1).
pub fn county_rounds(ws: &Workspace) -> HashMap<String, u32> {
    let mut out = HashMap::new();
    for (r, counties) in drawn(ws) {
        for c in counties {
            out.insert(c, r);
        }
    }
    out
}

/// The round-r form ids, for naming their files: form id → round.
pub fn form_rounds(ws: &Workspace) -> HashMap<String, u32> {
    let mut out = HashMap::new();
    for e in ws.journal.all(EVENT) {
        if let Some(m) = e.data.get("forms").and_then(|f| f.as_object()) {
            for (id, r) in m {
                if let Some(r) = r.as_u64() {
                    out.insert(id.clone(), r as u32);
                }
            }
        }
    }
    out
}

/// Replaces, county by county, the rows of `rows` (from `sample.csv`) with
/// those of the latest round up to `upto` that includes the county, keeping
/// the counties in their order.
pub fn overlay(ws: &Workspace, rows: &mut Vec<Sampled>, upto: Option<u32>) -> Result<()> {
    let rounds: Vec<(u32, Vec<String>)> =
        drawn(ws).into_iter().filter(|(r, _)| upto.is_none_or(|u| *r <= u)).collect();
    if rounds.is_empty() {
        return Ok(());
    }
    let mut latest: HashMap<String, Vec<Sampled>> = HashMap::new();
    for (r, counties) in &rounds {
        let name = sample_name(*r);
        let round_rows = inspection::read_sample(&name, &read(&ws.path(&name))?)?;
        let wanted: HashSet<&str> = counties.iter().map(String::as_str).collect();
        let mut by: HashMap<String, Vec<Sampled>> = HashMap::new();
        for row in round_rows.into_iter().filter(|x| wanted.contains(x.county.as_str())) {
            by.entry(row.county.clone()).or_default().push(row);
        }
        latest.extend(by);
    }
    let mut out = Vec::with_capacity(rows.len());
    let mut done: HashSet<String> = HashSet::new();
    for row in rows.drain(..) {
        match latest.get(&row.county) {
            Some(list) => {
                if done.insert(row.county.clone()) {
                    out.extend(list.iter().cloned());
                }
            }
            None => out.push(row),
        }
    }
    *rows = out;
    Ok(())
}

/// The sample as it stood after round `r`: the active villages (after
/// substitutions) and the sampled codes that are not active, with why.
pub fn active_at(ws: &Workspace, r: u32) -> Result<(Vec<Sampled>, HashMap<String, String>)> {
    let mut rows = inspection::read_sample(super::SAMPLE, &read(&ws.path(super::SAMPLE))?)?;
    overlay(ws, &mut rows, Some(r))?;
    Ok(inspection::apply_substitutions(ws, rows))
}

fn plan_of(rules: &Rules) -> Result<&Sequential> {
    rules.sequential.as_ref().ok_or_else(|| {
        Error::Usage("the rules have no [sequential] plan: a campaign without one has a single round".into())
    })
}

/// Every county's card at the round it has reached, at the plan's
/// confidence for that round, annotated with its round; a county the rule
/// sends to a round not yet drawn is marked pending (and provisional).
pub fn cards(ws: &Workspace, rules: &Rules, inputs: &[CountyInput], lang: Lang) -> Result<Vec<Card>> {
    let plan = plan_of(rules)?;
    let names = Names::new(rules);
    let rounds = county_rounds(ws);
    let decided = decided(ws);
    let mut out = Vec::with_capacity(inputs.len());
    for c in inputs {
        let r = rounds.get(&c.code).copied().unwrap_or(1);
        let mut card = card::cards(rules, std::slice::from_ref(c), plan.level(r))?.remove(0);
        seq::annotate(&mut card, plan, r);
        if !card.provisional && !decided.contains(&r) {
            let d = seq::decide(rules, plan, &card, r);
            if d.outcome == Outcome::Escalate {
                let why =
                    crate::report::words::decision_reasons(&d, rules, &names, lang).join(lang.clause_sep());
                card.pending = Some(match lang {
                    Lang::Zh => format!(
                        "第{r}轮（共{}轮）：样本怀疑但不能证实，扩大抽查——{why}；`spotcheck escalate` 抽取第{}轮",
                        plan.total_rounds(),
                        r + 1
                    ),
                    Lang::En => format!(
                        "round {r} of {}: {} — {why}; `spotcheck escalate` draws round {}",
                        plan.total_rounds(),
                        d.outcome.words(),
                        r + 1
                    ),
                });
                card.provisional = true;
            }
        }
        out.push(card);
    }
    Ok(out)
}

/// The cards of the counties in round `r`, as they stood after that round.
fn round_cards(
    ws: &Workspace,
    rules: &Rules,
    plan: &Sequential,
    r: u32,
) -> Result<(Vec<CountyInput>, Vec<Card>)> {
    let (active, _) = active_at(ws, r)?;
    let (_, inactive_now) = inspection::active(ws)?;
    let (_, inputs) = super::score::inputs_for(ws, &active, &inactive_now)?;
    let members = members(ws, r);
    let inputs: Vec<CountyInput> = inputs
        .into_iter()
        .filter(|c| !c.sampled.is_empty() && members.as_ref().is_none_or(|m| m.contains(&c.code)))
        .collect();
    let cards = card::cards(rules, &inputs, plan.level(r))?;
    Ok((inputs, cards))
}

/// The counties of round `r` (every county for round 1).
fn members(ws: &Workspace, r: u32) -> Option<HashSet<String>> {
    if r == 1 {
        return None;
    }
    drawn(ws).into_iter().find(|(x, _)| *x == r).map(|(_, c)| c.into_iter().collect())
}

/// What `escalate` did.
pub struct Escalated {
    /// The round decided, and the plan's number of rounds.
    pub round: u32,
    pub rounds: u32,
    /// Every county's decision, as the journal (and the round record) keeps it.
    pub decisions: Vec<DecisionRecord>,
    /// The next round, when the rule sends counties on.
    pub next: Option<NextRound>,
    /// When the round was decided, if it had been before (then nothing was
    /// done, and `decisions` are those the journal records).
    pub already: Option<String>,
}

/// The round `escalate` drew.
pub struct NextRound {
    pub record: RoundRecord,
    /// Per team: its new form (file) and how many villages it holds.
    pub forms: Vec<(String, String, usize)>,
}

/// The decisions a journal entry of [`EVENT`] records.
fn recorded_decisions(e: &super::journal::Entry) -> Vec<DecisionRecord> {
    serde_json::from_value(e.data.get("decisions").cloned().unwrap_or_default()).unwrap_or_default()
}

/// Applies the plan's decision rule to the round now scored and, for the
/// counties it sends on, draws the next round, extends the assignment to
/// the teams that checked each county and writes their forms: one step.
/// Asked again once the round is decided, it does nothing.
pub fn escalate(ws: &mut Workspace, lang: crate::lang::Lang) -> Result<Escalated> {
    let draw = inspection::need_draw(ws)?.clone();
    let (rules, frame) = ws.load_inputs()?;
    let plan = plan_of(&rules)?.clone();
    let r = drawn(ws).last().map_or(1, |d| d.0);
    if let Some(e) =
        ws.journal.all(EVENT).find(|e| e.data.get("round").and_then(|v| v.as_u64()) == Some(u64::from(r)))
    {
        return Ok(Escalated {
            round: r,
            rounds: plan.total_rounds(),
            decisions: recorded_decisions(e),
            next: None,
            already: Some(crate::time::show(&e.at, ws.offset)),
        });
    }
    // Asked again just after round r was drawn (a retry after a crash or a
    // kill, say): round r − 1's decision stands and no finding has come in
    // since, so there is nothing to decide yet.
    if let Some(e) = ws
        .journal
        .all(EVENT)
        .filter(|e| r >= 2 && e.data.get("next_round").and_then(|v| v.as_u64()) == Some(u64::from(r)))
        .last()
        && !ws.journal.entries.iter().any(|x| x.seq > e.seq && x.event == inspection::FINDINGS)
    {
        return Ok(Escalated {
            round: r - 1,
            rounds: plan.total_rounds(),
            decisions: recorded_decisions(e),
            next: None,
            already: Some(crate::time::show(&e.at, ws.offset)),
        });
    }
    let (_, cards) = round_cards(ws, &rules, &plan, r)?;
    let open: Vec<String> = cards
        .iter()
        .filter(|c| !c.measures.missing_findings.is_empty())
        .map(|c| format!("{} {} ({} village(s))", c.code, c.name, c.measures.missing_findings.len()))
        .collect();
    if !open.is_empty() {
        return Err(Error::Usage(format!(
            "round {r} cannot be decided while sampled villages lack findings: {}; import them (spotcheck status lists them) or substitute unreachable villages",
            open.join(", ")
        )));
    }
    let decisions: Vec<Decision> = cards.iter().map(|c| seq::decide(&rules, &plan, c, r)).collect();
    let on: Vec<String> =
        decisions.iter().filter(|d| d.outcome == Outcome::Escalate).map(|d| d.county.clone()).collect();
    let names = Names::new(&rules);
    let records: Vec<DecisionRecord> =
        decisions.iter().map(|d| DecisionRecord::of(d, &rules, &names, lang)).collect();
    if on.is_empty() {
        ws.apply(Step::new(), EVENT, json!({ "round": r, "decisions": records, "next_round": null }))?;
        return Ok(Escalated {
            round: r,
            rounds: plan.total_rounds(),
            decisions: records,
            next: None,
            already: None,
        });
    }
    let next = r + 1;
    let seed = str_field(&draw, "seed_normalized");
    let pop = Population::new(&frame, &excluded_codes(&rules));
    let (design, diags) = Design::prepare(&rules, &pop);
    let Some(design) = design else { return Err(Error::Invalid(diags.sorted())) };
    let index: Vec<usize> =
        on.iter().filter_map(|k| frame.counties.iter().position(|c| &c.key == k)).collect();
    let rs = design.draw_round(&pop, &seed, &plan, next, &index);
    let bytes = sample_table::round_csv(&rs, &pop);
    let draw_bytes = read(&ws.path(DRAW))?;
    let previous = (r >= 2).then(|| record_name(r));
    let previous_sha256 = match &previous {
        Some(p) => Some(sha256_hex(&read(&ws.path(p))?)),
        None => None,
    };
    let record = RoundRecord {
        algorithm: ROUNDS_ALGORITHM.to_string(),
        spotcheck_version: env!("CARGO_PKG_VERSION").to_string(),
        round: next,
        draw: DRAW.to_string(),
        draw_sha256: sha256_hex(&draw_bytes),
        previous,
        previous_sha256,
        counties: on.clone(),
        sample: sample_name(next),
        sample_sha256: sha256_hex(&bytes),
        villages: rs.sample.main().count(),
        new_villages: rs.new_villages(),
        reserves: rs.sample.rows.len() - rs.sample.main().count(),
        decided_at: super::now(ws.offset),
        decisions: records.clone(),
    };
    let text = render_record(&record);
    // The round's list for people, as sample.xlsx is for the first.
    let round_name = match lang {
        crate::lang::Lang::Zh => format!("第{next}轮"),
        crate::lang::Lang::En => format!("round {next}"),
    };
    let heading = crate::report::sample_xlsx::Heading {
        campaign: format!("{} {round_name}", rules.campaign.name),
        seed: seed.clone(),
        commitment: str_field(&draw, "commitment"),
        document: rules.campaign.document.clone(),
    };
    let xlsx = super::draw::sample_workbook(&bytes, &rules.campaign.issued, &heading, lang)?;
    let mut step = Step::new();
    let mut outputs = vec![
        step.write(record.sample.clone(), bytes),
        step.write(record_name(next), text.clone().into_bytes()),
        step.write(format!("round-{next}.xlsx"), xlsx),
    ];
    let (forms, form_ids) = extend_assignment(ws, &mut step, &mut outputs, &rules, &frame, &rs, &seed)?;
    ws.apply(
        step,
        EVENT,
        json!({
            "round": r,
            "decisions": records,
            "next_round": next,
            "counties": on,
            "record_sha256": sha256_hex(text.as_bytes()),
            "sample_sha256": record.sample_sha256,
            "forms": form_ids,
            "outputs": outputs,
        }),
    )?;
    Ok(Escalated {
        round: r,
        rounds: plan.total_rounds(),
        decisions: records,
        next: Some(NextRound { record, forms }),
        already: None,
    })
}

/// The text of a round record, with a comment for people on top.
pub fn render_record(r: &RoundRecord) -> String {
    let body = toml::to_string(r).expect("the round record serialises");
    format!(
        "# spotcheck round record. Round {} continues the draw in {}: anyone can re-derive\n# {} from its inputs, the seed and the counties below (SAMPLING.md §15).\n{body}",
        r.round, r.draw, r.sample
    )
}

/// Gives each village that joined in the round to a team that checked its
/// county before (the team of its township where there is one), balancing
/// the new villages among them; never to a team from the county. Adds
/// `assignment.csv` and the round's forms to `step`; returns each team's
/// form (team, file, villages) and the round's form ids.
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn extend_assignment(
    ws: &Workspace,
    step: &mut Step,
    outputs: &mut Vec<serde_json::Value>,
    rules: &Rules,
    frame: &Frame,
    rs: &RoundSample,
    seed: &str,
) -> Result<(Vec<(String, String, usize)>, BTreeMap<String, u32>)> {
    let round = rs.round;
    let mut rows = inspection::assignment(ws)?;
    let assign = ws.journal.last("assign").ok_or_else(|| {
        Error::Usage("no assignment yet: run `spotcheck assign --teams teams.csv` first".into())
    })?;
    let teams_rel = format!("teams/{}", str_field(assign, "teams_file"));
    let sheet = table::read(&teams_rel, &read(&ws.path(&teams_rel))?, Encoding::Auto, None)
        .map_err(Error::Invalid)?;
    let teams = teams::parse(&sheet, frame).map_err(Error::Invalid)?;
    let home =
        |team: &str, county: &str| teams.iter().any(|t| t.id == team && t.home.iter().any(|h| h == county));
    let index: HashMap<&str, usize> = (0..frame.villages.len()).map(|i| (frame.code(i), i)).collect();
    let township = |code: &str| index.get(code).map(|&v| frame.villages[v].township);
    // Ties between teams follow the draw's seed, as in `assign`.
    let mut stream = Stream::for_stratum(seed, &format!("assign:round-{round}"));
    let rank: HashMap<&str, usize> = fisher_yates(teams.len(), teams.len(), &mut stream)
        .into_iter()
        .enumerate()
        .map(|(r, t)| (teams[t].id.as_str(), r))
        .collect();
    let mut load: BTreeMap<String, usize> = BTreeMap::new();
    let mut added: Vec<AssignedRow> = Vec::new();
    for (d, &joined) in rs.sample.rows.iter().zip(&rs.joined) {
        if d.reserve.is_some() || joined != round {
            continue;
        }
        let v = &frame.villages[d.village];
        let county = &frame.counties[v.county];
        let before: BTreeSet<&str> = rows
            .iter()
            .filter(|x| x.county_code == county.key && !home(&x.team, &county.key))
            .map(|x| x.team.as_str())
            .collect();
        let same_township: BTreeSet<&str> = rows
            .iter()
            .filter(|x| x.county_code == county.key && township(&x.code) == Some(v.township))
            .map(|x| x.team.as_str())
            .filter(|t| before.contains(t))
            .collect();
        let pool: Vec<&str> = if !same_township.is_empty() {
            same_township.into_iter().collect()
        } else if !before.is_empty() {
            before.into_iter().collect()
        } else {
            teams.iter().map(|t| t.id.as_str()).filter(|t| !home(t, &county.key)).collect()
        };
        let Some(team) = pool.iter().min_by_key(|t| {
            (load.get(**t).copied().unwrap_or(0), rank.get(**t).copied().unwrap_or(usize::MAX))
        }) else {
            return Err(Error::CheckFailed(format!(
                "no team may check {} {}: every team has a member from that county",
                county.key, county.name
            )));
        };
        *load.entry(team.to_string()).or_default() += 1;
        added.push(AssignedRow {
            team: team.to_string(),
            form_id: String::new(),
            code: frame.code(d.village).to_string(),
            name: frame.name(d.village).to_string(),
            county_code: county.key.clone(),
            county: county.name.clone(),
            township: frame.townships[v.township].name.clone(),
        });
    }
    // A round's form id ties the form to the team, the round and its villages.
    let mut ids: BTreeMap<String, u32> = BTreeMap::new();
    let mut id_of: HashMap<String, String> = HashMap::new();
    for team in load.keys() {
        let list: String =
            added.iter().filter(|r| &r.team == team).map(|r| format!("{}\n", r.code)).collect();
        let id = format!(
            "{team}-第{round}轮-{}",
            &sha256_hex(format!("{team}\nround {round}\n{list}").as_bytes())[..8]
        );
        ids.insert(id.clone(), round);
        id_of.insert(team.clone(), id);
    }
    for r in &mut added {
        r.form_id = id_of[&r.team].clone();
    }
    rows.extend(added.iter().cloned());
    rows.sort_by(|x, y| {
        teams::natural_cmp(&x.team, &y.team)
            .then_with(|| (&x.county_code, &x.code).cmp(&(&y.county_code, &y.code)))
    });
    outputs.push(step.write(ASSIGNMENT, inspection::assignment_csv(&rows)));
    let mut written = Vec::new();
    for (team, id) in id_of.iter().collect::<BTreeMap<_, _>>() {
        let form_rows: Vec<FormRow> = added
            .iter()
            .filter(|r| &r.team == team)
            .map(|r| FormRow {
                code: r.code.clone(),
                name: r.name.clone(),
                county: r.county.clone(),
                township: r.township.clone(),
                window_end: import::window_end(rules, &r.county_code),
            })
            .collect();
        let n = form_rows.len();
        let form =
            Form { team: team.clone(), form_id: id.clone(), rows: form_rows, lists: Default::default() };
        let stem = form_stem(team, round);
        let xlsx = forms::xlsx(&form, rules)
            .map_err(|e| Error::CheckFailed(format!("cannot write the form of team {team}: {e}")))?;
        outputs.push(step.write(format!("{stem}.xlsx"), xlsx));
        outputs.push(step.write(format!("{stem}.csv"), forms::csv(&form, rules)));
        written.push((team.clone(), format!("{stem}.xlsx"), n));
    }
    Ok((written, ids))
}

/// The path of a team's form without extension: `forms/检查表-<team>` for
/// the first round, `forms/检查表-<team>-第<r>轮` for round r.
pub fn form_stem(team: &str, round: u32) -> String {
    if round <= 1 {
        format!("{FORMS}/检查表-{team}")
    } else {
        format!("{FORMS}/检查表-{team}-第{round}轮")
    }
}

/// A round record and the place it was found.
struct Published {
    record: RoundRecord,
    bytes: Vec<u8>,
}

/// The round records of a folder: in a campaign, those the journal names;
/// in a folder of published files, `round-2.toml`, `round-3.toml`, … as
/// far as they go.
fn published(dir: &Path, ws: Option<&Workspace>) -> (Vec<Published>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let wanted: Vec<u32> = match ws {
        Some(ws) => drawn(ws).into_iter().map(|d| d.0).collect(),
        None => (2..).take_while(|r| dir.join(record_name(*r)).exists()).collect(),
    };
    for r in wanted {
        let name = record_name(r);
        match std::fs::read(dir.join(&name)) {
            Ok(bytes) => match toml::from_str::<RoundRecord>(&String::from_utf8_lossy(&bytes)) {
                Ok(record) => out.push(Published { record, bytes }),
                Err(e) => problems.push(format!("{name}: not a round record: {}", e.message())),
            },
            Err(e) => problems.push(format!("{name}: cannot be read: {e}")),
        }
    }
    (out, problems)
}

/// What verifying the rounds found: the rounds re-derived and every
/// problem.
pub struct RoundsVerified {
    pub rounds: Vec<(u32, usize, usize)>,
    pub problems: Vec<String>,
}

/// Re-derives every further round from the draw's inputs, the seed and the
/// counties each round record names, byte for byte; in a campaign folder
/// also re-applies the decision rule to the round before and compares it
/// with the record.
pub fn verify(
    dir: &Path,
    ws: Option<&Workspace>,
    rules: &Rules,
    frame: &Frame,
    seed: &str,
) -> Result<RoundsVerified> {
    let (records, mut problems) = published(dir, ws);
    let mut rounds = Vec::new();
    if records.is_empty() {
        return Ok(RoundsVerified { rounds, problems });
    }
    let Some(plan) = &rules.sequential else {
        problems.push(format!(
            "{}: round records exist, but the rules have no [sequential] plan",
            record_name(2)
        ));
        return Ok(RoundsVerified { rounds, problems });
    };
    let pop = Population::new(frame, &excluded_codes(rules));
    let (design, diags) = Design::prepare(rules, &pop);
    let Some(design) = design else { return Err(Error::Invalid(diags.sorted())) };
    let draw_sha = std::fs::read(dir.join(DRAW)).map(|b| sha256_hex(&b)).unwrap_or_default();
    let all_counties: BTreeSet<String> =
        pop.children(None, Level::County).iter().map(|&c| frame.counties[c].key.clone()).collect();
    let mut before: BTreeSet<String> = all_counties.clone();
    let mut previous: Option<(String, String)> = None;
    for (i, p) in records.iter().enumerate() {
        let rec = &p.record;
        let name = record_name(i as u32 + 2);
        let mut bad = |m: String| problems.push(format!("{name}: {m}"));
        if rec.round != i as u32 + 2 {
            bad(format!("says round {}, but it is the record of round {}", rec.round, i + 2));
        }
        if rec.algorithm != ROUNDS_ALGORITHM {
            bad(format!(
                "drawn with algorithm {}, but this spotcheck implements {ROUNDS_ALGORITHM}",
                excerpt(&rec.algorithm)
            ));
        }
        if rec.round > plan.total_rounds() {
            bad(format!("round {} is beyond the plan's {} rounds", rec.round, plan.total_rounds()));
        }
        if rec.draw != DRAW || rec.draw_sha256 != draw_sha {
            bad(format!(
                "continues {} with sha256 {}, which is not this folder's {DRAW}",
                rec.draw, rec.draw_sha256
            ));
        }
        let prev: (Option<String>, Option<String>) = match &previous {
            Some((n, h)) => (Some(n.clone()), Some(h.clone())),
            None => (None, None),
        };
        if (rec.previous.clone(), rec.previous_sha256.clone()) != prev {
            bad("does not name the record of the round before it as it is".to_string());
        }
        if rec.sample != sample_name(rec.round) {
            bad(format!("its sample must be {}", sample_name(rec.round)));
        }
        let set: BTreeSet<String> = rec.counties.iter().cloned().collect();
        if set.len() != rec.counties.len() || set.is_empty() {
            bad("lists no county, or a county twice".to_string());
        }
        for c in set.difference(&before) {
            bad(format!("sends county {} on, which was not in the round before", excerpt(c)));
        }
        let escalated: Vec<String> =
            rec.decisions.iter().filter(|d| d.outcome == "escalate").map(|d| d.county.clone()).collect();
        if escalated.iter().cloned().collect::<BTreeSet<_>>() != set {
            bad("its counties are not those its decisions escalate".to_string());
        }
        let index: Vec<usize> =
            rec.counties.iter().filter_map(|k| frame.counties.iter().position(|c| &c.key == k)).collect();
        let rs = design.draw_round(&pop, seed, plan, rec.round, &index);
        let derived = sample_table::round_csv(&rs, &pop);
        let counts = [
            ("villages", rec.villages, rs.sample.main().count()),
            ("new_villages", rec.new_villages, rs.new_villages()),
            ("reserves", rec.reserves, rs.sample.rows.len() - rs.sample.main().count()),
        ];
        for (field, theirs, ours) in counts {
            if theirs != ours {
                bad(format!("{field} is {theirs}, but the round gives {ours}"));
            }
        }
        match std::fs::read(dir.join(&rec.sample)) {
            Ok(published) => {
                if sha256_hex(&published) != rec.sample_sha256 {
                    bad(format!("{} does not match its sample_sha256", rec.sample));
                }
                for d in sample_table::diff(&published, &derived) {
                    problems.push(format!("{}: {d}", rec.sample));
                }
            }
            Err(e) => bad(format!("{} cannot be read ({e})", rec.sample)),
        }
        rounds.push((rec.round, rs.sample.main().count(), rs.new_villages()));
        previous = Some((name.clone(), sha256_hex(&p.bytes)));
        before = set;
    }
    if let Some(ws) = ws {
        problems.extend(verify_decisions(ws, rules, plan, &records)?);
    }
    Ok(RoundsVerified { rounds, problems })
}

/// Re-applies the decision rule to each round a record was drawn after and
/// compares the outcomes with the record's.
fn verify_decisions(
    ws: &Workspace,
    rules: &Rules,
    plan: &Sequential,
    records: &[Published],
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for p in records {
        let r = p.record.round - 1;
        let (_, cards) = round_cards(ws, rules, plan, r)?;
        let ours: BTreeMap<String, String> = cards
            .iter()
            .map(|c| (c.code.clone(), seq::decide(rules, plan, c, r).outcome.name().to_string()))
            .collect();
        let theirs: BTreeMap<String, String> =
            p.record.decisions.iter().map(|d| (d.county.clone(), d.outcome.clone())).collect();
        if ours != theirs {
            let diff: Vec<String> = ours
                .iter()
                .filter(|(k, v)| theirs.get(*k) != Some(v))
                .map(|(k, v)| {
                    format!("{k} {} (recorded {})", v, theirs.get(k).map_or("nothing", String::as_str))
                })
                .collect();
            problems.push(format!(
                "{}: the decision rule applied to round {r} gives {}",
                record_name(p.record.round),
                if diff.is_empty() { "other counties".to_string() } else { diff.join(", ") }
            ));
        }
    }
    Ok(problems)
}

/// A county's path through the plan for `explain`: for each round it
/// reached, its card at that round and the decision taken after it.
pub fn trail(ws: &Workspace, rules: &Rules, county: &str) -> Result<Vec<(u32, CountyInput, Card, Decision)>> {
    let plan = plan_of(rules)?;
    let last = county_rounds(ws).get(county).copied().unwrap_or(1);
    let mut out = Vec::new();
    for r in 1..=last {
        let (inputs, cards) = round_cards(ws, rules, plan, r)?;
        let Some(i) = inputs.iter().position(|c| c.code == county) else { continue };
        let mut card = cards[i].clone();
        let d = seq::decide(rules, plan, &card, r);
        seq::annotate(&mut card, plan, r);
        out.push((r, inputs[i].clone(), card, d));
    }
    Ok(out)
}

/// Refuses to replace findings that a journaled decision rests on.
pub fn check_supersede(ws: &Workspace, rel: &str) -> Result<()> {
    let imported = ws.journal.all("findings").filter(|e| str_field(e, "file") == rel).map(|e| e.seq).last();
    if let (Some(at), Some(e)) = (imported, ws.journal.all(EVENT).last())
        && e.seq > at
    {
        return Err(Error::Usage(format!(
            "{rel} was imported before the decision of round {} ({}); the sequential plan's decisions rest on it, so it cannot be replaced",
            e.data.get("round").and_then(|v| v.as_u64()).unwrap_or(0),
            e.at
        )));
    }
    Ok(())
}
