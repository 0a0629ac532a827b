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
        let list: Vec<_> = cards
            .iter()
            .map(|c| {
                json!({
                    "code": c.code, "name": c.name, "total": c.total, "max": c.max, "vetoes": c.vetoes,
                    "provisional": c.provisional,
                    "confidence": c.measures.level,
                    "veto_conditions": c.veto_results.iter().map(|v| json!({
                        "id": v.id, "reason": v.reason, "condition": v.condition, "evidence": v.evidence.name(),
                        "risk": v.risk,
                        "cases": v.cases.iter().map(|(code, r, f)| json!({"code": code, "reported": r, "found": f})).collect::<Vec<_>>(),
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
            })
            .collect();
        let mut s = serde_json::to_string_pretty(&list).expect("scorecards serialise");
        s.push('\n');
        s.into_bytes()
    }
}
