//! Fixtures shared by the topic modules: an inbox in a temporary folder, and a runner
//! that ingests every present source in the contract's order (offices, job_history, then
//! the rest) and records what each source accepted and refused.

use retention_contract::field::parse_date;
use retention_contract::rows::{EnrollmentRow, RowContext, SessionRow, SnapshotRow, SurveyRow};
use retention_contract::{Day, Source};
use retention_ingest::{
    Context, OfficeSet, Outcome, QuarantineRow, Roster, SourceFile, ingest, ingest_job_history,
    ingest_offices, locate,
};
use std::path::Path;
use tempfile::TempDir;

/// The as-of date of every fixture.
pub fn as_of() -> Day {
    day("2025-06-30")
}

/// A date written in the fixture's text form.
pub fn day(text: &str) -> Day {
    parse_date(text).unwrap_or_else(|| panic!("fixture date {text:?}"))
}

/// Joins numbered fixture lines into a file (LF line ends, final LF included).
pub fn csv(lines: &[&str]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// One night's folder of extracts.
pub struct Inbox {
    dir: TempDir,
}

impl Inbox {
    pub fn new() -> Inbox {
        Inbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `name` (e.g. `offices.csv`) with exactly these bytes.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> &Inbox {
        std::fs::write(self.dir.path().join(name), bytes).expect("write fixture");
        self
    }

    /// The located file of a source that must be present.
    pub fn file(&self, source: Source) -> SourceFile {
        locate(self.path(), source)
            .expect("one file per source")
            .unwrap_or_else(|| panic!("no file for {source}"))
    }
}

/// What one source accepted and refused.
#[derive(Debug)]
pub struct SourceReport {
    pub source: Source,
    pub rows_read: u64,
    pub accepted_lines: Vec<u64>,
    pub quarantine: Vec<QuarantineRow>,
    pub warnings: Vec<String>,
}

/// Builds a report, checking the accounting identity every source must satisfy.
pub fn report<R>(outcome: &Outcome<R>) -> SourceReport {
    assert_eq!(
        outcome.accepted.len(),
        outcome.lines.len(),
        "{}: one line per accepted row",
        outcome.source
    );
    assert_eq!(
        outcome.rows_read,
        outcome.rows_accepted() + outcome.rows_quarantined(),
        "{}: rows_read = accepted + quarantined",
        outcome.source
    );
    assert!(
        outcome
            .quarantine
            .iter()
            .all(|q| q.source == outcome.source)
    );
    SourceReport {
        source: outcome.source,
        rows_read: outcome.rows_read,
        accepted_lines: outcome.lines.iter().map(|&l| u64::from(l)).collect(),
        quarantine: outcome.quarantine.clone(),
        warnings: outcome.warnings.clone(),
    }
}

/// Accepted offices and workers: what the last four sources are checked against.
pub struct Staff {
    pub offices: OfficeSet,
    pub roster: Roster,
}

impl Staff {
    pub fn context(&self) -> Context<'_> {
        Context {
            row: RowContext { as_of: as_of() },
            offices: Some(&self.offices),
            roster: Some(&self.roster),
        }
    }
}

/// Everything learned from one inbox.
pub struct Run {
    pub staff: Staff,
    pub reports: Vec<SourceReport>,
}

impl Run {
    pub fn report(&self, source: Source) -> &SourceReport {
        self.reports
            .iter()
            .find(|r| r.source == source)
            .unwrap_or_else(|| panic!("{source} was not read"))
    }

    /// `(line, reason code)` of every refused row of a source, in line order.
    pub fn refused(&self, source: Source) -> Vec<(u64, &'static str)> {
        self.report(source)
            .quarantine
            .iter()
            .map(|q| (q.line, q.reason.code()))
            .collect()
    }

    /// `(source, line, reason code)` of every refused row of every source read.
    pub fn all_refused(&self) -> Vec<(&'static str, u64, &'static str)> {
        self.reports
            .iter()
            .flat_map(|r| {
                r.quarantine
                    .iter()
                    .map(|q| (q.source.name(), q.line, q.reason.code()))
            })
            .collect()
    }

    pub fn accepted(&self, source: Source) -> Vec<u64> {
        self.report(source).accepted_lines.clone()
    }

    /// The refused row of a source at a line.
    pub fn row(&self, source: Source, line: u64) -> &QuarantineRow {
        self.report(source)
            .quarantine
            .iter()
            .find(|q| q.line == line)
            .unwrap_or_else(|| panic!("{source} line {line} was not refused"))
    }
}

const NO_PROGRESS: &(dyn Fn(u64) + Sync) = &|_| {};

/// Reads offices and job_history (both must be present).
pub fn staff(inbox: &Inbox) -> (Staff, Vec<SourceReport>) {
    let none = Context {
        row: RowContext { as_of: as_of() },
        offices: None,
        roster: None,
    };
    let (offices_outcome, offices) =
        ingest_offices(inbox.file(Source::Offices), &none, NO_PROGRESS).expect("offices");
    let ctx = Context {
        offices: Some(&offices),
        ..none
    };
    let (jobs_outcome, roster) =
        ingest_job_history(inbox.file(Source::JobHistory), &ctx, NO_PROGRESS).expect("job_history");
    assert_eq!(
        jobs_outcome.raws.len(),
        jobs_outcome.accepted.len(),
        "job_history keeps one raw per accepted row"
    );
    let reports = vec![report(&offices_outcome), report(&jobs_outcome)];
    (Staff { offices, roster }, reports)
}

/// Reads every source present in the inbox, in the contract's order.
pub fn run(inbox: &Inbox) -> Run {
    let (staff, mut reports) = staff(inbox);
    let ctx = staff.context();
    for source in &Source::ALL[2..] {
        let Some(file) = locate(inbox.path(), *source).expect("one file per source") else {
            continue;
        };
        let one = match source {
            Source::CaseloadSnapshots => {
                report(&ingest::<SnapshotRow>(file, &ctx, false, NO_PROGRESS).expect("read"))
            }
            Source::SupervisionSessions => {
                report(&ingest::<SessionRow>(file, &ctx, false, NO_PROGRESS).expect("read"))
            }
            Source::SurveyResponses => {
                report(&ingest::<SurveyRow>(file, &ctx, false, NO_PROGRESS).expect("read"))
            }
            Source::ProgramEnrollments => {
                report(&ingest::<EnrollmentRow>(file, &ctx, false, NO_PROGRESS).expect("read"))
            }
            Source::Offices | Source::JobHistory => unreachable!("read first"),
        };
        reports.push(one);
    }
    Run { staff, reports }
}

/// Reads the snapshots of an inbox whose offices and job_history are present.
pub fn snapshots(inbox: &Inbox) -> (Outcome<SnapshotRow>, SourceReport) {
    let (staff, _) = staff(inbox);
    let outcome = ingest::<SnapshotRow>(
        inbox.file(Source::CaseloadSnapshots),
        &staff.context(),
        false,
        NO_PROGRESS,
    )
    .expect("caseload_snapshots");
    let report = report(&outcome);
    (outcome, report)
}
