//! `manifest.json` of a run folder: what was read, with which settings, and what was
//! written (docs/operations.md).

use crate::run::RunRequest;
use retention_ingest::SourceCount;
use serde_json::{Value, json};

/// The manifest of a run that read `counts` and wrote `tables` (table, rows).
pub(crate) fn manifest(
    request: &RunRequest<'_>,
    run_id: &str,
    started_at: chrono::DateTime<chrono::Utc>,
    finished_at: chrono::DateTime<chrono::Utc>,
    counts: &[SourceCount],
    tables: &[(&str, usize)],
) -> Value {
    json!({
        "run_id": run_id,
        "program_version": env!("CARGO_PKG_VERSION"),
        "pipeline": request.config.pipeline.name,
        "pipeline_file": request.pipeline_file.as_ref().map(|p| p.display().to_string()),
        "as_of": request.as_of.to_string(),
        "started_at": started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "finished_at": finished_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "inputs": counts.iter().map(|c| json!({
            "source": c.source.name(),
            "path": c.path.as_ref().map(|p| p.display().to_string()),
            "sha256": c.sha256,
            "rows_read": c.rows_read,
            "rows_accepted": c.rows_accepted,
            "rows_quarantined": c.rows_quarantined,
        })).collect::<Vec<_>>(),
        "tables": tables.iter().map(|(n, rows)| (n.to_string(), json!(rows))).collect::<serde_json::Map<_, _>>(),
    })
}
