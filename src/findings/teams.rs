//! Inspection teams and their assignment to sampled villages: never to a team
//! from the village's own county (回避, 住甲地查乙地), workloads balanced,
//! a county's villages kept together where possible, and every tie broken by
//! a stream derived from the draw's seed, so the assignment is reproducible.

use std::collections::BTreeMap;

use super::columns::{self, Role};
use super::table::Sheet;
use crate::error::{Diags, excerpt};
use crate::frame::Frame;
use crate::sample::select::fisher_yates;
use crate::sample::stream::Stream;

/// One inspection team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: String,
    pub members: Vec<String>,
    /// County keys the team's members come from.
    pub home: Vec<String>,
}

/// The longest team id, in characters. A team id names its form files
/// (`检查表-<team>.xlsx`), and a file name may hold 255 bytes: 40 characters
/// of up to four bytes each, with the rest of the name, fit on any system.
pub const MAX_TEAM_ID_CHARS: usize = 40;

/// Why a team id cannot be used, if it cannot: it names form files on
/// Windows and Linux alike, and it begins form ids that spreadsheets show.
pub fn team_id_problem(id: &str) -> Option<String> {
    let n = id.chars().count();
    if n > MAX_TEAM_ID_CHARS {
        return Some(format!(
            "team id `{}` has {n} characters; at most {MAX_TEAM_ID_CHARS} (it names the team's form files)",
            excerpt(id)
        ));
    }
    // Characters that Windows refuses in file names, path separators, and
    // the parent step.
    if id.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|'])
        || id.contains("..")
        || id.chars().any(char::is_control)
    {
        return Some(format!(
            "team id `{}` may not contain / \\ : * ? \" < > |, .. or control characters (it names the team's form files)",
            excerpt(id)
        ));
    }
    if id.starts_with(['=', '+', '-', '@', '\'']) {
        return Some(format!(
            "team id `{}` may not begin with = + - @ or ' (a spreadsheet would take it for a formula)",
            excerpt(id)
        ));
    }
    None
}

/// Reads `teams.csv`: team id, members, home counties (codes or names,
/// separated by `;`, `、` or `,` inside the cell).
pub fn parse(sheet: &Sheet, frame: &Frame) -> Result<Vec<Team>, Diags> {
    let roles = [
        Role {
            name: "team",
            headers: vec!["team".into(), "队".into(), "检查组".into(), "组别".into()],
            required: true,
        },
        Role {
            name: "members",
            headers: vec!["members".into(), "成员".into(), "组员".into()],
            required: true,
        },
        Role {
            name: "home",
            headers: vec!["home".into(), "籍贯县".into(), "所在县".into(), "回避县".into()],
            required: true,
        },
    ];
    let cols = columns::map(sheet, &roles, &[], &["备注".into(), "note".into()])?;
    let (ct, cm, ch) =
        (cols.role("team").unwrap_or(0), cols.role("members").unwrap_or(1), cols.role("home").unwrap_or(2));
    let split = |s: &str| -> Vec<String> {
        s.split([';', '；', '、', ',', '，'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect()
    };
    let mut diags = Diags::default();
    let mut teams: Vec<Team> = Vec::new();
    for row in &sheet.rows {
        let id = sheet.cell(row, ct).to_string();
        if id.is_empty() {
            diags.push(sheet.diag(row.number, Some(ct), "empty team id"));
            continue;
        }
        if let Some(why) = team_id_problem(&id) {
            diags.push(sheet.diag(row.number, Some(ct), why));
            continue;
        }
        if teams.iter().any(|t| t.id == id) {
            diags.push(sheet.diag(row.number, Some(ct), format!("team {id} is listed twice")));
            continue;
        }
        let members = split(sheet.cell(row, cm));
        if members.is_empty() {
            diags.push(sheet.diag(row.number, Some(cm), format!("team {id} has no members")));
        }
        let mut home = Vec::new();
        for h in split(sheet.cell(row, ch)) {
            match frame.counties.iter().find(|c| c.key == h || c.name == h) {
                Some(c) => home.push(c.key.clone()),
                None if crate::error::looks_like_scientific(&h) => diags.push(sheet.diag(
                    row.number,
                    Some(ch),
                    crate::error::scientific_hint("home county", &h),
                )),
                None => diags.push(sheet.diag(
                    row.number,
                    Some(ch),
                    format!(
                        "home county `{}` is not in the frame{}",
                        excerpt(&h),
                        crate::error::did_you_mean(
                            &h,
                            frame.counties.iter().flat_map(|c| [c.key.as_str(), c.name.as_str()])
                        )
                    ),
                )),
            }
        }
        teams.push(Team { id, members, home });
    }
    if teams.is_empty() && !diags.has_errors() {
        diags.push(sheet.diag(sheet.header_row, None, "no teams are listed"));
    }
    if diags.has_errors() { Err(diags) } else { Ok(teams) }
}

/// One village to assign: its frame index, county index and workload.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    pub village: usize,
    pub county: usize,
    pub weight: u64,
}

/// The result: a team index per job, and the loads reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub team_of: Vec<usize>,
    pub loads: Vec<u64>,
}

/// Assigns jobs to teams. `tolerance`: the largest accepted spread of loads
/// (1 village, or a share of the mean household load). Errors name a county
/// that no team may check.
pub fn assign(
    teams: &[Team],
    jobs: &[Job],
    frame: &Frame,
    tolerance: u64,
    stream: &mut Stream,
) -> Result<Assignment, String> {
    let eligible = |county: usize| -> Vec<usize> {
        let key = &frame.counties[county].key;
        (0..teams.len()).filter(|&t| !teams[t].home.contains(key)).collect()
    };
    let mut by_county: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (j, job) in jobs.iter().enumerate() {
        by_county.entry(job.county).or_default().push(j);
    }
    for &c in by_county.keys() {
        if eligible(c).is_empty() {
            let county = &frame.counties[c];
            return Err(format!(
                "no team may check {} {}: every team has a member from that county (a team never checks its home county)",
                county.key, county.name
            ));
        }
    }
    // A team from every sampled county would get no village at all.
    let idle: Vec<&str> = teams
        .iter()
        .filter(|t| by_county.keys().all(|&c| t.home.contains(&frame.counties[c].key)))
        .map(|t| t.id.as_str())
        .collect();
    if !idle.is_empty() {
        return Err(format!(
            "team {} may check none of the sampled counties: its members come from every one of them; drop the team or change its members",
            idle.join(", ")
        ));
    }
    // Ties between teams and between equal counties follow the seed.
    let team_rank: Vec<usize> = {
        let perm = fisher_yates(teams.len(), teams.len(), stream);
        let mut rank = vec![0; teams.len()];
        for (r, t) in perm.into_iter().enumerate() {
            rank[t] = r;
        }
        rank
    };
    let mut counties: Vec<(usize, u64)> =
        by_county.iter().map(|(&c, js)| (c, js.iter().map(|&j| jobs[j].weight).sum())).collect();
    let order = fisher_yates(counties.len(), counties.len(), stream);
    counties = order.into_iter().map(|i| counties[i]).collect();
    counties.sort_by_key(|c| std::cmp::Reverse(c.1)); // stable: equal weights keep the seeded order

    let total: u64 = jobs.iter().map(|j| j.weight).sum();
    let cap = total.div_ceil(teams.len().max(1) as u64) + tolerance / 2;
    let mut loads = vec![0u64; teams.len()];
    let mut team_of = vec![usize::MAX; jobs.len()];
    for (c, _) in &counties {
        let elig = eligible(*c);
        let mut remaining: Vec<usize> = by_county[c].clone();
        while !remaining.is_empty() {
            // The least loaded eligible team takes as much of the county as
            // fits under the cap (at least one village).
            let t = *elig.iter().min_by_key(|&&t| (loads[t], team_rank[t])).unwrap_or(&elig[0]);
            let mut took = 0;
            while let Some(&j) = remaining.first() {
                if took > 0 && loads[t] + jobs[j].weight > cap {
                    break;
                }
                team_of[j] = t;
                loads[t] += jobs[j].weight;
                remaining.remove(0);
                took += 1;
            }
        }
    }
    rebalance(jobs, frame, teams, tolerance, &mut team_of, &mut loads);
    Ok(Assignment { team_of, loads })
}

/// Moves single villages off the most loaded team, to the least loaded team
/// that may check them, while that narrows the spread of loads.
fn rebalance(
    jobs: &[Job],
    frame: &Frame,
    teams: &[Team],
    tolerance: u64,
    team_of: &mut [usize],
    loads: &mut [u64],
) {
    for _ in 0..jobs.len() * 2 {
        let max_t = (0..loads.len()).max_by_key(|&t| (loads[t], std::cmp::Reverse(t))).unwrap_or(0);
        let min_load = loads.iter().min().copied().unwrap_or(0);
        if loads[max_t] - min_load <= tolerance {
            return;
        }
        let mut receivers: Vec<usize> = (0..loads.len()).filter(|&t| loads[t] < loads[max_t]).collect();
        receivers.sort_by_key(|&t| (loads[t], t));
        let moved = receivers.iter().find_map(|&to| {
            let room = loads[max_t] - loads[to];
            let county_ok = |j: usize| !teams[to].home.contains(&frame.counties[jobs[j].county].key);
            (0..jobs.len())
                .filter(|&j| team_of[j] == max_t && jobs[j].weight < room && county_ok(j))
                .max_by_key(|&j| (jobs[j].weight, std::cmp::Reverse(j)))
                .map(|j| (j, to))
        });
        let Some((j, to)) = moved else { return };
        loads[max_t] -= jobs[j].weight;
        loads[to] += jobs[j].weight;
        team_of[j] = to;
    }
}

/// A piece of a team id in its natural order: a number (digits, or Chinese
/// numerals read as a number) or other text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Number(u64),
    Text(String),
}

fn chinese_digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn chinese_unit(c: char) -> Option<u64> {
    Some(match c {
        '十' => 10,
        '百' => 100,
        '千' => 1000,
        _ => return None,
    })
}

/// The value of a run of Chinese numerals: 十二 → 12, 二十 → 20, 一百零五 → 105.
fn chinese_number(run: &str) -> u64 {
    let (mut total, mut digit) = (0u64, 0u64);
    for c in run.chars() {
        if let Some(d) = chinese_digit(c) {
            digit = d;
        } else if let Some(u) = chinese_unit(c) {
            total += if digit == 0 { 1 } else { digit } * u;
            digit = 0;
        }
    }
    total + digit
}

/// The key that puts team ids in their natural order: 第二组 before 第十组,
/// team 2 before team 10, with the rest compared as text.
pub fn natural_key(id: &str) -> Vec<Part> {
    let mut out = Vec::new();
    let mut chars = id.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut run = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                run.push(d);
                chars.next();
            }
            out.push(Part::Number(run.parse().unwrap_or(u64::MAX)));
        } else if chinese_digit(c).is_some() || chinese_unit(c).is_some() {
            let mut run = String::new();
            while let Some(&d) =
                chars.peek().filter(|d| chinese_digit(**d).is_some() || chinese_unit(**d).is_some())
            {
                run.push(d);
                chars.next();
            }
            out.push(Part::Number(chinese_number(&run)));
        } else {
            let mut run = String::new();
            while let Some(&d) = chars.peek().filter(|d| {
                !d.is_ascii_digit() && chinese_digit(**d).is_none() && chinese_unit(**d).is_none()
            }) {
                run.push(d);
                chars.next();
            }
            out.push(Part::Text(run));
        }
    }
    out
}

/// Orders team ids naturally, ties broken by the text itself.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    natural_key(a).cmp(&natural_key(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{self, FrameSchema};

    fn frame() -> Frame {
        let mut text = String::from("code,name,county,township\n");
        for c in 0..4 {
            for v in 0..(3 + c * 2) {
                text.push_str(&format!("{c}{v:02},v,C{c},t{c}\n"));
            }
        }
        frame::parse("f.csv", &text, &FrameSchema::default()).0
    }

    fn team(id: &str, home: &[&str]) -> Team {
        Team { id: id.into(), members: vec!["x".into()], home: home.iter().map(|h| h.to_string()).collect() }
    }

    #[test]
    fn never_home_county_and_balanced_within_one() {
        let f = frame();
        let jobs: Vec<Job> = (0..f.villages.len())
            .map(|v| Job { village: v, county: f.villages[v].county, weight: 1 })
            .collect();
        let teams = [team("1", &["C0"]), team("2", &["C1"]), team("3", &["C2", "C3"])];
        let a = assign(&teams, &jobs, &f, 1, &mut Stream::new([3; 32])).unwrap();
        for (j, job) in jobs.iter().enumerate() {
            assert!(!teams[a.team_of[j]].home.contains(&f.counties[job.county].key));
        }
        let (mx, mn) = (a.loads.iter().max().unwrap(), a.loads.iter().min().unwrap());
        assert!(mx - mn <= 1, "{:?}", a.loads);
    }

    #[test]
    fn households_balance_within_the_tolerance() {
        let f = frame();
        // Uneven household counts: 20 to 200 per village.
        let jobs: Vec<Job> = (0..f.villages.len())
            .map(|v| Job { village: v, county: f.villages[v].county, weight: 20 + (v as u64 * 37) % 181 })
            .collect();
        let teams = [team("1", &["C0"]), team("2", &["C1"]), team("3", &["C2"]), team("4", &[])];
        let total: u64 = jobs.iter().map(|j| j.weight).sum();
        let tolerance = total / 4 / 10; // 10% of the mean load
        let a = assign(&teams, &jobs, &f, tolerance, &mut Stream::new([9; 32])).unwrap();
        let (mx, mn) = (a.loads.iter().max().unwrap(), a.loads.iter().min().unwrap());
        assert!(mx - mn <= tolerance, "{:?} (tolerance {tolerance})", a.loads);
        assert_eq!(a.loads.iter().sum::<u64>(), total);
    }

    #[test]
    fn a_team_from_every_county_is_named() {
        let f = frame();
        let jobs: Vec<Job> = (0..f.villages.len())
            .map(|v| Job { village: v, county: f.villages[v].county, weight: 1 })
            .collect();
        let teams = [team("1", &["C0"]), team("2", &["C1"]), team("local", &["C0", "C1", "C2", "C3"])];
        let err = assign(&teams, &jobs, &f, 1, &mut Stream::new([3; 32])).unwrap_err();
        assert!(err.contains("team local may check none"), "{err}");
    }

    #[test]
    fn team_ids_fit_file_names_and_spreadsheets() {
        assert_eq!(team_id_problem("第一组"), None);
        assert_eq!(team_id_problem(&"组".repeat(MAX_TEAM_ID_CHARS)), None);
        assert!(team_id_problem(&"组".repeat(MAX_TEAM_ID_CHARS + 1)).is_some());
        for bad in [
            "a/b", "a\\b", "a:b", "a*", "a?", "a\"b", "<a>", "a|b", "..", "a\u{7}", "=a", "+a", "-a", "@a",
            "'a",
        ] {
            assert!(team_id_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(team_id_problem("a-b"), None);
    }

    #[test]
    fn infeasible_when_every_team_is_from_the_county() {
        let f = frame();
        let jobs = [Job { village: 0, county: f.villages[0].county, weight: 1 }];
        let err = assign(&[team("1", &["C0"])], &jobs, &f, 1, &mut Stream::new([3; 32])).unwrap_err();
        assert!(err.contains("C0") && err.contains("home county"), "{err}");
    }

    #[test]
    fn team_ids_sort_as_numbers() {
        let mut ids = vec!["第十二组", "第七组", "第一组", "第二十组", "第十组", "第三组", "第二组"];
        ids.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(ids, ["第一组", "第二组", "第三组", "第七组", "第十组", "第十二组", "第二十组"]);
        let mut ids = vec!["team 10", "team 2", "team 1"];
        ids.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(ids, ["team 1", "team 2", "team 10"]);
        assert_eq!(chinese_number("一百零五"), 105);
        assert_eq!(chinese_number("两千"), 2000);
    }
}
