//! `spotcheck audit`: check the journal and every recorded file.

use serde_json::json;

use super::output::{self, Format, FormatArg};
use super::table::{Align, Table};
use super::{At, CmdResult, Folder, note, out, say};
use crate::lang::Lang;
use crate::workspace::lock::Mode;

/// Check the journal's hash chain and head record, the frozen inputs, the
/// recorded outputs, and everything else in the folder (files the journal
/// does not record, symbolic links, leftovers of an interrupted command);
/// list every problem. Exit 1 if any is found.
///
/// The chain shows edits anywhere but in its newest lines; journal.head
/// shows lines dropped from its end. Publish the journal head it prints
/// (after the draw, after scoring): only a published head holds against
/// someone who rewrites both. Later, --head checks that the journal still
/// passes through that published state.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "<HEAD> stands for a journal head printed and published earlier.\n\nExample:\n  spotcheck -C camp-2009 audit\n  spotcheck -C camp-2009 audit --head <HEAD>"
)]
pub struct Args {
    #[command(flatten)]
    pub at: At,
    /// A journal head published earlier, which must still be in the chain.
    #[arg(long, value_name = "SHA256")]
    pub head: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// A journal event for people: its Chinese name, or its id in English (the
/// ids are English words); CSV and JSON keep the ids.
fn event_name(id: &str, lang: Lang) -> &str {
    let zh = match id {
        "init" => "初始化",
        "reports" => "导入自查",
        "commit" => "承诺",
        "draw" => "抽样",
        "redraw" => "重新抽样",
        "assign" => "分配检查组",
        "forms" => "生成检查表",
        "substitute" => "替换样本村",
        "findings" => "导入检查结果",
        "score" => "评分",
        "escalate" => "扩大抽查",
        "annual" => "年度考核",
        "recover" => "恢复中断的步骤",
        other => other,
    };
    lang.t(zh, id)
}

pub fn run(f: &Folder, a: &Args, lang: Lang) -> CmdResult {
    let (ws, mut problems) = f.inspect(Mode::Shared)?;
    problems.extend(ws.scan());
    if let Some(h) = &a.head {
        let h = h.trim().to_lowercase();
        if !ws.journal.line_hashes.contains(&h) {
            problems.push(format!("journal.jsonl: the published head {h} is not in the chain: lines up to it were edited, removed or replaced"));
        }
    }
    let entries = &ws.journal.entries;
    let hash = |i: usize| ws.journal.line_hashes.get(i).cloned().unwrap_or_default();
    match a.format.format {
        Format::Table => {
            let mut t = Table::new(&[
                (lang.t("序号", "seq"), Align::Right),
                (lang.t("时间", "time"), Align::Left),
                (lang.t("事件", "event"), Align::Left),
            ]);
            for e in entries {
                t.row(vec![
                    e.seq.to_string(),
                    crate::time::show(&e.at, ws.offset),
                    event_name(&e.event, lang).to_string(),
                ]);
            }
            let mut s = t.render();
            s.push_str(&match lang {
                Lang::Zh => format!("日志头：{}（{}条）\n", ws.journal.head, entries.len()),
                Lang::En => format!("journal head: {} ({} entries)\n", ws.journal.head, entries.len()),
            });
            out(&s);
        }
        Format::Csv => {
            let rows: Vec<_> = entries
                .iter()
                .enumerate()
                .map(|(i, e)| json!({"seq": e.seq, "at": e.at, "event": e.event, "hash": hash(i)}))
                .collect();
            out(&output::csv(&["seq", "at", "event", "hash"], &rows));
        }
        Format::Json => out(&output::json(&json!({
            "ok": problems.is_empty(),
            "head": ws.journal.head,
            "entries": entries
                .iter()
                .enumerate()
                .map(|(i, e)| json!({"seq": e.seq, "at": e.at, "event": e.event, "hash": hash(i)}))
                .collect::<Vec<_>>(),
            "problems": problems,
        }))),
    }
    if problems.is_empty() {
        note(&format!(
            "audit ok: {} journal entries chain correctly up to the recorded head; {} frozen file(s) unchanged; recorded outputs unchanged; nothing else in the folder",
            entries.len(),
            ws.frozen.len()
        ));
        Ok(0)
    } else {
        for p in &problems {
            say(p);
        }
        say(&format!("audit failed: {} problem(s)", problems.len()));
        Ok(1)
    }
}
