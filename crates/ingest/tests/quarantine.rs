//! Integration tests of the quarantine: every rule of CONTRACT.md section 2 applied to
//! hand-written inboxes, with the expected `(source, line, reason)` of every refused row
//! written out by hand, plus the framing rules of section 1, file-level errors, the
//! CSV.gz and Parquet readers, and property tests of the row accounting.
//!
//! One test binary split into topic modules (under `tests/quarantine/`).

#[path = "quarantine/file_errors.rs"]
mod file_errors;
#[path = "quarantine/formats.rs"]
mod formats;
#[path = "quarantine/framing.rs"]
mod framing;
#[path = "quarantine/properties.rs"]
mod properties;
#[path = "quarantine/reasons.rs"]
mod reasons;
#[path = "quarantine/support.rs"]
mod support;
