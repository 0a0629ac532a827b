//! The campaign folder. `init` copies the rules (with the lists they name)
//! and the frame into it and freezes them by their SHA-256 in the journal.
//! Every later command opens the folder through [`Workspace::open`], which
//! refuses to go on if the journal's chain is broken or a frozen file has
//! changed. All writes are atomic.

pub mod atomic;
pub mod draw;
pub mod inspection;
pub mod journal;
pub mod reports;
pub mod score;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Diags, Error, Result};
use crate::frame::{self, Frame};
use crate::hash::sha256_hex;
use crate::rules::{self, Rules};
use crate::text::Encoding;
use journal::Journal;

pub const JOURNAL: &str = "journal.jsonl";
pub const SAMPLE: &str = "sample.csv";
pub const DRAW: &str = "draw.toml";
/// Earlier draws replaced by a journaled redraw are kept here.
pub const SUPERSEDED: &str = "superseded";

/// A frozen file: its path inside the folder, hash and role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRecord {
    pub path: String,
    pub sha256: String,
    /// rules, list or frame.
    pub role: String,
}

/// An opened campaign folder whose journal and frozen files check out.
#[derive(Debug)]
pub struct Workspace {
    pub dir: PathBuf,
    pub journal: Journal,
    pub frozen: Vec<FileRecord>,
    pub rules_path: String,
    pub frame_path: String,
    pub encoding: Encoding,
    /// The campaign's clock (recorded at init; China Standard Time for
    /// folders made before it was).
    pub offset: crate::time::Offset,
}

/// The current time as RFC 3339 with its offset, on the campaign's clock
/// (China Standard Time unless the rules say otherwise), for journal lines.
pub fn now(offset: crate::time::Offset) -> String {
    crate::time::now(offset)
}

/// The commitment over a set of files: SHA-256 of the text
/// `spotcheck-commitment-v1\n` followed by `<sha256>  <path>\n` per file,
/// sorted by path. The text is what `sha256sum` prints, so anyone can check it.
pub fn commitment(files: &[FileRecord]) -> (String, String) {
    let mut sorted: Vec<&FileRecord> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut text = String::from("spotcheck-commitment-v1\n");
    for f in sorted {
        text.push_str(&format!("{}  {}\n", f.sha256, f.path));
    }
    let hash = sha256_hex(text.as_bytes());
    (text, hash)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

fn str_field(e: &journal::Entry, key: &str) -> String {
    e.data.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_string()
}

/// What `init` did.
pub struct InitSummary {
    pub files: Vec<FileRecord>,
    pub villages: usize,
    pub warnings: Diags,
}

/// Validates the rules and frame, then creates the campaign folder with the
/// inputs frozen. The folder must not exist or be empty; it appears whole or
/// not at all.
pub fn init(dir: &Path, rules_src: &Path, frame_src: &Path, enc: Encoding) -> Result<InitSummary> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?.next().is_none();
        if !empty {
            return Err(Error::Usage(format!(
                "{} already exists and is not empty; spotcheck init never overwrites a campaign",
                dir.display()
            )));
        }
    }
    let rules_name = file_name(rules_src)?;
    let frame_name = file_name(frame_src)?;
    let rules_display = rules_src.display().to_string();
    let rules = rules::load(rules_src, &rules_display)?;
    let frame = frame::load(frame_src, &frame_src.display().to_string(), &rules.frame, enc)?;
    let mut warnings = crate::sample::check(&rules, &frame)?;
    warnings.0.extend(rules.warnings.iter().cloned());
    let warnings = warnings.sorted();

    // Build the folder beside its final place, then rename it into place.
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".spotcheck-init-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    let mut files = Vec::new();
    let mut copy = |src: &Path, rel: String, role: &str| -> Result<()> {
        let bytes = read(src)?;
        let dest = tmp.path().join(&rel);
        if let Some(p) = dest.parent() {
            std::fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
        }
        atomic::write(&dest, &bytes)?;
        files.push(FileRecord { path: rel, sha256: sha256_hex(&bytes), role: role.to_string() });
        Ok(())
    };
    let rules_rel = format!("rules/{rules_name}");
    copy(rules_src, rules_rel.clone(), "rules")?;
    let base = rules_src.parent().unwrap_or(Path::new("."));
    for list in rules.referenced_files() {
        copy(&base.join(&list), format!("rules/{list}"), "list")?;
    }
    let frame_rel = format!("frame/{frame_name}");
    copy(frame_src, frame_rel.clone(), "frame")?;

    let used = frame.encoding.unwrap_or(Encoding::Utf8);
    let journal = Journal::new();
    let data = json!({
        "rules": rules_rel,
        "frame": frame_rel,
        "frame_encoding": used.to_string(),
        "files": files,
        "campaign": rules.campaign.name,
        "utc_offset": rules.campaign.utc_offset.label(),
        "spotcheck_version": env!("CARGO_PKG_VERSION"),
    });
    let (_, line) = journal.next_line(&now(rules.campaign.utc_offset), "init", data);
    atomic::write(&tmp.path().join(JOURNAL), line.as_bytes())?;

    if dir.exists() {
        std::fs::remove_dir(dir).map_err(|e| Error::io(dir, e))?;
    }
    let kept = tmp.keep();
    std::fs::rename(&kept, dir).map_err(|e| Error::io(dir, e))?;
    Ok(InitSummary { files, villages: frame.villages.len(), warnings })
}

fn file_name(p: &Path) -> Result<String> {
    p.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .ok_or_else(|| Error::Usage(format!("{} is not a file", p.display())))
}

impl Workspace {
    /// Opens a campaign folder, refusing if anything frozen has changed.
    pub fn open(dir: &Path) -> Result<Workspace> {
        let (ws, problems) = Workspace::inspect(dir)?;
        if problems.is_empty() {
            Ok(ws)
        } else {
            Err(Error::CheckFailed(format!(
                "{}\nthe campaign folder {} has been changed outside spotcheck; nothing was done (run `spotcheck audit` for the full report)",
                problems.join("\n"),
                dir.display()
            )))
        }
    }

    /// Reads the folder and lists every integrity problem: the journal's
    /// chain, frozen inputs, and the recorded outputs (sample, draw record).
    pub fn inspect(dir: &Path) -> Result<(Workspace, Vec<String>)> {
        let jpath = dir.join(JOURNAL);
        if !jpath.exists() {
            return Err(Error::Usage(format!(
                "{} is not a campaign folder (no {JOURNAL}); create one with `spotcheck init`, or pass -C DIR",
                dir.display()
            )));
        }
        let bytes = read(&jpath)?;
        let text = String::from_utf8_lossy(&bytes);
        let (journal, mut problems) = Journal::parse(&text);
        let Some(init) = journal.entries.first().filter(|e| e.event == "init") else {
            problems.push("journal.jsonl:1: the journal does not start with init".to_string());
            return Err(Error::CheckFailed(problems.join("\n")));
        };
        // Frozen: the inputs of init, and self-reports imported before the
        // commitment.
        let mut frozen: Vec<FileRecord> = Vec::new();
        for e in journal.entries.iter().filter(|e| e.event == "init" || e.event == "reports") {
            let files: Vec<FileRecord> =
                serde_json::from_value(e.data.get("files").cloned().unwrap_or_default()).map_err(|err| {
                    Error::CheckFailed(format!("journal.jsonl:{}: unreadable file list: {err}", e.seq))
                })?;
            frozen.extend(files);
        }
        let encoding = str_field(init, "frame_encoding").parse().unwrap_or(Encoding::Auto);
        let ws = Workspace {
            dir: dir.to_path_buf(),
            rules_path: str_field(init, "rules"),
            frame_path: str_field(init, "frame"),
            encoding,
            offset: crate::time::Offset::parse(&str_field(init, "utc_offset")).unwrap_or_default(),
            frozen,
            journal,
        };
        for f in &ws.frozen {
            problems.extend(ws.check_file(&f.path, &f.sha256, "frozen input"));
        }
        // Outputs recorded by the last draw must be as written.
        if let Some(d) = ws.journal.entries.iter().rev().find(|e| e.event == "draw" || e.event == "redraw") {
            problems.extend(ws.check_file(SAMPLE, &str_field(d, "sample_sha256"), "drawn sample"));
            problems.extend(ws.check_file(DRAW, &str_field(d, "draw_sha256"), "draw record"));
            // The last line has no successor to break the chain when it is
            // edited; the draw record it describes is the cross-check.
            if let Ok(text) = std::fs::read_to_string(dir.join(DRAW))
                && let Ok(rec) = toml::from_str::<draw::DrawRecord>(&text)
            {
                let fields = [
                    ("seed", &rec.seed),
                    ("seed_normalized", &rec.seed_normalized),
                    ("sample_sha256", &rec.sample_sha256),
                ];
                for (field, theirs) in fields {
                    if &str_field(d, field) != theirs {
                        problems.push(format!(
                            "journal.jsonl:{}: {field} {} differs from {theirs} in {DRAW}",
                            d.seq,
                            str_field(d, field)
                        ));
                    }
                }
            }
        } else {
            for f in [SAMPLE, DRAW] {
                if dir.join(f).exists() {
                    problems.push(format!(
                        "{f} exists but the journal records no draw (was the journal cut short?)"
                    ));
                }
            }
        }
        // Files later steps wrote (assignment, forms, findings), each as its
        // latest journal entry recorded it.
        for (path, sha) in ws.recorded_outputs() {
            problems.extend(ws.check_file(&path, &sha, "recorded file"));
        }
        Ok((ws, problems))
    }

    /// Every `outputs` entry of the journal, the latest per path.
    pub fn recorded_outputs(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for e in &self.journal.entries {
            if let Some(list) = e.data.get("outputs").and_then(|o| o.as_array()) {
                for o in list {
                    let Some(p) = o.get("path").and_then(|v| v.as_str()) else { continue };
                    // A null hash records that the file was moved away.
                    match o.get("sha256").and_then(|v| v.as_str()) {
                        Some(h) => out.insert(p.to_string(), h.to_string()),
                        None => out.remove(p),
                    };
                }
            }
        }
        out
    }

    /// Writes a file and returns its `outputs` entry for the journal.
    pub fn write_output(&self, rel: &str, bytes: &[u8]) -> Result<serde_json::Value> {
        let path = self.path(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
        }
        atomic::write(&path, bytes)?;
        Ok(json!({ "path": rel, "sha256": sha256_hex(bytes) }))
    }

    fn check_file(&self, rel: &str, want: &str, what: &str) -> Vec<String> {
        match std::fs::read(self.dir.join(rel)) {
            Ok(b) if sha256_hex(&b) == want => Vec::new(),
            Ok(b) => vec![format!(
                "{rel}: {what} changed since it was recorded (sha256 {} now, {want} recorded)",
                sha256_hex(&b)
            )],
            Err(e) => vec![format!("{rel}: {what} cannot be read: {e}")],
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Loads the frozen rules alone.
    pub fn load_rules(&self) -> Result<Rules> {
        rules::load(&self.path(&self.rules_path), &self.rules_path)
    }

    /// Loads the frozen rules and frame (their hashes were checked on open).
    pub fn load_inputs(&self) -> Result<(Rules, Frame)> {
        let rules = rules::load(&self.path(&self.rules_path), &self.rules_path)?;
        let frame = frame::load(&self.path(&self.frame_path), &self.frame_path, &rules.frame, self.encoding)?;
        Ok((rules, frame))
    }

    /// Appends an event to the journal (rewriting it atomically).
    pub fn append(&mut self, event: &str, data: serde_json::Value) -> Result<journal::Entry> {
        let jpath = self.path(JOURNAL);
        let mut bytes = read(&jpath)?;
        let (entry, line) = self.journal.next_line(&now(self.offset), event, data);
        bytes.extend_from_slice(line.as_bytes());
        atomic::write(&jpath, &bytes)?;
        self.journal.head = sha256_hex(line.trim_end_matches('\n').as_bytes());
        self.journal.line_hashes.push(self.journal.head.clone());
        self.journal.entries.push(entry.clone());
        Ok(entry)
    }

    /// The files the commitment covers.
    pub fn committed_files(&self) -> Vec<FileRecord> {
        self.frozen.clone()
    }

    /// Records the commitment (once) and returns it with the text it hashes.
    pub fn commit(&mut self) -> Result<(String, String, bool)> {
        let (text, hash) = commitment(&self.committed_files());
        if let Some(e) = self.journal.last("commit") {
            let old = str_field(e, "commitment");
            if old == hash {
                return Ok((hash, text, false));
            }
            return Err(Error::CheckFailed(format!(
                "the journal holds commitment {old}, but the frozen inputs now hash to {hash}"
            )));
        }
        self.append("commit", json!({ "commitment": hash, "files": self.committed_files() }))?;
        Ok((hash, text, true))
    }
}
