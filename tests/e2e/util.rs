//! Helpers: run the binary, write fixture inboxes, read published tables as text.

use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `retention` binary under test.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_retention"));
    // COLUMNS fixes clap's help width, so that help text reads the same on every terminal.
    c.env("RETENTION_PSEUDONYM_KEY", "test-key")
        .env("RUST_LOG", "warn")
        .env("COLUMNS", "100");
    c
}

/// Runs the binary with arguments; returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out: Output = bin().args(args).output().expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `retention generate` with `args` into `dir/inbox`, which it returns.
pub fn generate(dir: &Path, args: &[&str]) -> PathBuf {
    let inbox = dir.join("inbox");
    let mut all = vec!["generate"];
    all.extend_from_slice(args);
    all.extend(["--out", inbox.to_str().unwrap()]);
    let (code, _, err) = run(&all);
    assert_eq!(code, 0, "{err}");
    inbox
}

/// Writes `(file name, content)` pairs into `dir`.
pub fn write_inbox(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, content) in files {
        std::fs::write(dir.join(name), content).unwrap();
    }
}

/// The path of a published table's single Parquet file under `current`.
pub fn table_file(warehouse: &Path, table: &str) -> PathBuf {
    let dir = warehouse.join("current").join(table);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 1, "one Parquet file in {}", dir.display());
    files.remove(0)
}

/// A published table: column names and every row rendered as text (null = "∅").
pub fn read_table(warehouse: &Path, table: &str) -> (Vec<String>, Vec<Vec<String>>) {
    read_parquet(&table_file(warehouse, table))
}

/// Reads one Parquet file as text rows.
pub fn read_parquet(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let file = std::fs::File::open(path).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let names = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let options = FormatOptions::default().with_null("∅");
    let mut rows = Vec::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for r in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(r).to_string()).collect());
        }
    }
    (names, rows)
}

/// Rows of a table joined with `|`, for compact comparisons.
pub fn table_lines(warehouse: &Path, table: &str) -> Vec<String> {
    read_table(warehouse, table)
        .1
        .into_iter()
        .map(|r| r.join("|"))
        .collect()
}

/// Runs `retention run` on an inbox into a warehouse; returns (exit code, stderr).
pub fn run_pipeline(
    inbox: &Path,
    warehouse: &Path,
    as_of: &str,
    pipeline: Option<&Path>,
) -> (i32, String) {
    let mut args = vec![
        "run",
        "--inbox",
        inbox.to_str().unwrap(),
        "--warehouse",
        warehouse.to_str().unwrap(),
        "--as-of",
        as_of,
    ];
    if let Some(p) = pipeline {
        args.extend(["--pipeline", p.to_str().unwrap()]);
    }
    let (code, _, err) = run(&args);
    (code, err)
}

/// A pipeline file beside `inbox` with every default, the 5% quarantine share included:
/// a generated inbox passes it at any size (the generator keeps each source that the
/// share rule checks under 4% bad rows), which every test using this checks again.
pub fn default_pipeline(inbox: &Path) -> PathBuf {
    let path = inbox.parent().unwrap().join("defaults.toml");
    std::fs::write(&path, "# every setting at its default\n").unwrap();
    path
}
