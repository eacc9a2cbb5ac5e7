//! Finding a source's file in the inbox, opening it whatever its format, and matching its
//! header to the contract's columns. CSV, CSV.gz and Parquet all come out as the same
//! [`Record`] stream; a Parquet row is rendered as text and validated by the same rules.

use crate::error::IngestError;
use crate::frame::{Broken, Framer, Record};
use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use retention_contract::Source;
use retention_contract::source::Requirement;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

/// File formats a source may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `<source>.csv`
    Csv,
    /// `<source>.csv.gz`
    CsvGz,
    /// `<source>.parquet`
    Parquet,
}

/// A located source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The source.
    pub source: Source,
    /// Path of the file.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
}

/// A file in `inbox` whose name is the source's but for case or extension
/// (`Supervision_Sessions.CSV`, `offices.txt`): what the user most likely meant.
pub fn near_miss_file(inbox: &Path, source: Source) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(inbox)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            let lower = name.to_ascii_lowercase();
            let stem = lower.split('.').next().unwrap_or("");
            stem == source.name()
        })
        .collect();
    names.sort();
    names.into_iter().next()
}

/// Finds the file of `source` in `inbox`: Ok(None) when there is none.
pub fn locate(inbox: &Path, source: Source) -> Result<Option<SourceFile>, IngestError> {
    let candidates = [
        (format!("{}.csv", source.name()), Format::Csv),
        (format!("{}.csv.gz", source.name()), Format::CsvGz),
        (format!("{}.parquet", source.name()), Format::Parquet),
    ];
    let found: Vec<_> = candidates
        .into_iter()
        .filter(|(name, _)| inbox.join(name).is_file())
        .collect();
    match found.len() {
        0 => Ok(None),
        1 => {
            let (name, format) = found.into_iter().next().expect("one");
            Ok(Some(SourceFile {
                source,
                path: inbox.join(name),
                format,
            }))
        }
        _ => Err(IngestError::Ambiguous {
            source_name: source,
            inbox: inbox.to_path_buf(),
            names: found.into_iter().map(|(n, _)| n).collect(),
        }),
    }
}

/// How the file's columns map onto the contract's.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    /// For each contract column, its position in the file (None when absent).
    pub position: Vec<Option<usize>>,
    /// Number of fields in the header.
    pub width: usize,
    /// Header names the contract does not know (ignored, with a warning each).
    pub unknown: Vec<String>,
    /// Physical line of the header.
    pub line: u64,
}

/// The edit distance of two short names (Levenshtein, by characters).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The header name present in the file (not a contract column) closest to a missing
/// column, when it is close: at most a third of the name's length apart, or one of the
/// two contains the other.
fn near_miss(missing: &str, present: &[(&str, &str)]) -> Option<String> {
    present
        .iter()
        .map(|(original, normalized)| (distance(missing, normalized), *original, *normalized))
        .filter(|(d, _, n)| {
            *d <= (missing.len() / 3).max(1)
                || (n.len() >= 3 && (missing.contains(n) || n.contains(missing)))
        })
        .min_by_key(|(d, _, _)| *d)
        .map(|(_, original, _)| original.to_string())
}

fn map_header(file: &SourceFile, names: &[String], line: u64) -> Result<ColumnMap, IngestError> {
    if let [only] = names
        && let Some(separator) = [';', '\t', '|'].into_iter().find(|c| only.contains(*c))
    {
        return Err(IngestError::WrongSeparator {
            path: file.path.clone(),
            line,
            separator,
        });
    }
    let normalized: Vec<String> = names
        .iter()
        .map(|n| n.trim_ascii().to_ascii_lowercase())
        .collect();
    for (i, name) in normalized.iter().enumerate() {
        if normalized[..i].contains(name) {
            return Err(IngestError::DuplicateColumn {
                path: file.path.clone(),
                line,
                column: i + 1,
                name: names[i].trim_ascii().to_string(),
            });
        }
    }
    let columns = file.source.columns();
    let position: Vec<Option<usize>> = columns
        .iter()
        .map(|c| normalized.iter().position(|n| n == c.name))
        .collect();
    let missing: Vec<&'static str> = columns
        .iter()
        .zip(&position)
        .filter(|(c, p)| p.is_none() && c.requirement != Requirement::Optional)
        .map(|(c, _)| c.name)
        .collect();
    if !missing.is_empty() {
        let present: Vec<(&str, &str)> = names
            .iter()
            .zip(&normalized)
            .filter(|(_, n)| !columns.iter().any(|c| c.name == n.as_str()))
            .map(|(o, n)| (o.trim_ascii(), n.as_str()))
            .collect();
        let hints = missing.iter().map(|m| near_miss(m, &present)).collect();
        return Err(IngestError::MissingColumns {
            path: file.path.clone(),
            line,
            columns: missing,
            hints,
        });
    }
    let unknown = names
        .iter()
        .zip(&normalized)
        .filter(|(_, n)| !columns.iter().any(|c| c.name == n.as_str()))
        .map(|(orig, _)| orig.trim_ascii().to_string())
        .collect();
    Ok(ColumnMap {
        position,
        width: names.len(),
        unknown,
        line,
    })
}

/// Hashes everything read through it (the manifest's sha256 of each input).
struct Hashing<R> {
    inner: R,
    hasher: std::sync::Arc<std::sync::Mutex<Sha256>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.lock().expect("hasher lock").update(&buf[..n]);
        Ok(n)
    }
}

/// An open source: its column map and a record stream.
pub struct SourceReader {
    /// The file.
    pub file: SourceFile,
    /// Column mapping from the header.
    pub columns: ColumnMap,
    rows: Rows,
    hasher: std::sync::Arc<std::sync::Mutex<Sha256>>,
    file_size: u64,
}

enum Rows {
    Csv(Box<Framer<Box<dyn Read + Send>>>),
    Parquet(Box<ParquetRows>),
}

impl SourceReader {
    /// Opens the file and reads its header.
    pub fn open(file: SourceFile) -> Result<SourceReader, IngestError> {
        let io_err = |e| IngestError::Io {
            path: file.path.clone(),
            source: e,
        };
        let handle = File::open(&file.path).map_err(io_err)?;
        let file_size = handle.metadata().map_err(io_err)?.len();
        let hasher = std::sync::Arc::new(std::sync::Mutex::new(Sha256::new()));
        match file.format {
            Format::Csv | Format::CsvGz => {
                let hashing = Hashing {
                    inner: handle,
                    hasher: hasher.clone(),
                };
                let reader: Box<dyn Read + Send> = if file.format == Format::CsvGz {
                    Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
                        1 << 16,
                        hashing,
                    )))
                } else {
                    Box::new(hashing)
                };
                let mut framer = Box::new(Framer::new(reader));
                let header = framer.next_record().map_err(io_err)?;
                let Some(header) = header else {
                    return Err(IngestError::Empty {
                        path: file.path.clone(),
                    });
                };
                let line = header.line;
                if let Some(b) = header.broken {
                    return Err(IngestError::BadHeader {
                        path: file.path.clone(),
                        line,
                        why: b.describe().into(),
                    });
                }
                // As for rows (validate.rs): the raw bytes too, so that no field boundary
                // falls inside a character.
                let (Ok(_), Ok(text)) = (
                    std::str::from_utf8(header.raw),
                    std::str::from_utf8(header.data),
                ) else {
                    return Err(IngestError::BadHeader {
                        path: file.path.clone(),
                        line,
                        why: "invalid UTF-8".into(),
                    });
                };
                let names: Vec<String> = header
                    .fields
                    .iter()
                    .map(|&(a, b)| text[a..b].to_string())
                    .collect();
                let columns = map_header(&file, &names, line)?;
                Ok(SourceReader {
                    file,
                    columns,
                    rows: Rows::Csv(framer),
                    hasher,
                    file_size,
                })
            }
            Format::Parquet => {
                {
                    let mut h = File::open(&file.path).map_err(io_err)?;
                    let mut hasher = hasher.lock().expect("hasher lock");
                    io::copy(&mut h, &mut *hasher).map_err(io_err)?;
                }
                let perr = |e: parquet::errors::ParquetError| IngestError::Parquet {
                    path: file.path.clone(),
                    message: e.to_string(),
                };
                let builder = ParquetRecordBatchReaderBuilder::try_new(handle).map_err(perr)?;
                let names: Vec<String> = builder
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
                let reader = builder.with_batch_size(8192).build().map_err(perr)?;
                let columns = map_header(&file, &names, 0)?;
                let rows = ParquetRows {
                    reader,
                    batch: None,
                    row: 0,
                    number: 0,
                    data: Vec::new(),
                    raw: Vec::new(),
                    fields: Vec::new(),
                };
                Ok(SourceReader {
                    file,
                    columns,
                    rows: Rows::Parquet(Box::new(rows)),
                    hasher,
                    file_size,
                })
            }
        }
    }

    /// The next record.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, IngestError> {
        match &mut self.rows {
            Rows::Csv(framer) => framer.next_record().map_err(|e| IngestError::Io {
                path: self.file.path.clone(),
                source: e,
            }),
            Rows::Parquet(rows) => rows.next_record().map_err(|message| IngestError::Parquet {
                path: self.file.path.clone(),
                message,
            }),
        }
    }

    /// Bytes of the file consumed so far (for progress), approximate for CSV.gz.
    pub fn progress(&self) -> u64 {
        match &self.rows {
            Rows::Csv(f) if self.file.format == Format::Csv => f.bytes_read(),
            _ => 0,
        }
    }

    /// Size of the file in bytes.
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// SHA-256 of the file's bytes read so far (all of them once the stream has ended).
    pub fn sha256(&self) -> String {
        hex::encode(self.hasher.lock().expect("hasher lock").clone().finalize())
    }
}

struct ParquetRows {
    reader: ParquetRecordBatchReader,
    batch: Option<RecordBatch>,
    row: usize,
    number: u64,
    data: Vec<u8>,
    raw: Vec<u8>,
    fields: Vec<(usize, usize)>,
}

impl ParquetRows {
    fn next_record(&mut self) -> Result<Option<Record<'_>>, String> {
        loop {
            if let Some(batch) = &self.batch
                && self.row < batch.num_rows()
            {
                break;
            }
            match self.reader.next() {
                None => return Ok(None),
                Some(Err(e)) => return Err(e.to_string()),
                Some(Ok(batch)) => {
                    self.batch = Some(batch);
                    self.row = 0;
                }
            }
        }
        let batch = self.batch.as_ref().expect("batch");
        let options = FormatOptions::default();
        self.data.clear();
        self.raw.clear();
        self.fields.clear();
        for (c, column) in batch.columns().iter().enumerate() {
            let start = self.data.len();
            if column.is_valid(self.row) {
                let formatter = ArrayFormatter::try_new(column.as_ref(), &options)
                    .map_err(|e| e.to_string())?;
                use std::fmt::Write as _;
                let mut text = String::new();
                write!(text, "{}", formatter.value(self.row)).map_err(|e| e.to_string())?;
                self.data.extend_from_slice(text.as_bytes());
            }
            self.fields.push((start, self.data.len()));
            if c > 0 {
                self.raw.push(b',');
            }
            self.raw.extend_from_slice(&self.data[start..]);
        }
        self.row += 1;
        self.number += 1;
        Ok(Some(Record {
            line: self.number,
            offset: 0,
            raw: &self.raw,
            data: &self.data,
            fields: &self.fields,
            broken: None::<Broken>,
        }))
    }
}
