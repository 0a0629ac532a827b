//! Progress of long work — reading a national frame, drawing, writing the
//! sample, scoring — for whoever shows it. The library never prints: it
//! names the task and counts what is done through a [`Job`]; the command
//! line installs a [`Sink`] that draws a bar on a terminal. Without a sink
//! (tests, other programs using the library) a job costs one atomic load.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// What is being done, so that the sink can name it in the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Hashing the frozen inputs to check they are unchanged (files).
    CheckFiles,
    /// Decoding, parsing and validating the frame (bytes).
    ReadFrame,
    /// Drawing the sample (no total: the strata are found as it goes).
    Draw,
    /// Writing `sample.xlsx` (rows).
    WriteSample,
    /// Reading the counties' frozen self-reports (files).
    ReadReports,
    /// Reading the teams' findings files (files).
    ReadFindings,
    /// Scoring the counties (counties).
    Score,
    /// Simulating draws (replicates).
    Simulate,
}

impl Task {
    /// Whether the task counts bytes (shown as sizes) rather than items.
    pub fn counts_bytes(self) -> bool {
        matches!(self, Task::ReadFrame)
    }
}

/// Shows progress. Called from any thread; `start` and `finish` bracket a
/// task, `set` moves it to `done` of the `total` given at the start.
pub trait Sink: Send + Sync {
    fn start(&self, task: Task, total: u64);
    fn set(&self, done: u64);
    fn finish(&self);
}

static SINK: OnceLock<Box<dyn Sink>> = OnceLock::new();

/// Installs the sink for the rest of the process; false if one was already
/// installed.
pub fn install(sink: Box<dyn Sink>) -> bool {
    SINK.set(sink).is_ok()
}

/// One task in progress; finishing it (dropping the job) clears what the
/// sink showed.
pub struct Job {
    sink: Option<&'static dyn Sink>,
    done: AtomicU64,
}

/// Whether a job is being shown. A sink shows one task at a time: a task
/// started while another is shown (two parts of a command working at once)
/// is counted without being shown, so that neither clears nor moves the
/// other's bar.
static SHOWING: Gate = Gate(std::sync::atomic::AtomicBool::new(false));

/// One holder at a time.
struct Gate(std::sync::atomic::AtomicBool);

impl Gate {
    /// Takes the gate if it is free.
    fn take(&self) -> bool {
        self.0.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    fn give_back(&self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Starts a task of `total` units; 0 when the total is not known, which a
/// sink shows as work going on rather than a share done.
pub fn job(task: Task, total: u64) -> Job {
    let sink = SINK.get().map(|s| s.as_ref()).filter(|_| SHOWING.take());
    if let Some(s) = sink {
        s.start(task, total);
    }
    Job { sink, done: AtomicU64::new(0) }
}

impl Job {
    /// `n` more units are done.
    pub fn inc(&self, n: u64) {
        if let Some(s) = self.sink {
            let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
            s.set(done);
        }
    }

    /// `done` units are done in all.
    pub fn set(&self, done: u64) {
        if let Some(s) = self.sink {
            self.done.store(done, Ordering::Relaxed);
            s.set(done);
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(s) = self.sink {
            s.finish();
            SHOWING.give_back();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Gate;

    #[test]
    fn the_gate_has_one_holder_at_a_time() {
        let g = Gate(std::sync::atomic::AtomicBool::new(false));
        assert!(g.take());
        assert!(!g.take(), "a second task started meanwhile is not shown");
        g.give_back();
        assert!(g.take(), "the next task after the first is shown");
    }
}
