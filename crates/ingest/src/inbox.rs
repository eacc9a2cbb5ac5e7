//! A whole inbox, read the one way the contract allows: every source located and every
//! header checked before any row is read (all problems reported at once), then offices,
//! then job_history (whose replay builds the [`Roster`]), then the four sources checked
//! against the roster, each on a thread of its own. The pipeline and the quarantine tests
//! both read an inbox through [`ingest_inbox`].
//!
//! Work that must overlap validation for speed (the pipeline scores the survey and groups
//! snapshots and sessions by worker while the other sources are still being read) is
//! handed in as a [`WhileReading`]: it runs on a source's own thread as soon as that source
//! is validated. Validation alone passes `()`.

use crate::error::IngestError;
use crate::input::{SourceFile, SourceReader, locate};
use crate::roster::{OfficeSet, Roster};
use crate::sources::{ingest_job_history, ingest_offices};
use crate::validate::{Context, Outcome, QuarantineRow, ingest};
use retention_contract::rows::{
    EnrollmentRow, JobRow, OfficeRow, RowContext, SessionRow, SnapshotRow, SurveyRow,
};
use retention_contract::{Day, Reason, Source};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;
use tracing::{info, warn};

/// The quarantine-share rule of CONTRACT.md section 2 applies to sources of at least this
/// many rows.
pub const SHARE_CHECKED_FROM: u64 = 100;

/// Progress of the sources as they are read (the CLI draws bars with it).
pub trait SourceProgress: Sync {
    /// A source starts: its file size in bytes.
    fn source_started(&self, _source: Source, _bytes: u64) {}
    /// Bytes of the source's file read so far.
    fn source_progress(&self, _source: Source, _bytes: u64) {}
    /// A source is done.
    fn source_finished(&self, _source: Source) {}
}

/// Progress that shows nothing.
pub struct NoProgress;
impl SourceProgress for NoProgress {}

/// What to read.
pub struct InboxRequest<'a> {
    /// The inbox folder.
    pub inbox: &'a Path,
    /// The reference date.
    pub as_of: Day,
    /// Sources that may be absent (offices and job_history never may).
    pub optional: &'a [Source],
    /// Progress display.
    pub progress: &'a dyn SourceProgress,
}

/// The accepted offices and workers: what the last four sources are checked against.
pub struct Staff {
    /// Accepted offices.
    pub offices: OfficeSet,
    /// Every worker with an accepted job_history row, with their replayed history.
    pub roster: Roster,
}

/// Work done on a source's own thread right after it is validated, in the words of what
/// is done with the rows. Each hook sees the accepted and refused rows of its source and
/// the staff they were checked against.
pub trait WhileReading: Sync {
    /// What is made of the survey (the pipeline: the scored survey).
    type Survey: Send;
    /// What is made of the snapshots (the pipeline: each worker's snapshots).
    type Snapshots: Send;
    /// What is made of the sessions (the pipeline: each worker's sessions).
    type Sessions: Send;
    /// The survey responses are validated.
    fn survey(&self, survey: &Outcome<SurveyRow>, staff: &Staff) -> Self::Survey;
    /// The caseload snapshots are validated.
    fn snapshots(&self, snapshots: &Outcome<SnapshotRow>, staff: &Staff) -> Self::Snapshots;
    /// The supervision sessions are validated.
    fn sessions(&self, sessions: &Outcome<SessionRow>, staff: &Staff) -> Self::Sessions;
}

/// Nothing beside validation.
impl WhileReading for () {
    type Survey = ();
    type Snapshots = ();
    type Sessions = ();
    fn survey(&self, _: &Outcome<SurveyRow>, _: &Staff) {}
    fn snapshots(&self, _: &Outcome<SnapshotRow>, _: &Staff) {}
    fn sessions(&self, _: &Outcome<SessionRow>, _: &Staff) {}
}

/// Counts of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCount {
    /// The source.
    pub source: Source,
    /// The file read (None: an optional source that was absent).
    pub path: Option<PathBuf>,
    /// SHA-256 of the file.
    pub sha256: Option<String>,
    /// Records read.
    pub rows_read: u64,
    /// Accepted.
    pub rows_accepted: u64,
    /// Quarantined.
    pub rows_quarantined: u64,
    /// The latest activity date of the accepted rows (CONTRACT.md section 2, the *stale*
    /// guard): None for offices and program_enrollments, and for a source with no
    /// accepted row.
    pub latest_activity: Option<Day>,
}

/// What the [`WhileReading`] hooks made (None: the source is absent).
pub struct Made<W: WhileReading> {
    /// From the survey.
    pub survey: Option<W::Survey>,
    /// From the snapshots.
    pub snapshots: Option<W::Snapshots>,
    /// From the sessions.
    pub sessions: Option<W::Sessions>,
}

/// Everything read from an inbox.
pub struct Ingested<W: WhileReading> {
    /// Per-source counts, in contract order.
    pub counts: Vec<SourceCount>,
    /// Every quarantined row, by source then line.
    pub quarantine: Vec<QuarantineRow>,
    /// Warnings about the inputs (unknown columns).
    pub warnings: Vec<String>,
    /// The accepted offices and workers.
    pub staff: Staff,
    /// offices.
    pub offices: Outcome<OfficeRow>,
    /// job_history.
    pub job_history: Outcome<JobRow>,
    /// caseload_snapshots (None: absent and optional).
    pub snapshots: Option<Outcome<SnapshotRow>>,
    /// supervision_sessions.
    pub sessions: Option<Outcome<SessionRow>>,
    /// survey_responses.
    pub survey: Option<Outcome<SurveyRow>>,
    /// program_enrollments.
    pub enrollments: Option<Outcome<EnrollmentRow>>,
    /// What the hooks made.
    pub made: Made<W>,
}

impl<W: WhileReading> Ingested<W> {
    /// Quarantined rows per (source, reason).
    pub fn by_reason(&self) -> BTreeMap<(Source, Reason), u64> {
        by_reason(&self.quarantine)
    }

    /// Sources over the quarantine-share limit: (source, quarantined, read).
    pub fn over_limit(&self, limit: f64) -> Vec<(Source, u64, u64)> {
        over_limit(&self.counts, limit)
    }
}

/// Quarantined rows per (source, reason).
pub fn by_reason(quarantine: &[QuarantineRow]) -> BTreeMap<(Source, Reason), u64> {
    let mut out = BTreeMap::new();
    for q in quarantine {
        *out.entry((q.source, q.reason)).or_insert(0) += 1;
    }
    out
}

/// Sources of [`SHARE_CHECKED_FROM`] rows or more whose quarantined share is over `limit`:
/// (source, quarantined, read).
pub fn over_limit(counts: &[SourceCount], limit: f64) -> Vec<(Source, u64, u64)> {
    counts
        .iter()
        .filter(|c| {
            c.rows_read >= SHARE_CHECKED_FROM
                && c.rows_quarantined as f64 / c.rows_read as f64 > limit
        })
        .map(|c| (c.source, c.rows_quarantined, c.rows_read))
        .collect()
}

/// Why an inbox could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// The inbox folder does not exist.
    #[error(
        "{}: the inbox folder does not exist; pass the folder holding the extracts with --inbox",
        .0.display()
    )]
    NoInbox(PathBuf),
    /// Sources are missing, ambiguous or unreadable (every problem, in contract order).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Inputs(Vec<IngestError>),
}

/// Finds every source file and reads every header, reporting all problems at once.
pub fn locate_inputs(
    inbox: &Path,
    optional: &[Source],
) -> Result<Vec<Option<SourceFile>>, InboxError> {
    if !inbox.is_dir() {
        return Err(InboxError::NoInbox(inbox.to_path_buf()));
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for source in Source::ALL {
        match locate(inbox, source) {
            Ok(Some(file)) => match SourceReader::open(file.clone()) {
                Ok(_) => files.push(Some(file)),
                Err(e) => {
                    problems.push(e);
                    files.push(None);
                }
            },
            Ok(None) if optional.contains(&source) => files.push(None),
            Ok(None) => {
                problems.push(IngestError::MissingSource {
                    source_name: source,
                    inbox: inbox.to_path_buf(),
                    near_miss: crate::input::near_miss_file(inbox, source),
                });
                files.push(None);
            }
            Err(e) => {
                problems.push(e);
                files.push(None);
            }
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(InboxError::Inputs(problems))
    }
}

/// Reads and validates every source of an inbox in the contract's order, running
/// `while_reading`'s hooks on the sources' threads.
pub fn ingest_inbox<W: WhileReading>(
    request: &InboxRequest<'_>,
    while_reading: &W,
) -> Result<Ingested<W>, InboxError> {
    let files = locate_inputs(request.inbox, request.optional)?;
    let row = RowContext {
        as_of: request.as_of,
    };
    let progress = request.progress;
    let one = |e: IngestError| InboxError::Inputs(vec![e]);
    let started = Instant::now();

    let file = |s: Source| files[s as usize].clone();
    let offices_file = file(Source::Offices).expect("offices are required");
    progress.source_started(Source::Offices, size(&offices_file));
    let (offices, office_set) = ingest_offices(
        offices_file,
        &Context {
            row,
            offices: None,
            roster: None,
        },
        &|b| progress.source_progress(Source::Offices, b),
    )
    .map_err(one)?;
    progress.source_finished(Source::Offices);
    let jobs_file = file(Source::JobHistory).expect("job_history is required");
    progress.source_started(Source::JobHistory, size(&jobs_file));
    let ctx = Context {
        row,
        offices: Some(&office_set),
        roster: None,
    };
    let (jobs, roster) = ingest_job_history(jobs_file, &ctx, &|b| {
        progress.source_progress(Source::JobHistory, b)
    })
    .map_err(one)?;
    progress.source_finished(Source::JobHistory);
    info!(
        offices = office_set.ids.len(),
        workers = roster.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "offices and job history replayed"
    );
    let staff = Staff {
        offices: office_set,
        roster,
    };

    // The four sources checked against the roster are independent and each is read by
    // one thread. One thread per source, rather than one per core taking them largest
    // first, lets the operating system share the cores until the last source is done:
    // with three large sources on two cores, a queue left one core idle for a third of
    // the stage (docs/performance.md).
    let ctx = Context {
        row,
        offices: Some(&staff.offices),
        roster: Some(&staff.roster),
    };
    let rest: Vec<Source> = [
        Source::CaseloadSnapshots,
        Source::SupervisionSessions,
        Source::SurveyResponses,
        Source::ProgramEnrollments,
    ]
    .into_iter()
    .filter(|s| files[*s as usize].is_some())
    .collect();
    let snapshots = Mutex::new(None);
    let sessions = Mutex::new(None);
    let survey = Mutex::new(None);
    let enrollments = Mutex::new(None);
    let made = Mutex::new(Made::<W> {
        survey: None,
        snapshots: None,
        sessions: None,
    });
    let failure: Mutex<Option<IngestError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for &source in &rest {
            let (files, ctx, failure, staff) = (&files, &ctx, &failure, &staff);
            let (snapshots, sessions, survey, enrollments, made) =
                (&snapshots, &sessions, &survey, &enrollments, &made);
            scope.spawn(move || {
                let f = files[source as usize]
                    .clone()
                    .expect("filtered to present files");
                progress.source_started(source, size(&f));
                let p = |b| progress.source_progress(source, b);
                let made = || made.lock().expect("made");
                let result = match source {
                    Source::CaseloadSnapshots => read_one(f, ctx, &p).map(|o| {
                        let m = while_reading.snapshots(&o, staff);
                        made().snapshots = Some(m);
                        store(snapshots, o);
                    }),
                    Source::SupervisionSessions => read_one(f, ctx, &p).map(|o| {
                        let m = while_reading.sessions(&o, staff);
                        made().sessions = Some(m);
                        store(sessions, o);
                    }),
                    Source::SurveyResponses => read_one(f, ctx, &p).map(|o| {
                        let m = while_reading.survey(&o, staff);
                        made().survey = Some(m);
                        store(survey, o);
                    }),
                    _ => read_one(f, ctx, &p).map(|o| store(enrollments, o)),
                };
                progress.source_finished(source);
                if let Err(e) = result {
                    failure.lock().expect("failure").get_or_insert(e);
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("failure") {
        return Err(one(e));
    }
    let made = made.into_inner().expect("lock");
    let (snapshots, sessions, survey, enrollments) = (
        snapshots.into_inner().expect("lock"),
        sessions.into_inner().expect("lock"),
        survey.into_inner().expect("lock"),
        enrollments.into_inner().expect("lock"),
    );

    let mut counts = Vec::new();
    let mut quarantine = Vec::new();
    let mut warnings = Vec::new();
    let mut collect = |source, outcome: Option<Summary<'_>>| {
        collect(source, outcome, &mut counts, &mut quarantine, &mut warnings)
    };
    collect(Source::Offices, Some(Summary::of(&offices)));
    collect(Source::JobHistory, Some(Summary::of(&jobs)));
    collect(
        Source::CaseloadSnapshots,
        snapshots.as_ref().map(Summary::of),
    );
    collect(
        Source::SupervisionSessions,
        sessions.as_ref().map(Summary::of),
    );
    collect(Source::SurveyResponses, survey.as_ref().map(Summary::of));
    collect(
        Source::ProgramEnrollments,
        enrollments.as_ref().map(Summary::of),
    );
    for w in &warnings {
        warn!("{w}");
    }
    for c in &counts {
        info!(source = %c.source, rows_read = c.rows_read, rows_accepted = c.rows_accepted, rows_quarantined = c.rows_quarantined, "source validated");
    }
    info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        quarantined = quarantine.len(),
        "validation finished"
    );
    Ok(Ingested {
        counts,
        quarantine,
        warnings,
        staff,
        offices,
        job_history: jobs,
        snapshots,
        sessions,
        survey,
        enrollments,
        made,
    })
}

fn store<T>(slot: &Mutex<Option<T>>, value: T) {
    *slot.lock().expect("slot") = Some(value);
}

fn size(file: &SourceFile) -> u64 {
    std::fs::metadata(&file.path).map_or(0, |m| m.len())
}

fn read_one<R: crate::fast::Grouped>(
    file: SourceFile,
    ctx: &Context<'_>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Outcome<R>, IngestError> {
    let started = Instant::now();
    let outcome = ingest::<R>(file, ctx, false, progress)?;
    tracing::debug!(
        source = %R::SOURCE,
        rows_read = outcome.rows_read,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "source read"
    );
    Ok(outcome)
}

/// The parts of an outcome that the counts and the quarantine take, whatever its row type.
struct Summary<'a> {
    path: &'a Path,
    latest_activity: Option<Day>,
    sha256: &'a str,
    rows_read: u64,
    rows_accepted: u64,
    quarantine: &'a [QuarantineRow],
    warnings: &'a [String],
}

impl<'a> Summary<'a> {
    fn of<R>(o: &'a Outcome<R>) -> Summary<'a> {
        Summary {
            path: &o.path,
            latest_activity: o.latest_activity,
            sha256: &o.sha256,
            rows_read: o.rows_read,
            rows_accepted: o.rows_accepted(),
            quarantine: &o.quarantine,
            warnings: &o.warnings,
        }
    }
}

fn collect(
    source: Source,
    outcome: Option<Summary<'_>>,
    counts: &mut Vec<SourceCount>,
    quarantine: &mut Vec<QuarantineRow>,
    warnings: &mut Vec<String>,
) {
    match outcome {
        Some(o) => {
            counts.push(SourceCount {
                source,
                path: Some(o.path.to_path_buf()),
                sha256: Some(o.sha256.to_string()),
                rows_read: o.rows_read,
                rows_accepted: o.rows_accepted,
                rows_quarantined: o.quarantine.len() as u64,
                latest_activity: o.latest_activity,
            });
            quarantine.extend(o.quarantine.iter().cloned());
            warnings.extend(o.warnings.iter().cloned());
        }
        None => counts.push(SourceCount {
            source,
            path: None,
            sha256: None,
            rows_read: 0,
            rows_accepted: 0,
            rows_quarantined: 0,
            latest_activity: None,
        }),
    }
}
