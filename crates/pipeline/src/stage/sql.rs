//! Stage `sql`: the models of `sql/` (staging -> intermediate -> marts) over the inputs
//! the derive stage handed over, then what follows them in Rust: small-cell suppression
//! (CONTRACT.md section 5), program outcomes' tests (section 7) and the Kaplan-Meier
//! curves (section 6).

use crate::error::PipelineError;
use crate::risk_tables::OfficeNames;
use crate::run::RunRequest;
use crate::sql_inputs::SqlInput;
use crate::stage::derive::HandOver;
use crate::stage::ingest::Ingested;
use crate::stage::model::Risk;
use arrow::array::RecordBatch;
use std::time::Instant;
use tracing::info;

/// What the stage computed: the tables published after the derived ones.
pub struct Indicators {
    /// `worker_risk`, `model_evaluation`, `risk_drivers` and `hiring_plan`, in that order.
    pub risk_tables: Vec<(&'static str, RecordBatch)>,
    /// The model stage's time, for the log.
    pub model_ms: u64,
    /// `office_indicators`, suppressed.
    pub office_indicators: RecordBatch,
    /// `retention_curves`.
    pub retention_curves: RecordBatch,
    /// `program_outcomes`, suppressed.
    pub program_outcomes: RecordBatch,
    /// (table, rows) of every table written so far, in publish order.
    pub written: Vec<(&'static str, usize)>,
}

/// Runs the models, joins the worker_months writer, and finishes the indicators.
pub fn run(
    request: &RunRequest<'_>,
    ingested: &Ingested,
    handover: HandOver,
    risk: Risk,
) -> Result<Indicators, PipelineError> {
    let started = Instant::now();
    let HandOver {
        inputs,
        months_writer,
        written,
    } = handover;
    let marts = run_models(inputs);
    // Joined before any error is returned, so that nothing writes into the run folder
    // after the run has given up on it.
    months_writer.join()?;
    let marts = marts?;
    let mart = |name: &str| {
        marts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b.clone())
            .expect("the mart is in MODELS")
    };
    let min_group_size = i64::from(request.config.settings.min_group_size);
    let program_outcomes = crate::outcomes::program_outcomes(
        &mart("program_outcomes_unsuppressed"),
        &mart("program_pairs"),
        min_group_size,
    );
    let checked = &ingested.checked;
    let offices = OfficeNames {
        ids: &checked.office_set().ids,
    };
    let settings = &request.config.settings;
    let tiers = (settings.risk_tier_elevated, settings.risk_tier_high);
    let unsuppressed = crate::risk_tables::with_predicted(
        &mart("office_indicators_unsuppressed"),
        &risk.predicted,
        &offices,
        tiers,
    );
    let measures: Vec<crate::suppression::Measure> = crate::suppression::SURVEY
        .into_iter()
        .chain([crate::suppression::PREDICTED])
        .collect();
    let office_indicators = crate::suppression::apply(&unsuppressed, min_group_size, &measures)
        .map_err(|e| PipelineError::Internal {
            step: "suppression of office_indicators",
            message: e.to_string(),
        })?;
    let window_start = retention_contract::period::window_start(
        request.as_of,
        request.config.settings.history_months,
    );
    let retention_curves = crate::curves::retention_curves(&crate::curves::curves(
        checked.roster(),
        checked.office_set(),
        window_start,
        request.as_of,
    ));
    let shown = crate::risk_tables::shown_predictions(&office_indicators);
    let risk_drivers = crate::risk_tables::risk_drivers(&risk.drivers, &offices, &shown);
    let hiring_plan = crate::risk_tables::hiring_plan(
        &risk.staffing,
        &risk.standards,
        &offices,
        &shown,
        &office_indicators,
        &retention_curves,
    );
    info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        office_indicators = office_indicators.num_rows(),
        "indicators computed"
    );
    Ok(Indicators {
        risk_tables: vec![
            ("worker_risk", risk.worker_risk),
            ("model_evaluation", risk.model_evaluation),
            ("risk_drivers", risk_drivers),
            ("hiring_plan", hiring_plan),
        ],
        model_ms: risk.elapsed_ms,
        office_indicators,
        retention_curves,
        program_outcomes,
        written,
    })
}

/// Runs the SQL layers over the inputs on a small tokio runtime (DataFusion is async).
fn run_models(inputs: Vec<SqlInput>) -> Result<Vec<(&'static str, RecordBatch)>, PipelineError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| PipelineError::Internal {
            step: "sql runtime (tokio)",
            message: e.to_string(),
        })?;
    runtime.block_on(async {
        let ctx = crate::sql::pipeline_session();
        for input in inputs {
            let batches = &input.batches;
            tracing::debug!(
                input = input.name,
                rows = batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
                bytes = batches
                    .iter()
                    .map(RecordBatch::get_array_memory_size)
                    .sum::<usize>(),
                "SQL input registered"
            );
            crate::sql::register(&ctx, input.name, input.batches, input.sorted_by)?;
        }
        Ok(crate::sql::run_models(&ctx, crate::sql::MODELS).await?)
    })
}
