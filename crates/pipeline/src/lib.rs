//! Runs a pipeline file: ingest the inbox, derive the worker-level tables, and publish
//! them into the warehouse (atomic swap of `current`, manifest, lock).
#![deny(missing_docs)]

pub mod config;
pub mod curves;
pub mod derive;
pub mod headline;
pub mod outcomes;
pub mod query;
pub mod run;
pub mod sql;
pub mod sql_inputs;
pub mod suppression;
pub mod warehouse;

pub use config::{ConfigProblem, PipelineConfig};
pub use run::{
    Checked, PipelineError, Progress, Published, RunRequest, Silent, SourceCount, check, run,
};
