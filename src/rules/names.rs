//! The names people read: every field, measure, indicator, activity, veto
//! and the campaign under its Chinese display name, with an optional
//! English one for `--lang en`. Reports never show an id or a formula; they
//! ask here. A measure without a `[[measure]]` name is named after its field
//! and what it measures (`2008年以来出生人数` + `误差率`).

use std::collections::HashMap;

use super::Rules;
use crate::error::Diag;
use crate::lang::{self, Lang};

/// A display name and its English twin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Name {
    pub zh: String,
    pub en: Option<String>,
}

impl Name {
    pub fn new(zh: &str, en: Option<&str>) -> Name {
        Name { zh: zh.to_string(), en: en.map(str::to_string) }
    }

    /// The name in `lang`; the Chinese name where there is no English one.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => self.en.as_deref().unwrap_or(&self.zh),
        }
    }
}

/// A field's names and unit, and a choice field's answers.
#[derive(Debug, Clone, PartialEq)]
struct FieldName {
    id: String,
    name: Name,
    unit: String,
    options: Vec<(String, Name)>,
}

impl FieldName {
    /// The words for one of the field's measures (`rest` after `id_`), and
    /// whether it is a share: the shared vocabulary, or an answer of a
    /// choice field (`satisfied_rate`, `satisfied_count`).
    fn word(&self, rest: &str, lang: Lang) -> Option<(String, bool)> {
        if let Some((w, share)) = lang::measure_word(rest, lang) {
            return Some((w.to_string(), share));
        }
        let (opt, what) = rest.rsplit_once('_')?;
        let (_, name) = self.options.iter().find(|(id, _)| id == opt)?;
        let n = name.get(lang);
        match (what, lang) {
            ("rate", Lang::Zh) => Some((format!("答“{n}”的户比例"), true)),
            ("rate", Lang::En) => Some((format!("share of households answering “{n}”"), true)),
            ("count", Lang::Zh) => Some((format!("答“{n}”的户数"), false)),
            ("count", Lang::En) => Some((format!("households answering “{n}”"), false)),
            _ => None,
        }
    }
}

/// The display names of one campaign's rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names {
    pub campaign: Name,
    fields: Vec<FieldName>,
    measures: HashMap<String, Name>,
    indicators: HashMap<String, (Name, Name, Name)>,
    vetoes: HashMap<String, (Name, Name)>,
}

impl Names {
    pub fn new(rules: &Rules) -> Names {
        let c = &rules.campaign;
        let mut fields: Vec<FieldName> = rules
            .inspection
            .fields
            .iter()
            .map(|f| FieldName {
                id: f.id.clone(),
                name: Name::new(&f.name, f.name_en.as_deref()),
                unit: f.unit.clone(),
                options: f
                    .options
                    .iter()
                    .map(|o| (o.id.clone(), Name::new(&o.name, o.name_en.as_deref())))
                    .collect(),
            })
            .collect();
        // Longest id first, so `births_under` is not read as `births` + `under…`.
        fields.sort_by_key(|f| std::cmp::Reverse(f.id.len()));
        Names {
            campaign: Name::new(&c.name, c.name_en.as_deref()),
            fields,
            measures: rules
                .scoring
                .measure_names
                .iter()
                .map(|m| (m.id.clone(), Name::new(&m.name, m.name_en.as_deref())))
                .collect(),
            indicators: rules
                .scoring
                .indicators
                .iter()
                .map(|i| {
                    (
                        i.id.clone(),
                        (
                            Name::new(&i.name, i.name_en.as_deref()),
                            Name::new(&i.activity, i.activity_en.as_deref()),
                            Name::new(&i.rule, i.rule_en.as_deref()),
                        ),
                    )
                })
                .collect(),
            vetoes: rules
                .scoring
                .vetoes
                .iter()
                .map(|v| {
                    let name = v.name.as_deref().unwrap_or(&v.reason);
                    (
                        v.id.clone(),
                        (
                            Name::new(name, v.name_en.as_deref().or(v.reason_en.as_deref())),
                            Name::new(&v.reason, v.reason_en.as_deref()),
                        ),
                    )
                })
                .collect(),
        }
    }

    fn field_of<'a>(&'a self, measure: &'a str) -> Option<(&'a FieldName, &'a str)> {
        self.fields.iter().find_map(|f| {
            let rest = measure.strip_prefix(f.id.as_str())?.strip_prefix('_')?;
            f.word(rest, Lang::Zh).map(|_| (f, rest))
        })
    }

    /// A field's display name.
    pub fn field(&self, id: &str, lang: Lang) -> String {
        self.fields
            .iter()
            .find(|f| f.id == id)
            .map_or_else(|| id.to_string(), |f| f.name.get(lang).to_string())
    }

    /// A field's unit (`人`, `元`), empty when it has none.
    pub fn unit(&self, id: &str) -> &str {
        self.fields.iter().find(|f| f.id == id).map_or("", |f| f.unit.as_str())
    }

    /// A measure's display name: its `[[measure]]` name, or its field's
    /// name and what it measures; a bound adds which bound.
    pub fn measure(&self, name: &str, lang: Lang) -> String {
        if let Some(n) = self.measures.get(name) {
            return n.get(lang).to_string();
        }
        if let Some((base, b)) = name.rsplit_once('_')
            && let Some(word) = lang::bound_word(b, lang)
            && (self.measures.contains_key(base) || self.field_of(base).is_some())
        {
            let base = self.measure(base, lang);
            return match lang {
                Lang::Zh => format!("{base}{word}"),
                Lang::En => format!("{base}, {word}"),
            };
        }
        if let Some((f, rest)) = self.field_of(name) {
            let (word, _) = f.word(rest, lang).unwrap_or_default();
            return match lang {
                Lang::Zh => format!("{}{word}", f.name.get(lang)),
                Lang::En => format!("{} {word}", f.name.get(lang)),
            };
        }
        lang::county_measure(name, lang).map_or_else(|| name.to_string(), str::to_string)
    }

    /// Whether a measure is a share, printed as a percentage.
    pub fn is_share(&self, name: &str) -> bool {
        let base = match name.rsplit_once('_') {
            Some((base, b)) if lang::bound_word(b, Lang::Zh).is_some() => base,
            _ => name,
        };
        self.field_of(base).and_then(|(f, rest)| f.word(rest, Lang::Zh)).is_some_and(|w| w.1)
    }

    /// A measure's value for people: a share as a percentage, a count or
    /// amount with its field's unit (in English, only a unit written in
    /// Latin letters: the rules' units are Chinese words).
    pub fn value(&self, name: &str, v: f64, lang: Lang) -> String {
        if self.is_share(name) {
            return lang::pct(v);
        }
        let unit = self.field_of(name).map_or("", |(f, rest)| match rest {
            "df" | "p_under" | "p_over" | "ratio" | "ratio_se" | "found_no" | "found_yes" => "",
            "yes" | "no" | "answered" | "contradictions" => "户",
            r if r.ends_with("_count") => "户",
            _ => f.unit.as_str(),
        });
        let unit = if lang == Lang::En && !unit.is_ascii() { "" } else { unit };
        format!("{}{unit}", lang::number(v))
    }

    /// An indicator's display name.
    pub fn indicator(&self, id: &str, lang: Lang) -> String {
        self.indicators.get(id).map_or_else(|| id.to_string(), |n| n.0.get(lang).to_string())
    }

    /// The activity an indicator belongs to.
    pub fn activity(&self, id: &str, lang: Lang) -> String {
        self.indicators.get(id).map_or_else(String::new, |n| n.1.get(lang).to_string())
    }

    /// An activity's display name, from its Chinese name.
    pub fn activity_named(&self, zh: &str, lang: Lang) -> String {
        self.indicators
            .values()
            .find(|n| n.1.zh == zh)
            .map_or_else(|| zh.to_string(), |n| n.1.get(lang).to_string())
    }

    /// The rule of an indicator, as written on the scoring sheet.
    pub fn rule(&self, id: &str, lang: Lang) -> String {
        self.indicators.get(id).map_or_else(String::new, |n| n.2.get(lang).to_string())
    }

    /// A veto's display name.
    pub fn veto(&self, id: &str, lang: Lang) -> String {
        self.vetoes.get(id).map_or_else(|| id.to_string(), |n| n.0.get(lang).to_string())
    }

    /// A veto's reason.
    pub fn veto_reason(&self, id: &str, lang: Lang) -> String {
        self.vetoes.get(id).map_or_else(String::new, |n| n.1.get(lang).to_string())
    }
}

/// Names the rules should give and do not, as warnings: a `[[veto]]`
/// without a `name`; and, in rules that give any English name, each
/// English name missing (`--lang en` shows the Chinese one instead).
pub fn missing(rules: &Rules) -> Vec<Diag> {
    let file = rules.file.as_str();
    let mut out = Vec::new();
    for v in rules.scoring.vetoes.iter().filter(|v| v.name.is_none()) {
        out.push(Diag::warning(
            file,
            Some(v.loc),
            format!("veto `{}` has no `name`: reports show its reason as its name", v.id),
        ));
    }
    let c = &rules.campaign;
    let s = &rules.scoring;
    let any_en = c.name_en.is_some()
        || rules.inspection.fields.iter().any(|f| f.name_en.is_some())
        || s.indicators.iter().any(|i| i.name_en.is_some() || i.activity_en.is_some() || i.rule_en.is_some())
        || s.vetoes.iter().any(|v| v.name_en.is_some() || v.reason_en.is_some())
        || s.measure_names.iter().any(|m| m.name_en.is_some());
    if !any_en {
        return out;
    }
    let mut need = |what: String, loc| {
        out.push(Diag::warning(file, loc, format!("{what}: --lang en shows the Chinese name")));
    };
    if c.name_en.is_none() {
        need("[campaign] has no `name_en`".to_string(), None);
    }
    for f in rules.inspection.fields.iter().filter(|f| f.name_en.is_none()) {
        need(format!("field `{}` has no `name_en`", f.id), Some(f.loc));
    }
    for i in &s.indicators {
        let keys: Vec<&str> = [
            ("name_en", i.name_en.is_none()),
            ("activity_en", i.activity_en.is_none()),
            ("rule_en", i.rule_en.is_none()),
        ]
        .iter()
        .filter(|k| k.1)
        .map(|k| k.0)
        .collect();
        if !keys.is_empty() {
            need(format!("indicator `{}` has no `{}`", i.id, keys.join("`, `")), Some(i.loc));
        }
    }
    for v in &s.vetoes {
        let keys: Vec<&str> = [("name_en", v.name_en.is_none()), ("reason_en", v.reason_en.is_none())]
            .iter()
            .filter(|k| k.1)
            .map(|k| k.0)
            .collect();
        if !keys.is_empty() {
            need(format!("veto `{}` has no `{}`", v.id, keys.join("`, `")), Some(v.loc));
        }
    }
    for m in s.measure_names.iter().filter(|m| m.name_en.is_none()) {
        need(format!("measure `{}` has no `name_en`", m.id), Some(m.loc));
    }
    out
}
