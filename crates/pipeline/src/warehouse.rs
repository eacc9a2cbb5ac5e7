//! The warehouse folder and its publishing protocol (CONTRACT.md section 4):
//!
//! ```text
//! WAREHOUSE/
//!   .lock                  held (flock) by the one run allowed at a time
//!   .pseudonym_key         32 random bytes, owner-only, when RETENTION_PSEUDONYM_KEY is unset
//!   runs/<run_id>.partial/ a run being written (left behind only by a killed run)
//!   runs/<run_id>/         a complete run: <table>/part-0.parquet ... and run_manifest.json
//!   current -> runs/<run_id>   symlink, replaced atomically by rename(2)
//! ```
//!
//! A run writes everything into its `.partial` folder, syncs it, renames it complete, and
//! only then renames a fresh symlink over `current`. A crash at any point leaves `current`
//! pointing at the previous complete run.

use arrow::array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rand::RngCore;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Environment variable holding the pseudonym key.
pub const PSEUDONYM_KEY_ENV: &str = "RETENTION_PSEUDONYM_KEY";

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
    /// random key, created once with owner-only permissions.
    pub fn pseudonym_key(&self) -> Result<Vec<u8>, WarehouseError> {
        if let Some(key) = std::env::var_os(PSEUDONYM_KEY_ENV).filter(|k| !k.is_empty()) {
            return Ok(key.into_encoded_bytes());
        }
        let path = self.root.join(".pseudonym_key");
        match fs::read(&path) {
            Ok(key) if key.len() == 32 => return Ok(key),
            Ok(_) => {
                return Err(WarehouseError::Io {
                    path,
                    source: io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the pseudonym key must be 32 bytes; restore it from backup",
                    ),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(WarehouseError::Io { path, source: e }),
        }
        let mut key = vec![0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let tmp = self.root.join(".pseudonym_key.tmp");
        let mut options = OpenOptions::new();
        options.create(true).truncate(true).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io_at(&tmp))?;
        file.write_all(&key).map_err(io_at(&tmp))?;
        file.sync_all().map_err(io_at(&tmp))?;
        fs::rename(&tmp, &path).map_err(io_at(&path))?;
        Ok(key)
    }

    /// Starts a run folder, removing partial folders that killed runs left behind.
    pub fn begin_run(&self, run_id: &str) -> Result<RunFolder, WarehouseError> {
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
        })
    }

    /// Completes a run: renames it final and switches `current` to it atomically, then
    /// keeps only the newest `keep` complete runs.
    pub fn commit(&self, run: RunFolder, keep: usize) -> Result<PathBuf, WarehouseError> {
        sync_dir(&run.path)?;
        let done = self.root.join("runs").join(&run.run_id);
        fs::rename(&run.path, &done).map_err(io_at(&done))?;
        sync_dir(&self.root.join("runs"))?;
        let tmp = self.root.join("current.tmp");
        let _ = fs::remove_file(&tmp);
        let target = Path::new("runs").join(&run.run_id);
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, &tmp).map_err(io_at(&tmp))?;
        let current = self.root.join("current");
        fs::rename(&tmp, &current).map_err(io_at(&current))?;
        sync_dir(&self.root)?;
        self.prune(keep, &run.run_id)?;
        Ok(done)
    }

    /// The run `current` points at, if any.
    pub fn current_run(&self) -> Option<String> {
        current_run(&self.root)
    }

    fn prune(&self, keep: usize, newest: &str) -> Result<(), WarehouseError> {
        let runs = self.root.join("runs");
        let mut complete: Vec<String> = fs::read_dir(&runs)
            .map_err(io_at(&runs))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| !name.ends_with(".partial"))
            .collect();
        complete.sort();
        let excess = complete.len().saturating_sub(keep.max(1));
        for name in complete.into_iter().take(excess) {
            if name != newest {
                let path = runs.join(&name);
                fs::remove_dir_all(&path).map_err(io_at(&path))?;
            }
        }
        Ok(())
    }
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
}

impl RunFolder {
    /// The folder being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one table as `<table>/part-0.parquet` (Snappy; statistics on).
    pub fn write_table(&self, name: &str, batch: &RecordBatch) -> Result<(), WarehouseError> {
        self.write_batches(name, std::slice::from_ref(batch))
    }

    /// Writes batches with one schema, in order, as table `name`.
    pub fn write_batches(&self, name: &str, batches: &[RecordBatch]) -> Result<(), WarehouseError> {
        let dir = self.path.join(name);
        fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        let path = dir.join("part-0.parquet");
        let file = File::create(&path).map_err(io_at(&path))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("retention {}", env!("CARGO_PKG_VERSION")))
            .build();
        let perr = |e: parquet::errors::ParquetError| WarehouseError::Parquet {
            path: path.clone(),
            message: e.to_string(),
        };
        let schema = batches
            .first()
            .expect("a table is written from at least one batch")
            .schema();
        let mut writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(perr)?;
        for batch in batches {
            writer.write(batch).map_err(perr)?;
        }
        let file = writer.into_inner().map_err(perr)?;
        file.sync_all().map_err(io_at(&path))?;
        Ok(())
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
