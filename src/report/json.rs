//! Scorecards as JSON, with every measure, for programs. Ids and measure
//! names are kept as they are (programs read them); each sentence is also
//! given in the report's language.

use serde_json::json;

use super::{Render, View, words};
use crate::score::card::{Card, CardVeto};

pub struct Json;

impl Render for Json {
    fn file_name(&self) -> &'static str {
        "scorecards.json"
    }

    fn render(&self, cards: &[Card], v: View<'_>) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(&Each(cards, v)).expect("scorecards serialise");
        out.push(b'\n');
        out
    }
}

/// The cards as a JSON array, each built just before it is written: the
/// whole list as JSON values would hold several times the scorecards'
/// memory at national scale.
struct Each<'a>(&'a [Card], View<'a>);

impl serde::Serialize for Each<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|c| card(c, self.1)))
    }
}

fn card(c: &Card, v: View<'_>) -> serde_json::Value {
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
