//! Reads one source extract (CSV, CSV.gz or Parquet) into accepted typed rows and
//! quarantine rows, applying every rule of CONTRACT.md section 2 with exact row
//! accounting: for each source, rows read = rows accepted + rows quarantined.
//!
//! Order matters: offices first, then job_history (whose replay builds the [`Roster`]),
//! then the four sources checked against the roster, which are independent of each
//! other and are read in parallel. [`ingest_inbox`] is the one place that order lives.
#![deny(missing_docs)]

pub mod error;
pub mod fast;
pub mod frame;
pub mod guards;
pub mod inbox;
pub mod input;
pub mod intern;
mod keys;
pub mod roster;
pub mod sources;
pub mod validate;

pub use error::IngestError;
pub use guards::{Guard, LastRun, Limits, Refusal};
pub use inbox::{
    InboxError, InboxRequest, Ingested, Made, NoProgress, SourceCount, SourceProgress, Staff,
    WhileReading, ingest_inbox,
};
pub use input::{Format, SourceFile, locate};
pub use intern::Interner;
pub use roster::{OfficeSet, Roster};
pub use sources::{ingest_job_history, ingest_offices};
pub use validate::{Context, Outcome, QuarantineRow, ingest};
