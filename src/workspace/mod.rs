//! The campaign folder. `init` copies the rules (with the lists they name)
//! and the frame into it and freezes them by their SHA-256 in the journal.
//! Every later command opens the folder through [`Workspace::open`], which
//! takes the folder's lock (shared to read, exclusive to write), recovers
//! an interrupted command (when writing), and refuses to go on if the
//! journal's chain is broken or a recorded file has changed. Every change
//! is a [`step::Step`], applied so that a kill at any moment is recoverable.

pub mod atomic;
pub mod draw;
pub mod inspection;
pub mod journal;
pub mod lock;
pub mod refresh;
pub mod reports;
pub mod rounds;
pub mod score;
pub mod step;

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
use lock::{Access, FolderLock, LOCK, Mode};
use step::{HEAD, Recovery, STEP_DIR, Step};

pub const JOURNAL: &str = "journal.jsonl";
/// The validated frame, as `init` left it (see [`crate::snapshot`]).
pub const FRAME_SNAPSHOT: &str = "snapshots/frame.bin";
/// The folder of validated snapshots.
pub const SNAPSHOTS: &str = "snapshots/";
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

/// An opened campaign folder whose journal and frozen files check out,
/// held under its lock until dropped.
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
    lock: FolderLock,
    /// What was done, on opening for writing, to recover from an
    /// interrupted command.
    pub recovery: Recovery,
    /// What each checked file hashed to when the folder was opened (or why
    /// it could not be read).
    hashes: BTreeMap<String, std::result::Result<String, String>>,
    /// The bytes of snapshots read when the folder was opened, with the
    /// hash they had then; taken by the first command that loads them.
    read: std::sync::Mutex<BTreeMap<String, (String, Vec<u8>)>>,
    /// Files whose check waits for [`Workspace::settle`] (opened with
    /// [`Workspace::open_deferred`]).
    deferred: std::sync::Mutex<Vec<Deferred>>,
}

/// A recorded file checked while the command works instead of when the
/// folder is opened: the frozen frame, hashed on a thread of its own once
/// the frame is loaded, and its snapshot, hashed as it is decoded (either,
/// at [`Workspace::settle`], if it has not been).
#[derive(Debug)]
struct Deferred {
    rel: String,
    want: String,
    what: &'static str,
    hashing: Option<std::thread::JoinHandle<std::io::Result<String>>>,
    /// What the file hashed to, once known.
    hashed: Option<std::result::Result<String, String>>,
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

/// The most bytes spotcheck reads of a table a person hands it: a team's
/// findings, a county's self-report, the teams, another department's
/// scores. A county's self-report is a few hundred kilobytes and a whole
/// country's about 50 MiB; reading a CSV takes up to about six times its
/// size in memory, so the bound keeps any such file within about 1.5 GiB.
pub const INPUT_MAX_BYTES: u64 = 256 << 20;

/// Reads a table a person hands spotcheck, refusing one larger than
/// [`INPUT_MAX_BYTES`] before reading it (and, should it grow meanwhile,
/// without reading more than that).
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    read_within(path, INPUT_MAX_BYTES)
}

fn read_within(path: &Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let too_big = |size: u64| {
        Error::Invalid(crate::error::Diags(vec![crate::error::Diag::error(
            &path.display().to_string(),
            None,
            format!(
                "the file is {} MiB; spotcheck reads tables of at most {} MiB (split it, e.g. one file per county or team)",
                size.div_ceil(1 << 20),
                max >> 20
            ),
        )]))
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if size > max {
        return Err(too_big(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(max + 1).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

fn str_field(e: &journal::Entry, key: &str) -> String {
    e.data.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_string()
}

/// What `init` did.
pub struct InitSummary {
    pub files: Vec<FileRecord>,
    pub villages: usize,
    pub warnings: Diags,
    /// The folder already held this campaign, made from the same inputs:
    /// nothing was done.
    pub already: bool,
    /// Leftovers of interrupted `init`s of the same folder, removed.
    pub cleaned: Vec<PathBuf>,
}

/// Validates the rules and frame, then creates the campaign folder with the
/// inputs frozen. The folder must not exist or be empty; it is built beside
/// its place and renamed into place, so it appears whole or not at all.
/// Run again on a folder it made from the same inputs, it does nothing.
pub fn init(dir: &Path, rules_src: &Path, frame_src: &Path, enc: Encoding) -> Result<InitSummary> {
    let rules_name = file_name(rules_src)?;
    let frame_name = file_name(frame_src)?;
    let rules_display = rules_src.display().to_string();
    let rules = rules::load(rules_src, &rules_display)?;
    let rules_rel = format!("rules/{rules_name}");
    let frame_rel = format!("frame/{frame_name}");
    let base = rules_src.parent().unwrap_or(Path::new("."));
    let mut inputs: Vec<(String, Vec<u8>, &str)> = vec![(rules_rel.clone(), read(rules_src)?, "rules")];
    for list in rules.referenced_files() {
        inputs.push((format!("rules/{list}"), read(&base.join(&list))?, "list"));
    }
    let mut files: Vec<FileRecord> = inputs
        .iter()
        .map(|(rel, bytes, role)| FileRecord {
            path: rel.clone(),
            sha256: sha256_hex(bytes),
            role: role.to_string(),
        })
        .collect();
    let check = |frame: &Frame| -> Result<Diags> {
        let mut warnings = crate::sample::check(&rules, frame)?;
        warnings.0.extend(rules.warnings.iter().cloned());
        Ok(warnings.sorted())
    };

    frame::check_size(frame_src, &frame_src.display().to_string())?;
    if dir.exists() {
        let empty = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?.next().is_none();
        if !empty {
            let frame_sha = hash_file(frame_src).map_err(|e| Error::io(frame_src, e))?;
            files.push(FileRecord { path: frame_rel, sha256: frame_sha, role: "frame".into() });
            if made_from(dir, &files) {
                // Made from these very inputs: the summary is read from them.
                let frame = frame::load(frame_src, &frame_src.display().to_string(), &rules.frame, enc)?;
                let warnings = check(&frame)?;
                let villages = frame.villages.len();
                return Ok(InitSummary { files, villages, warnings, already: true, cleaned: Vec::new() });
            }
            return Err(Error::Usage(format!(
                "{} already exists and is not empty; spotcheck init never overwrites a campaign",
                dir.display()
            )));
        }
    }

    // Build the folder beside its final place, then rename it into place.
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    atomic::create_dir_all(&parent)?;
    let name = dir.file_name().map_or("campaign".to_string(), |n| n.to_string_lossy().to_string());
    let prefix = format!(".spotcheck-init-{name}-");
    let cleaned = clean_interrupted_inits(&parent, &prefix);
    let tmp = atomic::temp_dir_in(&parent, &prefix)?;
    // Held while the folder is built, so that another init can tell this
    // one from the leftovers of a killed one.
    let building = lock::acquire(
        tmp.path(),
        &Access { mode: Mode::Exclusive, timeout: std::time::Duration::ZERO, on_wait: &|| {} },
    )?;
    // The frame is copied first and validated from the copy, so that what
    // is validated is what is frozen; it is hashed meanwhile.
    let frame_copy = tmp.path().join(&frame_rel);
    if let Some(p) = frame_copy.parent() {
        atomic::create_dir_all(p)?;
    }
    let copied = atomic::copy_new(frame_src, &frame_copy)?;
    // Reading, hashing and flushing the copy to disk go on at once.
    let (frame, frame_sha, synced) = std::thread::scope(|s| {
        let hash = s.spawn(|| hash_file(&frame_copy));
        let synced = s.spawn(|| copied.sync());
        let frame = frame::load(&frame_copy, &frame_src.display().to_string(), &rules.frame, enc);
        (frame, hash.join(), synced.join())
    });
    synced.map_err(|_| Error::CheckFailed("syncing the frame failed".into()))??;
    let frame = frame?;
    let frame_sha = frame_sha
        .map_err(|_| Error::CheckFailed("hashing the frame failed".into()))?
        .map_err(|e| Error::io(&frame_copy, e))?;
    files.push(FileRecord { path: frame_rel.clone(), sha256: frame_sha, role: "frame".into() });
    // The validated frame, so that later commands need not parse it again,
    // written (as it is built: a national frame's snapshot is tens of
    // megabytes) while the design is checked against the frame.
    let origin = frame_origin(&files);
    let (warnings, snapshot) = std::thread::scope(|s| {
        let snapshot = s.spawn(|| -> Result<Option<String>> {
            if !frame::snapshot::fits(&frame) {
                return Ok(None);
            }
            let path = tmp.path().join(FRAME_SNAPSHOT);
            if let Some(p) = path.parent() {
                atomic::create_dir_all(p)?;
            }
            let mut out = atomic::HashingFile::create(&path)?;
            frame::snapshot::write(&frame, &origin, &mut out).map_err(|e| Error::io(&path, e))?;
            Ok(Some(out.finish()?))
        });
        (check(&frame), snapshot.join())
    });
    let warnings = warnings?;
    let snapshot =
        snapshot.map_err(|_| Error::CheckFailed("writing the frame's snapshot failed".into()))??;
    let used = frame.encoding.unwrap_or(Encoding::Utf8);
    for (rel, bytes, _) in &inputs {
        let dest = tmp.path().join(rel);
        if let Some(p) = dest.parent() {
            atomic::create_dir_all(p)?;
        }
        atomic::write(&dest, bytes)?;
    }
    let outputs: Vec<serde_json::Value> =
        snapshot.into_iter().map(|h| json!({ "path": FRAME_SNAPSHOT, "sha256": h })).collect();
    let villages = frame.villages.len();
    drop(frame);

    let journal = Journal::new();
    let data = json!({
        "rules": rules_rel,
        "frame": frame_rel,
        "frame_encoding": used.to_string(),
        "files": files,
        "campaign": rules.campaign.name,
        "utc_offset": rules.campaign.utc_offset.label(),
        "spotcheck_version": env!("CARGO_PKG_VERSION"),
        "outputs": outputs,
    });
    let (_, line) = journal.next_line(&now(rules.campaign.utc_offset), "init", data);
    atomic::write(&tmp.path().join(JOURNAL), line.as_bytes())?;
    let head = step::head_text(1, &sha256_hex(line.trim_end_matches('\n').as_bytes()));
    atomic::write(&tmp.path().join(HEAD), head.as_bytes())?;

    if dir.exists() {
        atomic::remove_dir(dir)?;
    }
    let kept = tmp.keep();
    // Windows cannot rename a folder with an open file inside.
    #[cfg(windows)]
    drop(building);
    atomic::rename(&kept, dir)?;
    #[cfg(not(windows))]
    drop(building);
    Ok(InitSummary { files, villages, warnings, already: false, cleaned })
}

/// Whether `dir` is a campaign that `init` made from exactly `files`, with
/// nothing done since.
fn made_from(dir: &Path, files: &[FileRecord]) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join(JOURNAL)) else { return false };
    let (j, problems) = Journal::parse(&text);
    let steps: Vec<&journal::Entry> = j.entries.iter().filter(|e| e.event != "recover").collect();
    problems.is_empty()
        && steps.len() == 1
        && steps[0].event == "init"
        && serde_json::from_value::<Vec<FileRecord>>(steps[0].data.get("files").cloned().unwrap_or_default())
            .is_ok_and(|f| f == files)
}

/// Removes the folders that killed `init`s of the same campaign left
/// beside it. One whose lock is held belongs to an `init` still at work.
fn clean_interrupted_inits(parent: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut cleaned = Vec::new();
    let Ok(entries) = std::fs::read_dir(parent) else { return cleaned };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.starts_with(prefix) || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = e.path();
        let idle = match std::fs::File::open(path.join(LOCK)) {
            Ok(f) => f.try_lock().is_ok(),
            Err(_) => true,
        };
        if idle && std::fs::remove_dir_all(&path).is_ok() {
            cleaned.push(path);
        }
    }
    cleaned
}

/// SHA-256 of a file, read a block at a time.
fn hash_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = crate::hash::Hasher::default();
    let mut buf = vec![0u8; 1 << 18];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(h.hex());
        }
        h.update(&buf[..n]);
    }
}

/// What a frame snapshot is made from: the frozen frame and rules (whose
/// `[frame]` table maps its columns), by hash.
fn frame_origin(files: &[FileRecord]) -> String {
    let of = |role: &str| files.iter().find(|f| f.role == role).map_or("", |f| f.sha256.as_str());
    format!("frame {} rules {}", of("frame"), of("rules"))
}

/// SHA-256 of each file, read a block at a time, on all cores: a national
/// campaign holds a frame, its snapshot and reports of tens of megabytes.
/// The bytes of the files under `snapshots/` are kept as well: a command
/// reads those next, and bytes kept from the hashing need no second one.
fn hash_files(
    dir: &Path,
    paths: &[&str],
    job: &crate::progress::Job,
) -> Vec<std::io::Result<(String, Option<Vec<u8>>)>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hash_one = |rel: &str| {
        if rel.starts_with(SNAPSHOTS) {
            let bytes = std::fs::read(dir.join(rel))?;
            Ok((sha256_hex(&bytes), Some(bytes)))
        } else {
            hash_file(&dir.join(rel)).map(|h| (h, None))
        }
    };
    // Largest first, so that the big files start at once.
    let size = |rel: &str| std::fs::metadata(dir.join(rel)).map_or(0, |m| m.len());
    let mut order: Vec<usize> = (0..paths.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(size(paths[i])));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(paths.len()).max(1);
    let next = AtomicUsize::new(0);
    type Hashed = std::io::Result<(String, Option<Vec<u8>>)>;
    let done: Vec<(usize, Hashed)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        done.push((i, hash_one(paths[i])));
                        job.inc(1);
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_default()).collect()
    });
    let mut results: Vec<Option<Hashed>> = (0..paths.len()).map(|_| None).collect();
    for (i, h) in done {
        results[i] = Some(h);
    }
    results.into_iter().map(|r| r.unwrap_or_else(|| Err(std::io::Error::other("not hashed")))).collect()
}

/// The problem, if any, of a file that hashed to `now` against the hash
/// recorded for it.
fn file_problem(rel: &str, want: &str, what: &str, now: std::result::Result<String, String>) -> Vec<String> {
    match now {
        Ok(h) if h == want => Vec::new(),
        Ok(h) => {
            vec![format!("{rel}: {what} changed since it was recorded (sha256 {h} now, {want} recorded)")]
        }
        Err(e) => vec![format!("{rel}: {what} cannot be read: {e}")],
    }
}

/// The error of a folder whose recorded files have `problems`.
fn changed_outside(problems: &[String], dir: &Path) -> Error {
    Error::CheckFailed(format!(
        "{}\nthe campaign folder {} has been changed outside spotcheck; nothing was done (run `spotcheck audit` for the full report)",
        problems.join("\n"),
        dir.display()
    ))
}

fn file_name(p: &Path) -> Result<String> {
    p.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .ok_or_else(|| Error::Usage(format!("{} is not a file", p.display())))
}

impl Workspace {
    /// Opens a campaign folder under its lock, refusing if anything recorded
    /// has changed. Opened for writing, an interrupted command is recovered
    /// first (see `recovery`); opened for reading, a pending step is refused.
    pub fn open(dir: &Path, access: &Access) -> Result<Workspace> {
        Workspace::open_with(dir, access, false)
    }

    /// As [`Workspace::open`], but the frozen frame and its snapshot, the
    /// largest files of a campaign, are checked while the command works:
    /// the frame on a thread of its own, the snapshot as it is decoded.
    /// [`Workspace::apply`] settles them before it writes anything, and a
    /// command that ends without writing must call [`Workspace::settle`]
    /// before it reports. Other problems found on opening are reported
    /// with theirs, as [`Workspace::open`] reports them.
    pub fn open_deferred(dir: &Path, access: &Access) -> Result<Workspace> {
        Workspace::open_with(dir, access, true)
    }

    fn open_with(dir: &Path, access: &Access, defer: bool) -> Result<Workspace> {
        let (ws, problems) = Workspace::inspect_with(dir, access, defer)?;
        if let Some((event, at)) = step::pending(dir) {
            return Err(Error::Usage(format!(
                "an interrupted `{event}` step (begun {at}) left {} half-changed; run `spotcheck recover` to complete or undo it (a command that writes does so first)",
                dir.display()
            )));
        }
        if problems.is_empty() { Ok(ws) } else { Err(changed_outside(&problems, dir)) }
    }

    /// Checks the files [`Workspace::open_deferred`] left for later: an
    /// error, as opening would have given, if one changed. Once settled,
    /// nothing is left to check.
    pub fn settle(&self) -> Result<()> {
        let problems = self.deferred_problems();
        if problems.is_empty() { Ok(()) } else { Err(changed_outside(&problems, &self.dir)) }
    }

    /// The problems of the deferred files, each waited for or hashed now.
    fn deferred_problems(&self) -> Vec<String> {
        let pending = std::mem::take(&mut *self.deferred.lock().unwrap_or_else(|e| e.into_inner()));
        let mut problems = Vec::new();
        for d in pending {
            let now = match (d.hashed, d.hashing) {
                (Some(h), _) => h,
                (None, Some(t)) => t
                    .join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("not hashed")))
                    .map_err(|e| e.to_string()),
                (None, None) => {
                    std::fs::read(self.dir.join(&d.rel)).map(|b| sha256_hex(&b)).map_err(|e| e.to_string())
                }
            };
            problems.extend(file_problem(&d.rel, &d.want, d.what, now));
        }
        problems
    }

    /// Reads the folder under its lock and lists every integrity problem:
    /// a pending step, the journal's chain and head record, frozen inputs,
    /// and the recorded outputs (sample, draw record, later steps' files).
    pub fn inspect(dir: &Path, access: &Access) -> Result<(Workspace, Vec<String>)> {
        Workspace::inspect_with(dir, access, false)
    }

    /// As [`Workspace::inspect`]; with `defer`, the frozen frame and its
    /// snapshot are left for [`Workspace::settle`], unless another problem
    /// is found: then they are hashed at once, and every problem is listed
    /// as without `defer`.
    fn inspect_with(dir: &Path, access: &Access, defer: bool) -> Result<(Workspace, Vec<String>)> {
        let jpath = dir.join(JOURNAL);
        if !jpath.exists() {
            return Err(Error::Usage(format!(
                "{} is not a campaign folder (no {JOURNAL}); create one with `spotcheck init`, or pass -C DIR",
                dir.display()
            )));
        }
        let lock = lock::acquire(dir, access)?;
        let recovery = if lock.exclusive() { step::recover(dir)? } else { Recovery::default() };
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
        let mut ws = Workspace {
            dir: dir.to_path_buf(),
            rules_path: str_field(init, "rules"),
            frame_path: str_field(init, "frame"),
            encoding,
            offset: crate::time::Offset::parse(&str_field(init, "utc_offset")).unwrap_or_default(),
            frozen,
            journal,
            lock,
            recovery,
            hashes: BTreeMap::new(),
            read: Default::default(),
            deferred: Default::default(),
        };
        // Every file checked below, hashed at once, apart from those left
        // for later.
        let last_draw = ws.journal.entries.iter().rev().find(|e| e.event == "draw" || e.event == "redraw");
        let outputs = ws.recorded_outputs();
        let mut paths: Vec<&str> = ws.frozen.iter().map(|f| f.path.as_str()).collect();
        if last_draw.is_some() {
            paths.extend([SAMPLE, DRAW]);
        }
        paths.extend(outputs.keys().map(String::as_str));
        paths.sort_unstable();
        paths.dedup();
        let mut deferred = Vec::new();
        if defer {
            let snapshot =
                outputs.get(FRAME_SNAPSHOT).map(|want| (FRAME_SNAPSHOT, want.as_str(), "recorded file"));
            let frame = ws
                .frozen
                .iter()
                .find(|f| f.role == "frame")
                .map(|f| (f.path.as_str(), f.sha256.as_str(), "frozen input"));
            for (rel, want, what) in frame.into_iter().chain(snapshot) {
                paths.retain(|p| *p != rel);
                deferred.push(Deferred {
                    rel: rel.to_string(),
                    want: want.to_string(),
                    what,
                    hashing: None,
                    hashed: None,
                });
            }
        }
        let job = crate::progress::job(crate::progress::Task::CheckFiles, paths.len() as u64);
        let mut read = BTreeMap::new();
        for (p, h) in paths.iter().zip(hash_files(dir, &paths, &job)) {
            let h = match h {
                Ok((hash, bytes)) => {
                    if let Some(b) = bytes {
                        read.insert(p.to_string(), (hash.clone(), b));
                    }
                    Ok(hash)
                }
                Err(e) => Err(e.to_string()),
            };
            ws.hashes.insert(p.to_string(), h);
        }
        drop(job);
        ws.read = std::sync::Mutex::new(read);
        let found = ws.problems(&deferred);
        if found.is_empty() || deferred.is_empty() {
            ws.deferred = std::sync::Mutex::new(deferred);
            problems.extend(found);
            return Ok((ws, problems));
        }
        // Something else changed: the files left for later are hashed now,
        // and every problem is listed in the order opening lists them.
        let rels: Vec<&str> = deferred.iter().map(|d| d.rel.as_str()).collect();
        let job = crate::progress::job(crate::progress::Task::CheckFiles, rels.len() as u64);
        for (p, h) in rels.iter().zip(hash_files(dir, &rels, &job)) {
            ws.hashes.insert(p.to_string(), h.map(|(hash, _)| hash).map_err(|e| e.to_string()));
        }
        drop(job);
        problems.extend(ws.problems(&[]));
        Ok((ws, problems))
    }

    /// Every problem of the recorded files as hashed on opening, in order:
    /// the frozen inputs, an interrupted step (then nothing more), the head
    /// record, the draw's files and the later steps' files. The files in
    /// `deferred` are passed over.
    fn problems(&self, deferred: &[Deferred]) -> Vec<String> {
        let dir = &self.dir;
        let later = |rel: &str| deferred.iter().any(|d| d.rel == rel);
        let mut problems = Vec::new();
        for f in self.frozen.iter().filter(|f| !later(&f.path)) {
            problems.extend(self.check_file(&f.path, &f.sha256, "frozen input"));
        }
        if let Some((event, at)) = step::pending(dir) {
            // The outputs are half-changed until recovery; checking them
            // now would only list the step's own files.
            problems.push(format!(
                "{STEP_DIR}: an interrupted `{event}` step (begun {at}) is neither complete nor undone; run `spotcheck recover` (the recorded files are checked after that)"
            ));
            return problems;
        }
        problems.extend(self.check_head());
        // Outputs recorded by the last draw must be as written.
        if let Some(d) = self.journal.entries.iter().rev().find(|e| e.event == "draw" || e.event == "redraw")
        {
            problems.extend(self.check_file(SAMPLE, &str_field(d, "sample_sha256"), "drawn sample"));
            problems.extend(self.check_file(DRAW, &str_field(d, "draw_sha256"), "draw record"));
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
        for (path, sha) in self.recorded_outputs().into_iter().filter(|(p, _)| !later(p)) {
            problems.extend(self.check_file(&path, &sha, "recorded file"));
        }
        problems
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

    /// Why the folder is read without a lock, if it is.
    pub fn lock_note(&self) -> Option<&str> {
        self.lock.note.as_deref()
    }

    /// Every file the journal accounts for, with the hash it records:
    /// frozen inputs, the current draw's files and every recorded output.
    pub fn known_files(&self) -> BTreeMap<String, String> {
        let mut known = self.recorded_outputs();
        for f in &self.frozen {
            known.insert(f.path.clone(), f.sha256.clone());
        }
        if let Some(d) = self.journal.entries.iter().rev().find(|e| e.event == "draw" || e.event == "redraw")
        {
            known.insert(SAMPLE.to_string(), str_field(d, "sample_sha256"));
            known.insert(DRAW.to_string(), str_field(d, "draw_sha256"));
        }
        known
    }

    /// The head record must name the journal's last line: lines removed from
    /// the end leave no broken link in the chain, but they show here.
    fn check_head(&self) -> Vec<String> {
        let lines = self.journal.line_hashes.len();
        match std::fs::read_to_string(self.path(HEAD)) {
            Ok(text) => match step::parse_head(&text) {
                Some((n, h)) if n >= 1 && n <= lines && self.journal.line_hashes[n - 1] == h => {
                    if n < lines {
                        vec![format!(
                            "{JOURNAL}: lines {}–{lines} follow the last line that {HEAD} records ({n}): they were added outside spotcheck",
                            n + 1
                        )]
                    } else {
                        Vec::new()
                    }
                }
                Some((n, _)) if n > lines => vec![format!(
                    "{JOURNAL} has {lines} line(s), but {HEAD} records line {n} as the last: {} line(s) were removed from its end (or the journal was replaced by an older copy)",
                    n - lines
                )],
                Some((n, h)) => vec![format!(
                    "{JOURNAL}:{n}: is not the line {HEAD} records there (sha256 {h}): the journal was replaced or its newest lines changed"
                )],
                None => vec![format!("{HEAD}: not a head record (expected `<line number> <sha256>`)")],
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![format!(
                "{HEAD} is missing: it records the journal's last line so that removed lines are noticed; it was deleted outside spotcheck, or the folder was made before spotcheck kept it (then run `spotcheck recover --adopt-head HASH` with the journal head the commission published)"
            )],
            Err(e) => vec![format!("{HEAD}: cannot be read: {e}")],
        }
    }

    /// Everything in the folder that the journal does not account for:
    /// files it does not record, symbolic links, temporary files of
    /// interrupted writes, the leftovers of an interrupted step.
    pub fn scan(&self) -> Vec<String> {
        let known = self.known_files();
        let mut problems = Vec::new();
        let mut stack = vec![String::new()];
        while let Some(rel) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(self.dir.join(&rel)) else { continue };
            let mut entries: Vec<_> = entries.flatten().collect();
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                let name = e.file_name().to_string_lossy().to_string();
                let r = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
                let Ok(t) = e.file_type() else { continue };
                if t.is_symlink() {
                    let to =
                        std::fs::read_link(e.path()).map(|p| p.display().to_string()).unwrap_or_default();
                    problems.push(format!(
                        "{r}: a symbolic link (to {to}); a campaign folder holds only real files and folders, and spotcheck does not write through links"
                    ));
                } else if t.is_dir() {
                    if r == STEP_DIR {
                        if step::pending(&self.dir).is_none() {
                            problems.push(format!(
                                "{STEP_DIR}: the leftovers of an interrupted step; `spotcheck recover` removes them"
                            ));
                        }
                    } else {
                        stack.push(r);
                    }
                } else if atomic::is_temp_name(&name) {
                    problems.push(format!(
                        "{r}: a temporary file left by an interrupted command; `spotcheck recover` removes it"
                    ));
                } else if !known.contains_key(&r) && r != JOURNAL && r != HEAD && r != LOCK {
                    problems.push(format!(
                        "{r}: not recorded in the journal (spotcheck did not write it); move it out of the campaign folder"
                    ));
                }
            }
        }
        problems.sort();
        problems
    }

    fn check_file(&self, rel: &str, want: &str, what: &str) -> Vec<String> {
        let now = match self.hashes.get(rel) {
            Some(h) => h.clone(),
            None => std::fs::read(self.dir.join(rel)).map(|b| sha256_hex(&b)).map_err(|e| e.to_string()),
        };
        file_problem(rel, want, what, now)
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
        let frame = self.load_frame(&rules)?;
        Ok((rules, frame))
    }

    /// The frozen frame: from the snapshot `init` recorded, when it is there
    /// and hashes to what the journal holds, else parsed from its CSV. A
    /// snapshot of an older layout, or of other inputs, is passed over.
    pub fn load_frame(&self, rules: &Rules) -> Result<Frame> {
        let origin = frame_origin(&self.frozen);
        let decode = |bytes: &[u8]| frame::snapshot::decode(&self.frame_path, bytes, &origin).ok();
        let frame = match self.load_recorded(FRAME_SNAPSHOT, decode)? {
            Some((frame, _)) => frame,
            None => frame::load(&self.path(&self.frame_path), &self.frame_path, &rules.frame, self.encoding)?,
        };
        self.start_deferred();
        Ok(frame)
    }

    /// Starts hashing, each on a thread of its own, the deferred files not
    /// yet hashed: once the frame is loaded, so that the hashing has the
    /// core the loading used, and runs beside the work that follows.
    fn start_deferred(&self) {
        for d in self.deferred.lock().unwrap_or_else(|e| e.into_inner()).iter_mut() {
            if d.hashed.is_none() && d.hashing.is_none() {
                let path = self.dir.join(&d.rel);
                d.hashing = Some(std::thread::spawn(move || hash_file(&path)));
            }
        }
    }

    /// Lets go of the snapshot bytes kept from hashing them on opening, for
    /// a command that will not load them.
    pub fn forget_snapshots(&self) {
        self.read.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Reads a file the journal records as an output and decodes it, while
    /// another thread checks its bytes against the hash the journal
    /// records: a file that changed is never used. Returns what `decode`
    /// gave, with the bytes; `None` when the journal records no such file
    /// or `decode` gives nothing.
    pub fn load_recorded<T>(
        &self,
        rel: &str,
        decode: impl FnOnce(&[u8]) -> Option<T>,
    ) -> Result<Option<(T, Vec<u8>)>> {
        let Some(want) = self.recorded_outputs().remove(rel) else { return Ok(None) };
        // Bytes hashed when the folder was opened are used as they are.
        let kept = self.read.lock().unwrap_or_else(|e| e.into_inner()).remove(rel);
        let (now, bytes, decoded) = match kept {
            Some((hash, bytes)) => {
                let decoded = if hash == want { decode(&bytes) } else { None };
                (hash, bytes, decoded)
            }
            None => {
                let bytes = read(&self.path(rel))?;
                let (now, decoded) = std::thread::scope(|s| {
                    let hash = s.spawn(|| sha256_hex(&bytes));
                    let decoded = decode(&bytes);
                    (hash.join().unwrap_or_default(), decoded)
                });
                (now, bytes, decoded)
            }
        };
        // A file left for later is settled here, with the others left if
        // it changed, as opening would have reported them.
        let mut deferred = self.deferred.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = deferred.iter_mut().find(|d| d.rel == rel) {
            d.hashed = Some(Ok(now.clone()));
            drop(deferred);
            if now != want {
                self.settle()?;
            }
        } else {
            drop(deferred);
        }
        if now != want {
            return Err(Error::CheckFailed(format!(
                "{rel}: recorded file changed since it was recorded (sha256 {now} now, {want} recorded); nothing was done (run `spotcheck audit` for the full report)"
            )));
        }
        Ok(decoded.map(|d| (d, bytes)))
    }

    /// Appends an event that writes no file to the journal.
    pub fn append(&mut self, event: &str, data: serde_json::Value) -> Result<journal::Entry> {
        self.apply(Step::new(), event, data)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_of_exactly_the_bound_is_read_and_one_byte_more_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, b"0123456789").unwrap();
        assert_eq!(read_within(&p, 10).unwrap(), b"0123456789");
        let Err(Error::Invalid(d)) = read_within(&p, 9) else { panic!("read past the bound") };
        let text = d.to_string();
        assert!(text.contains("t.csv") && text.contains("at most 0 MiB"), "{text}");
    }

    /// A file that says it is empty but is not (as a file growing while it
    /// is read looks): no more than the bound is read.
    #[cfg(target_os = "linux")]
    #[test]
    fn an_input_growing_past_the_bound_is_refused() {
        let p = Path::new("/proc/self/status");
        assert_eq!(std::fs::metadata(p).unwrap().len(), 0);
        assert!(matches!(read_within(p, 16), Err(Error::Invalid(_))));
        assert!(read_within(p, 1 << 20).unwrap().len() > 16);
    }
}
