//! Scorecards as JSON, with every measure, for programs.

use serde_json::json;

use super::Render;
use crate::score::card::Card;

pub struct Json;

impl Render for Json {
    fn file_name(&self) -> &'static str {
        "scorecards.json"
    }

    fn render(&self, cards: &[Card]) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(&Each(cards)).expect("scorecards serialise");
        out.push(b'\n');
        out
    }
}

/// The cards as a JSON array, each built just before it is written: the
/// whole list as JSON values would hold several times the scorecards'
/// memory at national scale.
struct Each<'a>(&'a [Card]);

impl serde::Serialize for Each<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(card))
    }
}

fn card(c: &Card) -> serde_json::Value {
    json!({
        "code": c.code, "name": c.name, "total": c.total, "max": c.max, "vetoes": c.vetoes,
        "provisional": c.provisional,
        "confidence": c.measures.level,
        "veto_conditions": c.veto_results.iter().map(|v| json!({
            "id": v.id, "reason": v.reason, "condition": v.condition, "evidence": v.evidence.name(),
            "risk": v.risk,
            "read": v.parts.iter().map(|(cmp, val, held)| json!({
                "measure": cmp.name, "op": cmp.op_text(), "line": cmp.line, "value": val, "holds": held,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "activities": c.activities.iter().map(|a| json!({"activity": a.0, "points": a.1, "max": a.2})).collect::<Vec<_>>(),
        "indicators": c.results.iter().map(|r| json!({
            "id": r.id, "name": r.name, "activity": r.activity, "rule": r.rule, "max": r.max,
            "earned": r.earned, "bonus": r.bonus, "veto": r.veto,
            "trail": r.lines.iter().map(|l| json!({"text": l.text, "delta": l.delta})).collect::<Vec<_>>(),
            "measures": r.used.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
            "verdicts": r.verdicts.iter().map(|v| json!({
                "measure": v.measure, "estimate": v.estimate, "used": v.used, "op": v.op, "line": v.line,
                "evidence": v.evidence.name(), "risk": v.risk, "veto": v.veto,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "measures": c.measures.values,
        "missing_findings": c.measures.missing_findings,
        "missing_reports": c.measures.missing_reports,
        "reweighted": c.measures.reweighted,
    })
}
