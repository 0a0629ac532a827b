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
        self.render_parts(cards, v).concat()
    }
}

impl Json {
    /// The scorecards' JSON in parts, rendered at once on all cores, whose
    /// concatenation is [`Render::render`]'s text: a national campaign's is
    /// written part after part, never joined in memory.
    pub fn render_parts(&self, cards: &[Card], v: View<'_>) -> Vec<Vec<u8>> {
        let parts = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut out = pretty_array(cards, parts, |c| card(c, v));
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
/// their values. Each value is built just before it is written (the whole
/// list as JSON values would hold several times the scorecards' memory at
/// national scale), and a long list is written in up to `parts` parts at
/// once. A value printed alone is indented one level deeper to sit in the
/// array: JSON strings hold no raw line break, so every line break of the
/// text is one of the printer's.
fn pretty_array<T: Sync>(
    items: &[T],
    parts: usize,
    value: impl Fn(&T) -> serde_json::Value + Sync,
) -> Vec<Vec<u8>> {
    if items.is_empty() {
        return vec![b"[]".to_vec()];
    }
    // Part `k`'s text: the array's opening or the comma after the part
    // before, then its values.
    let write = |k: usize, chunk: &[T]| -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(if k == 0 { b"[\n" } else { b",\n" });
        for (i, item) in chunk.iter().enumerate() {
            let text = serde_json::to_vec_pretty(&value(item)).expect("scorecards serialise");
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{PART, pretty_array};

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
                let got = pretty_array(&items[..n], parts, Value::clone);
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
}
