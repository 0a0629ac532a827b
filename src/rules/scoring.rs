//! The scoring part of the rules: indicators (the vocabulary of real scoring
//! sheets, and formulas for the rest) and one-vote vetoes.

use super::Rules;
use super::inspection::Kind;
use super::reader::{Reader, Table};
use crate::error::{Diag, Loc, excerpt};
use crate::score::expr::Expr;
use toml::de::DeValue;

/// How an indicator turns measures into points.
#[derive(Debug, Clone, PartialEq)]
pub enum IndicatorKind {
    /// A rate against a target: −`per_point` for each percentage point below,
    /// +`bonus_per_point` above (up to `bonus_cap`), never below 0.
    Target {
        measure: String,
        target: f64,
        per_point: f64,
        bonus_per_point: f64,
        bonus_cap: f64,
    },
    /// The points of the highest threshold the measure reaches.
    Bands {
        measure: String,
        bands: Vec<(f64, f64)>,
    },
    /// All points within [min, max], none outside.
    Range {
        measure: String,
        min: f64,
        max: f64,
    },
    /// points × achieved / due, at most the points.
    ProRata {
        achieved: String,
        due: String,
    },
    /// −`per_case` for each case, until exhausted.
    PerCase {
        measure: String,
        per_case: f64,
    },
    /// −`per_missing` for each yes/no item whose found rate is below 1.
    Checklist {
        items: Vec<String>,
        per_missing: f64,
    },
    /// Statistical accuracy of a field: full marks while the error rate is
    /// within `tolerance`, −`per_point` per percentage point beyond, zero
    /// beyond `zero_beyond`, a veto beyond `veto_beyond`.
    Accuracy {
        field: String,
        tolerance: f64,
        per_point: f64,
        zero_beyond: Option<f64>,
        veto_beyond: Option<f64>,
    },
    /// Verification as in performance-based financing: the discrepancy
    /// |claimed − verified| / verified against a ladder of (up to, penalty
    /// factor) tiers; beyond the last tier, zero.
    Verification {
        field: String,
        tiers: Vec<(f64, f64)>,
    },
    Formula {
        expr: Expr,
        text: String,
    },
}

/// Which figure an indicator scores: the verified estimate or the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Verified,
    Reported,
}

/// What a threshold verdict needs (SCORING.md §5): the point estimate past
/// the line, or the one-sided confidence bound past it, which gives the
/// county the benefit of the doubt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Evidence {
    #[default]
    Estimate,
    Bound,
}

impl Evidence {
    pub fn name(self) -> &'static str {
        match self {
            Evidence::Estimate => "estimate",
            Evidence::Bound => "bound",
        }
    }
}

/// What scoring does with a sampled village whose findings are missing
/// (SCORING.md §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingFindings {
    /// The villages of its cell that have findings carry its weight.
    #[default]
    Reweight,
    /// It counts as the worst case for the county: 0, or 否.
    Worst,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: String,
    pub name: String,
    /// The English name, for `--lang en`.
    pub name_en: Option<String>,
    /// One of the notice's five activities or three key points.
    pub activity: String,
    pub activity_en: Option<String>,
    pub points: f64,
    /// The rule as written on the scoring sheet (Chinese).
    pub rule: String,
    pub rule_en: Option<String>,
    pub basis: String,
    pub source: Source,
    pub kind: IndicatorKind,
    /// The evidence its threshold deductions need, and (for `accuracy`) the
    /// evidence its veto needs.
    pub evidence: Evidence,
    pub veto_evidence: Evidence,
    /// Whether the rules file stated the evidence (`check` warns if not).
    pub evidence_stated: bool,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Veto {
    pub id: String,
    /// The display name; the rules should give one (a warning says so).
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub when: Expr,
    pub text: String,
    pub reason: String,
    pub reason_en: Option<String>,
    pub evidence: Evidence,
    pub evidence_stated: bool,
    pub loc: Loc,
}

/// A `[[measure]]`: the display names of a measure (SCORING.md §3).
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureName {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scoring {
    pub indicators: Vec<Indicator>,
    pub vetoes: Vec<Veto>,
    /// Names given to measures; others are named after their field.
    pub measure_names: Vec<MeasureName>,
    /// The interval for proportions: design (default), clopper-pearson or wilson.
    pub proportion_interval: crate::score::estimate::PropMethod,
    /// Strata with a single PSU: certainty, adjust (default), average or fail.
    pub lonely_psu: crate::score::estimate::LonelyPsu,
    pub missing_findings: MissingFindings,
}

const INDICATOR: &[&str] = &[
    "id",
    "name",
    "name_en",
    "activity",
    "activity_en",
    "rule_en",
    "points",
    "rule",
    "basis",
    "use",
    "kind",
    "measure",
    "target",
    "per_point",
    "bonus_per_point",
    "bonus_cap",
    "bands",
    "min",
    "max",
    "achieved",
    "due",
    "per_case",
    "items",
    "per_missing",
    "field",
    "tolerance",
    "zero_beyond",
    "veto_beyond",
    "tiers",
    "formula",
    "evidence",
    "veto_evidence",
];
const VETO: &[&str] = &["id", "name", "name_en", "when", "reason", "reason_en", "basis", "evidence"];
const MEASURE: &[&str] = &["id", "name", "name_en"];

/// Reads an `evidence`-like key: "estimate" or "bound".
fn evidence(r: &mut Reader<'_>, t: Table<'_, '_>, key: &str) -> Option<Evidence> {
    let (v, l) = r.string(t, key, false)?;
    match v.as_str() {
        "estimate" => Some(Evidence::Estimate),
        "bound" => Some(Evidence::Bound),
        _ => {
            r.diags.push(Diag::error(
                &r.file,
                Some(l),
                format!("unknown `{key} = \"{v}\"`; expected \"estimate\" or \"bound\""),
            ));
            None
        }
    }
}

fn number(r: &mut Reader<'_>, t: Table<'_, '_>, key: &str, required: bool) -> Option<f64> {
    r.rate_or_number(t, key, required)
}

/// Pairs like `[[0.95, 10], [0.90, 8]]`.
fn pairs(r: &mut Reader<'_>, t: Table<'_, '_>, key: &str) -> Option<Vec<(f64, f64)>> {
    let Some(v) = r.get(t, key) else {
        let loc = r.loc(t.span.0);
        r.diags.push(Diag::error(&r.file, Some(loc), format!("missing key `{key}`")));
        return None;
    };
    let num = |d: &DeValue<'_>| match d {
        DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
        DeValue::Integer(i) => i.as_str().parse::<f64>().ok(),
        _ => None,
    };
    let mut out = Vec::new();
    if let DeValue::Array(a) = v.get_ref() {
        for e in a.iter() {
            match e.get_ref() {
                DeValue::Array(p) if p.len() == 2 => match (num(p[0].get_ref()), num(p[1].get_ref())) {
                    (Some(x), Some(y)) => out.push((x, y)),
                    _ => r.err_at(e.span(), format!("`{key}`: each entry is [number, number]")),
                },
                _ => r.err_at(e.span(), format!("`{key}`: each entry is [number, number]")),
            }
        }
        return Some(out);
    }
    r.err_at(v.span(), format!("`{key}` must be a list of [number, number] pairs"));
    None
}

pub fn read(r: &mut Reader<'_>, top: Table<'_, '_>) -> Scoring {
    let mut s = Scoring::default();
    if let Some(t) = r.table(top, "scoring", "scoring", false) {
        r.known_keys(t, &["proportion_interval", "basis", "lonely_psu", "missing_findings"]);
        r.string(t, "basis", false);
        if let Some((v, l)) = r.string(t, "lonely_psu", false) {
            match crate::score::estimate::LonelyPsu::parse(&v) {
                Some(p) => s.lonely_psu = p,
                None => r.diags.push(Diag::error(
                    &r.file,
                    Some(l),
                    format!("unknown lonely_psu `{v}`; expected certainty, adjust, average or fail"),
                )),
            }
        }
        if let Some((v, l)) = r.string(t, "missing_findings", false) {
            match v.as_str() {
                "reweight" => s.missing_findings = MissingFindings::Reweight,
                "worst" => s.missing_findings = MissingFindings::Worst,
                _ => r.diags.push(Diag::error(
                    &r.file,
                    Some(l),
                    format!("unknown missing_findings `{v}`; expected reweight or worst"),
                )),
            }
        }
        use crate::score::estimate::PropMethod;
        match r.string(t, "proportion_interval", false) {
            None => {}
            Some((m, l)) => {
                s.proportion_interval = match m.as_str() {
                    "design" => PropMethod::Design,
                    "clopper-pearson" => PropMethod::ClopperPearson,
                    "wilson" => PropMethod::Wilson,
                    _ => {
                        r.diags.push(Diag::error(&r.file, Some(l), format!("unknown proportion_interval `{m}`; expected design, clopper-pearson or wilson")));
                        PropMethod::Design
                    }
                }
            }
        }
    }
    for t in r.tables(top, "indicator", "indicator") {
        r.known_keys(t, INDICATOR);
        let loc = r.loc(t.span.0);
        let id = r.string(t, "id", true).map(|v| v.0);
        let name = r.string(t, "name", true).map(|v| v.0).unwrap_or_default();
        let name_en = r.string(t, "name_en", false).map(|v| v.0);
        let activity = r.string(t, "activity", true).map(|v| v.0).unwrap_or_default();
        let activity_en = r.string(t, "activity_en", false).map(|v| v.0);
        let rule = r.string(t, "rule", true).map(|v| v.0).unwrap_or_default();
        let rule_en = r.string(t, "rule_en", false).map(|v| v.0);
        let basis = r.string(t, "basis", false).map(|v| v.0).unwrap_or_default();
        let points = number(r, t, "points", true);
        let source = match r.string(t, "use", false) {
            None => Source::Verified,
            Some((u, _)) if u == "verified" => Source::Verified,
            Some((u, _)) if u == "reported" => Source::Reported,
            Some((u, l)) => {
                r.diags.push(Diag::error(
                    &r.file,
                    Some(l),
                    format!("unknown `use = \"{u}\"`; expected \"verified\" or \"reported\""),
                ));
                Source::Verified
            }
        };
        let kind = read_kind(r, t);
        let stated = evidence(r, t, "evidence");
        let veto_stated = evidence(r, t, "veto_evidence");
        if let (Some(id), Some(points), Some(kind)) = (id, points, kind) {
            if points < 0.0 {
                r.diags.push(Diag::error(&r.file, Some(loc), "`points` must be 0 or more"));
            }
            if s.indicators.iter().any(|i| i.id == id) {
                r.diags.push(Diag::error(&r.file, Some(loc), format!("indicator `{id}` is defined twice")));
                continue;
            }
            let threshold = matches!(
                kind,
                IndicatorKind::Target { .. }
                    | IndicatorKind::Bands { .. }
                    | IndicatorKind::Range { .. }
                    | IndicatorKind::Accuracy { .. }
                    | IndicatorKind::Verification { .. }
            );
            if stated == Some(Evidence::Bound) && !threshold {
                r.diags.push(Diag::error(
                    &r.file,
                    Some(loc),
                    format!("indicator `{id}`: `evidence = \"bound\"` applies to threshold kinds (target, bands, range, accuracy, verification); this kind has no threshold to test (a formula can read the bounds by name, e.g. `births_error_rate_lcb`)"),
                ));
            }
            let veto_beyond = matches!(kind, IndicatorKind::Accuracy { veto_beyond: Some(_), .. });
            if veto_stated.is_some() && !veto_beyond {
                r.diags.push(Diag::error(
                    &r.file,
                    Some(loc),
                    format!(
                        "indicator `{id}`: `veto_evidence` needs an accuracy indicator with `veto_beyond`"
                    ),
                ));
            }
            let evidence = stated.unwrap_or_default();
            s.indicators.push(Indicator {
                id,
                name,
                name_en,
                activity,
                activity_en,
                points,
                rule,
                rule_en,
                basis,
                source,
                kind,
                evidence,
                veto_evidence: veto_stated.unwrap_or(evidence),
                evidence_stated: stated.is_some(),
                loc,
            });
        }
    }
    for t in r.tables(top, "veto", "veto") {
        r.known_keys(t, VETO);
        let loc = r.loc(t.span.0);
        r.string(t, "basis", false);
        let id = r.string(t, "id", true).map(|v| v.0);
        let reason = r.string(t, "reason", true).map(|v| v.0).unwrap_or_default();
        let name = r.string(t, "name", false).map(|v| v.0);
        let name_en = r.string(t, "name_en", false).map(|v| v.0);
        let reason_en = r.string(t, "reason_en", false).map(|v| v.0);
        let stated = evidence(r, t, "evidence");
        let Some((text, wl)) = r.string(t, "when", true) else { continue };
        match Expr::parse(&text) {
            Ok(when) => {
                if stated == Some(Evidence::Bound)
                    && let Err(why) = when.comparisons()
                {
                    r.diags.push(Diag::error(
                        &r.file,
                        Some(wl),
                        format!("veto condition `{text}`: with `evidence = \"bound\"`, {why}"),
                    ));
                }
                if let Some(id) = id {
                    s.vetoes.push(Veto {
                        id,
                        name,
                        name_en,
                        when,
                        text,
                        reason,
                        reason_en,
                        evidence: stated.unwrap_or_default(),
                        evidence_stated: stated.is_some(),
                        loc,
                    });
                }
            }
            Err(why) => r.diags.push(Diag::error(
                &r.file,
                Some(wl),
                format!("veto condition `{}`: {why}", excerpt(&text)),
            )),
        }
    }
    for t in r.tables(top, "measure", "measure") {
        r.known_keys(t, MEASURE);
        let loc = r.loc(t.span.0);
        let id = r.string(t, "id", true).map(|v| v.0);
        let name = r.string(t, "name", true).map(|v| v.0);
        let name_en = r.string(t, "name_en", false).map(|v| v.0);
        if let (Some(id), Some(name)) = (id, name) {
            if s.measure_names.iter().any(|m| m.id == id) {
                r.diags.push(Diag::error(&r.file, Some(loc), format!("measure `{id}` is named twice")));
                continue;
            }
            s.measure_names.push(MeasureName { id, name, name_en, loc });
        }
    }
    s
}

fn read_kind(r: &mut Reader<'_>, t: Table<'_, '_>) -> Option<IndicatorKind> {
    let (kind, kl) = r.string(t, "kind", true)?;
    let mut s = |k: &str| r.string(t, k, true).map(|v| v.0);
    Some(match kind.as_str() {
        "target" => {
            let measure = s("measure")?;
            IndicatorKind::Target {
                measure,
                target: number(r, t, "target", true)?,
                per_point: number(r, t, "per_point", true)?,
                bonus_per_point: number(r, t, "bonus_per_point", false).unwrap_or(0.0),
                bonus_cap: number(r, t, "bonus_cap", false).unwrap_or(0.0),
            }
        }
        "bands" => {
            let measure = s("measure")?;
            let mut bands = pairs(r, t, "bands")?;
            bands.sort_by(|a, b| b.0.total_cmp(&a.0));
            IndicatorKind::Bands { measure, bands }
        }
        "range" => {
            let measure = s("measure")?;
            IndicatorKind::Range { measure, min: number(r, t, "min", true)?, max: number(r, t, "max", true)? }
        }
        "pro_rata" => {
            let achieved = s("achieved")?;
            IndicatorKind::ProRata { achieved, due: r.string(t, "due", true)?.0 }
        }
        "per_case" => {
            let measure = s("measure")?;
            IndicatorKind::PerCase { measure, per_case: number(r, t, "per_case", true)? }
        }
        "checklist" => {
            let items = r.strings(t, "items", true)?.into_iter().map(|v| v.0).collect();
            IndicatorKind::Checklist { items, per_missing: number(r, t, "per_missing", true)? }
        }
        "accuracy" => {
            let field = s("field")?;
            IndicatorKind::Accuracy {
                field,
                tolerance: number(r, t, "tolerance", true)?,
                per_point: number(r, t, "per_point", true)?,
                zero_beyond: number(r, t, "zero_beyond", false),
                veto_beyond: number(r, t, "veto_beyond", false),
            }
        }
        "verification" => {
            let field = s("field")?;
            let mut tiers = pairs(r, t, "tiers")?;
            tiers.sort_by(|a, b| a.0.total_cmp(&b.0));
            IndicatorKind::Verification { field, tiers }
        }
        "formula" => {
            let (text, fl) = r.string(t, "formula", true)?;
            match Expr::parse(&text) {
                Ok(expr) => IndicatorKind::Formula { expr, text },
                Err(why) => {
                    r.diags.push(Diag::error(
                        &r.file,
                        Some(fl),
                        format!("formula `{}`: {why}", excerpt(&text)),
                    ));
                    return None;
                }
            }
        }
        other => {
            r.diags.push(Diag::error(
                &r.file,
                Some(kl),
                format!("unknown indicator kind `{other}`; expected target, bands, range, pro_rata, per_case, checklist, accuracy, verification or formula"),
            ));
            return None;
        }
    })
}

/// The suffixes of a measure with sampling error: its two-sided interval
/// and one-sided bounds at the campaign's confidence.
pub const BOUND_SUFFIXES: [&str; 4] = ["lo", "hi", "lcb", "ucb"];

/// A field's measures: those without sampling error (counts, sums over the
/// sample, p-values) and those with it (SCORING.md §3).
fn field_measures(kind: Kind, reported: bool) -> (&'static [&'static str], &'static [&'static str]) {
    match (kind, reported) {
        (Kind::Count | Kind::Amount, true) => (
            &[
                "reported",
                "found_weighted",
                "reported_weighted",
                "found_sample",
                "reported_sample",
                "found_omitted",
                "omitted_ht",
                "df",
                "verified_se",
                "ratio_se",
                "ht_se",
                "under_cases",
                "over_cases",
                "p_under",
                "p_over",
            ],
            &["verified", "ht", "ratio", "accuracy", "error_rate", "under_rate", "over_rate"],
        ),
        (Kind::Count | Kind::Amount, false) => (&["found_sample", "ht_se", "df"], &["ht"]),
        (Kind::YesNo, true) => (&["reported_rate", "found_no", "found_yes", "df", "p_over"], &["found_rate"]),
        (Kind::YesNo, false) => (&["found_no", "found_yes", "df"], &["found_rate"]),
        _ => (&[], &[]),
    }
}

/// The county-wide measures.
pub const COUNTY_MEASURES: [&str; 5] =
    ["sampled", "findings_missing", "reports_missing", "report_submitted", "omitted_villages"];

/// The names of the measures these rules give (SCORING.md §3, §11).
pub fn measure_names(rules: &Rules) -> Vec<String> {
    let mut out: Vec<String> = COUNTY_MEASURES.map(String::from).to_vec();
    if rules.households.is_some() {
        out.extend(crate::score::households::COUNTY_MEASURES.map(String::from));
    }
    for f in &rules.inspection.fields {
        if f.level == super::FieldLevel::Household {
            let (exact, bounded) = crate::score::households::field_measures(f);
            out.extend(exact);
            for b in bounded {
                out.extend(BOUND_SUFFIXES.iter().map(|x| format!("{b}_{x}")));
                out.push(b);
            }
            continue;
        }
        let (exact, bounded) = field_measures(f.kind, f.reported);
        out.extend(exact.iter().map(|s| format!("{}_{s}", f.id)));
        for b in bounded {
            out.push(format!("{}_{b}", f.id));
            out.extend(BOUND_SUFFIXES.iter().map(|x| format!("{}_{b}_{x}", f.id)));
        }
    }
    out
}

/// Whether `name` is a measure with sampling error, whose bounds are
/// `{name}_lcb` and `{name}_ucb`.
pub fn is_bounded(rules: &Rules, name: &str) -> bool {
    rules.inspection.fields.iter().any(|f| {
        if f.level == super::FieldLevel::Household {
            return crate::score::households::field_measures(f).1.iter().any(|b| b == name);
        }
        let (_, bounded) = field_measures(f.kind, f.reported);
        bounded.iter().any(|b| name.strip_prefix(f.id.as_str()).and_then(|r| r.strip_prefix('_')) == Some(b))
    })
}

/// Reports indicator and veto names that are not measures of these rules.
pub fn check_names(rules: &Rules) -> Vec<Diag> {
    let known = measure_names(rules);
    let fields: Vec<&str> = rules.inspection.fields.iter().map(|f| f.id.as_str()).collect();
    let mut out = Vec::new();
    let mut need = |name: &str, loc: Loc, what: &str| {
        if !known.iter().any(|k| k == name) {
            out.push(Diag::error(
                &rules.file,
                Some(loc),
                format!(
                    "{what} `{name}` is not a measure of these rules{} (see SCORING.md §3)",
                    crate::error::did_you_mean(name, known.iter().map(String::as_str))
                ),
            ));
        }
    };
    for i in &rules.scoring.indicators {
        match &i.kind {
            IndicatorKind::Target { measure, .. }
            | IndicatorKind::Bands { measure, .. }
            | IndicatorKind::Range { measure, .. }
            | IndicatorKind::PerCase { measure, .. } => need(measure, i.loc, "measure"),
            IndicatorKind::ProRata { achieved, due } => {
                let suffix = if i.source == Source::Verified { "verified" } else { "reported" };
                need(&format!("{achieved}_{suffix}"), i.loc, "measure");
                need(&format!("{due}_{suffix}"), i.loc, "measure");
            }
            IndicatorKind::Checklist { items, .. } => {
                for it in items {
                    need(&format!("{it}_found_rate"), i.loc, "checklist item");
                }
            }
            IndicatorKind::Accuracy { field, .. } | IndicatorKind::Verification { field, .. } => {
                if fields.contains(&field.as_str()) {
                    need(&format!("{field}_error_rate"), i.loc, "measure");
                } else {
                    need(&format!("{field} (field)"), i.loc, "field");
                }
            }
            IndicatorKind::Formula { expr, .. } => {
                for n in expr.names() {
                    need(n, i.loc, "formula name");
                }
            }
        }
    }
    for v in &rules.scoring.vetoes {
        for n in v.when.names() {
            need(n, v.loc, "veto name");
        }
    }
    for m in &rules.scoring.measure_names {
        need(&m.id, m.loc, "[[measure]]");
    }
    out
}
