//! Fixtures shared by the topic modules: an inbox in a temporary folder, and a runner
//! that reads it through `ingest_inbox` (the pipeline's entry point) and records what each
//! source accepted and refused.

use retention_contract::field::parse_date;
use retention_contract::rows::{RowContext, SnapshotRow};
use retention_contract::{Day, Source};
use retention_ingest::{
    Context, InboxRequest, NoProgress, OfficeSet, Outcome, QuarantineRow, Roster, SourceFile,
    ingest, ingest_inbox, ingest_job_history, ingest_offices, locate,
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

/// Reads every source present in the inbox through the crate's one entry point,
/// [`ingest_inbox`] (the four sources after job_history may be absent).
pub fn run(inbox: &Inbox) -> Run {
    let read = ingest_inbox(
        &InboxRequest {
            inbox: inbox.path(),
            as_of: as_of(),
            optional: &Source::ALL[2..],
            progress: &NoProgress,
        },
        &(),
    )
    .expect("the inbox reads");
    let mut reports = vec![report(&read.offices), report(&read.job_history)];
    reports.extend(read.snapshots.as_ref().map(report));
    reports.extend(read.sessions.as_ref().map(report));
    reports.extend(read.survey.as_ref().map(report));
    reports.extend(read.enrollments.as_ref().map(report));
    // The counts and the quarantine of the whole inbox agree with the sources'.
    let refused: usize = reports.iter().map(|r| r.quarantine.len()).sum();
    assert_eq!(read.quarantine.len(), refused);
    for c in &read.counts {
        match reports.iter().find(|r| r.source == c.source) {
            Some(r) => assert_eq!(
                (c.rows_read, c.rows_quarantined),
                (r.rows_read, r.quarantine.len() as u64)
            ),
            None => assert_eq!((c.path.as_ref(), c.rows_read), (None, 0)),
        }
    }
    Run {
        staff: Staff {
            offices: read.staff.offices,
            roster: read.staff.roster,
        },
        reports,
    }
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
