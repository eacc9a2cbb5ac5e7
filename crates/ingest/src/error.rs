//! Errors that stop a source from being read at all. Row-level problems never appear
//! here: they become quarantine rows.

use retention_contract::Source;
use std::path::PathBuf;

/// A source that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// No file for a required source.
    #[error("{}: no file for source {source_name}; expected {source_name}.csv, {source_name}.csv.gz or {source_name}.parquet in the inbox{}", inbox.display(), near_file(near_miss.as_deref(), *source_name))]
    MissingSource {
        /// The source.
        source_name: Source,
        /// The inbox folder.
        inbox: PathBuf,
        /// A file whose name differs only in case or extension.
        near_miss: Option<String>,
    },
    /// More than one file for a source.
    #[error("{}: more than one file for source {source_name} ({}); keep exactly one", inbox.display(), names.join(", "))]
    Ambiguous {
        /// The source.
        source_name: Source,
        /// The inbox folder.
        inbox: PathBuf,
        /// The competing file names.
        names: Vec<String>,
    },
    /// The file has no header row.
    #[error("{}: the file is empty (no header row); export it again with a header", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The header is not valid CSV.
    #[error("{}: the header row is not valid CSV ({why}); fix the header and rerun", at(path, *line))]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// Physical line of the header.
        line: u64,
        /// What is wrong.
        why: String,
    },
    /// A header name appears twice.
    #[error("{}:{column}: header name {name:?} appears twice; rename or drop one of the columns", at(path, *line))]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// Physical line of the header.
        line: u64,
        /// 1-based column of the second occurrence.
        column: usize,
        /// The name.
        name: String,
    },
    /// Required columns are absent.
    #[error("{}: missing column{} {}; add {} to the extract", at(path, *line), if columns.len() > 1 { "s" } else { "" }, with_hints(columns, hints), if columns.len() > 1 { "them" } else { "it" })]
    MissingColumns {
        /// The file.
        path: PathBuf,
        /// Physical line of the header.
        line: u64,
        /// The absent contract columns.
        columns: Vec<&'static str>,
        /// For each, a header name present in the file that is close to it, if any.
        hints: Vec<Option<String>>,
    },
    /// The header is one field that holds another separator: not a comma-separated file.
    #[error("{}: the header is one field holding {} separators: the file looks {}-separated; export it comma-separated (CSV)", at(path, *line), separator_name(*separator), separator_name(*separator))]
    WrongSeparator {
        /// The file.
        path: PathBuf,
        /// Physical line of the header.
        line: u64,
        /// The separator found.
        separator: char,
    },
    /// A Parquet file that cannot be decoded.
    #[error("{}: not a readable Parquet file ({message}); export it again", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The decoder's message.
        message: String,
    },
    /// Reading failed.
    #[error("{}: cannot read ({source})", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// `path:line`, or just the path for a Parquet header (line 0: it has no lines).
fn at(path: &std::path::Path, line: u64) -> String {
    if line == 0 {
        path.display().to_string()
    } else {
        format!("{}:{line}", path.display())
    }
}

impl IngestError {
    /// True for problems with the invocation or the inbox (exit code 2) rather than a
    /// failure of the machine (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, IngestError::Io { .. })
    }
}

/// The missing columns, each with its near miss: `snapshot_date (did you mean
/// snapshot_dt?)`.
fn with_hints(columns: &[&str], hints: &[Option<String>]) -> String {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| match hints.get(i).and_then(Option::as_deref) {
            Some(near) => format!("{c} (did you mean {near}?)"),
            None => c.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The near-miss file of a missing source, as a sentence to append.
fn near_file(near: Option<&str>, source: Source) -> String {
    match near {
        Some(name) => format!(
            "; found {name}, but file names are matched exactly: rename it to {}.csv (or .csv.gz, .parquet)",
            source.name()
        ),
        None => String::new(),
    }
}

/// How a separator is named in a sentence.
fn separator_name(c: char) -> &'static str {
    match c {
        ';' => "semicolon",
        '\t' => "tab",
        '|' => "pipe",
        _ => "other",
    }
}
