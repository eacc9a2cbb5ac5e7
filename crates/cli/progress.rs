//! Progress bars (indicatif) for long runs, drawn only when stderr is a terminal so that
//! cron logs stay clean.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use retention_contract::Source;
use retention_pipeline::{Progress, SourceProgress};
use std::io::IsTerminal;
use std::sync::Mutex;

/// One bar per source, by bytes read.
pub struct Bars {
    multi: Option<MultiProgress>,
    bars: Mutex<Vec<(Source, ProgressBar)>>,
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
        }
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

impl Progress for Bars {}
