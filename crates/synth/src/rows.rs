//! The row of each of the six sources, with its header and how it is spelled in CSV.
//!
//! Column orders follow CONTRACT.md section 1. Rows are small `Copy`-like values so the
//! fault injector can keep the most recent ones to copy (DUPLICATE) or re-key
//! (DUPLICATE_KEY) without re-reading the file.

use chrono::NaiveDate;

use crate::agency::Event;
use crate::codes::{Action, Focus, Instrument, Program, SessionFormat};
use crate::csv::{Fields, Look, Record};

/// Header of offices.csv.
pub(crate) const OFFICES_HEADER: &[&str] =
    &["office_id", "office_name", "region", "caseload_standard"];
/// Header of job_history.csv.
pub(crate) const JOB_HISTORY_HEADER: &[&str] = &[
    "worker_id",
    "effective_date",
    "action",
    "office_id",
    "role",
    "fte",
    "reason",
    "supervisor_id",
];
/// Header of caseload_snapshots.csv.
pub(crate) const SNAPSHOTS_HEADER: &[&str] = &[
    "worker_id",
    "snapshot_date",
    "active_cases",
    "new_assignments",
    "removals",
];
/// Header of supervision_sessions.csv.
pub(crate) const SESSIONS_HEADER: &[&str] = &[
    "session_id",
    "worker_id",
    "supervisor_id",
    "session_date",
    "minutes",
    "format",
    "focus",
];
/// Header of survey_responses.csv.
pub(crate) const SURVEYS_HEADER: &[&str] = &[
    "response_id",
    "worker_id",
    "administered_on",
    "instrument",
    "item",
    "value",
];
/// Header of program_enrollments.csv.
pub(crate) const ENROLLMENTS_HEADER: &[&str] = &[
    "worker_id",
    "program",
    "cohort_id",
    "start_date",
    "end_date",
    "sessions_offered",
    "sessions_attended",
];

/// One offices row.
#[derive(Clone, Debug)]
pub(crate) struct OfficeRow {
    pub office: u16,
    pub name: String,
    pub region: Option<&'static str>,
    pub standard: u32,
}

impl Record for OfficeRow {
    fn render(&self, look: Look, f: &mut Fields) {
        f.office(self.office);
        f.text(&self.name);
        match self.region {
            Some(r) => f.text(r),
            None => f.empty(),
        }
        f.int(self.standard as u64, look);
    }
}

/// One job_history row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JobRow {
    pub worker: u32,
    pub event: Event,
}

impl Record for JobRow {
    fn render(&self, look: Look, f: &mut Fields) {
        let e = &self.event;
        f.worker(self.worker);
        f.date(e.date, look);
        f.code(e.action.code(), look);
        f.office(e.office);
        if e.show_role {
            f.code(e.role.code(), look);
        } else {
            f.empty();
        }
        if e.show_fte {
            f.fte(e.fte, look);
        } else {
            f.empty();
        }
        match (e.action, e.reason) {
            (Action::Termination, Some(r)) => f.code(r.code(), look),
            _ => f.empty(),
        }
        match e.supervisor {
            Some(s) => f.worker(s),
            None => f.empty(),
        }
    }
}

/// One caseload_snapshots row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SnapshotRow {
    pub worker: u32,
    pub date: NaiveDate,
    pub active: u32,
    pub new_assignments: Option<u32>,
    pub removals: Option<u32>,
}

impl Record for SnapshotRow {
    fn render(&self, look: Look, f: &mut Fields) {
        f.worker(self.worker);
        f.date(self.date, look);
        f.int(self.active as u64, look);
        f.opt_int(self.new_assignments, look);
        f.opt_int(self.removals, look);
    }
}

/// One supervision_sessions row (one attendee of one session).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SessionRow {
    pub session: u32,
    pub worker: u32,
    pub supervisor: Option<u32>,
    pub date: NaiveDate,
    pub minutes: u32,
    pub format: SessionFormat,
    pub focus: Option<Focus>,
}

/// A session id: `S` and seven digits.
pub(crate) fn render_session_id(session: u32, f: &mut Fields) {
    f.id("S", session as u64, 7);
}

impl Record for SessionRow {
    fn render(&self, look: Look, f: &mut Fields) {
        render_session_id(self.session, f);
        f.worker(self.worker);
        match self.supervisor {
            Some(s) => f.worker(s),
            None => f.empty(),
        }
        f.date(self.date, look);
        f.int(self.minutes as u64, look);
        f.code(self.format.code(), look);
        match self.focus {
            Some(x) => f.code(x.code(), look),
            None => f.empty(),
        }
    }
}

/// One survey_responses row (one item of one response).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SurveyRow {
    pub response: u32,
    pub worker: u32,
    pub date: NaiveDate,
    pub instrument: Instrument,
    pub item: u8,
    pub value: u8,
}

/// A response id: `R` and eight digits.
pub(crate) fn render_response_id(response: u32, f: &mut Fields) {
    f.id("R", response as u64, 8);
}

impl Record for SurveyRow {
    fn render(&self, look: Look, f: &mut Fields) {
        render_response_id(self.response, f);
        f.worker(self.worker);
        f.date(self.date, look);
        f.code(self.instrument.code(), look);
        f.int(self.item as u64, look);
        f.int(self.value as u64, look);
    }
}

/// One program_enrollments row.
#[derive(Clone, Debug)]
pub(crate) struct EnrollmentRow {
    pub worker: u32,
    pub program: Program,
    pub cohort: String,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub offered: Option<u32>,
    pub attended: Option<u32>,
}

impl Record for EnrollmentRow {
    fn render(&self, look: Look, f: &mut Fields) {
        f.worker(self.worker);
        f.code(self.program.code(), look);
        f.text(&self.cohort);
        f.date(self.start, look);
        f.opt_date(self.end, look);
        f.opt_int(self.offered, look);
        f.opt_int(self.attended, look);
    }
}
