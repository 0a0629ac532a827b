//! The append-only journal `journal.jsonl`: one JSON object per line, each
//! carrying the SHA-256 of the line before it, so an edited, reordered or
//! deleted line breaks the chain where it happened.

use serde::{Deserialize, Serialize};

use crate::hash::sha256_hex;

/// The `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// 1, 2, 3, … without gaps.
    pub seq: u64,
    /// UTC time of the event, RFC 3339.
    pub at: String,
    /// init, commit, draw, redraw, …
    pub event: String,
    /// The event's facts: hashes, seeds, reasons.
    pub data: serde_json::Value,
    /// SHA-256 (hex) of the previous line's bytes, without its newline.
    pub prev: String,
}

/// A journal read from text, with its chain checked.
#[derive(Debug, Clone)]
pub struct Journal {
    pub entries: Vec<Entry>,
    /// Hash of the last line: the `prev` of the next one.
    pub head: String,
    /// The hash of every line, in order.
    pub line_hashes: Vec<String>,
}

impl Default for Journal {
    fn default() -> Journal {
        Journal::new()
    }
}

impl Journal {
    /// An empty journal, ready for its first line.
    pub fn new() -> Journal {
        Journal { entries: Vec::new(), head: GENESIS.to_string(), line_hashes: Vec::new() }
    }

    /// Parses journal text. Returns the entries that could be read and one
    /// message per problem, each naming its line.
    pub fn parse(text: &str) -> (Journal, Vec<String>) {
        let mut j = Journal::new();
        let mut problems = Vec::new();
        if !text.is_empty() && !text.ends_with('\n') {
            problems.push(
                "journal.jsonl: the last line is incomplete (no newline): the file was cut or edited"
                    .to_string(),
            );
        }
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            match serde_json::from_str::<Entry>(line) {
                Ok(e) => {
                    if e.prev != j.head {
                        problems.push(format!(
                            "journal.jsonl:{n}: chain broken: this line does not follow line {} as written (a line was edited, removed or reordered)",
                            n - 1
                        ));
                    }
                    if e.seq != n as u64 {
                        problems.push(format!(
                            "journal.jsonl:{n}: sequence number {} where {n} was expected",
                            e.seq
                        ));
                    }
                    j.entries.push(e);
                }
                Err(err) => problems.push(format!("journal.jsonl:{n}: not a journal entry: {err}")),
            }
            j.head = sha256_hex(line.as_bytes());
            j.line_hashes.push(j.head.clone());
        }
        (j, problems)
    }

    /// The line that appends `event` to this journal, with its newline.
    pub fn next_line(&self, at: &str, event: &str, data: serde_json::Value) -> (Entry, String) {
        line(self.entries.len() as u64 + 1, &self.head, at, event, data)
    }

    pub fn last(&self, event: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.event == event)
    }

    pub fn all<'a>(&'a self, event: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries.iter().filter(move |e| e.event == event)
    }
}

/// The line numbered `seq` after a line hashing to `prev`, with its newline.
pub fn line(seq: u64, prev: &str, at: &str, event: &str, data: serde_json::Value) -> (Entry, String) {
    let e = Entry { seq, at: at.to_string(), event: event.to_string(), data, prev: prev.to_string() };
    let mut line = serde_json::to_string(&e).expect("journal entries serialise");
    line.push('\n');
    (e, line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(n: usize) -> String {
        let mut text = String::new();
        for i in 0..n {
            let (j, _) = Journal::parse(&text);
            let (_, line) = j.next_line("2026-01-01T00:00:00Z", "x", json!({ "i": i }));
            text.push_str(&line);
        }
        text
    }

    #[test]
    fn intact_chain_has_no_problems() {
        let (j, p) = Journal::parse(&build(4));
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(j.entries.len(), 4);
    }

    #[test]
    fn edits_deletions_and_reordering_break_the_chain() {
        let text = build(4);
        let lines: Vec<&str> = text.lines().collect();
        let edited = text.replace("\"i\":1", "\"i\":7");
        assert!(!Journal::parse(&edited).1.is_empty());
        let deleted = format!("{}\n{}\n{}\n", lines[0], lines[2], lines[3]);
        assert!(!Journal::parse(&deleted).1.is_empty());
        let swapped = format!("{}\n{}\n{}\n{}\n", lines[0], lines[2], lines[1], lines[3]);
        assert!(!Journal::parse(&swapped).1.is_empty());
    }
}
