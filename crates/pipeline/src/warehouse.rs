//! The warehouse folder and its publishing protocol (CONTRACT.md section 4):
//!
//! ```text
//! WAREHOUSE/
//!   .lock                  held (flock) by the one run allowed at a time
//!   .pseudonym_key         32 random bytes, owner-only, when RETENTION_PSEUDONYM_KEY is unset
//!   runs/<run_id>.partial/ a run being written (left behind only by a killed run)
//!   runs/<run_id>/         a complete run: <table>/part-0-<run_id>.parquet ... and run_manifest.json
//!   runs/<run_id>.refused/ run_manifest.json of a run that failed or was refused
//!   current -> runs/<run_id>   symlink, replaced atomically by rename(2)
//!   current.json           {run_id, path, as_of, published_at}, replaced atomically too
//! ```
//!
//! A run writes everything into its `.partial` folder, syncs it, renames it complete, and
//! only then renames a fresh symlink over `current`. A crash at any point leaves `current`
//! pointing at the previous complete run.
//!
//! File names carry the run id, so that a reader who listed `current/<table>/` before a
//! switch and opens the file after it gets "not found" instead of another run's bytes;
//! readers that resolve `current` once (docs/operations.md) never see a switch at all.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use rand::RngCore;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Environment variable holding the pseudonym key.
pub const PSEUDONYM_KEY_ENV: &str = "RETENTION_PSEUDONYM_KEY";

/// Tables that hold one person's data (raw worker ids, a worker's risk): their files are
/// readable by the owner only (CONTRACT.md sections 2 and 9).
pub const OWNER_ONLY_TABLES: [&str; 2] = ["quarantine", "worker_risk"];

/// The pointer file beside `current`, for tools that cannot follow a symlink.
pub const CURRENT_JSON: &str = "current.json";

/// Where the pseudonym key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// `RETENTION_PSEUDONYM_KEY`.
    Environment,
    /// `WAREHOUSE/.pseudonym_key`, already there.
    WarehouseFile,
    /// `WAREHOUSE/.pseudonym_key`, created by this run.
    Created,
}

/// The key `RETENTION_PSEUDONYM_KEY` holds, else the one in `root/.pseudonym_key`, without
/// creating anything (None: neither exists).
pub fn read_pseudonym_key(root: &Path) -> Result<Option<(Vec<u8>, KeySource)>, WarehouseError> {
    if let Some(key) = std::env::var_os(PSEUDONYM_KEY_ENV).filter(|k| !k.is_empty()) {
        return Ok(Some((key.into_encoded_bytes(), KeySource::Environment)));
    }
    let path = root.join(".pseudonym_key");
    match fs::read(&path) {
        Ok(key) if key.len() == 32 => Ok(Some((key, KeySource::WarehouseFile))),
        Ok(_) => Err(WarehouseError::Io {
            path,
            source: io::Error::new(
                io::ErrorKind::InvalidData,
                "the pseudonym key must be 32 bytes; restore it from backup",
            ),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(WarehouseError::Io { path, source: e }),
    }
}

/// Opens `path` for writing with owner-only permissions when `private`.
fn create_file(path: &Path, private: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(true).write(true);
    #[cfg(unix)]
    if private {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    let file = options.open(path)?;
    // A file left by an earlier attempt keeps its mode: set it.
    #[cfg(unix)]
    if private {
        fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    }
    Ok(file)
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that a reader sees
/// the old content or the new, never a part.
fn write_atomically(path: &Path, bytes: &[u8], private: bool) -> Result<(), WarehouseError> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    let mut file = create_file(&tmp, private).map_err(io_at(&tmp))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(io_at(&tmp))?;
    fs::rename(&tmp, path).map_err(io_at(path))
}

/// Records a run that failed or was refused: `root/runs/<run_id>.refused/run_manifest.json`,
/// owner-only (its message may quote input values). `current` is not touched.
pub fn write_refused(
    root: &Path,
    run_id: &str,
    manifest: &serde_json::Value,
) -> Result<PathBuf, WarehouseError> {
    let dir = root.join("runs").join(format!("{run_id}.refused"));
    fs::create_dir_all(&dir).map_err(io_at(&dir))?;
    let path = dir.join("run_manifest.json");
    let mut text = serde_json::to_string_pretty(manifest).expect("JSON values serialize");
    text.push('\n');
    write_atomically(&path, text.as_bytes(), true)?;
    Ok(path)
}

/// Errors of the warehouse protocol.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// Another run holds the lock.
    #[error("{}: another run is using this warehouse (lock {} is held); wait for it to finish or use another --warehouse", warehouse.display(), warehouse.join(".lock").display())]
    Locked {
        /// The warehouse.
        warehouse: PathBuf,
    },
    /// File-system failure.
    #[error("{}: {source}", path.display())]
    Io {
        /// Where.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// `runs rollback` named a run the warehouse does not keep complete.
    #[error("{}: no complete run {run_id} is kept here; `retention runs list --warehouse {}` shows the runs it can roll back to", warehouse.display(), warehouse.display())]
    NoSuchRun {
        /// The warehouse.
        warehouse: PathBuf,
        /// The run asked for.
        run_id: String,
    },
    /// Parquet encoding failure.
    #[error("{}: cannot write Parquet ({message})", path.display())]
    Parquet {
        /// Where.
        path: PathBuf,
        /// The encoder's message.
        message: String,
    },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> WarehouseError + '_ {
    move |source| WarehouseError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An open warehouse, locked for this process until dropped.
pub struct Warehouse {
    root: PathBuf,
    _lock: File,
}

impl Warehouse {
    /// Creates the folder if needed and takes the lock, refusing when another process
    /// holds it. The lock is an OS file lock, released even if the holder is killed.
    pub fn lock(root: &Path) -> Result<Warehouse, WarehouseError> {
        fs::create_dir_all(root.join("runs")).map_err(io_at(root))?;
        let path = root.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_at(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(WarehouseError::Locked {
                    warehouse: root.to_path_buf(),
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(WarehouseError::Io { path, source: e }),
        }
        Ok(Warehouse {
            root: root.to_path_buf(),
            _lock: file,
        })
    }

    /// The warehouse folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The pseudonym key: `RETENTION_PSEUDONYM_KEY`'s bytes, else the warehouse's own
    /// random key, created once with owner-only permissions (and said so in the log).
    pub fn pseudonym_key(&self) -> Result<(Vec<u8>, KeySource), WarehouseError> {
        if let Some(found) = read_pseudonym_key(&self.root)? {
            return Ok(found);
        }
        let path = self.root.join(".pseudonym_key");
        let mut key = vec![0u8; 32];
        rand::rng().fill_bytes(&mut key);
        write_atomically(&path, &key, true)?;
        tracing::warn!(
            path = %path.display(),
            "{PSEUDONYM_KEY_ENV} is not set: created a new random pseudonym key for this warehouse; back the file up, and run every night with the same key (the same variable, or none), or worker keys will not match earlier runs"
        );
        Ok((key, KeySource::Created))
    }

    /// The manifest of the run `current` holds, if any.
    pub fn current_manifest(&self) -> Option<serde_json::Value> {
        current_manifest(&self.root)
    }

    /// Starts a run folder, removing partial folders that killed runs left behind.
    pub fn begin_run(&self, run_id: &str, as_of: &str) -> Result<RunFolder, WarehouseError> {
        let runs = self.root.join("runs");
        for entry in fs::read_dir(&runs).map_err(io_at(&runs))? {
            let path = entry.map_err(io_at(&runs))?.path();
            if path.extension().is_some_and(|e| e == "partial") {
                fs::remove_dir_all(&path).map_err(io_at(&path))?;
            }
        }
        let path = runs.join(format!("{run_id}.partial"));
        fs::create_dir_all(&path).map_err(io_at(&path))?;
        Ok(RunFolder {
            path,
            run_id: run_id.to_string(),
            as_of: as_of.to_string(),
            written: Arc::default(),
        })
    }

    /// Completes a run: renames it final and switches `current` to it atomically, then
    /// keeps only the newest `keep` complete runs.
    pub fn commit(&self, run: RunFolder, keep: usize) -> Result<PathBuf, WarehouseError> {
        sync_dir(&run.path)?;
        let done = self.root.join("runs").join(&run.run_id);
        fs::rename(&run.path, &done).map_err(io_at(&done))?;
        sync_dir(&self.root.join("runs"))?;
        self.point_current(&run.run_id, &run.as_of)?;
        self.prune(keep, &run.run_id)?;
        Ok(done)
    }

    /// Switches `current` to `runs/<run_id>` by renaming a fresh symlink over it
    /// (atomic), then replaces `current.json` the same way.
    fn point_current(&self, run_id: &str, as_of: &str) -> Result<(), WarehouseError> {
        let tmp = self.root.join("current.tmp");
        let _ = fs::remove_file(&tmp);
        let target = Path::new("runs").join(run_id);
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, &tmp).map_err(io_at(&tmp))?;
        let current = self.root.join("current");
        fs::rename(&tmp, &current).map_err(io_at(&current))?;
        let pointer = serde_json::json!({
            "run_id": run_id,
            "path": format!("runs/{run_id}"),
            "as_of": as_of,
            "published_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
        let mut text = serde_json::to_string_pretty(&pointer).expect("JSON values serialize");
        text.push('\n');
        write_atomically(&self.root.join(CURRENT_JSON), text.as_bytes(), false)?;
        sync_dir(&self.root)
    }

    /// Points `current` (and `current.json`) at a kept complete run, atomically, as a
    /// publish does: `retention runs rollback`. Refused for a run that is not a complete
    /// run of this warehouse.
    pub fn roll_back_to(&self, run_id: &str) -> Result<(), WarehouseError> {
        let folder = self.root.join("runs").join(run_id);
        let manifest = fs::read_to_string(folder.join("run_manifest.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
        let complete = !run_id.contains('/')
            && !run_id.starts_with('.')
            && !run_id.ends_with(".refused")
            && !run_id.ends_with(".partial")
            && manifest.is_some();
        let Some(manifest) = manifest.filter(|_| complete) else {
            return Err(WarehouseError::NoSuchRun {
                warehouse: self.root.clone(),
                run_id: run_id.to_string(),
            });
        };
        self.point_current(run_id, manifest["as_of"].as_str().unwrap_or_default())
    }

    /// The run `current` points at, if any.
    pub fn current_run(&self) -> Option<String> {
        current_run(&self.root)
    }

    /// Keeps the newest `keep` complete runs (and `newest`), and the newest `keep` records
    /// of refused runs.
    fn prune(&self, keep: usize, newest: &str) -> Result<(), WarehouseError> {
        let runs = self.root.join("runs");
        let mut complete = Vec::new();
        let mut refused = Vec::new();
        for entry in fs::read_dir(&runs).map_err(io_at(&runs))? {
            let entry = entry.map_err(io_at(&runs))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if !entry.path().is_dir() || name.ends_with(".partial") {
                continue;
            }
            if name.ends_with(".refused") {
                refused.push(name);
            } else {
                complete.push(name);
            }
        }
        for mut names in [complete, refused] {
            names.sort();
            let excess = names.len().saturating_sub(keep.max(1));
            for name in names.into_iter().take(excess) {
                if name != newest {
                    let path = runs.join(&name);
                    fs::remove_dir_all(&path).map_err(io_at(&path))?;
                }
            }
        }
        Ok(())
    }
}

/// One kept run of a warehouse, as `retention runs list` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptRun {
    /// The run id (its folder under `runs/`).
    pub run_id: String,
    /// `published` (complete), or `refused` (a record of a run that did not publish).
    pub state: &'static str,
    /// Its as-of date.
    pub as_of: String,
    /// When it finished.
    pub finished_at: String,
    /// Rows of office_indicators (published runs).
    pub rows: Option<u64>,
    /// The exit code and message of a refused run.
    pub refusal: Option<String>,
    /// Whether `current` points at it.
    pub current: bool,
}

/// The runs kept under `root/runs`, oldest first (run ids sort by their start time).
pub fn kept_runs(root: &Path) -> Result<Vec<KeptRun>, WarehouseError> {
    let runs = root.join("runs");
    let current = current_run(root);
    let mut out = Vec::new();
    let entries = match fs::read_dir(&runs) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => {
            return Err(WarehouseError::Io {
                path: runs,
                source: e,
            });
        }
    };
    for entry in entries {
        let entry = entry.map_err(io_at(&runs))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.ends_with(".partial") || !entry.path().is_dir() {
            continue;
        }
        let manifest = fs::read_to_string(entry.path().join("run_manifest.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .unwrap_or_default();
        let text = |key: &str| manifest[key].as_str().unwrap_or("").to_string();
        let (run_id, state) = match name.strip_suffix(".refused") {
            Some(id) => (id.to_string(), "refused"),
            None => (name.clone(), "published"),
        };
        out.push(KeptRun {
            current: current.as_deref() == Some(name.as_str()),
            as_of: text("as_of"),
            finished_at: text("finished_at"),
            rows: manifest["tables"]["office_indicators"].as_u64(),
            refusal: (state == "refused").then(|| {
                format!(
                    "exit {}: {}",
                    manifest["exit_code"].as_u64().unwrap_or(0),
                    manifest["message"].as_str().unwrap_or("")
                )
            }),
            run_id,
            state,
        });
    }
    out.sort_by(|a, b| a.run_id.cmp(&b.run_id).then(a.state.cmp(b.state)));
    Ok(out)
}

/// The manifest of the run `root/current` holds, if any.
pub fn current_manifest(root: &Path) -> Option<serde_json::Value> {
    let text = fs::read_to_string(root.join("current").join("run_manifest.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The run `WAREHOUSE/current` points at, if any.
pub fn current_run(root: &Path) -> Option<String> {
    let target = fs::read_link(root.join("current")).ok()?;
    target.file_name()?.to_str().map(str::to_string)
}

fn sync_dir(path: &Path) -> Result<(), WarehouseError> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(io_at(path))
}

/// A run being written.
#[derive(Clone)]
pub struct RunFolder {
    path: PathBuf,
    run_id: String,
    as_of: String,
    /// (table, schema as written) of every table written into the folder.
    written: Arc<Mutex<Vec<(String, SchemaRef)>>>,
}

impl RunFolder {
    /// The folder being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one table (see [`RunFolder::write_batches`]).
    pub fn write_table(&self, name: &str, batch: &RecordBatch) -> Result<(), WarehouseError> {
        self.write_batches(name, std::slice::from_ref(batch))
    }

    /// The file a table is written to: `<table>/part-0-<run_id>.parquet`.
    pub fn table_file(&self, name: &str) -> PathBuf {
        self.path
            .join(name)
            .join(format!("part-0-{}.parquet", self.run_id))
    }

    /// Writes batches with one schema, in order, as table `name`: Snappy, statistics on,
    /// row groups of [`ROW_GROUP_ROWS`], the provenance of [`crate::provenance`] as
    /// key-value metadata, each column's description from [`crate::dictionary`] as field
    /// metadata, and the order the table is written in as its sorting columns.
    /// [`OWNER_ONLY_TABLES`] are written owner-only.
    pub fn write_batches(&self, name: &str, batches: &[RecordBatch]) -> Result<(), WarehouseError> {
        let path = self.table_file(name);
        let dir = path
            .parent()
            .expect("a table file is in its table's folder");
        fs::create_dir_all(dir).map_err(io_at(dir))?;
        let file = create_file(&path, OWNER_ONLY_TABLES.contains(&name)).map_err(io_at(&path))?;
        let perr = |e: parquet::errors::ParquetError| WarehouseError::Parquet {
            path: path.clone(),
            message: e.to_string(),
        };
        let schema = batches
            .first()
            .expect("a table is written from at least one batch")
            .schema();
        let described = crate::provenance::described(name, &schema);
        self.written
            .lock()
            .expect("the written tables' lock")
            .push((name.to_string(), described.clone()));
        let props =
            crate::provenance::writer_properties(name, &self.run_id, &self.as_of, &described)
                .map_err(perr)?;
        let mut writer = ArrowWriter::try_new(file, described, Some(props)).map_err(perr)?;
        for batch in batches {
            writer.write(batch).map_err(perr)?;
        }
        let file = writer.into_inner().map_err(perr)?;
        file.sync_all().map_err(io_at(&path))?;
        Ok(())
    }

    /// Every table written so far with the schema it was written with, in the order of
    /// the data dictionary (tables are written on several threads).
    pub fn written_schemas(&self) -> Vec<(String, SchemaRef)> {
        let mut written = self
            .written
            .lock()
            .expect("the written tables' lock")
            .clone();
        let rank = |name: &str| {
            crate::dictionary::COLUMNS
                .iter()
                .position(|c| c.table == name)
                .unwrap_or(usize::MAX)
        };
        written.sort_by_key(|(name, _)| rank(name));
        written
    }

    /// Writes `run_manifest.json`.
    pub fn write_manifest(&self, manifest: &serde_json::Value) -> Result<(), WarehouseError> {
        let path = self.path.join("run_manifest.json");
        let text = serde_json::to_string_pretty(manifest).expect("JSON values serialize");
        let mut file = File::create(&path).map_err(io_at(&path))?;
        file.write_all(text.as_bytes())
            .and_then(|_| file.write_all(b"\n"))
            .and_then(|_| file.sync_all())
            .map_err(io_at(&path))?;
        Ok(())
    }
}
