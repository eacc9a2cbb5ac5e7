//! `run_manifest.json`: what a run read, with which settings and key, and what it wrote
//! (docs/operations.md). A published run's sits in its folder; a run that failed or was
//! refused leaves the same fields, as far as it got, with its exit code and message in
//! `runs/<run id>.refused/` (CONTRACT.md section 2). The run in `current` is read back
//! for the *drop* guard and the key check.

use crate::error::PipelineError;
use crate::run::RunRequest;
use retention_contract::Source;
use retention_ingest::{LastRun, SourceCount};
use serde_json::{Map, Value, json};

/// What a run knows about itself so far: each stage adds what it learns, so that a
/// failure at any point can still be recorded.
pub struct Record {
    /// The run id.
    pub run_id: String,
    /// When the run started.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// The fingerprint of the pseudonym key (None: the key could not be read).
    pub key_fingerprint: Option<String>,
    /// Per-source counts, once the inbox is read.
    pub counts: Option<Vec<SourceCount>>,
}

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Record {
    /// The fields every manifest has.
    fn fields(&self, request: &RunRequest<'_>) -> Map<String, Value> {
        let json = json!({
            "run_id": self.run_id,
            "program_version": env!("CARGO_PKG_VERSION"),
            "contract_version": crate::provenance::CONTRACT_VERSION,
            "pipeline": request.config.pipeline.name,
            "pipeline_file": request.pipeline_file.as_ref().map(|p| absolute(p)),
            "settings": request.config,
            "accepted_guards": request.accept.iter().map(|g| g.name()).collect::<Vec<_>>(),
            "as_of": request.as_of.to_string(),
            "key_fingerprint": self.key_fingerprint,
            "started_at": timestamp(self.started_at),
            "finished_at": timestamp(chrono::Utc::now()),
            "inputs": self.counts.as_ref().map(|counts| counts.iter().map(|c| json!({
                "source": c.source.name(),
                "path": c.path.as_ref().map(|p| absolute(p)),
                "sha256": c.sha256,
                "rows_read": c.rows_read,
                "rows_accepted": c.rows_accepted,
                "rows_quarantined": c.rows_quarantined,
                "latest_activity_date": c.latest_activity.map(|d| d.to_string()),
            })).collect::<Vec<_>>()),
        });
        match json {
            Value::Object(map) => map,
            _ => unreachable!("a JSON object literal"),
        }
    }

    /// The manifest of a published run that wrote `tables` (table, rows).
    pub fn published(&self, request: &RunRequest<'_>, tables: &[(&str, usize)]) -> Value {
        let mut fields = self.fields(request);
        fields.insert(
            "tables".into(),
            tables
                .iter()
                .map(|(n, rows)| (n.to_string(), json!(rows)))
                .collect::<Map<_, _>>()
                .into(),
        );
        Value::Object(fields)
    }

    /// The record of a run that failed or was refused with `error`.
    pub fn refused(&self, request: &RunRequest<'_>, error: &PipelineError) -> Value {
        let mut fields = self.fields(request);
        fields.insert("exit_code".into(), json!(error.exit_code()));
        fields.insert("message".into(), json!(error.to_string()));
        if let PipelineError::Refused(refusals) = error {
            fields.insert(
                "refusals".into(),
                refusals
                    .iter()
                    .map(|r| json!({"rule": r.kind(), "message": r.to_string()}))
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        Value::Object(fields)
    }
}

/// `path` made absolute against the working directory (as given when that fails), so
/// that a manifest says which file was read wherever the run was started from.
fn absolute(path: &std::path::Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// What a run needs to know of the run in `current`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentRun {
    /// Its rows read per source (the *drop* guard).
    pub last: LastRun,
    /// The fingerprint of its pseudonym key (None: published before fingerprints).
    pub key_fingerprint: Option<String>,
}

impl CurrentRun {
    /// Reads a published manifest; None when it lacks a run id.
    pub fn from_manifest(manifest: &Value) -> Option<CurrentRun> {
        let run_id = manifest.get("run_id")?.as_str()?.to_string();
        let rows_read = manifest
            .get("inputs")
            .and_then(Value::as_array)
            .map(|inputs| {
                inputs
                    .iter()
                    .filter_map(|i| {
                        let source = Source::from_name(i.get("source")?.as_str()?)?;
                        // A source absent from that run has no path.
                        let present = i.get("path").is_some_and(|p| !p.is_null());
                        let rows = i.get("rows_read").and_then(Value::as_u64);
                        Some((source, rows.filter(|_| present)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(CurrentRun {
            last: LastRun { run_id, rows_read },
            key_fingerprint: manifest
                .get("key_fingerprint")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_run_reads_counts_and_absent_sources() {
        let manifest = json!({
            "run_id": "r1",
            "key_fingerprint": "0123456789abcdef",
            "inputs": [
                {"source": "offices", "path": "/in/offices.csv", "rows_read": 12},
                {"source": "program_enrollments", "path": null, "rows_read": 0},
            ],
        });
        let current = CurrentRun::from_manifest(&manifest).unwrap();
        assert_eq!(
            current.last.rows_read,
            vec![
                (Source::Offices, Some(12)),
                (Source::ProgramEnrollments, None)
            ]
        );
        assert_eq!(current.key_fingerprint.as_deref(), Some("0123456789abcdef"));
        // A manifest written before fingerprints existed.
        let old = json!({"run_id": "r0", "inputs": []});
        assert_eq!(
            CurrentRun::from_manifest(&old).unwrap().key_fingerprint,
            None
        );
    }
}
