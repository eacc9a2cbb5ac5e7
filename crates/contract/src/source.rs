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

/// A contract column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Lower-case column name.
    pub name: &'static str,
    /// Presence rule.
    pub requirement: Requirement,
}

const fn col(name: &'static str, requirement: Requirement) -> Column {
    Column { name, requirement }
}
use Requirement::{Conditional as C, Optional as O, Required as R};

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
    /// a row's fields are checked, so the first failing column names the refusal).
    pub fn columns(self) -> &'static [Column] {
        match self {
            Source::Offices => {
                const {
                    &[
                        col("office_id", R),
                        col("office_name", R),
                        col("region", O),
                        col("caseload_standard", R),
                    ]
                }
            }
            Source::JobHistory => {
                const {
                    &[
                        col("worker_id", R),
                        col("effective_date", R),
                        col("action", R),
                        col("office_id", C),
                        col("role", C),
                        col("fte", O),
                        col("reason", C),
                        col("supervisor_id", O),
                    ]
                }
            }
            Source::CaseloadSnapshots => {
                const {
                    &[
                        col("worker_id", R),
                        col("snapshot_date", R),
                        col("active_cases", R),
                        col("new_assignments", O),
                        col("removals", O),
                    ]
                }
            }
            Source::SupervisionSessions => {
                const {
                    &[
                        col("session_id", R),
                        col("worker_id", R),
                        col("supervisor_id", O),
                        col("session_date", R),
                        col("minutes", R),
                        col("format", R),
                        col("focus", O),
                    ]
                }
            }
            Source::SurveyResponses => {
                const {
                    &[
                        col("response_id", R),
                        col("worker_id", R),
                        col("administered_on", R),
                        col("instrument", R),
                        col("item", R),
                        col("value", R),
                    ]
                }
            }
            Source::ProgramEnrollments => {
                const {
                    &[
                        col("worker_id", R),
                        col("program", R),
                        col("cohort_id", R),
                        col("start_date", R),
                        col("end_date", O),
                        col("sessions_offered", O),
                        col("sessions_attended", O),
                    ]
                }
            }
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
