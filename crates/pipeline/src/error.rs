//! Why a run did not publish, and the exit code of each cause (CONTRACT.md section 2).

use crate::config::ConfigProblem;
use crate::warehouse::WarehouseError;
use retention_ingest::{InboxError, IngestError, Refusal};

/// Why a run did not publish.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The pipeline file has problems (exit 2).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Config(Vec<ConfigProblem>),
    /// Sources are missing or unreadable as CSV headers (exit 2, or 1 for I/O).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Inputs(Vec<IngestError>),
    /// A quarantine share is over its limit or a run guard fired (exit 3); every rule
    /// that fired, share first.
    #[error("refused to publish: {}", retention_ingest::guards::describe(.0))]
    Refused(Vec<Refusal>),
    /// The pseudonym key differs from the one `current` was published with (exit 2).
    #[error(
        "the pseudonym key changed: the run in current ({run}) was published with key fingerprint {recorded}, this run's key has {now}, so no worker key would match the published history; set {env} to the key used before (or unset it to use WAREHOUSE/.pseudonym_key), or pass --new-pseudonym-key to start a new key on purpose",
        env = crate::warehouse::PSEUDONYM_KEY_ENV
    )]
    KeyChanged {
        /// The run in `current`.
        run: String,
        /// The fingerprint in its manifest.
        recorded: String,
        /// This run's key's fingerprint.
        now: String,
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

impl PipelineError {
    /// The process exit code of CONTRACT.md section 2.
    pub fn exit_code(&self) -> i32 {
        match self {
            PipelineError::Config(_)
            | PipelineError::Usage(_)
            | PipelineError::KeyChanged { .. } => 2,
            PipelineError::Inputs(errors) => {
                if errors.iter().all(IngestError::is_bad_input) {
                    2
                } else {
                    1
                }
            }
            PipelineError::Refused(_) => 3,
            PipelineError::Warehouse(WarehouseError::NoSuchRun { .. }) => 2,
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
