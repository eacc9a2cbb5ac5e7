//! Runs a pipeline file: ingest the inbox, derive the worker-level tables, and publish
//! them into the warehouse (atomic swap of `current`, manifest, lock).
#![deny(missing_docs)]

pub mod config;
pub mod curves;
pub mod derive;
pub mod dictionary;
pub mod error;
pub mod headline;
pub mod manifest;
pub mod outcomes;
pub mod provenance;
pub mod query;
pub mod report;
pub mod risk;
pub mod risk_tables;
pub mod run;
pub mod sql;
pub mod sql_inputs;
pub mod stage;
pub mod suppression;
pub(crate) mod tables;
pub mod warehouse;

pub use config::{ConfigProblem, PipelineConfig};
pub use error::PipelineError;
pub use retention_ingest::{SourceCount, SourceProgress};
pub use run::{Checked, Progress, Published, RunRequest, Silent, check, check_key, run};
