//! One pipeline run, start to finish, as the stages of the pipeline file: `ingest` (find,
//! check and validate every input; refuse the run when a quarantine share is over its
//! limit or a run guard fires), `derive`, `model` (the risk model), `sql`, `report` (the
//! leadership page, drawn into the run folder by `publish` once the tables and manifest are
//! in), `publish`. Each stage is a module of [`crate::stage`] with a typed input and output. `validate` stops after the checks
//! ([`check`]). Before any stage, the pseudonym key is checked against the one `current`
//! was published with; after a failure, the run leaves its record in `runs/<id>.refused`.

use crate::config::PipelineConfig;
use crate::error::PipelineError;
use crate::manifest::{CurrentRun, Record};
use crate::stage;
use crate::warehouse::{KeySource, Warehouse};
use retention_contract::{Day, Reason, Source};
use retention_ingest::{Guard, SourceCount, SourceProgress};
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
    /// Run guards let through this once (`--accept`).
    pub accept: Vec<Guard>,
    /// The pseudonym key may differ from the one `current` was published with
    /// (`--new-pseudonym-key`).
    pub new_pseudonym_key: bool,
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
    /// The offices of the hiring plan with the most hires needed (at most five).
    pub hiring: Vec<crate::headline::HiringHeadline>,
    /// Where the leadership report is (under `current`), when stage `report` ran.
    pub report: Option<PathBuf>,
    /// The state-wide driver scenarios.
    pub drivers: Vec<crate::headline::StateDriver>,
    /// The backtest's state row.
    pub backtest: Option<crate::headline::Backtest>,
}

/// Runs the pipeline and publishes into `warehouse`. A run that fails or is refused
/// leaves `current` as it was and records itself in `runs/<run id>.refused/`.
pub fn run(request: &RunRequest<'_>, warehouse_root: &Path) -> Result<Published, PipelineError> {
    let started_at = chrono::Utc::now();
    let mut record = Record {
        run_id: format!(
            "{}-{:05}",
            started_at.format("%Y%m%dT%H%M%S%.3fZ"),
            std::process::id() % 100_000
        ),
        started_at,
        key_fingerprint: None,
        counts: None,
    };
    let result = run_stages(request, warehouse_root, &mut record);
    if let Err(error) = &result {
        let manifest = record.refused(request, error);
        match crate::warehouse::write_refused(warehouse_root, &record.run_id, &manifest) {
            Ok(path) => {
                tracing::info!(record = %path.display(), "the run did not publish; its record is kept")
            }
            Err(e) => tracing::warn!("cannot keep the record of this run: {e}"),
        }
    }
    result
}

fn run_stages(
    request: &RunRequest<'_>,
    warehouse_root: &Path,
    record: &mut Record,
) -> Result<Published, PipelineError> {
    let warehouse = Warehouse::lock(warehouse_root)?;
    let current = warehouse
        .current_manifest()
        .as_ref()
        .and_then(CurrentRun::from_manifest);
    // Read now so that the survey can be scored while the other sources are read; a
    // problem with it is reported by `derive`, after validation's.
    let key = warehouse.pseudonym_key().map(|(key, source)| {
        let from = match source {
            KeySource::Environment => crate::warehouse::PSEUDONYM_KEY_ENV,
            KeySource::WarehouseFile | KeySource::Created => "WAREHOUSE/.pseudonym_key",
        };
        tracing::info!(from, "pseudonym key");
        key
    });
    if let Ok(key) = &key {
        record.key_fingerprint = Some(check_key(request, key, current.as_ref())?);
    }
    let progress = request.progress;
    let plan = request.config.build();
    tracing::debug!(stages = ?plan.stages, optional = ?plan.optional, "run plan");

    progress.stage("ingest");
    let mut ingested = stage::ingest::run(request, key.as_deref().ok())?;
    record.counts = Some(ingested.checked.counts.clone());
    let refusals = stage::ingest::refusals(
        request,
        &ingested.checked,
        current.as_ref().map(|c| &c.last),
    );
    if !refusals.is_empty() {
        return Err(PipelineError::Refused(refusals));
    }

    progress.stage("derive");
    let derived = stage::derive::run(request, &mut ingested, key)?;

    progress.stage("model");
    let risk = stage::model::run(request, &ingested, &derived)?;
    let begun = stage::publish::begin(&warehouse, &record.run_id, request.as_of)?;
    let handover = stage::derive::write(request, &ingested, derived, &begun.folder)?;

    progress.stage("sql");
    let indicators = stage::sql::run(request, &ingested, handover, risk)?;

    progress.stage("publish");
    let report = plan.stages.contains(&"report");
    if !report {
        tracing::info!("the pipeline file's stages leave out report: no report.html this run");
    }
    stage::publish::finish(
        request, &warehouse, begun, record, ingested, indicators, report,
    )
}

/// The key's fingerprint, refused (exit 2) when it differs from the one `current` was
/// published with, unless the request allows a new key (`run` and `validate --warehouse`
/// both check here).
pub fn check_key(
    request: &RunRequest<'_>,
    key: &[u8],
    current: Option<&CurrentRun>,
) -> Result<String, PipelineError> {
    let now = crate::derive::key_fingerprint(key);
    match current {
        Some(CurrentRun {
            key_fingerprint: Some(recorded),
            last,
        }) if *recorded != now => {
            if !request.new_pseudonym_key {
                return Err(PipelineError::KeyChanged {
                    run: last.run_id.clone(),
                    recorded: recorded.clone(),
                    now,
                });
            }
            tracing::warn!(from = %recorded, to = %now, "a new pseudonym key, as --new-pseudonym-key asks: worker keys will not match earlier runs");
        }
        Some(CurrentRun {
            key_fingerprint: None,
            last,
        }) => {
            tracing::info!(fingerprint = %now, current = %last.run_id, "the run in current records no key fingerprint: this run records one");
        }
        _ => {}
    }
    Ok(now)
}
