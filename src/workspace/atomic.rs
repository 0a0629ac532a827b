//! Every change spotcheck makes to the filesystem goes through here. Data go
//! to a temporary file in the same folder, are flushed to disk, and the file
//! is renamed into place, so a file is never seen half-written; the folder
//! is synced after each rename so the new name survives a power cut.
//!
//! Each operation passes one crash-injection point: with
//! `SPOTCHECK_CRASH_AFTER=N` in the environment the process aborts just
//! before its operation N + 1 (N = 0 aborts before the first), as a kill at
//! that moment would. Recovery is tested by crashing at every operation of
//! every command in turn.

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use tempfile::NamedTempFile;

use crate::error::{Error, Result};

/// The environment variable naming the operation to crash before.
pub const CRASH_AFTER: &str = "SPOTCHECK_CRASH_AFTER";

/// Temporary files are named `.spotcheck-<random>.tmp`.
pub const TEMP_PREFIX: &str = ".spotcheck-";
pub const TEMP_SUFFIX: &str = ".tmp";

static DONE: AtomicU64 = AtomicU64::new(0);
static LIMIT: OnceLock<Option<u64>> = OnceLock::new();

/// Counts one file operation, aborting the process if the crash-injection
/// limit is reached. Read only here, on the write path.
fn op() {
    let limit = *LIMIT.get_or_init(|| std::env::var(CRASH_AFTER).ok().and_then(|v| v.trim().parse().ok()));
    if let Some(n) = limit
        && DONE.fetch_add(1, Ordering::SeqCst) >= n
    {
        std::process::abort();
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Whether a file name is one of spotcheck's temporary files.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)
}

/// The bytes, written and synced to a temporary file beside `path`. The
/// file is created with mode 0666 less the umask, as any other file the
/// user makes (the temporary-file default of 0600 would stay on the
/// published file after the rename).
fn staged(path: &Path, parts: &[&[u8]]) -> Result<NamedTempFile> {
    let dir = parent(path);
    let mut b = tempfile::Builder::new();
    b.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    op();
    let mut tmp = b.tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    op();
    for bytes in parts {
        tmp.write_all(bytes).map_err(|e| Error::io(tmp.path(), e))?;
    }
    op();
    tmp.as_file().sync_all().map_err(|e| Error::io(tmp.path(), e))?;
    Ok(tmp)
}

/// Makes a folder's entries (a rename, a new or removed file) durable.
/// Windows has no such call; its renames are durable when they return.
pub fn sync_dir(dir: &Path) -> Result<()> {
    op();
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|f| f.sync_all()).map_err(|e| Error::io(dir, e))?;
    Ok(())
}

/// Writes `bytes` to `path` atomically, replacing any file there.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    put(path, bytes)?;
    sync_dir(parent(path))
}

/// Writes `bytes` to `path` atomically, the data synced but not the
/// folder's entry: the caller syncs the folder once after several files.
pub fn put(path: &Path, bytes: &[u8]) -> Result<()> {
    put_parts(path, &[bytes])
}

/// As [`put`], the file's bytes given in parts, written one after the
/// other (a large file rendered in parts is never joined in memory).
pub fn put_parts(path: &Path, parts: &[&[u8]]) -> Result<()> {
    let tmp = staged(path, parts)?;
    op();
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Writes `bytes` to `path` atomically, refusing if a file is already there.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = staged(path, &[bytes])?;
    op();
    tmp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Usage(format!("{} already exists; spotcheck does not overwrite it", path.display()))
        } else {
            Error::io(path, e.error)
        }
    })?;
    sync_dir(parent(path))
}

/// Copies the file `from` to a new file `to`, not yet synced: the caller
/// syncs it with [`Copied::sync`] (on another thread, while it reads the
/// copy). Only for a folder still being built, which appears by a rename:
/// a half-copied file there is never seen.
pub fn copy_new(from: &Path, to: &Path) -> Result<Copied> {
    op();
    let mut src = std::fs::File::open(from).map_err(|e| Error::io(from, e))?;
    let mut dst = std::fs::File::create_new(to).map_err(|e| Error::io(to, e))?;
    std::io::copy(&mut src, &mut dst).map_err(|e| Error::io(to, e))?;
    Ok(Copied { file: dst, path: to.to_path_buf() })
}

/// A copy [`copy_new`] made, waiting to be synced.
pub struct Copied {
    file: std::fs::File,
    path: std::path::PathBuf,
}

impl Copied {
    /// Flushes the copy to disk.
    pub fn sync(self) -> Result<()> {
        op();
        self.file.sync_all().map_err(|e| Error::io(&self.path, e))
    }
}

/// A new file written as its data are made, hashing what is written; for a
/// folder still being built, as [`copy_new`]. A national frame's snapshot
/// is tens of megabytes, which need not be held whole in memory.
pub struct HashingFile {
    path: std::path::PathBuf,
    file: std::io::BufWriter<std::fs::File>,
    hash: crate::hash::Hasher,
}

impl HashingFile {
    pub fn create(path: &Path) -> Result<HashingFile> {
        op();
        let file = std::fs::File::create_new(path).map_err(|e| Error::io(path, e))?;
        Ok(HashingFile {
            path: path.to_path_buf(),
            file: std::io::BufWriter::with_capacity(1 << 16, file),
            hash: crate::hash::Hasher::default(),
        })
    }

    /// Syncs the file and returns the SHA-256 of what was written.
    pub fn finish(self) -> Result<String> {
        let path = self.path;
        let file = self.file.into_inner().map_err(|e| Error::io(&path, e.into_error()))?;
        op();
        file.sync_all().map_err(|e| Error::io(&path, e))?;
        Ok(self.hash.hex())
    }
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Creates one folder (its parent must exist).
pub fn create_dir(path: &Path) -> Result<()> {
    op();
    std::fs::create_dir(path).map_err(|e| Error::io(path, e))?;
    sync_dir(parent(path))
}

/// Creates a folder and any missing parents.
pub fn create_dir_all(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() || path.is_dir() {
        return Ok(());
    }
    create_dir_all(parent(path))?;
    create_dir(path)
}

/// Removes a file.
pub fn remove_file(path: &Path) -> Result<()> {
    op();
    std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
    sync_dir(parent(path))
}

/// Removes an empty folder.
pub fn remove_dir(path: &Path) -> Result<()> {
    op();
    std::fs::remove_dir(path).map_err(|e| Error::io(path, e))?;
    sync_dir(parent(path))
}

/// Removes a file, without syncing its folder (for files whose coming
/// back after a power cut is harmless).
pub fn unlink(path: &Path) -> Result<()> {
    op();
    std::fs::remove_file(path).map_err(|e| Error::io(path, e))
}

/// Removes an empty folder, without syncing its parent.
pub fn rmdir(path: &Path) -> Result<()> {
    op();
    std::fs::remove_dir(path).map_err(|e| Error::io(path, e))
}

/// Gives the file `from` a second name `to` (a hard link); the file is
/// synced (its link count), its folder's entry is not. Fails where the file
/// system has no hard links; the caller then copies.
pub fn link(from: &Path, to: &Path) -> std::io::Result<()> {
    op();
    std::fs::hard_link(from, to)?;
    std::fs::File::open(to)?.sync_all()
}

/// Renames a file or folder (on one file system: atomic).
pub fn rename(from: &Path, to: &Path) -> Result<()> {
    op();
    std::fs::rename(from, to).map_err(|e| Error::io(to, e))?;
    sync_dir(parent(to))
}

/// Creates a new folder named `prefix` + random characters in `parent`.
pub fn temp_dir_in(parent: &Path, prefix: &str) -> Result<tempfile::TempDir> {
    op();
    let d = tempfile::Builder::new().prefix(prefix).tempdir_in(parent).map_err(|e| Error::io(parent, e))?;
    sync_dir(parent)?;
    Ok(d)
}
