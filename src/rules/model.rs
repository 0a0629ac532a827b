//! The rule-file model and its pure parser.

use toml::de::DeValue;

use super::inspection::Inspection;
use super::reader::{Reader, Table, parse_document};
use crate::error::{Diag, Diags, Loc};
use crate::frame::tree::Level;
use crate::frame::{FrameSchema, normalize_header};
use crate::plan::{Expected, Rate};
use crate::sample::stream::SeedPolicy;

/// A parsed rules file.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The name used in messages (the path as given, or as in the workspace).
    pub file: String,
    pub campaign: Campaign,
    pub frame: FrameSchema,
    pub seed: SeedPolicy,
    pub stages: Vec<Stage>,
    pub exclude: Vec<CodeList>,
    pub include: Vec<CodeList>,
    /// Fields, constraints, extensions and team balance for the inspection.
    pub inspection: Inspection,
    /// The household stage inside each sampled village (`[households]`).
    pub households: Option<super::households::HouseholdStage>,
    /// Indicators and vetoes.
    pub scoring: super::scoring::Scoring,
    /// Warnings found when the rules were loaded (names missing, codes of
    /// an exclusion list not in the frame …), for `check` and `init`.
    pub warnings: Vec<crate::error::Diag>,
    /// The sequential plan, if the campaign has one (SCORING.md §9).
    pub sequential: Option<super::sequential::Sequential>,
}

impl Rules {
    /// Files the rules name, relative to the rules file.
    pub fn referenced_files(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .exclude
            .iter()
            .chain(&self.include)
            .filter_map(|l| l.file.as_ref().map(|f| f.path.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// What the notice says about the campaign.
#[derive(Debug, Clone, Default)]
pub struct Campaign {
    pub name: String,
    /// The English name for `--lang en`.
    pub name_en: Option<String>,
    pub issuer: String,
    /// Document number, e.g. 沧政办字[2008]135号.
    pub document: String,
    pub issued: String,
    pub period: (String, String),
    pub check_window: (String, String),
    pub source: Option<String>,
    /// The campaign's phases, in order: name, first and last day.
    pub phases: Vec<(String, String, String)>,
    /// What counties must do before the check (自查).
    pub self_check: Option<String>,
    /// Regular progress reporting the notice requires (e.g. every Friday).
    pub progress_reports: Option<String>,
    /// The clock times are shown on (China Standard Time by default).
    pub utc_offset: crate::time::Offset,
}

/// How many units a stage takes in each stratum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageN {
    All,
    Fixed(u64),
    Allocate(Allocation),
    /// An attribute-sampling plan, computed per stratum from its own size.
    Plan(AttributeSpec),
}

/// `n = { plan = "attribute", tolerable = 0.10, confidence = 0.90, expected = 0 }`:
/// each stratum takes the hypergeometric attribute sample size for its own
/// number of units (see SAMPLING.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeSpec {
    pub tolerable: Rate,
    pub confidence: Rate,
    pub expected: Expected,
}

/// A total spread over the stage's strata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub by: AllocBy,
    pub total: u64,
    pub min: u64,
    pub max: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocBy {
    Equal,
    /// Proportional to the number of units in the stratum.
    Units,
    /// Proportional to the stratum's total of a size column.
    Size(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Srs,
    Pps,
    Rivest,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Srs => "srs",
            Method::Pps => "pps",
            Method::Rivest => "rivest",
        }
    }
}

/// What to do when a stratum has fewer units than its n.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Short {
    Error,
    TakeAll,
}

/// One stage of the multistage design.
#[derive(Debug, Clone)]
pub struct Stage {
    pub level: Level,
    pub n: StageN,
    pub method: Method,
    /// The size column for PPS.
    pub size: Option<String>,
    pub short: Short,
    /// Replacement units per stratum (last stage only).
    pub reserve: u64,
    /// Where the stage's numbers come from (the notice, a practice, illustrative).
    pub basis: Option<String>,
    pub loc: Loc,
}

/// A code and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coded {
    pub code: String,
    pub file: String,
    pub loc: Loc,
}

/// A file the rules refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    pub path: String,
    pub loc: Loc,
}

/// Codes excluded from, or forced into, the sample, with the reason.
#[derive(Debug, Clone)]
pub struct CodeList {
    pub codes: Vec<Coded>,
    pub file: Option<FileRef>,
    pub reason: String,
    pub loc: Loc,
}

const TOP: &[&str] = &[
    "campaign",
    "frame",
    "seed",
    "stage",
    "exclude",
    "include",
    "field",
    "constraint",
    "extension",
    "teams",
    "indicator",
    "veto",
    "scoring",
    "policy",
    "measure",
    "sequential",
    "households",
];
const CAMPAIGN: &[&str] = &[
    "name",
    "issuer",
    "document",
    "issued",
    "period",
    "check_window",
    "source",
    "phase",
    "self_check",
    "progress_reports",
    "name_en",
    "utc_offset",
];
const FRAME: &[&str] =
    &["code", "name", "county", "county_code", "township", "township_code", "sizes", "extra"];
const SEED: &[&str] = &["min_length", "digits_only", "basis"];
const STAGE: &[&str] = &["level", "n", "method", "size", "if_short", "reserve", "basis"];
const ALLOC: &[&str] = &["allocate", "by", "total", "min", "max"];
const PLAN: &[&str] = &["plan", "tolerable", "confidence", "expected", "expected_count"];
const LIST: &[&str] = &["codes", "file", "reason"];
const SPAN: &[&str] = &["start", "end"];

/// Parses rules text. Returns the rules (when they could be read at all) and
/// every problem found; any error means the rules must not be used.
pub fn parse(file: &str, text: &str) -> (Option<Rules>, Diags) {
    let mut r = Reader::new(file, text);
    let Some(doc) = parse_document(&mut r, text) else {
        return (None, r.diags);
    };
    let top = Table { t: doc.get_ref(), span: (0, 0), path: "" };
    r.known_keys(top, TOP);

    let campaign = read_campaign(&mut r, top);
    let frame = read_frame(&mut r, top);
    let seed = read_seed(&mut r, top);
    let stages = read_stages(&mut r, top, &frame);
    let exclude = read_lists(&mut r, top, "exclude");
    let include = read_lists(&mut r, top, "include");
    let inspection = super::inspection::read(&mut r, top, &frame);
    let households = super::households::read(&mut r, top, &frame);
    for d in super::households::check(file, households.as_ref(), &inspection) {
        r.diags.push(d);
    }
    let scoring = super::scoring::read(&mut r, top);
    let sequential = super::sequential::read(&mut r, top);
    let rules = Rules {
        file: file.to_string(),
        campaign,
        frame,
        seed,
        stages,
        exclude,
        include,
        inspection,
        households,
        scoring,
        warnings: Vec::new(),
        sequential,
    };
    let mut diags = r.diags;
    for d in super::scoring::check_names(&rules).into_iter().chain(super::sequential::check(&rules)) {
        diags.push(d);
    }
    (Some(rules), diags)
}

fn read_campaign(r: &mut Reader<'_>, top: Table<'_, '_>) -> Campaign {
    let Some(t) = r.table(top, "campaign", "campaign", true) else {
        return Campaign::default();
    };
    r.known_keys(t, CAMPAIGN);
    let mut s = |k: &str| r.string(t, k, true).map(|v| v.0).unwrap_or_default();
    let (name, issuer, document) = (s("name"), s("issuer"), s("document"));
    let name_en = r.string(t, "name_en", false).map(|v| v.0);
    let utc_offset = crate::time::read_offset(r, t, "utc_offset");
    let issued = r.date(t, "issued", true).map(|v| v.0).unwrap_or_default();
    let source = r.string(t, "source", false).map(|v| v.0);
    let period = read_span(r, t, "period", "campaign.period");
    let check_window = read_span(r, t, "check_window", "campaign.check_window");
    if !period.0.is_empty()
        && !check_window.0.is_empty()
        && check_window.0 < period.0
        && let Some(v) = r.get(t, "check_window")
    {
        r.err_at(v.span(), "the check window starts before the campaign period");
    }
    let self_check = r.string(t, "self_check", false).map(|v| v.0);
    let progress_reports = r.string(t, "progress_reports", false).map(|v| v.0);
    let mut phases = Vec::new();
    for p in r.tables(t, "phase", "campaign.phase") {
        r.known_keys(p, &["name", "start", "end"]);
        let name = r.string(p, "name", true).map(|v| v.0).unwrap_or_default();
        let (a, b) = (r.date(p, "start", true), r.date(p, "end", true));
        if let (Some((a, _)), Some((b, loc))) = (a, b) {
            if b < a {
                r.diags.push(crate::error::Diag::error(
                    &r.file,
                    Some(loc),
                    format!("phase `{name}` ends before it starts"),
                ));
            }
            phases.push((name, a, b));
        }
    }
    Campaign {
        name,
        name_en,
        utc_offset,
        issuer,
        document,
        issued,
        period,
        check_window,
        source,
        phases,
        self_check,
        progress_reports,
    }
}

fn read_span(r: &mut Reader<'_>, t: Table<'_, '_>, key: &str, path: &'static str) -> (String, String) {
    let Some(s) = r.table(t, key, path, true) else {
        return Default::default();
    };
    r.known_keys(s, SPAN);
    let start = r.date(s, "start", true);
    let end = r.date(s, "end", true);
    match (start, end) {
        (Some((a, _)), Some((b, loc))) => {
            if b < a {
                r.diags.push(crate::error::Diag::error(
                    &r.file,
                    Some(loc),
                    format!("`{path}` ends ({b}) before it starts ({a})"),
                ));
            }
            (a, b)
        }
        _ => Default::default(),
    }
}

fn read_frame(r: &mut Reader<'_>, top: Table<'_, '_>) -> FrameSchema {
    let Some(t) = r.table(top, "frame", "frame", true) else {
        return FrameSchema::default();
    };
    r.known_keys(t, FRAME);
    let mut s = |k: &str, req: bool| r.string(t, k, req).map(|v| v.0);
    let d = FrameSchema::default();
    let code = s("code", true).unwrap_or(d.code);
    let name = s("name", true).unwrap_or(d.name);
    let county = s("county", true).unwrap_or(d.county);
    let township = s("township", true).unwrap_or(d.township);
    let county_code = s("county_code", false);
    let township_code = s("township_code", false);
    let names = |v: Option<Vec<(String, Loc)>>| v.unwrap_or_default().into_iter().map(|x| x.0).collect();
    let sizes = names(r.strings(t, "sizes", false));
    let extra = names(r.strings(t, "extra", false));
    let schema = FrameSchema { code, name, county, county_code, township, township_code, sizes, extra };
    // One column cannot play two roles: the second would silently read as
    // empty, and sample.csv would differ from what the text specifies.
    let mut roles: Vec<(String, &str)> = vec![
        (normalize_header(&schema.code), "code"),
        (normalize_header(&schema.name), "name"),
        (normalize_header(&schema.county), "county"),
        (normalize_header(&schema.township), "township"),
    ];
    roles.extend(schema.county_code.iter().map(|c| (normalize_header(c), "county_code")));
    roles.extend(schema.township_code.iter().map(|c| (normalize_header(c), "township_code")));
    roles.extend(schema.sizes.iter().map(|c| (normalize_header(c), "sizes")));
    roles.extend(schema.extra.iter().map(|c| (normalize_header(c), "extra")));
    for (i, (col, role)) in roles.iter().enumerate() {
        if let Some((_, first)) = roles[..i].iter().find(|(c, _)| c == col) {
            let loc = r.loc(t.span.0);
            r.diags.push(Diag::error(
                &r.file,
                Some(loc),
                format!("[frame]: column `{col}` is named for both `{first}` and `{role}`; each column plays one role"),
            ));
        }
    }
    schema
}

fn read_seed(r: &mut Reader<'_>, top: Table<'_, '_>) -> SeedPolicy {
    let mut p = SeedPolicy::default();
    let Some(t) = r.table(top, "seed", "seed", false) else {
        return p;
    };
    r.known_keys(t, SEED);
    r.string(t, "basis", false);
    if let Some((n, loc)) = r.uint(t, "min_length", false) {
        if n == 0 {
            r.diags.push(crate::error::Diag::error(&r.file, Some(loc), "`min_length` must be at least 1"));
        }
        p.min_length = n as usize;
    }
    if let Some((b, _)) = r.boolean(t, "digits_only") {
        p.digits_only = b;
    }
    if p.digits_only
        && p.min_length < 20
        && let Some(v) = r.get(t, "min_length")
    {
        r.warn_at(
                v.span(),
                "fewer than 20 digits can be guessed by brute force once the sample is known; public audits roll at least 20",
            );
    }
    p
}

fn read_stages(r: &mut Reader<'_>, top: Table<'_, '_>, frame: &FrameSchema) -> Vec<Stage> {
    let tables = r.tables(top, "stage", "stage");
    if tables.is_empty() && r.get(top, "stage").is_none() {
        r.err_at(0..0, "no [[stage]]: the rules must describe at least one sampling stage, ending at level = \"village\"");
    }
    let mut stages = Vec::new();
    for t in tables {
        r.known_keys(t, STAGE);
        let loc = r.loc(t.span.0);
        let level = match r.string(t, "level", true) {
            Some((s, l)) => Level::parse(&s).or_else(|| {
                r.diags.push(crate::error::Diag::error(
                    &r.file,
                    Some(l),
                    format!("unknown level `{s}`; expected county, township or village"),
                ));
                None
            }),
            None => None,
        };
        let method = match r.string(t, "method", false) {
            None => Method::Srs,
            Some((s, l)) => match s.as_str() {
                "srs" => Method::Srs,
                "pps" => Method::Pps,
                "rivest" => Method::Rivest,
                _ => {
                    r.diags.push(crate::error::Diag::error(
                        &r.file,
                        Some(l),
                        format!("unknown method `{s}`; expected srs, pps or rivest"),
                    ));
                    Method::Srs
                }
            },
        };
        let size = r.string(t, "size", false);
        if let Some((s, l)) = &size {
            if frame.size_index(s).is_none() {
                r.diags.push(crate::error::Diag::error(
                    &r.file,
                    Some(*l),
                    format!("size column `{s}` is not among [frame] sizes ({})", frame.sizes.join(", ")),
                ));
            }
            if method != Method::Pps {
                r.diags.push(crate::error::Diag::error(
                    &r.file,
                    Some(*l),
                    "`size` is used only with method = \"pps\"",
                ));
            }
        } else if method == Method::Pps {
            r.diags.push(crate::error::Diag::error(
                &r.file,
                Some(loc),
                "method = \"pps\" needs `size`: the frame column to sample proportional to",
            ));
        }
        let short = match r.string(t, "if_short", false) {
            None => Short::Error,
            Some((s, l)) => match s.as_str() {
                "error" => Short::Error,
                "take-all" => Short::TakeAll,
                _ => {
                    r.diags.push(crate::error::Diag::error(
                        &r.file,
                        Some(l),
                        format!("unknown if_short `{s}`; expected \"error\" or \"take-all\""),
                    ));
                    Short::Error
                }
            },
        };
        let reserve = r.uint(t, "reserve", false).map_or(0, |v| v.0);
        let basis = r.string(t, "basis", false).map(|v| v.0);
        // A stage whose n could not be read is kept (as "all") so that the
        // checks of stage order add no knock-on errors; the error about n is
        // already recorded.
        let n = read_n(r, t, frame).unwrap_or(StageN::All);
        if let Some(level) = level {
            stages.push(Stage { level, n, method, size: size.map(|s| s.0), short, reserve, basis, loc });
        }
    }
    check_stage_order(r, &stages);
    stages
}

fn read_n(r: &mut Reader<'_>, t: Table<'_, '_>, frame: &FrameSchema) -> Option<StageN> {
    let Some(v) = r.get(t, "n") else {
        r.err_at(
            t.span.0..t.span.1,
            "missing key `n` in [[stage]]: a number, \"all\", or { allocate = ... }",
        );
        return None;
    };
    match v.get_ref() {
        DeValue::String(s) if s == "all" => Some(StageN::All),
        DeValue::Integer(_) => {
            let (n, _) = r.as_uint(v, "n")?;
            if n == 0 {
                r.err_at(v.span(), "`n` must be at least 1");
                return None;
            }
            Some(StageN::Fixed(n))
        }
        DeValue::Table(_) => {
            let a = r.as_table(v, "n", "stage.n")?;
            if a.t.contains_key("plan") {
                return read_plan(r, a);
            }
            r.known_keys(a, ALLOC);
            let kind = r.string(a, "allocate", true)?;
            let by = match (kind.0.as_str(), r.string(a, "by", false)) {
                ("equal", None) => AllocBy::Equal,
                ("equal", Some((_, l))) => {
                    r.diags.push(crate::error::Diag::error(
                        &r.file,
                        Some(l),
                        "`by` is not used with allocate = \"equal\"",
                    ));
                    AllocBy::Equal
                }
                ("proportional", Some((s, _))) if s == "units" => AllocBy::Units,
                ("proportional", Some((s, l))) => {
                    if frame.size_index(&s).is_none() {
                        r.diags.push(crate::error::Diag::error(
                            &r.file,
                            Some(l),
                            format!(
                                "`by` must be \"units\" or a [frame] size column ({}), not `{s}`",
                                frame.sizes.join(", ")
                            ),
                        ));
                    }
                    AllocBy::Size(s)
                }
                ("proportional", None) => {
                    r.diags.push(crate::error::Diag::error(
                        &r.file,
                        Some(kind.1),
                        "allocate = \"proportional\" needs `by` (\"units\" or a size column)",
                    ));
                    return None;
                }
                (other, _) => {
                    r.diags.push(crate::error::Diag::error(
                        &r.file,
                        Some(kind.1),
                        format!("unknown allocation `{other}`; expected \"proportional\" or \"equal\""),
                    ));
                    return None;
                }
            };
            let total = r.uint(a, "total", true)?.0;
            let min = r.uint(a, "min", false).map_or(1, |v| v.0);
            let max = r.uint(a, "max", false).map_or(u64::MAX, |v| v.0);
            if min > max {
                r.err_at(v.span(), format!("allocation min ({min}) is above max ({max})"));
                return None;
            }
            Some(StageN::Allocate(Allocation { by, total, min, max }))
        }
        _ => {
            r.err_at(
                v.span(),
                format!("`n` must be a whole number, \"all\", or a table, found {}", v.get_ref().type_str()),
            );
            None
        }
    }
}

fn read_plan(r: &mut Reader<'_>, a: Table<'_, '_>) -> Option<StageN> {
    r.known_keys(a, PLAN);
    let (kind, loc) = r.string(a, "plan", true)?;
    if kind != "attribute" {
        r.diags.push(crate::error::Diag::error(
            &r.file,
            Some(loc),
            format!("unknown plan `{kind}`; expected \"attribute\""),
        ));
        return None;
    }
    let tolerable = r.rate(a, "tolerable", true);
    let confidence = r.rate(a, "confidence", true);
    let expected = match (r.rate(a, "expected", false), r.uint(a, "expected_count", false)) {
        (Some(_), Some((_, l))) => {
            r.diags.push(crate::error::Diag::error(
                &r.file,
                Some(l),
                "give `expected` or `expected_count`, not both",
            ));
            return None;
        }
        (Some((e, _)), None) => Expected::Rate(e),
        (None, Some((k, _))) => Expected::Count(k),
        (None, None) => Expected::Rate(Rate::zero()),
    };
    let ((tolerable, tl), (confidence, _)) = (tolerable?, confidence?);
    if let Err(why) = crate::plan::attribute::check_inputs(tolerable, expected, confidence) {
        r.diags.push(crate::error::Diag::error(&r.file, Some(tl), why));
        return None;
    }
    Some(StageN::Plan(AttributeSpec { tolerable, confidence, expected }))
}

/// Stages go strictly down the hierarchy and end at villages; allocation
/// needs fixed strata (every earlier stage takes all); reserves are for the
/// last stage.
fn check_stage_order(r: &mut Reader<'_>, stages: &[Stage]) {
    let mut err = |loc: Loc, msg: String| r.diags.push(crate::error::Diag::error(&r.file, Some(loc), msg));
    for (i, s) in stages.iter().enumerate() {
        if i > 0 && s.level <= stages[i - 1].level {
            err(
                s.loc,
                format!(
                    "stage {} ({}) must be below stage {} ({}) in the hierarchy",
                    i + 1,
                    s.level.name(),
                    i,
                    stages[i - 1].level.name()
                ),
            );
        }
        if matches!(s.n, StageN::Allocate(_)) && stages[..i].iter().any(|p| p.n != StageN::All) {
            err(
                s.loc,
                format!(
                    "stage {}: an allocated n needs fixed strata, so every earlier stage must have n = \"all\"",
                    i + 1
                ),
            );
        }
        if s.reserve > 0 && i + 1 != stages.len() {
            err(s.loc, format!("stage {}: reserves are drawn at the last stage only", i + 1));
        }
    }
    if let Some(last) = stages.last()
        && last.level != Level::Village
    {
        err(last.loc, "the last stage must select villages (level = \"village\")".to_string());
    }
}

fn read_lists(r: &mut Reader<'_>, top: Table<'_, '_>, key: &'static str) -> Vec<CodeList> {
    let mut out = Vec::new();
    for t in r.tables(top, key, key) {
        r.known_keys(t, LIST);
        let loc = r.loc(t.span.0);
        let reason = r.string(t, "reason", true).map(|v| v.0).unwrap_or_default();
        let file = r.string(t, "file", false).map(|(path, loc)| FileRef { path, loc });
        let codes: Vec<Coded> = r
            .strings(t, "codes", false)
            .unwrap_or_default()
            .into_iter()
            .map(|(code, loc)| Coded { code: code.trim().to_string(), file: r.file.clone(), loc })
            .collect();
        if file.is_none() && r.get(t, "codes").is_none() {
            r.err_at(t.span.0..t.span.1, format!("[[{key}]] needs `codes = [...]` or `file = \"...\"`"));
        }
        out.push(CodeList { codes, file, reason, loc });
    }
    out
}
