//! SQL behaviour tested as SQL (DataFusion's way): every `tests/sql/*.slt` file builds
//! small hand-made input tables, loads the pipeline's models with `call load_models()`,
//! and states the expected rows of staging, intermediate and mart relations, worked out
//! by hand. Sessions use fixed `target_partitions` and queries use `rowsort` or
//! `order by`, so results are deterministic.
//!
//! Each file is one test of the e2e binary (so DataFusion is linked into one test binary
//! fewer, issue #27), and a test checks that every file in tests/sql is one of them.
//! `RETENTION_SLT_COMPLETE=1 cargo nextest run --test e2e sql::` rewrites the expected
//! results in place, to be reviewed in the diff.

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use async_trait::async_trait;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use retention_pipeline::sql::{MODELS, pipeline_session as session};
use sqllogictest::{
    AsyncDB, DBOutput, DefaultColumnType, Runner, default_column_validator, default_normalizer,
    default_validator,
};
use std::path::{Path, PathBuf};

/// A failed file, with the runner's report.
type Failed = String;

/// A fresh DataFusion session per file, configured as the pipeline's.
struct Models {
    ctx: SessionContext,
}

#[async_trait]
impl AsyncDB for Models {
    type Error = DataFusionError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DataFusionError> {
        if sql
            .trim()
            .trim_end_matches(';')
            .eq_ignore_ascii_case("call load_models()")
        {
            // Every model as a view (marts too), over the inputs the file created. A view
            // holds the tables it read when created, so a file that replaces an input
            // calls this again, which replaces every view. The band ranges are made from
            // the file's segments by the pipeline's own function, never written by hand.
            // A file without segments has no ranges either (the models that read them
            // then fail to plan, as they should).
            if self.ctx.table_exist("src_worker_segments")? {
                let segments = self.ctx.table("src_worker_segments").await?;
                let schema = segments.schema().inner().clone();
                let segments = arrow::compute::concat_batches(&schema, &segments.collect().await?)?;
                self.ctx.deregister_table("src_worker_band_ranges")?;
                self.ctx.register_batch(
                    "src_worker_band_ranges",
                    retention_pipeline::sql_inputs::worker_band_ranges(&segments),
                )?;
            }
            for m in MODELS {
                self.ctx
                    .sql(&format!("create or replace view {} as {}", m.name, m.sql))
                    .await?
                    .collect()
                    .await?;
            }
            return Ok(DBOutput::StatementComplete(0));
        }
        let df = self.ctx.sql(sql).await?;
        let is_statement = {
            let head = sql.trim_start().to_ascii_lowercase();
            ["create", "drop", "insert", "set"]
                .iter()
                .any(|k| head.starts_with(k))
        };
        let batches = df.collect().await?;
        if is_statement {
            return Ok(DBOutput::StatementComplete(0));
        }
        Ok(rows(&batches))
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "datafusion"
    }
}

/// Rows as text: NULL for null, floats rounded to 10 decimals with trailing zeros cut,
/// `(empty)` for an empty string.
fn rows(batches: &[RecordBatch]) -> DBOutput<DefaultColumnType> {
    let mut types = Vec::new();
    let mut out = Vec::new();
    let options = FormatOptions::default();
    for batch in batches {
        if types.is_empty() {
            types = batch
                .schema()
                .fields()
                .iter()
                .map(|f| match f.data_type() {
                    DataType::Int8
                    | DataType::Int16
                    | DataType::Int32
                    | DataType::Int64
                    | DataType::UInt32
                    | DataType::UInt64 => DefaultColumnType::Integer,
                    DataType::Float32 | DataType::Float64 => DefaultColumnType::FloatingPoint,
                    _ => DefaultColumnType::Text,
                })
                .collect();
        }
        for row in 0..batch.num_rows() {
            let mut cells = Vec::new();
            for column in batch.columns() {
                if column.is_null(row) {
                    cells.push("NULL".to_string());
                    continue;
                }
                let text = match column.data_type() {
                    DataType::Float64 => {
                        let v = column
                            .as_any()
                            .downcast_ref::<arrow::array::Float64Array>()
                            .expect("f64")
                            .value(row);
                        let s = format!("{v:.10}");
                        let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
                        if s == "-0" { "0".to_string() } else { s }
                    }
                    _ => ArrayFormatter::try_new(column.as_ref(), &options)
                        .expect("displayable")
                        .value(row)
                        .to_string(),
                };
                cells.push(if text.is_empty() {
                    "(empty)".to_string()
                } else {
                    text
                });
            }
            out.push(cells);
        }
    }
    DBOutput::Rows { types, rows: out }
}

fn run_file(path: &Path, complete: bool) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let mut runner = Runner::new(|| async { Ok(Models { ctx: session() }) });
        if complete {
            runner
                .update_test_file(
                    path,
                    " ",
                    default_validator,
                    default_normalizer,
                    default_column_validator,
                )
                .await
                .map_err(|e| format!("{}: {e}", path.display()))
        } else {
            runner
                .run_file_async(path)
                .await
                .map_err(|e| format!("{}", e.display(true)))
        }
    })
}

/// The .slt files, each a test below.
const FILES: [&str; 4] = [
    "office_indicators",
    "practice_measures",
    "program_outcomes",
    "supervision_mid_month",
];

fn sql_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sql")
}

/// Runs one file; with RETENTION_SLT_COMPLETE=1, rewrites its expected results.
fn check(name: &str) {
    let complete = std::env::var_os("RETENTION_SLT_COMPLETE").is_some_and(|v| v == "1");
    let path = sql_dir().join(format!("{name}.slt"));
    if let Err(e) = run_file(&path, complete) {
        panic!("{e}");
    }
}

#[test]
fn every_slt_file_is_a_test() {
    let mut files: Vec<String> = std::fs::read_dir(sql_dir())
        .expect("tests/sql exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, FILES, "add a new .slt file to FILES and as a test");
}

#[test]
fn office_indicators() {
    check("office_indicators");
}

#[test]
fn practice_measures() {
    check("practice_measures");
}

#[test]
fn program_outcomes() {
    check("program_outcomes");
}

#[test]
fn supervision_mid_month() {
    check("supervision_mid_month");
}
