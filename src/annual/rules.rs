//! Annual assessment rules (年终考核): the point system, weighted
//! components fed by campaign scorecards or by CSV files of other
//! departments' scores, bonus and deduction items, vetoes, grade bands and
//! ranking groups. Every number carries where it comes from (`basis`).

use std::path::Path;

use crate::error::{Diag, Diags, Error, Loc, Result};
use crate::rules::names::Name;
use crate::rules::scoring::Evidence;
use crate::rules::{Reader, Table};

/// Where a component's or item's scores come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A campaign's scorecards, by the name given on the command line.
    Campaign(String),
    /// A CSV of county code and score, by the name given on the command line.
    Csv(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    /// Points of the annual total this component carries.
    pub weight: f64,
    pub source: Source,
    /// The full score of a CSV source (campaigns know their own maximum).
    pub out_of: f64,
    pub loc: Loc,
}

/// A bonus (加分) or deduction (扣分) item from a CSV, capped.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    pub cap: f64,
    pub source: String,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub enum VetoRule {
    /// Any veto raised in a feeding campaign.
    CampaignVeto,
    /// A campaign measure above a limit, e.g. births_error_rate > 0.07, read
    /// as the estimate or as its lower confidence bound.
    MeasureAbove { campaign: String, measure: String, limit: f64, evidence: Evidence },
    /// A total below the floor.
    Floor(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    pub name: String,
    pub name_en: String,
    pub min: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub name_en: Option<String>,
    pub counties: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnnualRules {
    pub file: String,
    pub name: String,
    pub name_en: Option<String>,
    /// The office that issues the assessment (its title block).
    pub issuer: Name,
    /// The assessment's document number (文号), e.g. 沧人口计生委〔2010〕3号.
    pub number: String,
    /// The date the assessment is issued, when the rules fix it.
    pub issued: Option<String>,
    /// The clock times are shown on (China Standard Time by default).
    pub utc_offset: crate::time::Offset,
    pub year: u64,
    pub points: f64,
    pub components: Vec<Component>,
    pub bonuses: Vec<Item>,
    pub deductions: Vec<Item>,
    /// Each veto rule with its reason.
    pub vetoes: Vec<(VetoRule, Name)>,
    /// Highest band first.
    pub grades: Vec<Grade>,
    /// The grade of a vetoed county.
    pub veto_grade: Grade,
    pub groups: Vec<Group>,
    /// A county absent from a source scores 0 there (else it is an error).
    pub missing_as_zero: bool,
}

fn source(r: &mut Reader<'_>, t: Table<'_, '_>) -> Option<Source> {
    let (s, l) = r.string(t, "from", true)?;
    match s.split_once(':') {
        Some(("campaign", name)) if !name.is_empty() => Some(Source::Campaign(name.to_string())),
        Some(("csv", name)) if !name.is_empty() => Some(Source::Csv(name.to_string())),
        _ => {
            r.diags.push(Diag::error(
                &r.file,
                Some(l),
                format!("`from = \"{s}\"`: expected \"campaign:NAME\" or \"csv:NAME\""),
            ));
            None
        }
    }
}

/// Parses annual rules text.
pub fn parse(file: &str, text: &str) -> (Option<AnnualRules>, Diags) {
    let mut r = Reader::new(file, text);
    let Some(doc) = crate::rules::parse_document_for(&mut r, text) else { return (None, r.diags) };
    let top = Table { t: doc.get_ref(), span: (0, 0), path: "" };
    r.known_keys(top, &["annual", "component", "bonus", "deduction", "veto", "grade", "group"]);
    let Some(a) = r.table(top, "annual", "annual", true) else { return (None, r.diags) };
    r.known_keys(
        a,
        &[
            "name",
            "name_en",
            "year",
            "points",
            "missing",
            "basis",
            "document",
            "issuer",
            "issuer_en",
            "number",
            "issued",
            "utc_offset",
        ],
    );
    r.string(a, "basis", false);
    r.string(a, "document", false);
    let name = r.string(a, "name", true).map(|v| v.0).unwrap_or_default();
    let name_en = r.string(a, "name_en", false).map(|v| v.0);
    let issuer = Name {
        zh: r.string(a, "issuer", false).map(|v| v.0).unwrap_or_default(),
        en: r.string(a, "issuer_en", false).map(|v| v.0),
    };
    let number = r.string(a, "number", false).map(|v| v.0).unwrap_or_default();
    let issued = r.date(a, "issued", false).map(|v| v.0);
    let utc_offset = crate::time::read_offset(&mut r, a, "utc_offset");
    let year = r.uint(a, "year", true).map_or(0, |v| v.0);
    let points = r.rate_or_number(a, "points", true).unwrap_or(100.0);
    let missing_as_zero = match r.string(a, "missing", false) {
        None => false,
        Some((s, _)) if s == "error" => false,
        Some((s, _)) if s == "zero" => true,
        Some((s, l)) => {
            r.diags.push(Diag::error(
                &r.file,
                Some(l),
                format!("`missing = \"{s}\"`: expected \"error\" or \"zero\""),
            ));
            false
        }
    };
    let mut components = Vec::new();
    for t in r.tables(top, "component", "component") {
        r.known_keys(t, &["id", "name", "name_en", "weight", "from", "out_of", "basis"]);
        r.string(t, "basis", false);
        let loc = r.loc(t.span.0);
        let (id, name) = (r.string(t, "id", true).map(|v| v.0), r.string(t, "name", true).map(|v| v.0));
        let name_en = r.string(t, "name_en", false).map(|v| v.0);
        let weight = r.rate_or_number(t, "weight", true);
        let out_of = r.rate_or_number(t, "out_of", false).unwrap_or(100.0);
        let src = source(&mut r, t);
        if weight.is_some_and(|w| w < 0.0) {
            r.diags.push(Diag::error(&r.file, Some(loc), "`weight` must be 0 or more"));
        }
        if out_of <= 0.0 {
            r.diags.push(Diag::error(&r.file, Some(loc), "`out_of` must be more than 0"));
        }
        if let (Some(id), Some(name), Some(weight), Some(source)) = (id, name, weight, src) {
            components.push(Component { id, name, name_en, weight, source, out_of, loc });
        }
    }
    if components.is_empty() {
        r.err_at(0..0, "no [[component]]: the annual total must come from at least one source");
    }
    let sum: f64 = components.iter().map(|c| c.weight).sum();
    if !components.is_empty() && (sum - points).abs() > 1e-9 {
        let loc = components[0].loc;
        r.diags.push(Diag::error(
            &r.file,
            Some(loc),
            format!("component weights add up to {sum}, not the {points} points of the system"),
        ));
    }
    let items = |r: &mut Reader<'_>, key: &str| -> Vec<Item> {
        let mut out = Vec::new();
        for t in r.tables(top, key, key) {
            r.known_keys(t, &["id", "name", "name_en", "cap", "from", "basis"]);
            r.string(t, "basis", false);
            let loc = r.loc(t.span.0);
            let name_en = r.string(t, "name_en", false).map(|v| v.0);
            let (id, name, cap) =
                (r.string(t, "id", true), r.string(t, "name", true), r.rate_or_number(t, "cap", true));
            let src = match source(r, t) {
                Some(Source::Csv(n)) => Some(n),
                Some(Source::Campaign(_)) => {
                    r.diags.push(Diag::error(
                        &r.file,
                        Some(loc),
                        format!("[[{key}]] items come from a CSV (`from = \"csv:NAME\"`)"),
                    ));
                    None
                }
                None => None,
            };
            if cap.is_some_and(|c| c < 0.0) {
                r.diags.push(Diag::error(&r.file, Some(loc), "`cap` must be 0 or more"));
                continue;
            }
            if let (Some(id), Some(name), Some(cap), Some(source)) = (id, name, cap, src) {
                out.push(Item { id: id.0, name: name.0, name_en, cap, source, loc });
            }
        }
        out
    };
    let bonuses = items(&mut r, "bonus");
    let deductions = items(&mut r, "deduction");
    let mut vetoes = Vec::new();
    for t in r.tables(top, "veto", "veto") {
        r.known_keys(
            t,
            &["kind", "campaign", "measure", "above", "below", "reason", "reason_en", "basis", "evidence"],
        );
        r.string(t, "basis", false);
        let reason = Name {
            zh: r.string(t, "reason", true).map(|v| v.0).unwrap_or_default(),
            en: r.string(t, "reason_en", false).map(|v| v.0),
        };
        let Some((kind, kl)) = r.string(t, "kind", true) else { continue };
        let rule = match kind.as_str() {
            "campaign" => Some(VetoRule::CampaignVeto),
            "floor" => r.rate_or_number(t, "below", true).map(VetoRule::Floor),
            "measure" => {
                let c = r.string(t, "campaign", true).map(|v| v.0);
                let m = r.string(t, "measure", true).map(|v| v.0);
                let l = r.rate_or_number(t, "above", true);
                let evidence = match r.string(t, "evidence", false) {
                    None => Some(Evidence::Estimate),
                    Some((e, _)) if e == "estimate" => Some(Evidence::Estimate),
                    Some((e, _)) if e == "bound" => Some(Evidence::Bound),
                    Some((e, el)) => {
                        r.diags.push(Diag::error(
                            &r.file,
                            Some(el),
                            format!("unknown `evidence = \"{e}\"`; expected \"estimate\" or \"bound\""),
                        ));
                        None
                    }
                };
                match (c, m, l, evidence) {
                    (Some(campaign), Some(measure), Some(limit), Some(evidence)) => {
                        Some(VetoRule::MeasureAbove { campaign, measure, limit, evidence })
                    }
                    _ => None,
                }
            }
            _ => {
                r.diags.push(Diag::error(
                    &r.file,
                    Some(kl),
                    format!("unknown veto kind `{kind}`; expected campaign, measure or floor"),
                ));
                None
            }
        };
        if let Some(rule) = rule {
            vetoes.push((rule, reason));
        }
    }
    let mut grades = Vec::new();
    let mut veto_grade = None;
    for t in r.tables(top, "grade", "grade") {
        r.known_keys(t, &["name", "name_en", "min", "vetoed"]);
        let name = r.string(t, "name", true).map(|v| v.0).unwrap_or_default();
        let name_en = r.string(t, "name_en", false).map(|v| v.0).unwrap_or_else(|| name.clone());
        let min = r.rate_or_number(t, "min", false).unwrap_or(f64::NEG_INFINITY);
        let g = Grade { name, name_en, min };
        if r.boolean(t, "vetoed").is_some_and(|v| v.0) {
            veto_grade = Some(g.clone());
        }
        grades.push(g);
    }
    grades.sort_by(|a, b| b.min.total_cmp(&a.min));
    if grades.is_empty() {
        r.err_at(0..0, "no [[grade]]: the rules must give grade bands");
    }
    let veto_grade = veto_grade.or_else(|| grades.last().cloned()).unwrap_or(Grade {
        name: "不合格".into(),
        name_en: "fail".into(),
        min: 0.0,
    });
    let mut groups = Vec::new();
    for t in r.tables(top, "group", "group") {
        r.known_keys(t, &["name", "name_en", "counties"]);
        let name = r.string(t, "name", true).map(|v| v.0).unwrap_or_default();
        let name_en = r.string(t, "name_en", false).map(|v| v.0);
        let counties = r.strings(t, "counties", true).unwrap_or_default().into_iter().map(|v| v.0).collect();
        groups.push(Group { name, name_en, counties });
    }
    // A measure veto must name a campaign that feeds a component.
    for (v, _) in &vetoes {
        if let VetoRule::MeasureAbove { campaign, .. } = v
            && !components.iter().any(|c| c.source == Source::Campaign(campaign.clone()))
        {
            r.err_at(
                0..0,
                format!("a measure veto names campaign `{campaign}`, which feeds no [[component]]"),
            );
        }
    }
    let rules = AnnualRules {
        file: file.to_string(),
        name,
        name_en,
        issuer,
        number,
        issued,
        utc_offset,
        year,
        points,
        components,
        bonuses,
        deductions,
        vetoes,
        grades,
        veto_grade,
        groups,
        missing_as_zero,
    };
    (Some(rules), r.diags)
}

impl AnnualRules {
    /// The group a county is ranked in, if any.
    pub fn group_of(&self, code: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.counties.iter().any(|c| c == code))
    }

    /// Names the rules should give and do not: in rules that give any
    /// English name, each English name missing (`--lang en` shows the
    /// Chinese one instead).
    pub fn missing_names(&self) -> Vec<Diag> {
        let mut named: Vec<(String, Option<Loc>, bool)> =
            vec![("[annual] `name_en`".into(), None, self.name_en.is_some())];
        if !self.issuer.zh.is_empty() {
            named.push(("[annual] `issuer_en`".into(), None, self.issuer.en.is_some()));
        }
        named.extend(
            self.components
                .iter()
                .map(|c| (format!("component `{}`", c.id), Some(c.loc), c.name_en.is_some())),
        );
        named.extend(
            self.bonuses
                .iter()
                .chain(&self.deductions)
                .map(|i| (format!("item `{}`", i.id), Some(i.loc), i.name_en.is_some())),
        );
        named.extend(self.groups.iter().map(|g| (format!("group `{}`", g.name), None, g.name_en.is_some())));
        named.extend(self.vetoes.iter().map(|(_, r)| (format!("veto `{}`", r.zh), None, r.en.is_some())));
        if !named.iter().any(|n| n.2) {
            return Vec::new();
        }
        named
            .into_iter()
            .filter(|n| !n.2)
            .map(|(what, loc, _)| {
                Diag::warning(
                    &self.file,
                    loc,
                    format!("{what} has no English name: --lang en shows the Chinese name"),
                )
            })
            .collect()
    }
}

/// Reads annual rules from a file; warnings (names missing) are returned
/// with them.
pub fn load(path: &Path, display: &str) -> Result<(AnnualRules, Diags)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let (rules, diags) = parse(display, &text);
    let mut warnings = diags.into_result()?;
    let rules = rules.ok_or_else(|| Error::Usage(format!("{display}: not annual rules")))?;
    warnings.0.extend(rules.missing_names());
    Ok((rules, warnings))
}
