//! The run display: live bars on a terminal, plain lines otherwise (logs, CI, pipes).

use crate::exec::{Event, EventSink};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Set by the Ctrl-C handler.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler: the first press stops the run after committing what is complete;
/// a second press exits at once (staging folders are discarded by the next run's cleanup).
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\ninterrupted: finishing up; completed stages are kept (press Ctrl-C again to quit now)");
    });
}

pub struct Display {
    mode: Mode,
    started: Instant,
}

enum Mode {
    Live(Mutex<Live>),
    Plain(Mutex<Plain>),
}

struct Live {
    multi: MultiProgress,
    overall: ProgressBar,
    bars: HashMap<String, ProgressBar>,
}

struct Plain {
    total: usize,
    finished: usize,
    /// The last progress quarter printed per stage, and when.
    last: HashMap<String, (u64, Instant)>,
}

impl Display {
    /// Live bars when stderr is a terminal, plain lines otherwise.
    pub fn new() -> Display {
        let mode = if std::io::stderr().is_terminal() && std::env::var_os("RNX_PLAIN").is_none() {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
            let overall = multi.add(ProgressBar::new(0));
            overall.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30.cyan/blue}] {pos}/{len} stages {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            Mode::Live(Mutex::new(Live {
                multi,
                overall,
                bars: HashMap::new(),
            }))
        } else {
            Mode::Plain(Mutex::new(Plain {
                total: 0,
                finished: 0,
                last: HashMap::new(),
            }))
        };
        Display {
            mode,
            started: Instant::now(),
        }
    }

    pub fn finish(&self) {
        if let Mode::Live(live) = &self.mode
            && let Ok(live) = live.lock()
        {
            live.overall.finish_and_clear();
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl EventSink for Display {
    fn interrupted(&self) -> bool {
        INTERRUPTED.load(Ordering::SeqCst)
    }

    fn event(&self, event: Event) {
        match &self.mode {
            Mode::Live(live) => {
                if let Ok(mut live) = live.lock() {
                    live.event(event);
                }
            }
            Mode::Plain(plain) => {
                if let Ok(mut plain) = plain.lock() {
                    plain.event(event);
                }
            }
        }
    }
}

fn reasons_text(reasons: &[crate::cache::Reason]) -> String {
    let parts: Vec<String> = reasons.iter().map(|r| r.to_string()).collect();
    parts.join("; ")
}

impl Live {
    fn event(&mut self, event: Event) {
        match event {
            Event::Begin { total } => self.overall.set_length(total as u64),
            Event::Cached { .. } | Event::ComputedElsewhere { .. } => self.overall.inc(1),
            Event::Start { name, reasons } => {
                let _ = self
                    .multi
                    .println(format!("  run     {name}  ({})", reasons_text(reasons)));
                let bar = self.multi.add(ProgressBar::new(0));
                bar.set_style(
                    ProgressStyle::with_template("  {spinner} {prefix:30!} [{bar:20}] {pos}/{len} {msg} (eta {eta})")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                bar.set_prefix(name.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                self.bars.insert(name.to_string(), bar);
            }
            Event::Progress {
                name,
                done,
                total,
                message,
            } => {
                if let Some(bar) = self.bars.get(name) {
                    bar.set_length(total);
                    bar.set_position(done);
                    bar.set_message(message.to_string());
                }
            }
            Event::Finish { name, seconds } => {
                if let Some(bar) = self.bars.remove(name) {
                    bar.finish_and_clear();
                    self.multi.remove(&bar);
                }
                let _ = self.multi.println(format!("  done    {name}  {seconds:.2} s"));
                self.overall.inc(1);
            }
            Event::Fail { name, message } => {
                if let Some(bar) = self.bars.remove(name) {
                    bar.finish_and_clear();
                    self.multi.remove(&bar);
                }
                let _ = self.multi.println(format!("  FAILED  {name}: {message}"));
                self.overall.inc(1);
            }
            Event::Skip { name, because } => {
                let _ = self.multi.println(format!("  skipped {name}: {because}"));
            }
        }
    }
}

impl Plain {
    fn event(&mut self, event: Event) {
        match event {
            Event::Begin { total } => self.total = total,
            Event::Cached { .. } | Event::ComputedElsewhere { .. } => self.finished += 1,
            Event::Start { name, reasons } => eprintln!("run     {name}  ({})", reasons_text(reasons)),
            Event::Progress {
                name,
                done,
                total,
                message,
            } => {
                // At most one line per quarter of the work, and not more often than every 10 s.
                let quarter = done.saturating_mul(4).checked_div(total).unwrap_or(0);
                let now = Instant::now();
                let entry = self.last.entry(name.to_string()).or_insert((0, now));
                if quarter > entry.0 || now.duration_since(entry.1) > Duration::from_secs(10) {
                    *entry = (quarter.max(entry.0), now);
                    eprintln!("        {name}  {done}/{total} {message}");
                }
            }
            Event::Finish { name, seconds } => {
                self.finished += 1;
                eprintln!("done    {name}  {seconds:.2} s  [{}/{}]", self.finished, self.total);
            }
            Event::Fail { name, message } => {
                self.finished += 1;
                eprintln!("FAILED  {name}: {message}");
            }
            Event::Skip { name, because } => eprintln!("skipped {name}: {because}"),
        }
    }
}
