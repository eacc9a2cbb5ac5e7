//! Stage `publish`: a run folder is opened before the derived tables are written into it
//! ([`begin`]); once every table is in, the manifest is written and `current` is switched
//! to the folder atomically ([`finish`]).

use crate::error::PipelineError;
use crate::run::{CRASH_POINT_ENV, Published, RunRequest};
use crate::stage::ingest::Ingested;
use crate::stage::sql::Indicators;
use crate::warehouse::{RunFolder, Warehouse};
use tracing::info;

/// A run folder being written, and when the run started.
pub struct Begun {
    /// The run id (the folder's name under `runs/`).
    pub run_id: String,
    /// The folder.
    pub folder: RunFolder,
    started_at: chrono::DateTime<chrono::Utc>,
}

/// Opens the run folder of a run that started at `started_at`.
pub fn begin(
    warehouse: &Warehouse,
    started_at: chrono::DateTime<chrono::Utc>,
) -> Result<Begun, PipelineError> {
    let run_id = format!(
        "{}-{:05}",
        started_at.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id() % 100_000
    );
    let folder = warehouse.begin_run(&run_id)?;
    Ok(Begun {
        run_id,
        folder,
        started_at,
    })
}

/// Writes the indicators and the manifest, then publishes the run.
pub fn finish(
    request: &RunRequest<'_>,
    warehouse: &Warehouse,
    begun: Begun,
    ingested: Ingested,
    indicators: Indicators,
) -> Result<Published, PipelineError> {
    let Begun {
        run_id,
        folder,
        started_at,
    } = begun;
    let mut written = indicators.written.clone();
    for (name, batch) in [
        ("office_indicators", &indicators.office_indicators),
        ("retention_curves", &indicators.retention_curves),
        ("program_outcomes", &indicators.program_outcomes),
    ] {
        folder.write_table(name, batch)?;
        written.push((name, batch.num_rows()));
    }
    if std::env::var(CRASH_POINT_ENV).as_deref() == Ok("after-tables") {
        std::process::abort();
    }
    let checked = ingested.checked;
    let manifest = crate::manifest::manifest(
        request,
        &run_id,
        started_at,
        chrono::Utc::now(),
        &checked.counts,
        &written,
    );
    folder.write_manifest(&manifest)?;
    let run_dir = warehouse.commit(folder, request.config.publish.keep_runs as usize)?;
    info!(run_id = %run_id, run_dir = %run_dir.display(), "published; current now points at this run");
    Ok(Published {
        run_id,
        run_dir,
        tables: written
            .iter()
            .map(|(n, rows)| (n.to_string(), *rows))
            .collect(),
        by_reason: checked.by_reason(),
        headlines: crate::headline::office_headlines(&indicators.office_indicators),
        practice: crate::headline::state_practice(&indicators.office_indicators),
        attendance: crate::headline::program_attendance(&indicators.program_outcomes),
        counts: checked.counts,
    })
}
