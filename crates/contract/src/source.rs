//! The six sources and their columns (CONTRACT.md section 1), in the order they are
//! validated: offices, job_history, then the rest.

use std::fmt;

/// Whether a column must be present in the header and filled in each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Present in the header; every row fills it.
    Required,
    /// Present in the header; some rows must fill it (job_history office_id, role, reason).
    Conditional,
    /// May be absent from the header; absent means missing in every row.
    Optional,
}

/// What a column holds: its grammar and range (CONTRACT.md section 1), checked by rules
/// 3-8 in [`crate::rows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An id: `[A-Za-z0-9_.-]{1,64}` and not `ALL` (BAD_ID).
    Id,
    /// Free text.
    Text,
    /// A date, `YYYY-MM-DD` or `M/D/YYYY` (BAD_DATE), not before 1950-01-01
    /// (OUT_OF_RANGE) and, unless `future`, not after as-of (FUTURE_DATED).
    Date {
        /// May be after as-of (an enrollment's planned end).
        future: bool,
    },
    /// An integer (BAD_NUMBER) in `lo..=hi` (OUT_OF_RANGE). A row may lower `hi`: an
    /// item by its instrument's items, sessions attended by those offered.
    Int {
        /// The least value allowed.
        lo: i64,
        /// The greatest value allowed.
        hi: i64,
    },
    /// A decimal (BAD_NUMBER) in the half-open interval (0, 1] (OUT_OF_RANGE).
    Fraction,
    /// One of a code list of [`crate::codes`] (UNKNOWN_CODE).
    Code,
}

/// A contract column: its name, presence rule and kind, declared together in
/// [`Source::columns`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Lower-case column name.
    pub name: &'static str,
    /// Presence rule.
    pub requirement: Requirement,
    /// Grammar and range.
    pub kind: Kind,
    /// Position among the source's columns.
    pub index: usize,
}

/// The columns of one source, positions filled in from their order.
const fn columns<const N: usize>(declared: [(&'static str, Requirement, Kind); N]) -> [Column; N] {
    let mut out = [Column {
        name: "",
        requirement: Requirement::Optional,
        kind: Kind::Text,
        index: 0,
    }; N];
    let mut i = 0;
    while i < N {
        let (name, requirement, kind) = declared[i];
        out[i] = Column {
            name,
            requirement,
            kind,
            index: i,
        };
        i += 1;
    }
    out
}

/// Whether two names are equal, in a const context.
const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

use Kind::{Code, Fraction, Id, Text};
use Requirement::{Conditional as C, Optional as O, Required as R};

/// A date that may not be after as-of.
const DATE: Kind = Kind::Date { future: false };
/// An integer in `lo..=hi`.
const fn int(lo: i64, hi: i64) -> Kind {
    Kind::Int { lo, hi }
}

/// One of the six source extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// offices
    Offices,
    /// job_history
    JobHistory,
    /// caseload_snapshots
    CaseloadSnapshots,
    /// supervision_sessions
    SupervisionSessions,
    /// survey_responses
    SurveyResponses,
    /// program_enrollments
    ProgramEnrollments,
}

impl Source {
    /// Every source in validation order.
    pub const ALL: [Source; 6] = [
        Source::Offices,
        Source::JobHistory,
        Source::CaseloadSnapshots,
        Source::SupervisionSessions,
        Source::SurveyResponses,
        Source::ProgramEnrollments,
    ];

    /// The file stem and the `quarantine.source` value.
    pub fn name(self) -> &'static str {
        match self {
            Source::Offices => "offices",
            Source::JobHistory => "job_history",
            Source::CaseloadSnapshots => "caseload_snapshots",
            Source::SupervisionSessions => "supervision_sessions",
            Source::SurveyResponses => "survey_responses",
            Source::ProgramEnrollments => "program_enrollments",
        }
    }

    /// Looks a source up by name.
    pub fn from_name(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The contract columns, in the contract's order (which is also the order in which
    /// a row's fields are checked, so the first failing column names the refusal). Each
    /// column's name, presence rule, grammar and range are declared here and nowhere else.
    pub const fn columns(self) -> &'static [Column] {
        match self {
            Source::Offices => {
                const {
                    &columns([
                        ("office_id", R, Id),
                        ("office_name", R, Text),
                        ("region", O, Text),
                        ("caseload_standard", R, int(1, 100)),
                    ])
                }
            }
            Source::JobHistory => {
                const {
                    &columns([
                        ("worker_id", R, Id),
                        ("effective_date", R, DATE),
                        ("action", R, Code),
                        ("office_id", C, Id),
                        ("role", C, Code),
                        ("fte", O, Fraction),
                        ("reason", C, Code),
                        ("supervisor_id", O, Id),
                    ])
                }
            }
            Source::CaseloadSnapshots => {
                const {
                    &columns([
                        ("worker_id", R, Id),
                        ("snapshot_date", R, DATE),
                        ("active_cases", R, int(0, 1000)),
                        ("new_assignments", O, int(0, 1000)),
                        ("removals", O, int(0, 100)),
                    ])
                }
            }
            Source::SupervisionSessions => {
                const {
                    &columns([
                        ("session_id", R, Id),
                        ("worker_id", R, Id),
                        ("supervisor_id", O, Id),
                        ("session_date", R, DATE),
                        ("minutes", R, int(1, 600)),
                        ("format", R, Code),
                        ("focus", O, Code),
                    ])
                }
            }
            Source::SurveyResponses => {
                const {
                    &columns([
                        ("response_id", R, Id),
                        ("worker_id", R, Id),
                        ("administered_on", R, DATE),
                        ("instrument", R, Code),
                        // Up to the instrument's number of items (Instrument::items).
                        ("item", R, int(1, i64::MAX)),
                        ("value", R, int(1, 5)),
                    ])
                }
            }
            Source::ProgramEnrollments => {
                const {
                    &columns([
                        ("worker_id", R, Id),
                        ("program", R, Code),
                        ("cohort_id", R, Id),
                        ("start_date", R, DATE),
                        ("end_date", O, Kind::Date { future: true }),
                        ("sessions_offered", O, int(0, 1000)),
                        // Up to sessions_offered when that is given.
                        ("sessions_attended", O, int(0, 1000)),
                    ])
                }
            }
        }
    }

    /// The column named `name`. Meant for const contexts (`const { ... }`), where a name
    /// the source does not have stops the build.
    pub const fn column(self, name: &str) -> Column {
        let columns = self.columns();
        let mut i = 0;
        while i < columns.len() {
            if same_name(columns[i].name, name) {
                return columns[i];
            }
            i += 1;
        }
        panic!("no such contract column")
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
