//! The step protocol: how a command changes a campaign folder so that a kill
//! at any moment leaves it recoverable.
//!
//! A step is a set of files to write and the journal lines that record
//! them (usually one). Under the folder's exclusive lock it runs in this
//! order:
//!
//! 1. create `.spotcheck-step/`, keep there every file the step replaces
//!    (a second name for it, a hard link, where the file system allows one;
//!    else a copy), and write `intent.json`: the journal lines to append, the journal head
//!    they follow, every output with its hash and what it replaces, and the
//!    folders it creates;
//! 2. write the outputs (each atomically);
//! 3. append the journal lines, in one atomic rewrite: **the step counts
//!    from here**;
//! 4. rewrite `journal.head` (the last line's number and hash);
//! 5. remove `.spotcheck-step/`.
//!
//! Each stage is on disk (files and folder entries synced) before the next
//! begins; the removals of stage 5 need no sync, since a step folder that
//! comes back after a power cut belongs to a step the journal records.
//!
//! Recovery (by `spotcheck recover`, or first thing in any command that
//! writes) reads the intent. If the journal ends with the step's lines, the
//! step is complete and only its leftovers go. If the journal still ends
//! where the step began, the step is undone: files it created are removed,
//! files it replaced are restored from their copies, folders it created are
//! removed. Either way the recovery is journaled. Temporary files of
//! interrupted writes are removed too.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::journal::{self, Journal};
use super::{JOURNAL, Workspace, atomic, now, read};
use crate::error::{Error, Result};
use crate::hash::sha256_hex;

/// The folder that exists only while a step is under way.
pub const STEP_DIR: &str = ".spotcheck-step";
/// The step's intent record, inside [`STEP_DIR`].
pub const INTENT: &str = "intent.json";
/// The journal's head record: the number and hash of its last line,
/// written after each line, so that dropped lines are noticed.
pub const HEAD: &str = "journal.head";

/// Files a command is about to write, to be applied with their journal line
/// by [`Workspace::apply`].
#[derive(Debug, Default)]
pub struct Step {
    /// Path, bytes (in parts, one after the other) and their SHA-256.
    writes: Vec<(String, Vec<Vec<u8>>, String)>,
}

impl Step {
    pub fn new() -> Step {
        Step::default()
    }

    /// Adds a file (a path inside the campaign folder, `/`-separated) and
    /// returns its `outputs` entry for the journal.
    pub fn write(&mut self, rel: impl Into<String>, bytes: Vec<u8>) -> serde_json::Value {
        self.write_parts(rel, vec![bytes])
    }

    /// As [`Step::write`], the file's bytes given in parts: the file is
    /// their concatenation, which is never made in memory.
    pub fn write_parts(&mut self, rel: impl Into<String>, parts: Vec<Vec<u8>>) -> serde_json::Value {
        let rel = rel.into();
        let mut h = crate::hash::Hasher::default();
        for p in &parts {
            h.update(p);
        }
        let sha256 = h.hex();
        let entry = json!({ "path": rel, "sha256": sha256 });
        self.writes.push((rel, parts, sha256));
        entry
    }
}

/// What a step was about to do, written before it changed anything.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Intent {
    /// The step's event (its lines' events, if they differ).
    event: String,
    /// When the step began.
    at: String,
    /// The journal lines that record the step, without their newlines.
    lines: Vec<String>,
    /// Hash of the journal's last line before the step.
    prev: String,
    outputs: Vec<Planned>,
    /// Folders the step creates, outermost first.
    dirs: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Planned {
    path: String,
    sha256: String,
    /// The file it replaces: its hash, and its copy in the step folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replaces: Option<Replaced>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Replaced {
    sha256: String,
    copy: String,
}

/// The head record's text.
pub fn head_text(seq: usize, hash: &str) -> String {
    format!("{seq} {hash}\n")
}

/// Parses the head record: (line number, hash).
pub fn parse_head(text: &str) -> Option<(usize, String)> {
    let (n, h) = text.trim().split_once(' ')?;
    let h = h.trim();
    (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())).then_some((n.parse().ok()?, h.to_string()))
}

/// Appends `lines` (each without its newline) to the journal whose bytes
/// are `old` and whose last line will be number `seq`, then rewrites the
/// head record; both are on disk when it returns.
fn commit_lines(dir: &Path, old: &[u8], lines: &[String], seq: usize) -> Result<()> {
    let mut bytes = old.to_vec();
    for l in lines {
        bytes.extend_from_slice(l.as_bytes());
        bytes.push(b'\n');
    }
    let last = lines.last().map_or(String::new(), |l| sha256_hex(l.as_bytes()));
    atomic::put(&dir.join(JOURNAL), &bytes)?;
    atomic::put(&dir.join(HEAD), head_text(seq, &last).as_bytes())?;
    atomic::sync_dir(dir)
}

/// Removes the step folder: copies first, the intent last, so that a step
/// folder without an intent never belongs to a step that could be undone.
fn remove_step_dir(dir: &Path) -> Result<()> {
    let sdir = dir.join(STEP_DIR);
    let mut names: Vec<String> = std::fs::read_dir(&sdir)
        .map_err(|e| Error::io(&sdir, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort_by_key(|n| (n == INTENT, n.clone()));
    for n in names {
        atomic::unlink(&sdir.join(n))?;
    }
    atomic::rmdir(&sdir)
}

/// A file to write: its path, its bytes and their hash, and the hash of
/// the file it replaces (as the journal records it, and as the folder was
/// checked to hold when it was opened).
type Write<'a> = (&'a str, &'a [Vec<u8>], &'a str, Option<String>);

/// Keeps the file at `target` as `copy` in the step folder: a hard link
/// where the file system allows one (no data to copy or sync: outputs are
/// only ever replaced by a rename, so the old file's data stay as they
/// are under the second name), else a copy, synced. Either way its hash
/// must be `sha256`, the one the journal records.
fn keep_aside(target: &Path, copy: &Path, sha256: &str) -> Result<()> {
    if atomic::link(target, copy).is_ok() {
        return Ok(());
    }
    let bytes = read(target)?;
    if sha256_hex(&bytes) != sha256 {
        return Err(Error::CheckFailed(format!(
            "{} changed while this command ran (another program wrote to it without spotcheck's lock); nothing was written",
            target.display()
        )));
    }
    atomic::put(copy, &bytes)
}

/// Writes the step: copies of replaced files and the intent, the outputs,
/// the journal lines and the head record; then removes the step folder.
/// `old` are the journal's bytes, `journal` what they parse to. Returns
/// the new entries with their lines.
fn run(
    dir: &Path,
    journal: &Journal,
    old: &[u8],
    writes: &[Write],
    dirs: Vec<String>,
    events: Vec<(String, serde_json::Value)>,
) -> Result<Vec<(journal::Entry, String)>> {
    let at = now(clock(journal));
    let mut names: Vec<String> = Vec::new();
    let mut lines = Vec::new();
    let mut prev = journal.head.clone();
    for (i, (event, data)) in events.into_iter().enumerate() {
        if !names.contains(&event) {
            names.push(event.clone());
        }
        let (entry, line) = journal::line((journal.entries.len() + i + 1) as u64, &prev, &at, &event, data);
        let line = line.trim_end_matches('\n').to_string();
        prev = sha256_hex(line.as_bytes());
        lines.push((entry, line));
    }
    let sdir = dir.join(STEP_DIR);
    atomic::create_dir(&sdir)?;
    let mut outputs = Vec::new();
    for (i, (rel, _, sha256, before)) in writes.iter().enumerate() {
        let replaces = match before {
            Some(old) => {
                let copy = format!("copy-{i}");
                keep_aside(&dir.join(rel), &sdir.join(&copy), old)?;
                Some(Replaced { sha256: old.clone(), copy })
            }
            None => None,
        };
        outputs.push(Planned { path: rel.to_string(), sha256: sha256.to_string(), replaces });
    }
    let intent = Intent {
        event: names.join("+"),
        at,
        lines: lines.iter().map(|(_, l)| l.clone()).collect(),
        prev: journal.head.clone(),
        outputs,
        dirs: dirs.clone(),
    };
    let text = serde_json::to_string_pretty(&intent).expect("the intent serialises");
    atomic::put(&sdir.join(INTENT), text.as_bytes())?;
    atomic::sync_dir(&sdir)?;
    for d in &dirs {
        atomic::create_dir(&dir.join(d))?;
    }
    // Every output on disk, each folder synced once, before the journal.
    let mut parents: Vec<PathBuf> = Vec::new();
    for (rel, parts, _, _) in writes {
        let path = dir.join(rel);
        let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        atomic::put_parts(&path, &parts)?;
        let parent = path.parent().map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
        if !parents.contains(&parent) {
            parents.push(parent);
        }
    }
    for p in &parents {
        atomic::sync_dir(p)?;
    }
    let texts: Vec<String> = lines.iter().map(|(_, l)| l.clone()).collect();
    commit_lines(dir, old, &texts, journal.entries.len() + texts.len())?;
    remove_step_dir(dir)?;
    Ok(lines)
}

impl Workspace {
    /// Applies a step: writes its files and appends `event` with `data` to
    /// the journal, by the protocol above. Refuses to write through a
    /// symbolic link, or over a file that the journal does not record.
    pub fn apply(&mut self, step: Step, event: &str, data: serde_json::Value) -> Result<journal::Entry> {
        let mut entries = self.apply_all(step, vec![(event.to_string(), data)])?;
        Ok(entries.remove(0))
    }

    /// Applies a step recorded by several journal lines (one per event),
    /// appended together.
    pub fn apply_all(
        &mut self,
        step: Step,
        events: Vec<(String, serde_json::Value)>,
    ) -> Result<Vec<journal::Entry>> {
        if !self.lock.exclusive() {
            return Err(Error::Usage(format!(
                "{} was opened for reading; this command cannot change it",
                self.dir.display()
            )));
        }
        // Files the folder was opened without checking are checked before
        // anything is written.
        self.settle()?;
        let known = self.known_files();
        let mut writes: Vec<Write> = Vec::new();
        let mut dirs: Vec<String> = Vec::new();
        for (rel, parts, sha256) in &step.writes {
            let (before, missing) = self.check_target(rel, &known)?;
            writes.push((rel, parts, sha256, before));
            for d in missing {
                if !dirs.contains(&d) {
                    dirs.push(d);
                }
            }
        }
        // The journal is read again under the lock: it must still be the
        // one this command read when it opened the folder.
        let jpath = self.path(JOURNAL);
        let old = read(&jpath)?;
        let (on_disk, _) = Journal::parse(&String::from_utf8_lossy(&old));
        if on_disk.head != self.journal.head {
            return Err(Error::CheckFailed(format!(
                "{} changed while this command ran (another program wrote to it without spotcheck's lock); nothing was written",
                jpath.display()
            )));
        }
        let lines = run(&self.dir, &self.journal, &old, &writes, dirs, events)?;
        let mut entries = Vec::new();
        for (entry, line) in lines {
            self.journal.head = sha256_hex(line.as_bytes());
            self.journal.line_hashes.push(self.journal.head.clone());
            self.journal.entries.push(entry.clone());
            entries.push(entry);
        }
        Ok(entries)
    }

    /// Checks that `rel` can be written: a plain path inside the folder, no
    /// symbolic link on the way, and if a file is there, one the journal
    /// records. Returns the hash the journal records for the file there (if
    /// any) and the folders to create.
    fn check_target(
        &self,
        rel: &str,
        known: &std::collections::BTreeMap<String, String>,
    ) -> Result<(Option<String>, Vec<String>)> {
        if !crate::rules::is_plain_relative(rel) || rel.contains('\\') {
            return Err(Error::Usage(format!("{rel}: not a plain path inside the campaign folder")));
        }
        let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
        let mut cur = self.dir.clone();
        for (i, part) in parts.iter().enumerate() {
            cur.push(part);
            let so_far = parts[..=i].join("/");
            let last = i + 1 == parts.len();
            match std::fs::symlink_metadata(&cur) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let missing = (i..parts.len() - 1).map(|j| parts[..=j].join("/")).collect();
                    return Ok((None, missing));
                }
                Err(e) => return Err(Error::io(&cur, e)),
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(Error::Usage(format!(
                        "{so_far} in {} is a symbolic link; spotcheck never writes through a link, which could lead out of the campaign folder. Replace it with a real {}; nothing was written",
                        self.dir.display(),
                        if last { "file" } else { "folder" }
                    )));
                }
                Ok(m) if !last && !m.is_dir() => {
                    return Err(Error::Usage(format!("{so_far} is not a folder; nothing was written")));
                }
                Ok(m) if last && m.is_dir() => {
                    return Err(Error::Usage(format!("{rel} is a folder; nothing was written")));
                }
                Ok(_) if last => {
                    let Some(sha256) = known.get(rel) else {
                        return Err(Error::Usage(format!(
                            "{rel} exists, but the journal does not record it; spotcheck does not overwrite a file it did not write. Move it out of the campaign folder (`spotcheck audit` lists such files); nothing was written"
                        )));
                    };
                    return Ok((Some(sha256.clone()), Vec::new()));
                }
                Ok(_) => {}
            }
        }
        Err(Error::Usage(format!("{rel}: not a plain path inside the campaign folder")))
    }
}

/// What a recovery did, in plain words, one action per line.
#[derive(Debug, Default)]
pub struct Recovery {
    pub actions: Vec<String>,
    /// The journal line that records it.
    pub journaled: Option<u64>,
}

impl Recovery {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

/// A pending step, for readers: what it was and when it began, or `None`.
/// A step folder without an intent changed nothing outside itself.
pub fn pending(dir: &Path) -> Option<(String, String)> {
    let path = dir.join(STEP_DIR).join(INTENT);
    let bytes = std::fs::read(path).ok()?;
    Some(match serde_json::from_slice::<Intent>(&bytes) {
        Ok(i) => (i.event, i.at),
        Err(_) => ("unknown".to_string(), "at an unknown time".to_string()),
    })
}

/// Every temporary file of an interrupted write in the folder, as paths
/// relative to it (symbolic links are not followed).
pub fn temp_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&rel)) else { continue };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let r = rel.join(&name);
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                if rel.as_os_str().is_empty() && name == STEP_DIR {
                    continue;
                }
                stack.push(r);
            } else if !t.is_symlink() && atomic::is_temp_name(&name) {
                out.push(r.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// The path of `rel` inside the folder, refused unless it is a plain
/// relative path with no symbolic link on the way: an intent record is
/// read back from disk, and recovery must not be led out of the folder.
fn inside(dir: &Path, rel: &str) -> Result<PathBuf> {
    let refuse = || {
        Error::CheckFailed(format!(
            "{STEP_DIR}/{INTENT} names `{rel}`, which is not a plain path inside the campaign folder; it was changed outside spotcheck, so the interrupted step cannot be recovered safely; nothing was done"
        ))
    };
    if !crate::rules::is_plain_relative(rel) || rel.contains('\\') {
        return Err(refuse());
    }
    let mut cur = dir.to_path_buf();
    for part in rel.split('/').filter(|p| !p.is_empty() && *p != ".") {
        cur.push(part);
        if std::fs::symlink_metadata(&cur).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(refuse());
        }
    }
    Ok(cur)
}

/// Removes the temporary files, saying so.
fn remove_temps(dir: &Path, temps: &[String], rec: &mut Recovery) -> Result<()> {
    for t in temps {
        atomic::remove_file(&dir.join(t))?;
    }
    if !temps.is_empty() {
        rec.actions.push(format!(
            "removed {} temporary file(s) left by an interrupted write: {}",
            temps.len(),
            temps.join(", ")
        ));
    }
    Ok(())
}

/// Brings the folder back to a consistent state after an interrupted
/// command: completes or undoes the pending step, removes temporary files,
/// and journals what it did. Nothing is touched if the state cannot be
/// explained by an interruption. The caller holds the exclusive lock.
pub fn recover(dir: &Path) -> Result<Recovery> {
    let mut rec = Recovery::default();
    let jpath = dir.join(JOURNAL);
    if !jpath.exists() {
        return Ok(rec);
    }
    let temps = temp_files(dir);
    let sdir = dir.join(STEP_DIR);
    let intent = match std::fs::read(sdir.join(INTENT)) {
        Ok(b) => Some(serde_json::from_slice::<Intent>(&b).map_err(|e| {
            Error::CheckFailed(format!(
                "{STEP_DIR}/{INTENT}: not a step record ({e}); it was changed outside spotcheck, so the interrupted step cannot be recovered safely; nothing was done"
            ))
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(sdir.join(INTENT), e)),
    };
    if intent.is_none() && temps.is_empty() && !sdir.is_dir() {
        // Nothing was interrupted (every command that writes asks first).
        return Ok(rec);
    }
    let old = read(&jpath)?;
    let (journal, _) = Journal::parse(&String::from_utf8_lossy(&old));
    // Recovery writes a journal line and a new head record; on a journal
    // whose head record disagrees (lines removed from its end) that would
    // hide the damage, so nothing is touched.
    let base = match &intent {
        Some(i) if i.prev == journal::GENESIS => 0,
        Some(i) => journal.line_hashes.iter().position(|h| *h == i.prev).map_or(usize::MAX, |p| p + 1),
        None => journal.line_hashes.len(),
    };
    let head_ok =
        std::fs::read_to_string(dir.join(HEAD)).ok().and_then(|t| parse_head(&t)).is_some_and(|(n, h)| {
            n >= base.max(1) && n <= journal.line_hashes.len() && journal.line_hashes[n - 1] == h
        });
    let interrupted = intent.is_some() || sdir.is_dir() || !temps.is_empty();
    if interrupted && !head_ok {
        return Err(Error::CheckFailed(format!(
            "{HEAD} does not agree with {JOURNAL} (were lines removed from its end?); recovering now would hide that, so nothing was done; run `spotcheck audit`"
        )));
    }
    let Some(intent) = intent else {
        remove_temps(dir, &temps, &mut rec)?;
        if sdir.is_dir() {
            remove_step_dir(dir)?;
            rec.actions.push(
                "removed the leftovers of a step interrupted before it changed anything, or after it was recorded in full"
                    .to_string(),
            );
        }
        if !rec.is_empty() {
            let data = json!({ "outcome": "cleaned", "temporary_files": temps });
            let lines = run(dir, &journal, &old, &[], Vec::new(), vec![("recover".into(), data)])?;
            rec.journaled = lines.last().map(|(e, _)| e.seq);
        }
        return Ok(rec);
    };
    let targets: Vec<PathBuf> = intent.outputs.iter().map(|o| inside(dir, &o.path)).collect::<Result<_>>()?;
    let dirs: Vec<PathBuf> = intent.dirs.iter().map(|d| inside(dir, d)).collect::<Result<_>>()?;
    for o in &intent.outputs {
        if let Some(r) = &o.replaces
            && (r.copy.contains(['/', '\\']) || r.copy.starts_with('.'))
        {
            return Err(Error::CheckFailed(format!(
                "{STEP_DIR}/{INTENT} names the copy `{}`, which is not a file of the step folder; nothing was done",
                r.copy
            )));
        }
    }
    let step_hash = sha256_hex(intent.lines.last().map_or("", String::as_str).as_bytes());
    let what = format!("the interrupted `{}` step (begun {})", intent.event, intent.at);
    let last = journal.entries.last();
    let seq = journal.entries.len();
    if journal.head == step_hash {
        // Complete: only the head record and the step folder may be left.
        remove_temps(dir, &temps, &mut rec)?;
        rec.actions.push(format!(
            "{what} had been recorded in the journal (line {seq}), so it is complete; its leftovers were removed"
        ));
        let data = json!({ "outcome": "completed", "step": intent.event, "step_line": step_hash, "temporary_files": temps });
        let (entry, line) = journal.next_line(&now(clock(&journal)), "recover", data);
        commit_lines(dir, &old, &[line.trim_end_matches('\n').to_string()], seq + 1)?;
        remove_step_dir(dir)?;
        rec.journaled = Some(entry.seq);
        return Ok(rec);
    }
    if let Some(l) = last
        && l.event == "recover"
        && l.data.get("step_line").and_then(|v| v.as_str()) == Some(step_hash.as_str())
    {
        // An earlier recovery did the work and was cut short after
        // journaling it.
        remove_temps(dir, &temps, &mut rec)?;
        atomic::write(&dir.join(HEAD), head_text(seq, &journal.head).as_bytes())?;
        remove_step_dir(dir)?;
        rec.actions.push(format!("finished the recovery of {what} (journal line {seq})"));
        rec.journaled = Some(l.seq);
        return Ok(rec);
    }
    if journal.head != intent.prev {
        return Err(Error::CheckFailed(format!(
            "{what} is pending, but the journal no longer ends where that step began: the folder was changed outside spotcheck, so it cannot be recovered safely; nothing was done (run `spotcheck audit`)"
        )));
    }
    remove_temps(dir, &temps, &mut rec)?;
    // Not recorded: undo it, newest first.
    let mut removed = Vec::new();
    let mut restored = Vec::new();
    for (o, target) in intent.outputs.iter().zip(&targets).rev() {
        let now_hash = std::fs::read(target).ok().map(|b| sha256_hex(&b));
        match &o.replaces {
            Some(r) => {
                if now_hash.as_deref() == Some(r.sha256.as_str()) {
                    continue;
                }
                let copy = std::fs::read(sdir.join(&r.copy)).map_err(|e| Error::io(sdir.join(&r.copy), e))?;
                if sha256_hex(&copy) != r.sha256 {
                    return Err(Error::CheckFailed(format!(
                        "{STEP_DIR}/{}: the saved copy of {} no longer holds what the journal records for it (sha256 {}): a program other than spotcheck changed the file or its copy while the step ran; {what} cannot be undone safely; nothing more was done. Put {} back as the journal records it (from a backup or a published copy), then run `spotcheck recover` again; `spotcheck audit` lists what else differs",
                        r.copy, o.path, r.sha256, o.path
                    )));
                }
                atomic::write(target, &copy)?;
                restored.push(o.path.clone());
            }
            None => match now_hash {
                None => {}
                Some(h) if h == o.sha256 => {
                    atomic::remove_file(target)?;
                    removed.push(o.path.clone());
                }
                Some(_) => {
                    return Err(Error::CheckFailed(format!(
                        "{}: was not there before {what}, and holds something other than what the step wrote; it was changed outside spotcheck, so the step cannot be undone safely; nothing more was done",
                        o.path
                    )));
                }
            },
        }
    }
    let mut dirs_removed = Vec::new();
    for (d, p) in intent.dirs.iter().zip(&dirs).rev() {
        if p.is_dir() && std::fs::read_dir(p).map(|mut r| r.next().is_none()).unwrap_or(false) {
            atomic::remove_dir(p)?;
            dirs_removed.push(d.clone());
        }
    }
    let mut words = format!("{what} had not been recorded in the journal, so it was undone");
    if !removed.is_empty() {
        words.push_str(&format!("; removed what it had written: {}", removed.join(", ")));
    }
    if !restored.is_empty() {
        words.push_str(&format!("; restored as they were before: {}", restored.join(", ")));
    }
    if !dirs_removed.is_empty() {
        words.push_str(&format!("; removed the folders it had created: {}", dirs_removed.join(", ")));
    }
    if removed.is_empty() && restored.is_empty() && dirs_removed.is_empty() {
        words.push_str(" (it had not yet changed any file)");
    }
    rec.actions.push(words);
    let data = json!({
        "outcome": "undone",
        "step": intent.event,
        "step_line": step_hash,
        "removed": removed,
        "restored": restored,
        "folders_removed": dirs_removed,
        "temporary_files": temps,
    });
    let (entry, line) = journal.next_line(&now(clock(&journal)), "recover", data);
    commit_lines(dir, &old, &[line.trim_end_matches('\n').to_string()], seq + 1)?;
    remove_step_dir(dir)?;
    rec.journaled = Some(entry.seq);
    Ok(rec)
}

/// Gives a folder made before `journal.head` existed its head record. The
/// head the commission published must be a line of the journal: the chain
/// then vouches for every line up to it; the lines after it rest on the
/// journal alone, and the adoption is journaled with both numbers. Refused
/// when the folder has a head record, or the journal's chain is broken.
pub fn adopt_head(dir: &Path, published: &str, access: &super::lock::Access<'_>) -> Result<(usize, usize)> {
    let _lock = super::lock::acquire(dir, access)?;
    if dir.join(HEAD).exists() {
        return Err(Error::Usage(format!(
            "{} already has {HEAD}; there is nothing to adopt (see `spotcheck audit`)",
            dir.display()
        )));
    }
    let old = read(&dir.join(JOURNAL))?;
    let (journal, problems) = Journal::parse(&String::from_utf8_lossy(&old));
    if !problems.is_empty() {
        return Err(Error::CheckFailed(format!(
            "{}\nthe journal's chain is broken: no head can be adopted for it",
            problems.join("\n")
        )));
    }
    let published = published.trim().to_lowercase();
    let Some(at) = journal.line_hashes.iter().position(|h| *h == published) else {
        return Err(Error::CheckFailed(format!(
            "{published} is not the hash of any line of {JOURNAL}: the journal does not pass through the published head (compare `spotcheck audit`'s head with the one published)"
        )));
    };
    let seq = journal.entries.len();
    let data = json!({ "outcome": "head adopted", "published_head": published, "published_line": at + 1, "lines": seq });
    let (_, line) = journal.next_line(&now(clock(&journal)), "recover", data);
    commit_lines(dir, &old, &[line.trim_end_matches('\n').to_string()], seq + 1)?;
    Ok((at + 1, seq))
}

/// The campaign's clock, as its `init` line recorded it (China Standard
/// Time for folders made before it was recorded).
fn clock(journal: &Journal) -> crate::time::Offset {
    journal
        .entries
        .first()
        .and_then(|e| e.data.get("utc_offset"))
        .and_then(|v| v.as_str())
        .and_then(crate::time::Offset::parse)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_record_round_trips_and_refuses_garbage() {
        let h = sha256_hex(b"line");
        assert_eq!(parse_head(&head_text(12, &h)), Some((12, h.clone())));
        assert_eq!(parse_head(&format!("  12 {h}  \n")), Some((12, h.clone())));
        assert_eq!(parse_head("12"), None);
        assert_eq!(parse_head(&format!("x {h}")), None);
        assert_eq!(parse_head("12 not-a-hash"), None);
    }

    #[test]
    fn a_replaced_file_kept_aside_outlives_its_replacement() {
        let tmp = tempfile::tempdir().unwrap();
        let (target, copy) = (tmp.path().join("scorecards.csv"), tmp.path().join("copy-0"));
        std::fs::write(&target, b"old").unwrap();
        keep_aside(&target, &copy, &sha256_hex(b"old")).unwrap();
        // Outputs are replaced by a rename: the kept file keeps its bytes.
        atomic::write(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&copy).unwrap(), b"old");
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn without_a_second_name_the_replaced_file_is_copied_and_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let (target, copy) = (tmp.path().join("sample.csv"), tmp.path().join("copy-1"));
        std::fs::write(&target, b"old").unwrap();
        // A name already taken makes the link fail as a file system
        // without links would: the file is copied instead.
        std::fs::write(&copy, b"stale").unwrap();
        keep_aside(&target, &copy, &sha256_hex(b"old")).unwrap();
        assert_eq!(std::fs::read(&copy).unwrap(), b"old");
        // A copy is made only of the bytes the journal records.
        std::fs::write(&copy, b"stale").unwrap();
        let e = keep_aside(&target, &copy, &sha256_hex(b"older")).unwrap_err().to_string();
        assert!(e.contains("changed while this command ran"), "{e}");
        assert_eq!(std::fs::read(&copy).unwrap(), b"stale");
    }

    #[test]
    fn a_file_given_in_parts_is_their_concatenation() {
        let mut step = Step::new();
        let entry = step.write_parts("score/x.json", vec![b"[1,".to_vec(), Vec::new(), b"2]".to_vec()]);
        assert_eq!(entry["sha256"], sha256_hex(b"[1,2]"));
        assert_eq!(step.write("y", b"[1,2]".to_vec())["sha256"], entry["sha256"]);
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.json");
        atomic::put_parts(&path, &[b"[1,", b"", b"2]"]).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"[1,2]");
    }

    #[test]
    fn temporary_file_names() {
        assert!(atomic::is_temp_name(".spotcheck-Ab12cd.tmp"));
        assert!(!atomic::is_temp_name(".spotcheck.lock"));
        assert!(!atomic::is_temp_name("spotcheck-1.tmp"));
        assert!(!atomic::is_temp_name(".spotcheck-step"));
    }
}
