//! Stage `ingest`: reads and validates the inbox (CONTRACT.md sections 1 and 2) through
//! [`retention_ingest::ingest_inbox`]; [`refusals`] then applies the quarantine-share
//! rule and the run guards (`run::run` records the counts first). While the
//! other sources are still being read, the survey is scored and the snapshots and
//! sessions are grouped by worker on their own threads (see [`Overlap`]).

use crate::derive::{ByWorker, Pseudonyms, ScoredResponse, Session, WorkerFacts, survey_scores};
use crate::error::PipelineError;
use crate::run::RunRequest;
use arrow::array::RecordBatch;
use retention_contract::rows::{EnrollmentRow, OfficeRow, SessionRow, SnapshotRow, SurveyRow};
use retention_contract::{Day, Reason, Source};
use retention_ingest::{
    InboxRequest, Ingested as Inbox, LastRun, Limits, OfficeSet, Outcome, QuarantineRow, Refusal,
    Roster, SourceCount, Staff, WhileReading, ingest_inbox,
};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Instant;

/// Everything the checks found and kept.
pub struct Checked {
    /// Per-source counts, in contract order.
    pub counts: Vec<SourceCount>,
    /// Every quarantined row, by source then line.
    pub quarantine: Vec<QuarantineRow>,
    /// Warnings about the inputs (unknown columns).
    pub warnings: Vec<String>,
    pub(crate) offices: Outcome<OfficeRow>,
    pub(crate) staff: Staff,
    pub(crate) enrollments: Option<Outcome<EnrollmentRow>>,
}

impl Checked {
    /// Quarantined rows per (source, reason).
    pub fn by_reason(&self) -> BTreeMap<(Source, Reason), u64> {
        retention_ingest::inbox::by_reason(&self.quarantine)
    }

    /// The accepted workers.
    pub(crate) fn roster(&self) -> &Roster {
        &self.staff.roster
    }

    /// The accepted offices.
    pub(crate) fn office_set(&self) -> &OfficeSet {
        &self.staff.offices
    }
}

/// What the stage hands to `derive`.
pub struct Ingested {
    /// What validation kept.
    pub checked: Checked,
    /// The survey scored while the other sources were read (None: no survey, or no key).
    pub(crate) survey: Option<(RecordBatch, ByWorker<ScoredResponse>)>,
    /// Each worker's snapshots (None: no snapshots file).
    pub(crate) snapshots: Option<ByWorker<(Day, u16)>>,
    /// Each worker's sessions (None: no sessions file).
    pub(crate) sessions: Option<ByWorker<Session>>,
    /// The worker keys, if the survey's thread made them.
    pub(crate) names: OnceLock<Pseudonyms>,
}

/// The work a run overlaps with validation: scoring the survey (which needs the worker
/// keys, made here on first use) and grouping snapshots and sessions by worker.
struct Overlap<'a> {
    /// The pseudonym key (None: it could not be read; `derive` reports why).
    key: Option<&'a [u8]>,
    names: &'a OnceLock<Pseudonyms>,
}

impl WhileReading for Overlap<'_> {
    type Survey = Option<(RecordBatch, ByWorker<ScoredResponse>)>;
    type Snapshots = ByWorker<(Day, u16)>;
    type Sessions = ByWorker<Session>;

    fn survey(&self, survey: &Outcome<SurveyRow>, staff: &Staff) -> Self::Survey {
        let key = self.key?;
        let started = Instant::now();
        let names = self
            .names
            .get_or_init(|| Pseudonyms::new(&staff.roster, key));
        let scored = survey_scores(Some(survey), &staff.roster, names, &staff.offices);
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "survey scored"
        );
        Some(scored)
    }

    fn snapshots(&self, snapshots: &Outcome<SnapshotRow>, staff: &Staff) -> Self::Snapshots {
        WorkerFacts::snapshots(staff.roster.len(), Some(snapshots))
    }

    fn sessions(&self, sessions: &Outcome<SessionRow>, staff: &Staff) -> Self::Sessions {
        WorkerFacts::sessions(staff.roster.len(), Some(sessions))
    }
}

fn inbox_request<'a>(request: &'a RunRequest<'a>, optional: &'a [Source]) -> InboxRequest<'a> {
    InboxRequest {
        inbox: &request.inbox,
        as_of: request.as_of,
        optional,
        progress: request.progress,
    }
}

fn optional(request: &RunRequest<'_>) -> Vec<Source> {
    request.config.build().optional
}

fn checked<W: WhileReading>(inbox: Inbox<W>) -> (Checked, retention_ingest::Made<W>) {
    // Nothing later reads the accepted rows of job_history, the survey, the snapshots or
    // the sessions: they are freed here.
    let Inbox {
        counts,
        quarantine,
        warnings,
        staff,
        offices,
        enrollments,
        made,
        ..
    } = inbox;
    let checked = Checked {
        counts,
        quarantine,
        warnings,
        offices,
        staff,
        enrollments,
    };
    (checked, made)
}

/// Runs every check of CONTRACT.md sections 1 and 2 and keeps what was accepted (what
/// `retention validate` reports; the share rule is left to the caller).
pub fn check(request: &RunRequest<'_>) -> Result<Checked, PipelineError> {
    let optional = optional(request);
    let inbox = ingest_inbox(&inbox_request(request, &optional), &())?;
    Ok(checked(inbox).0)
}

/// Every rule that refuses this inbox (CONTRACT.md section 2): the quarantine share,
/// then the run guards the request does not accept. `last` is what the run in `current`
/// read (None: no run is published, or `validate` was given no warehouse). When lost
/// offices or workers explain the quarantine shares, that root cause comes first.
pub fn refusals(
    request: &RunRequest<'_>,
    checked: &Checked,
    last: Option<&LastRun>,
) -> Vec<Refusal> {
    let s = &request.config.settings;
    let mut refusals = retention_ingest::guards::refusals(
        &checked.counts,
        &optional(request),
        request.as_of,
        last,
        Limits {
            max_quarantine_share: s.max_quarantine_share,
            min_rows_vs_last: s.min_rows_vs_last,
            max_staleness_days: s.max_staleness_days,
        },
        &request.accept,
    );
    if let Some(root) =
        retention_ingest::guards::root_cause(&refusals, &checked.counts, &checked.quarantine)
    {
        refusals.insert(0, root);
    }
    refusals
}

/// The stage: validation and the work overlapped with it. `key` is the pseudonym key
/// when it could be read.
pub fn run(request: &RunRequest<'_>, key: Option<&[u8]>) -> Result<Ingested, PipelineError> {
    let optional = optional(request);
    let names = OnceLock::new();
    // What the hooks made is taken out of their borrow of `names` before it moves on.
    let (checked, survey, snapshots, sessions) = {
        let overlap = Overlap { key, names: &names };
        let inbox = ingest_inbox(&inbox_request(request, &optional), &overlap)?;
        let (checked, made) = checked(inbox);
        (
            checked,
            made.survey.flatten(),
            made.snapshots,
            made.sessions,
        )
    };
    Ok(Ingested {
        checked,
        survey,
        snapshots,
        sessions,
        names,
    })
}
