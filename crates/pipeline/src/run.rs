//! One pipeline run, start to finish, as the stages of the pipeline file: `ingest` (find,
//! check and validate every input; refuse the run when a quarantine share is over its
//! limit), `derive`, `sql`, `publish`. Each stage is a module of [`crate::stage`] with a
//! typed input and output. `validate` stops after the checks ([`check`]).

use crate::config::PipelineConfig;
use crate::error::PipelineError;
use crate::stage;
use crate::warehouse::Warehouse;
use retention_contract::{Day, Reason, Source};
use retention_ingest::{SourceCount, SourceProgress};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use crate::stage::ingest::{Checked, check};

/// Environment variable that makes a run abort at a named point, for crash tests.
/// `after-tables` aborts once every table is written but before `current` moves.
pub const CRASH_POINT_ENV: &str = "RETENTION_CRASH_POINT";

/// Progress callbacks (the CLI draws bars with them; tests pass [`Silent`]): the sources
/// as they are read, and the stages.
pub trait Progress: SourceProgress {
    /// A named stage starts.
    fn stage(&self, _name: &str) {}
}

/// Progress that shows nothing.
pub struct Silent;
impl SourceProgress for Silent {}
impl Progress for Silent {}

/// What a run is asked to do.
pub struct RunRequest<'a> {
    /// The inbox folder.
    pub inbox: PathBuf,
    /// The reference date.
    pub as_of: Day,
    /// The pipeline file's settings.
    pub config: PipelineConfig,
    /// Path of the pipeline file, for the manifest.
    pub pipeline_file: Option<PathBuf>,
    /// Progress display.
    pub progress: &'a dyn Progress,
}

/// What a published run produced.
#[derive(Debug, Clone)]
pub struct Published {
    /// The run id (the folder name under `runs/`).
    pub run_id: String,
    /// The run folder.
    pub run_dir: PathBuf,
    /// Table name and row count, in publish order.
    pub tables: Vec<(String, usize)>,
    /// Per-source counts.
    pub counts: Vec<SourceCount>,
    /// Quarantined rows per (source, reason).
    pub by_reason: BTreeMap<(Source, Reason), u64>,
    /// Headcount and trailing-12-month turnover per office.
    pub headlines: Vec<crate::headline::OfficeHeadline>,
    /// The state's trailing-12-month supervision practice.
    pub practice: Option<crate::headline::StatePractice>,
    /// The attendance of each program's cohorts.
    pub attendance: Vec<crate::headline::ProgramAttendance>,
}

/// Runs the pipeline and publishes into `warehouse`.
pub fn run(request: &RunRequest<'_>, warehouse_root: &Path) -> Result<Published, PipelineError> {
    let started_at = chrono::Utc::now();
    let warehouse = Warehouse::lock(warehouse_root)?;
    // Read now so that the survey can be scored while the other sources are read; a
    // problem with it is reported by `derive`, after validation's.
    let key = warehouse.pseudonym_key();
    let progress = request.progress;
    let plan = request.config.build();
    tracing::debug!(stages = ?plan.stages, optional = ?plan.optional, "run plan");

    progress.stage("ingest");
    let mut ingested = stage::ingest::run(request, key.as_deref().ok())?;

    progress.stage("derive");
    let derived = stage::derive::run(request, &mut ingested, key)?;
    let begun = stage::publish::begin(&warehouse, started_at)?;
    let handover = stage::derive::write(request, &ingested, derived, &begun.folder)?;

    progress.stage("sql");
    let indicators = stage::sql::run(request, &ingested, handover)?;

    progress.stage("publish");
    stage::publish::finish(request, &warehouse, begun, ingested, indicators)
}
