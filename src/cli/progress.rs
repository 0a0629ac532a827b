//! How much the command says while it works: progress bars on stderr for
//! long work (only when stderr is a terminal, never with `--quiet`), and
//! the difference between messages everyone needs (warnings, problems,
//! errors, what a recovery did) and notes that `--quiet` silences.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::lang::Lang;
use crate::progress::{self, Sink, Task};

/// How long a task runs before its bar appears, so that quick work does not
/// flicker. `SPOTCHECK_PROGRESS_DELAY_MS` changes it (the tests set 0).
const DELAY: Duration = Duration::from_millis(400);
const DELAY_ENV: &str = "SPOTCHECK_PROGRESS_DELAY_MS";

static QUIET: AtomicBool = AtomicBool::new(false);

/// The bar on screen, if any: messages are printed around it.
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Sets --quiet, and installs the progress bars when stderr is a terminal.
pub fn setup(quiet: bool, lang: Lang) {
    QUIET.store(quiet, Ordering::Relaxed);
    if quiet || !std::io::stderr().is_terminal() {
        return;
    }
    let delay = std::env::var(DELAY_ENV)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or(DELAY, Duration::from_millis);
    progress::install(Box::new(Bars { lang, delay, started: AtomicU64::new(0) }));
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Prints a line to stderr, clearing a bar on screen first and drawing it
/// again after.
pub fn eprint_line(text: &str) {
    let shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match shown {
        Some(bar) => bar.suspend(|| eprintln!("{text}")),
        None => eprintln!("{text}"),
    }
}

struct Current {
    bar: ProgressBar,
    /// Which task this is, so that a timer set for an earlier one does
    /// not show this one early.
    task_no: u64,
    visible: bool,
}

/// The task on screen or waiting to be.
static CURRENT: Mutex<Option<Current>> = Mutex::new(None);

struct Bars {
    lang: Lang,
    delay: Duration,
    started: AtomicU64,
}

impl Bars {
    fn words(&self, task: Task) -> &'static str {
        let t = |zh, en| self.lang.t(zh, en);
        match task {
            Task::CheckFiles => t("核对冻结的输入文件", "checking the frozen inputs"),
            Task::ReadFrame => t("读取抽样框", "reading the frame"),
            Task::Draw => t("抽样", "drawing"),
            Task::WriteSample => t("写入 sample.xlsx", "writing sample.xlsx"),
            Task::ReadReports => t("读取自查报告", "reading self-reports"),
            Task::ReadFindings => t("读取检查结果", "reading findings"),
            Task::Score => t("计分", "scoring"),
            Task::Simulate => t("模拟抽样", "simulating draws"),
        }
    }
}

fn show(c: &mut Current) {
    c.bar.set_draw_target(ProgressDrawTarget::stderr());
    // The elapsed time (and a spinner) moves on between updates.
    c.bar.enable_steady_tick(Duration::from_millis(200));
    c.visible = true;
    *SHOWN.lock().unwrap_or_else(|e| e.into_inner()) = Some(c.bar.clone());
}

impl Sink for Bars {
    fn start(&self, task: Task, total: u64) {
        let counts = if task.counts_bytes() {
            "{binary_bytes}/{binary_total_bytes}"
        } else {
            "{human_pos}/{human_len}"
        };
        let template = if total == 0 {
            "{msg}  {spinner}  {elapsed}".to_string()
        } else {
            format!("{{msg}}  [{{bar:30}}] {counts}  {{elapsed}}")
        };
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target((total > 0).then_some(total), ProgressDrawTarget::hidden())
            .with_style(style)
            .with_message(self.words(task));
        let task_no = self.started.fetch_add(1, Ordering::Relaxed) + 1;
        let mut slot = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = slot.take() {
            old.bar.finish_and_clear();
        }
        let mut c = Current { bar, task_no, visible: false };
        if self.delay.is_zero() {
            show(&mut c);
        } else {
            let delay = self.delay;
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let mut slot = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(c) = slot.as_mut().filter(|c| c.task_no == task_no && !c.visible) {
                    show(c);
                }
            });
        }
        *slot = Some(c);
    }

    fn set(&self, done: u64) {
        if let Some(c) = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            c.bar.set_position(done);
        }
    }

    fn finish(&self) {
        if let Some(c) = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).take() {
            c.bar.finish_and_clear();
        }
        *SHOWN.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
