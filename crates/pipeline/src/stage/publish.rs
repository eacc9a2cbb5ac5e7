//! Stage `publish`: a run folder is opened before the derived tables are written into it
//! ([`begin`]); once every table is in, the manifest is written and `current` is switched
//! to the folder atomically ([`finish`]).

use crate::error::PipelineError;
use crate::manifest::Record;
use crate::run::{CRASH_POINT_ENV, Published, RunRequest};
use crate::stage::ingest::Ingested;
use crate::stage::sql::Indicators;
use crate::warehouse::{RunFolder, Warehouse};
use retention_contract::Day;
use tracing::info;

/// A run folder being written.
pub struct Begun {
    /// The folder.
    pub folder: RunFolder,
}

/// Opens the run folder of run `run_id`.
pub fn begin(warehouse: &Warehouse, run_id: &str, as_of: Day) -> Result<Begun, PipelineError> {
    let folder = warehouse.begin_run(run_id, &as_of.to_string())?;
    Ok(Begun { folder })
}

/// Writes the indicators and the manifest, draws the report (stage `report`, when
/// `report`) from what was written, then publishes the run.
pub fn finish(
    request: &RunRequest<'_>,
    warehouse: &Warehouse,
    begun: Begun,
    record: &Record,
    ingested: Ingested,
    indicators: Indicators,
    report: bool,
) -> Result<Published, PipelineError> {
    let Begun { folder } = begun;
    let run_id = record.run_id.clone();
    let mut written = indicators.written.clone();
    let bands = crate::tables::tenure_bands_table();
    for (name, batch) in [
        ("office_indicators", &indicators.office_indicators),
        ("retention_curves", &indicators.retention_curves),
        ("program_outcomes", &indicators.program_outcomes),
    ]
    .into_iter()
    .chain(indicators.risk_tables.iter().map(|(n, b)| (*n, b)))
    .chain([("tenure_bands", &bands)])
    {
        folder.write_table(name, batch)?;
        written.push((name, batch.num_rows()));
    }
    // The data dictionary of what was just written, itself included.
    let columns = crate::tables::columns_table(&folder.written_schemas()).map_err(|message| {
        PipelineError::Internal {
            step: "the data dictionary",
            message,
        }
    })?;
    folder.write_table("columns", &columns)?;
    written.push(("columns", columns.num_rows()));
    if std::env::var(CRASH_POINT_ENV).as_deref() == Ok("after-tables") {
        std::process::abort();
    }
    let checked = ingested.checked;
    let risk_table = |name: &str| {
        indicators
            .risk_tables
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b)
            .expect("the model's tables are built")
    };
    let manifest = record.published(request, &written);
    folder.write_manifest(&manifest)?;
    if report {
        request.progress.stage("report");
        let started = std::time::Instant::now();
        let file = folder.path().join(crate::report::REPORT_FILE);
        crate::report::write(folder.path(), &file)?;
        info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "the leadership report is drawn (report.html)"
        );
    }
    let run_dir = warehouse.commit(folder, request.config.publish.keep_runs as usize)?;
    info!(run_id = %run_id, run_dir = %run_dir.display(), "published; current now points at this run");
    Ok(Published {
        run_id,
        run_dir,
        tables: written
            .iter()
            .map(|(n, rows)| (n.to_string(), *rows))
            .collect(),
        report: report.then(|| {
            warehouse
                .root()
                .join("current")
                .join(crate::report::REPORT_FILE)
        }),
        by_reason: checked.by_reason(),
        headlines: crate::headline::office_headlines(&indicators.office_indicators),
        practice: crate::headline::state_practice(&indicators.office_indicators),
        attendance: crate::headline::program_attendance(&indicators.program_outcomes),
        hiring: crate::headline::most_hires(risk_table("hiring_plan"), 5),
        drivers: crate::headline::state_drivers(risk_table("risk_drivers")),
        backtest: crate::headline::backtest(risk_table("model_evaluation")),
        counts: checked.counts,
    })
}
