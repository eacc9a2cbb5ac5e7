//! Opening a published warehouse for SQL: every table of `WAREHOUSE/current` registered
//! in the `warehouse` schema (and under its plain name where no view takes that name),
//! and the leadership views under their plain names. `retention query` uses this today;
//! the Postgres-wire server will serve the same session.

use crate::sql::{SqlError, VIEWS, register_views, session};
use arrow::array::RecordBatch;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingOptions;
use datafusion::prelude::SessionContext;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a warehouse cannot be opened or a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// No published run.
    #[error("{}: no published run (WAREHOUSE/current is missing); publish one with `retention run` first", .0.display())]
    NoCurrentRun(std::path::PathBuf),
    /// `--run` named a run the warehouse does not keep complete.
    #[error("{}: no complete run {} is kept here; `retention runs list --warehouse {}` shows the runs", .0.display(), .1, .0.display())]
    NoSuchRun(std::path::PathBuf, String),
    /// Reading the warehouse failed.
    #[error("{}: cannot read the published tables ({})", .0.display(), .1)]
    Io(std::path::PathBuf, std::io::Error),
    /// A view or table could not be registered.
    #[error(transparent)]
    Setup(#[from] SqlError),
    /// The statement failed.
    #[error("SQL error: {0}")]
    Statement(String),
}

/// DataFusion's message for a failed statement, without its own "SQL error: " prefix
/// (the error reads "SQL error: ..." once).
fn statement_error(e: &datafusion::error::DataFusionError) -> String {
    let text = e.to_string();
    text.strip_prefix("SQL error: ")
        .unwrap_or(&text)
        .to_string()
}

/// A session over the warehouse's current run, with its tables and views. `current` is
/// resolved once, here: every table of the session is read from that one run folder, so
/// a join never mixes two runs, even when a run publishes while the session is open.
pub async fn open(warehouse: &Path) -> Result<SessionContext, QueryError> {
    open_run(warehouse, None).await
}

/// [`open`], or a session over a kept run of the warehouse (`retention query --run`):
/// its tables and the same views.
pub async fn open_run(warehouse: &Path, run: Option<&str>) -> Result<SessionContext, QueryError> {
    open_folder(&run_folder(warehouse, run)?, &[]).await
}

/// The folder of a complete run: `run` (a kept run's id), else the one `current` names.
pub fn run_folder(warehouse: &Path, run: Option<&str>) -> Result<PathBuf, QueryError> {
    match run {
        Some(id) => {
            let folder = warehouse.join("runs").join(id);
            if id.contains('/')
                || id.starts_with('.')
                || !folder.join("run_manifest.json").is_file()
            {
                return Err(QueryError::NoSuchRun(
                    warehouse.to_path_buf(),
                    id.to_string(),
                ));
            }
            Ok(folder)
        }
        None => {
            let Some(run) = crate::warehouse::current_run(warehouse) else {
                return Err(QueryError::NoCurrentRun(warehouse.to_path_buf()));
            };
            let current = warehouse.join("runs").join(run);
            if !current.join("run_manifest.json").is_file() {
                return Err(QueryError::NoCurrentRun(warehouse.to_path_buf()));
            }
            Ok(current)
        }
    }
}

/// A session over one run folder: its tables (but those in `except`) and the views.
pub async fn open_folder(folder: &Path, except: &[&str]) -> Result<SessionContext, QueryError> {
    let ctx = session();
    register_run_tables(&ctx, folder, except).await?;
    register_views(&ctx).await?;
    Ok(ctx)
}

/// Registers every table of the run folder `run` (but those in `except`) in schema
/// `warehouse`, and under its plain name where no view takes that name; returns their
/// names.
pub async fn register_run_tables(
    ctx: &SessionContext,
    run: &Path,
    except: &[&str],
) -> Result<Vec<String>, QueryError> {
    let setup = |name: &str, e: datafusion::error::DataFusionError| SqlError {
        layer: "warehouse".into(),
        name: name.into(),
        message: e.to_string(),
    };
    ctx.sql("create schema warehouse")
        .await
        .map_err(|e| setup("warehouse", e))?;
    let mut tables: Vec<String> = std::fs::read_dir(run)
        .map_err(|e| QueryError::Io(run.to_path_buf(), e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| !except.contains(&name.as_str()))
        .collect();
    tables.sort();
    for table in &tables {
        let dir = run.join(table);
        let url = format!(
            "{}/",
            dir.canonicalize()
                .map_err(|e| QueryError::Io(dir.clone(), e))?
                .display()
        );
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        ctx.register_listing_table(
            format!("warehouse.{table}").as_str(),
            &url,
            options.clone(),
            None,
            None,
        )
        .await
        .map_err(|e| setup(table, e))?;
        if !VIEWS.iter().any(|v| v.name == table) {
            ctx.register_listing_table(table.as_str(), &url, options, None, None)
                .await
                .map_err(|e| setup(table, e))?;
        }
    }
    Ok(tables)
}

/// Runs one statement and collects its rows with their schema.
pub async fn execute(
    ctx: &SessionContext,
    sql: &str,
) -> Result<(arrow::datatypes::SchemaRef, Vec<RecordBatch>), QueryError> {
    let df = ctx
        .sql(sql)
        .await
        .map_err(|e| QueryError::Statement(statement_error(&e)))?;
    let schema = Arc::new(df.schema().as_arrow().clone());
    let batches = df
        .collect()
        .await
        .map_err(|e| QueryError::Statement(statement_error(&e)))?;
    Ok((schema, batches))
}

/// Splits a script into statements at semicolons outside quotes and comments.
pub fn split_statements(script: &str) -> Vec<String> {
    split_statements_with_lines(script)
        .into_iter()
        .map(|(_, statement)| statement)
        .collect()
}

/// [`split_statements`], each statement with the 1-based line of the script it starts
/// on (for errors as `FILE:LINE: ...`).
pub fn split_statements_with_lines(script: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut line, mut start) = (1usize, None);
    let mut chars = script.chars().peekable();
    let (mut single, mut double) = (false, false);
    while let Some(c) = chars.next() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '-' if !single && !double && chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                current.push('\n');
                line += 1;
                continue;
            }
            ';' if !single && !double => {
                if !current.trim().is_empty() {
                    out.push((start.unwrap_or(line), current.trim().to_string()));
                }
                current.clear();
                start = None;
                continue;
            }
            _ => {}
        }
        if start.is_none() && !c.is_whitespace() {
            start = Some(line);
        }
        if c == '\n' {
            line += 1;
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        out.push((start.unwrap_or(line), current.trim().to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{split_statements, split_statements_with_lines};

    #[test]
    fn each_statement_knows_the_line_it_starts_on() {
        let s = split_statements_with_lines(
            "-- a report; of two\nselect 1;\n\nselect\n  'x;\ny'\n; select 3",
        );
        assert_eq!(
            s,
            [
                (2, "select 1".to_string()),
                (4, "select\n  'x;\ny'".to_string()),
                (7, "select 3".to_string())
            ]
        );
    }

    #[test]
    fn statements_split_outside_quotes_and_comments() {
        let s = split_statements(
            "select 1; -- a comment; not a statement\nselect 'a;b' as x ;\n\n select \"c;d\" from t",
        );
        assert_eq!(
            s,
            ["select 1", "select 'a;b' as x", "select \"c;d\" from t"]
        );
        assert!(split_statements(" ;; \n").is_empty());
    }
}
