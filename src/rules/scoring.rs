//! The scoring part of the rules: indicators (the vocabulary of real scoring
//! sheets, and formulas for the rest) and one-vote vetoes.

use super::Rules;
use super::inspection::Kind;
use super::reader::{Reader, Table};
use crate::error::{Diag, Loc};
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

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: String,
    pub name: String,
    /// One of the notice's five activities or three key points.
    pub activity: String,
    pub points: f64,
    /// The rule as written on the scoring sheet (Chinese).
    pub rule: String,
    pub basis: String,
    pub source: Source,
    pub kind: IndicatorKind,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Veto {
    pub id: String,
    pub when: Expr,
    pub text: String,
    pub reason: String,
    pub loc: Loc,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scoring {
    pub indicators: Vec<Indicator>,
    pub vetoes: Vec<Veto>,
    /// The interval for proportions: design (default), clopper-pearson or wilson.
    pub proportion_interval: crate::score::estimate::PropMethod,
}

const INDICATOR: &[&str] = &[
    "id",
    "name",
    "activity",
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
];
const VETO: &[&str] = &["id", "when", "reason", "basis"];

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
        r.known_keys(t, &["proportion_interval", "basis"]);
        r.string(t, "basis", false);
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
        let activity = r.string(t, "activity", true).map(|v| v.0).unwrap_or_default();
        let rule = r.string(t, "rule", true).map(|v| v.0).unwrap_or_default();
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
        if let (Some(id), Some(points), Some(kind)) = (id, points, kind) {
            if points < 0.0 {
                r.diags.push(Diag::error(&r.file, Some(loc), "`points` must be 0 or more"));
            }
            if s.indicators.iter().any(|i| i.id == id) {
                r.diags.push(Diag::error(&r.file, Some(loc), format!("indicator `{id}` is defined twice")));
                continue;
            }
            s.indicators.push(Indicator { id, name, activity, points, rule, basis, source, kind, loc });
        }
    }
    for t in r.tables(top, "veto", "veto") {
        r.known_keys(t, VETO);
        let loc = r.loc(t.span.0);
        r.string(t, "basis", false);
        let id = r.string(t, "id", true).map(|v| v.0);
        let reason = r.string(t, "reason", true).map(|v| v.0).unwrap_or_default();
        let Some((text, wl)) = r.string(t, "when", true) else { continue };
        match Expr::parse(&text) {
            Ok(when) => {
                if let Some(id) = id {
                    s.vetoes.push(Veto { id, when, text, reason, loc });
                }
            }
            Err(why) => {
                r.diags.push(Diag::error(&r.file, Some(wl), format!("veto condition `{text}`: {why}")))
            }
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
                    r.diags.push(Diag::error(&r.file, Some(fl), format!("formula `{text}`: {why}")));
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

/// The names of the measures a field gives (SCORING.md §3).
pub fn measure_names(rules: &Rules) -> Vec<String> {
    let mut out: Vec<String> =
        ["sampled", "findings_missing", "reports_missing", "report_submitted"].map(String::from).to_vec();
    for f in rules.inspection.fields.iter().filter(|f| f.reported) {
        let suffixes: &[&str] = match f.kind {
            Kind::Count | Kind::Amount => &[
                "reported",
                "verified",
                "verified_lo",
                "verified_hi",
                "ht",
                "ratio",
                "found_sample",
                "reported_sample",
                "accuracy",
                "error_rate",
                "under_rate",
                "over_rate",
                "under_cases",
                "over_cases",
                "p_under",
                "p_over",
            ],
            Kind::YesNo => {
                &["found_rate", "found_rate_lo", "found_rate_hi", "reported_rate", "found_no", "p_over"]
            }
            _ => &[],
        };
        out.extend(suffixes.iter().map(|s| format!("{}_{s}", f.id)));
    }
    for f in
        rules.inspection.fields.iter().filter(|f| !f.reported && matches!(f.kind, Kind::Count | Kind::Amount))
    {
        out.push(format!("{}_found_sample", f.id));
        out.push(format!("{}_ht", f.id));
    }
    out
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
                format!("{what} `{name}` is not a measure of these rules (see SCORING.md §3)"),
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
    out
}
