//! The synthetic child-welfare agency behind `retention demo`, the benchmarks and many
//! tests: [`generate`] writes one inbox of the six source files of CONTRACT.md section 1,
//! optionally with injected bad rows and the list of quarantine reasons they must get.
//!
//! The agency is simulated month by month (module `agency`): workers carry a latent stress
//! level that drives their caseload, missed supervision, survey answers and separation
//! hazard, so the analytics downstream find real effects. The clean rows (module `emit`)
//! produce no quarantine at all under the contract; bad rows (module `faults`) are added
//! beside them, never by corrupting a clean row, so nothing cascades. Output is a pure
//! function of the [`AgencySpec`]: the same spec gives byte-identical files.
//!
//! Beside the inbox the generator writes what no source file can tell: `true_risk.csv`,
//! each backtest worker's true probability of separating in the 12 months after
//! `train_end = as_of - 365 days`, taken from the simulation's own hazards, and whether
//! they did (module `truth`; summarised in [`TruthSummary`]). The pipeline ignores the file;
//! tests and benchmarks score its risk-model backtest against this best possible model.

#![deny(missing_docs)]

mod agency;
mod codes;
mod csv;
mod emit;
mod faults;
mod noise;
mod rows;
mod truth;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};

use crate::csv::{Sink, SourceSummary};
use crate::faults::{
    EnrollmentFaults, JobFaults, OfficeFaults, SessionFaults, SnapshotFaults, SurveyFaults,
};

/// What agency to generate.
#[derive(Clone, Debug)]
pub struct AgencySpec {
    /// Average headcount: workers employed on a typical day.
    pub workers: u32,
    /// Years of history ending at `as_of`.
    pub years: u32,
    /// Number of offices.
    pub offices: u32,
    /// Seed of every random choice.
    pub seed: u64,
    /// The last day of the history; no clean row is dated after it.
    pub as_of: NaiveDate,
    /// Bad rows injected per clean row, 0.0 (clean) to 0.04 (see `Sink`'s budget).
    pub faults: f64,
}

/// What [`generate`] wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratedInbox {
    /// (source name, data records written: clean and injected), in the order offices,
    /// job_history, caseload_snapshots, supervision_sessions, survey_responses,
    /// program_enrollments.
    pub rows: Vec<(&'static str, u64)>,
    /// Bad rows injected in total (the data rows of `expected_quarantine.csv`).
    pub faults: u64,
    /// The truth of the risk-model backtest, as written to `true_risk.csv`.
    pub truth: TruthSummary,
}

/// Summary of `true_risk.csv`: the simulation's own separation probabilities for the
/// workers of the risk-model backtest (CONTRACT.md section 9), and what became of them.
///
/// The workers are those employed on `train_end` less those whose spell ends on it. A
/// worker's true probability is `1 - prod(1 - h_m)` over the simulated months after
/// `train_end` up to as-of, `h_m` being the monthly separation hazard the simulation drew
/// their fate from, evaluated along their simulated path (and, after a termination, as if
/// they had stayed); the month containing `train_end`, unless it is the month's last day,
/// adds the hazard of a termination after `train_end` given none up to it.
#[derive(Clone, Debug, PartialEq)]
pub struct TruthSummary {
    /// as_of - 365 days.
    pub train_end: NaiveDate,
    /// Workers in the backtest (data rows of `true_risk.csv`); 0 when nobody qualifies.
    pub workers: u64,
    /// Those whose spell containing `train_end` ends with a TERMINATION in
    /// (train_end, as_of].
    pub events: u64,
    /// Sum of the true probabilities: the events a perfectly calibrated model expects.
    pub expected_events: f64,
    /// Probability that a random worker with an event has a higher true probability than a
    /// random one without, ties counting one half: the best AUC any model can expect. None
    /// when no worker or every worker has an event.
    pub auc: Option<f64>,
}

/// Why [`generate`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A file or folder could not be created or written.
    #[error("could not write {}: {source}; check that the folder is writable and the disk has room", .path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The spec cannot describe an agency; the message says which value to change.
    #[error("invalid agency spec: {0}")]
    InvalidSpec(String),
}

impl SynthError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        SynthError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Name of the file listing every injected bad row.
const EXPECTED_QUARANTINE: &str = "expected_quarantine.csv";

/// Every file [`generate`] writes into its out folder: the six sources, the expected
/// quarantine and the truth. `retention demo` refuses a folder holding anything else.
pub fn file_names() -> Vec<String> {
    retention_contract::Source::ALL
        .iter()
        .map(|s| format!("{}.csv", s.name()))
        .chain([
            EXPECTED_QUARANTINE.to_string(),
            truth::TRUE_RISK.to_string(),
        ])
        .collect()
}

fn validate(spec: &AgencySpec) -> Result<(), SynthError> {
    let invalid = |msg: String| Err(SynthError::InvalidSpec(msg));
    if spec.workers == 0 {
        return invalid("workers is 0; ask for at least 1 worker".into());
    }
    if spec.workers > 5_000_000 {
        return invalid(format!(
            "workers is {}; ask for at most 5000000 workers",
            spec.workers
        ));
    }
    if spec.offices == 0 {
        return invalid("offices is 0; ask for at least 1 office".into());
    }
    if spec.offices > 9_999 {
        return invalid(format!(
            "offices is {}; ask for at most 9999 offices",
            spec.offices
        ));
    }
    if spec.years == 0 {
        return invalid("years is 0; ask for at least 1 year of history".into());
    }
    let earliest = spec.as_of.year() as i64 - spec.years as i64;
    if earliest < 1991 {
        return invalid(format!(
            "{} years before as-of {} starts before 1991 (hires are dated from 1990 on); \
             use fewer years or a later as-of date",
            spec.years, spec.as_of
        ));
    }
    if spec.as_of.year() > 9000 {
        return invalid(format!(
            "as-of {} is too far in the future; use a date before 9000",
            spec.as_of
        ));
    }
    if !(0.0..=csv::MAX_BAD_SHARE).contains(&spec.faults) {
        return invalid(format!(
            "faults is {}; use a rate between 0.0 (clean) and {} (a source with more than 5% \
             bad rows is refused by the pipeline's default max_quarantine_share)",
            spec.faults,
            csv::MAX_BAD_SHARE
        ));
    }
    Ok(())
}

fn run<S: csv::Source>(
    out: &Path,
    source: S,
    spec: &AgencySpec,
    expected_rows: u64,
    progress: &mut dyn FnMut(&str),
    fill: impl FnOnce(&mut Sink<S>) -> Result<(), SynthError>,
) -> Result<SourceSummary, SynthError> {
    progress(S::NAME);
    let mut sink = Sink::create(out, source, spec.seed, spec.faults, expected_rows)?;
    fill(&mut sink)?;
    sink.finish()
}

fn write_file(path: &Path, text: &str) -> Result<(), SynthError> {
    fs::File::create(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| SynthError::io(path, e))
}

/// Simulates the agency of `spec` and writes its inbox into `out` (created if missing): the
/// six source files, `expected_quarantine.csv` (`source,line,reason` for every injected
/// bad row; only the header when `spec.faults` is 0) and `true_risk.csv`
/// (`worker_id,p_separation_12m,separated`: one row per worker of the risk-model backtest,
/// sorted by worker_id, with the worker_id of the source files, the true probability in
/// Rust's shortest round-trip form and `true`/`false`; only the header when nobody was
/// employed on `train_end`; see [`TruthSummary`]). `progress` is called with the source
/// name as each file starts, then with `expected_quarantine` and `true_risk`.
pub fn generate(
    spec: &AgencySpec,
    out: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<GeneratedInbox, SynthError> {
    validate(spec)?;
    fs::create_dir_all(out).map_err(|e| SynthError::io(out, e))?;
    let agency = agency::simulate(spec);
    let a = &agency;
    let summaries = vec![
        run(
            out,
            OfficeFaults::new(),
            spec,
            a.offices.len() as u64,
            progress,
            |s| emit::offices(a, s),
        )?,
        run(
            out,
            JobFaults::new(a),
            spec,
            emit::job_history_rows(a),
            progress,
            |s| emit::job_history(a, s),
        )?,
        run(
            out,
            SnapshotFaults::new(a),
            spec,
            emit::snapshot_rows(a),
            progress,
            |s| emit::snapshots(a, s),
        )?,
        run(
            out,
            SessionFaults::new(a),
            spec,
            emit::session_rows(a),
            progress,
            |s| emit::sessions(a, s),
        )?,
        run(
            out,
            SurveyFaults::new(a),
            spec,
            emit::survey_rows(a),
            progress,
            |s| emit::surveys(a, s),
        )?,
        run(
            out,
            EnrollmentFaults::new(a),
            spec,
            a.enrollments.len() as u64,
            progress,
            |s| emit::enrollments(a, s),
        )?,
    ];
    progress("expected_quarantine");
    let path = out.join(EXPECTED_QUARANTINE);
    let mut text = String::from("source,line,reason\n");
    let mut faults = 0;
    for s in &summaries {
        for (line, reason) in &s.expected {
            text.push_str(&format!("{},{},{}\n", s.name, line, reason.code()));
            faults += 1;
        }
    }
    write_file(&path, &text)?;
    progress("true_risk");
    let truth = truth::truth(a);
    write_file(&out.join(truth::TRUE_RISK), &truth.csv())?;
    Ok(GeneratedInbox {
        rows: summaries.iter().map(|s| (s.name, s.records)).collect(),
        faults,
        truth: truth.summary(),
    })
}
