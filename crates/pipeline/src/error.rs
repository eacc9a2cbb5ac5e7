//! Why a run did not publish, and the exit code of each cause (CONTRACT.md section 2).

use crate::config::ConfigProblem;
use crate::warehouse::WarehouseError;
use retention_contract::Source;
use retention_ingest::{InboxError, IngestError};

/// Why a run did not publish.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The pipeline file has problems (exit 2).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Config(Vec<ConfigProblem>),
    /// Sources are missing or unreadable as CSV headers (exit 2, or 1 for I/O).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Inputs(Vec<IngestError>),
    /// A quarantine share is over its limit (exit 3).
    #[error("{}", refusal_text(.limit, .sources))]
    QuarantineShare {
        /// `max_quarantine_share`.
        limit: f64,
        /// (source, quarantined, read) of each source over the limit.
        sources: Vec<(Source, u64, u64)>,
    },
    /// The warehouse could not be locked or written (exit 1).
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    /// A bad invocation (exit 2).
    #[error("{0}")]
    Usage(String),
    /// An SQL model failed (exit 1: an internal error).
    #[error(transparent)]
    Sql(#[from] crate::sql::SqlError),
    /// A step that is not SQL failed where no input can be the cause (exit 1: a bug, or the
    /// machine refused a resource).
    #[error(
        "internal error in {step}: {message}; rerun with RUST_LOG=debug and report the log if it persists"
    )]
    Internal {
        /// The step, in the words of the log (`sql runtime`, `suppression of office_indicators`).
        step: &'static str,
        /// What failed.
        message: String,
    },
}

fn refusal_text(limit: &f64, sources: &[(Source, u64, u64)]) -> String {
    let parts: Vec<String> = sources
        .iter()
        .map(|(s, q, r)| {
            format!(
                "{s} has {q} of {r} rows quarantined ({:.1}%)",
                100.0 * *q as f64 / *r as f64
            )
        })
        .collect();
    format!(
        "refused to publish: {}, over max_quarantine_share {:.1}%; fix the extracts (see the quarantine with `retention validate`) or raise the limit in the pipeline file",
        parts.join("; "),
        100.0 * limit
    )
}

impl PipelineError {
    /// The process exit code of CONTRACT.md section 2.
    pub fn exit_code(&self) -> i32 {
        match self {
            PipelineError::Config(_) | PipelineError::Usage(_) => 2,
            PipelineError::Inputs(errors) => {
                if errors.iter().all(IngestError::is_bad_input) {
                    2
                } else {
                    1
                }
            }
            PipelineError::QuarantineShare { .. } => 3,
            PipelineError::Warehouse(_)
            | PipelineError::Sql(_)
            | PipelineError::Internal { .. } => 1,
        }
    }
}

impl From<InboxError> for PipelineError {
    fn from(e: InboxError) -> Self {
        match e {
            InboxError::NoInbox(_) => PipelineError::Usage(e.to_string()),
            InboxError::Inputs(problems) => PipelineError::Inputs(problems),
        }
    }
}
