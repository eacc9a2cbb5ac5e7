//! Progress bars (indicatif) for long runs, drawn only when stderr is a terminal so that
//! cron logs stay clean.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use retention_contract::Source;
use retention_pipeline::{Progress, SourceProgress};
use std::io::IsTerminal;
use std::sync::Mutex;

/// One bar per source, by bytes read, and a spinner for the stage under way.
pub struct Bars {
    multi: Option<MultiProgress>,
    bars: Mutex<Vec<(Source, ProgressBar)>>,
    stage: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// Bars when stderr is a terminal, nothing otherwise.
    pub fn new() -> Bars {
        let multi = std::io::stderr()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Bars {
            multi,
            bars: Mutex::new(Vec::new()),
            stage: Mutex::new(None),
        }
    }

    /// A spinner naming work that has no measure of its own (`generate`'s files), or
    /// None off a terminal.
    pub fn spinner(prefix: &str) -> Option<ProgressBar> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>22} {spinner} {elapsed} {msg}")
                .expect("valid template"),
        );
        bar.set_prefix(prefix.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(bar)
    }

    fn bar(&self, source: Source) -> Option<ProgressBar> {
        self.bars
            .lock()
            .expect("bars")
            .iter()
            .find(|(s, _)| *s == source)
            .map(|(_, b)| b.clone())
    }
}

impl SourceProgress for Bars {
    fn source_started(&self, source: Source, bytes: u64) {
        let Some(multi) = &self.multi else { return };
        // A source read a second time (offices and job_history are read before the
        // others, then validated) keeps its one bar.
        if let Some(bar) = self.bar(source) {
            bar.set_length(bytes);
            bar.set_position(0);
            bar.reset_elapsed();
            return;
        }
        let bar = multi.add(ProgressBar::new(bytes));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>22} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(source.name());
        self.bars.lock().expect("bars").push((source, bar));
    }

    fn source_progress(&self, source: Source, bytes: u64) {
        if let Some(bar) = self.bar(source) {
            bar.set_position(bytes);
        }
    }

    fn source_finished(&self, source: Source) {
        if let Some(bar) = self.bar(source) {
            bar.finish();
        }
    }
}

impl Progress for Bars {
    /// The stage under way, as a spinner with its elapsed time; the one before is marked
    /// done.
    fn stage(&self, name: &str) {
        let Some(multi) = &self.multi else { return };
        let mut current = self.stage.lock().expect("stage");
        if let Some(previous) = current.take() {
            previous.finish_with_message("done");
        }
        let bar = multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>22} {spinner} {elapsed} {msg}")
                .expect("valid template"),
        );
        bar.set_prefix(format!("stage {name}"));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        *current = Some(bar);
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        if let Some(last) = self.stage.lock().expect("stage").take() {
            last.finish_with_message("done");
        }
    }
}
