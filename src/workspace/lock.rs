//! The campaign folder's lock: one writer at a time, and no reader while a
//! writer is at work. Commands that write take an exclusive advisory lock on
//! `.spotcheck.lock` in the folder; commands that only read take a shared
//! one. The lock is held until the command ends (for a writer: after its
//! journal line and head record are on disk) and is released by the
//! operating system if the process dies.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::ErrorKind;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The lock file, inside the campaign folder.
pub const LOCK: &str = ".spotcheck.lock";

/// How long a command waits for another one on the same folder by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// What a command will do with the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reading only: many at once, never beside a writer.
    Shared,
    /// Writing: alone.
    Exclusive,
}

/// How to take the lock: the mode, how long to wait for another command,
/// and what to do (once) when waiting starts.
pub struct Access<'a> {
    pub mode: Mode,
    pub timeout: Duration,
    pub on_wait: &'a dyn Fn(),
}

impl Access<'static> {
    /// Reading, with the default timeout and no message.
    pub fn read() -> Access<'static> {
        Access { mode: Mode::Shared, timeout: DEFAULT_TIMEOUT, on_wait: &|| {} }
    }

    /// Writing, with the default timeout and no message.
    pub fn write() -> Access<'static> {
        Access { mode: Mode::Exclusive, timeout: DEFAULT_TIMEOUT, on_wait: &|| {} }
    }
}

/// A held lock, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct FolderLock {
    file: Option<File>,
    pub mode: Mode,
    /// Why a reader goes on without a lock (read-only media, no lock
    /// support), to be told to the user.
    pub note: Option<String>,
}

impl FolderLock {
    /// Whether this lock allows writing.
    pub fn exclusive(&self) -> bool {
        self.mode == Mode::Exclusive && self.file.is_some()
    }
}

fn cannot_write(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied)
}

/// A duration in seconds as people write it: `60`, `0.5`.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0}") } else { format!("{}", (s * 1000.0).round() / 1000.0) }
}

/// Takes the folder's lock, waiting up to `access.timeout` for another
/// command to finish.
pub fn acquire(dir: &Path, access: &Access) -> Result<FolderLock> {
    let path = dir.join(LOCK);
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::CheckFailed(format!(
            "{}: the lock file is a symbolic link; spotcheck does not follow links out of a campaign folder",
            path.display()
        )));
    }
    let mut create = OpenOptions::new();
    create.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        create.mode(0o666);
    }
    let file = match access.mode {
        Mode::Exclusive => create.open(&path).map_err(|e| {
            if cannot_write(&e) {
                Error::Usage(format!(
                    "cannot write to the campaign folder {}: {e} (read-only media, or no permission to write there); this command changes the folder, so it needs write access",
                    dir.display()
                ))
            } else {
                Error::io(&path, e)
            }
        })?,
        // A reader needs no write access: a lock file made by an earlier
        // writer can be locked shared when opened for reading.
        Mode::Shared => match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => match create.open(&path) {
                Ok(f) => f,
                Err(e) if cannot_write(&e) => {
                    return Ok(FolderLock {
                        file: None,
                        mode: access.mode,
                        note: Some(format!(
                            "note: {} cannot be locked ({e}: read-only media or no write permission); reading without a lock, which is safe only if nothing writes to the folder now",
                            dir.display()
                        )),
                    });
                }
                Err(e) => return Err(Error::io(&path, e)),
            },
            Err(e) => return Err(Error::io(&path, e)),
        },
    };
    let started = Instant::now();
    let mut waiting = false;
    loop {
        let tried = match access.mode {
            Mode::Shared => file.try_lock_shared(),
            Mode::Exclusive => file.try_lock(),
        };
        match tried {
            Ok(()) => return Ok(FolderLock { file: Some(file), mode: access.mode, note: None }),
            Err(TryLockError::WouldBlock) => {
                if started.elapsed() >= access.timeout {
                    return Err(Error::Usage(format!(
                        "gave up after {} s: another spotcheck command is still working on {} (it holds {LOCK}); try again when it has finished, or wait longer with --lock-timeout SECONDS",
                        seconds(access.timeout),
                        dir.display()
                    )));
                }
                if !waiting {
                    waiting = true;
                    (access.on_wait)();
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(TryLockError::Error(e)) => match access.mode {
                Mode::Exclusive => {
                    return Err(Error::Usage(format!(
                        "cannot lock {}: {e}; the file system does not support file locks. spotcheck writes to a campaign folder only under its lock, so that two commands can never interleave; copy the folder to a disk that supports locks",
                        path.display()
                    )));
                }
                Mode::Shared => {
                    return Ok(FolderLock {
                        file: None,
                        mode: access.mode,
                        note: Some(format!(
                            "note: {} cannot be locked ({e}: the file system does not support file locks); reading without a lock",
                            path.display()
                        )),
                    });
                }
            },
        }
    }
}
