//! Scorecards as JSON, with every measure, for programs. Ids and measure
//! names are kept as they are (programs read them); each sentence is also
//! given in the report's language.

use super::{Render, View, words};
use crate::score::card::{Card, CardVeto};

pub struct Json;

impl Render for Json {
    fn file_name(&self) -> &'static str {
        "scorecards.json"
    }

    fn render(&self, cards: &[Card], v: View<'_>) -> Vec<u8> {
        self.render_parts(cards, v).concat()
    }
}

impl Json {
    /// The scorecards' JSON in parts, rendered at once on all cores, whose
    /// concatenation is [`Render::render`]'s text: a national campaign's is
    /// written part after part, never joined in memory.
    pub fn render_parts(&self, cards: &[Card], v: View<'_>) -> Vec<Vec<u8>> {
        let parts = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut out = pretty_array(cards, parts, |c| {
            serde_json::to_vec_pretty(&card(c, v)).expect("scorecards serialise")
        });
        if let Some(last) = out.last_mut() {
            last.push(b'\n');
        }
        out
    }
}

/// Below this many items an array is written in one part.
const PART: usize = 64;

/// `items` as a pretty-printed JSON array, in parts whose concatenation is
/// byte for byte what `serde_json::to_vec_pretty` gives for the array of
/// their values, `pretty` giving each item's pretty-printed text. Each
/// value is made just before it is written (the whole list made first
/// would hold several times the scorecards' memory at national scale),
/// and a long list is written in up to `parts` parts at once. A value
/// printed alone is indented one level deeper to sit in the array: JSON
/// strings hold no raw line break, so every line break of the text is one
/// of the printer's.
fn pretty_array<T: Sync>(items: &[T], parts: usize, pretty: impl Fn(&T) -> Vec<u8> + Sync) -> Vec<Vec<u8>> {
    if items.is_empty() {
        return vec![b"[]".to_vec()];
    }
    // Part `k`'s text: the array's opening or the comma after the part
    // before, then its values.
    let write = |k: usize, chunk: &[T]| -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(if k == 0 { b"[\n" } else { b",\n" });
        for (i, item) in chunk.iter().enumerate() {
            let text = pretty(item);
            if i > 0 {
                out.extend_from_slice(b",\n");
            }
            for (j, line) in text.split(|&b| b == b'\n').enumerate() {
                if j > 0 {
                    out.push(b'\n');
                }
                out.extend_from_slice(b"  ");
                out.extend_from_slice(line);
            }
        }
        out
    };
    let parts = parts.min(items.len().div_ceil(PART)).max(1);
    let mut texts: Vec<Vec<u8>> = if parts == 1 {
        vec![write(0, items)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = items
                .chunks(items.len().div_ceil(parts))
                .enumerate()
                .map(|(k, chunk)| s.spawn(move || write(k, chunk)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
        })
    };
    if let Some(last) = texts.last_mut() {
        last.extend_from_slice(b"\n]");
    }
    texts
}

/// A scorecard as JSON: its fields in the order of their names, as a JSON
/// object of the `serde_json` crate (which keeps keys sorted) writes them,
/// and nothing copied that can be borrowed. A test holds it to the card
/// built as a JSON object, byte for byte.
fn card<'a>(c: &'a Card, v: View<'a>) -> CardOut<'a> {
    let level = Some(c.measures.level);
    CardOut {
        activities: c
            .activities
            .iter()
            .map(|a| ActivityOut { activity: v.names.activity_named(&a.0, v.lang), max: a.2, points: a.1 })
            .collect(),
        code: &c.code,
        confidence: c.measures.level,
        indicators: c
            .results
            .iter()
            .map(|r| IndicatorOut {
                activity: v.names.activity(&r.id, v.lang),
                bonus: r.bonus,
                earned: r.earned,
                id: &r.id,
                max: r.max,
                measures: r
                    .used
                    .iter()
                    .map(|(k, x)| MeasureOut { label: v.names.measure(k, v.lang), name: k, value: *x })
                    .collect(),
                name: v.names.indicator(&r.id, v.lang),
                rule: v.names.rule(&r.id, v.lang),
                trail: r
                    .lines
                    .iter()
                    .map(|l| TrailOut {
                        delta: l.delta + 0.0,
                        text: words::step(&l.step, v.names, v.lang, level),
                    })
                    .collect(),
                verdicts: r
                    .verdicts
                    .iter()
                    .map(|x| VerdictOut {
                        estimate: x.estimate,
                        evidence: x.evidence.name(),
                        line: x.line,
                        measure: &x.measure,
                        op: x.op,
                        risk: x.risk,
                        used: x.used,
                        veto: x.veto,
                    })
                    .collect(),
                veto: r.veto.as_ref().map(|x| words::verdict(x, v.names, v.lang, level)),
            })
            .collect(),
        lang: v.lang.code(),
        max: c.max,
        measures: &c.measures.values,
        missing_findings: &c.measures.missing_findings,
        missing_reports: &c.measures.missing_reports,
        name: &c.name,
        provisional: c.provisional,
        reweighted: &c.measures.reweighted,
        total: c.total,
        veto_conditions: c
            .vetoes
            .iter()
            .filter_map(|x| match x {
                CardVeto::Rule(r) => Some(r),
                CardVeto::Indicator { .. } => None,
            })
            .map(|r| VetoOut {
                cases: r
                    .cases
                    .iter()
                    .map(|(code, rep, f)| CaseOut { code, found: *f, reported: *rep })
                    .collect(),
                condition: &r.condition,
                evidence: r.evidence.name(),
                id: &r.id,
                name: v.names.veto(&r.id, v.lang),
                read: r
                    .parts
                    .iter()
                    .map(|(cmp, val, held)| ReadOut {
                        holds: *held,
                        line: cmp.line,
                        measure: &cmp.name,
                        op: cmp.op_text(),
                        value: *val,
                    })
                    .collect(),
                reason: v.names.veto_reason(&r.id, v.lang),
                risk: r.risk,
            })
            .collect(),
        vetoes: c.vetoes.iter().map(|x| words::card_veto(x, v.names, v.lang, level)).collect(),
    }
}

#[derive(serde::Serialize)]
struct CardOut<'a> {
    activities: Vec<ActivityOut>,
    code: &'a str,
    confidence: f64,
    indicators: Vec<IndicatorOut<'a>>,
    lang: &'static str,
    max: f64,
    measures: &'a std::collections::BTreeMap<String, f64>,
    missing_findings: &'a [String],
    missing_reports: &'a [String],
    name: &'a str,
    provisional: bool,
    reweighted: &'a [String],
    total: f64,
    veto_conditions: Vec<VetoOut<'a>>,
    vetoes: Vec<String>,
}

#[derive(serde::Serialize)]
struct ActivityOut {
    activity: String,
    max: f64,
    points: f64,
}

#[derive(serde::Serialize)]
struct IndicatorOut<'a> {
    activity: String,
    bonus: f64,
    earned: f64,
    id: &'a str,
    max: f64,
    measures: Vec<MeasureOut<'a>>,
    name: String,
    rule: String,
    trail: Vec<TrailOut>,
    verdicts: Vec<VerdictOut<'a>>,
    veto: Option<String>,
}

#[derive(serde::Serialize)]
struct MeasureOut<'a> {
    label: String,
    name: &'a str,
    value: f64,
}

#[derive(serde::Serialize)]
struct TrailOut {
    delta: f64,
    text: String,
}

#[derive(serde::Serialize)]
struct VerdictOut<'a> {
    estimate: f64,
    evidence: &'static str,
    line: f64,
    measure: &'a str,
    op: &'static str,
    risk: Option<f64>,
    used: f64,
    veto: bool,
}

#[derive(serde::Serialize)]
struct VetoOut<'a> {
    cases: Vec<CaseOut<'a>>,
    condition: &'a str,
    evidence: &'static str,
    id: &'a str,
    name: String,
    read: Vec<ReadOut<'a>>,
    reason: String,
    risk: Option<f64>,
}

#[derive(serde::Serialize)]
struct CaseOut<'a> {
    code: &'a str,
    found: f64,
    reported: f64,
}

#[derive(serde::Serialize)]
struct ReadOut<'a> {
    holds: bool,
    line: f64,
    measure: &'a str,
    op: &'static str,
    value: f64,
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// The card as a JSON object: what [`card`] must write, byte for byte.
    fn card_value(c: &Card, v: View<'_>) -> serde_json::Value {
        let level = Some(c.measures.level);
        json!({
            "code": c.code, "name": c.name, "total": c.total, "max": c.max,
            "vetoes": c.vetoes.iter().map(|x| words::card_veto(x, v.names, v.lang, level)).collect::<Vec<_>>(),
            "provisional": c.provisional,
            "confidence": c.measures.level,
            "lang": v.lang.code(),
            "veto_conditions": c.vetoes.iter().filter_map(|x| match x {
                CardVeto::Rule(r) => Some(r),
                CardVeto::Indicator { .. } => None,
            }).map(|r| json!({
                "id": r.id, "name": v.names.veto(&r.id, v.lang), "reason": v.names.veto_reason(&r.id, v.lang),
                "condition": r.condition, "evidence": r.evidence.name(),
                "risk": r.risk,
                "cases": r.cases.iter().map(|(code, rep, f)| json!({"code": code, "reported": rep, "found": f})).collect::<Vec<_>>(),
                "read": r.parts.iter().map(|(cmp, val, held)| json!({
                    "measure": cmp.name, "op": cmp.op_text(), "line": cmp.line, "value": val, "holds": held,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "activities": c.activities.iter().map(|a| json!({"activity": v.names.activity_named(&a.0, v.lang), "points": a.1, "max": a.2})).collect::<Vec<_>>(),
            "indicators": c.results.iter().map(|r| json!({
                "id": r.id, "name": v.names.indicator(&r.id, v.lang), "activity": v.names.activity(&r.id, v.lang),
                "rule": v.names.rule(&r.id, v.lang), "max": r.max,
                "earned": r.earned, "bonus": r.bonus,
                "veto": r.veto.as_ref().map(|x| words::verdict(x, v.names, v.lang, level)),
                "trail": r.lines.iter().map(|l| json!({"text": words::step(&l.step, v.names, v.lang, level), "delta": l.delta + 0.0})).collect::<Vec<_>>(),
                "measures": r.used.iter().map(|(k, x)| json!({"name": k, "label": v.names.measure(k, v.lang), "value": x})).collect::<Vec<_>>(),
                "verdicts": r.verdicts.iter().map(|x| json!({
                    "measure": x.measure, "estimate": x.estimate, "used": x.used, "op": x.op, "line": x.line,
                    "evidence": x.evidence.name(), "risk": x.risk, "veto": x.veto,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "measures": c.measures.values,
            "missing_findings": c.measures.missing_findings,
            "missing_reports": c.measures.missing_reports,
            "reweighted": c.measures.reweighted,
        })
    }

    #[test]
    fn an_array_written_in_parts_is_the_array_written_at_once() {
        // Nested objects and arrays, empty ones, and strings with escaped
        // line breaks and Chinese text, enough of them for several parts.
        let items: Vec<Value> = (0..3 * PART + 7)
            .map(|i| {
                json!({
                    "code": format!("{i:06}"), "name": "县\n一", "n": i, "x": i as f64 / 3.0,
                    "empty": [], "none": {}, "list": [1, {"a": [true, null]}, "b\"c"],
                    "deep": {"k": {"v": [[], [i]]}},
                })
            })
            .collect();
        for n in [0, 1, 2, PART - 1, PART, PART + 1, items.len()] {
            let want = serde_json::to_vec_pretty(&items[..n]).unwrap();
            for parts in [1, 2, 3, 8] {
                let got = pretty_array(&items[..n], parts, |x| serde_json::to_vec_pretty(x).unwrap());
                // A part at most per PART items, and as many as asked for.
                assert_eq!(got.len(), parts.min(n.div_ceil(PART)).max(1), "{n} items, {parts} parts");
                let got = got.concat();
                assert_eq!(
                    String::from_utf8(got).unwrap(),
                    String::from_utf8(want.clone()).unwrap(),
                    "{n} items, {parts} parts"
                );
            }
        }
    }

    /// A card with every kind of part: rule and indicator vetoes with
    /// cases and comparisons, verdicts with and without a risk, a measure
    /// that is not a number, a trail step of −0, Chinese and English.
    #[test]
    fn a_card_is_written_as_its_json_object_would_be() {
        use crate::rules::scoring::Evidence;
        use crate::score::expr::{BinOp, Comparison};
        use crate::score::measures::Measures;
        use crate::score::points::{Line, Scored, Step, Verdict, VetoResult};
        let rules = crate::rules::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/cangzhou-2008-face-to-face.toml"),
            "r.toml",
        )
        .unwrap();
        let names = crate::rules::names::Names::new(&rules);
        let verdict = |risk: Option<f64>, veto: bool| Verdict {
            measure: "births_accuracy".into(),
            estimate: 0.9123456789,
            used: 0.88,
            op: "<",
            line: 0.9,
            evidence: Evidence::Bound,
            risk,
            veto,
        };
        let mut values = std::collections::BTreeMap::new();
        values.insert("births_ratio".to_string(), 1.0625);
        values.insert("births_ratio_lo".to_string(), f64::NAN);
        values.insert("births_verified".to_string(), 12345.0);
        let card = Card {
            code: "130902".into(),
            name: "运河区".into(),
            results: vec![Scored {
                id: "birth_accuracy".into(),
                name: "出生统计准确率".into(),
                activity: "统计".into(),
                rule: "accuracy".into(),
                max: 10.0,
                earned: 7.5,
                bonus: 0.0,
                lines: vec![
                    Line { step: Step::Missing { measure: "births_ratio".into() }, delta: -0.0 },
                    Line { step: Step::AccuracyZero { verdict: verdict(Some(0.0312), false) }, delta: -2.5 },
                ],
                used: vec![("births_ratio".into(), 1.0625), ("births_accuracy".into(), f64::NAN)],
                verdicts: vec![verdict(Some(0.0312), false), verdict(None, true)],
                veto: Some(verdict(Some(0.001), true)),
            }],
            activities: vec![("统计".into(), 7.5, 10.0)],
            total: 7.5,
            max: 100.0,
            vetoes: vec![
                CardVeto::Rule(VetoResult {
                    id: "concealment".into(),
                    reason: "瞒报".into(),
                    condition: "births_under_cases > 0 and births_ratio > 1.05".into(),
                    evidence: Evidence::Estimate,
                    parts: vec![
                        (
                            Comparison { name: "births_under_cases".into(), op: BinOp::Gt, line: 0.0 },
                            3.0,
                            true,
                        ),
                        (Comparison { name: "births_ratio".into(), op: BinOp::Gt, line: 1.05 }, 1.0625, true),
                    ],
                    risk: None,
                    cases: vec![("130902001001".into(), 4.0, 6.0), ("130902001002".into(), 0.0, 1.0)],
                }),
                CardVeto::Indicator {
                    indicator: "birth_accuracy".into(),
                    verdict: verdict(Some(0.001), true),
                },
            ],
            measures: Measures {
                values,
                level: 0.95,
                missing_findings: vec!["130902002001".into()],
                missing_reports: vec!["130902003001".into()],
                reweighted: vec!["t1".into()],
                ..Measures::default()
            },
            provisional: true,
            round: None,
            pending: None,
        };
        let cards = vec![card.clone(), Card { vetoes: Vec::new(), results: Vec::new(), ..card }];
        for lang in [crate::lang::Lang::Zh, crate::lang::Lang::En] {
            let v = View { names: &names, lang };
            let want: Vec<serde_json::Value> = cards.iter().map(|c| card_value(c, v)).collect();
            let mut want = serde_json::to_vec_pretty(&want).unwrap();
            want.push(b'\n');
            let got = Json.render(&cards, v);
            assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(want).unwrap());
        }
    }
}
