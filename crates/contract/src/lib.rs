//! CONTRACT.md turned into types: the six sources and their columns, the quarantine
//! reasons and their precedence, the code lists, field parsing, tenure bands, instrument
//! scoring and the job-history replay that defines employment spells.
//!
//! Pure Rust with no I/O, caches or speed-tuned tables, so that every rule lives in one
//! place and is tested here; the ingest crate frames files, feeds fields through these
//! functions and answers their [`Lookup`] (ids to symbols, dates to days) fast.
#![deny(missing_docs)]

pub mod codes;
pub mod date;
pub mod field;
pub mod history;
pub mod lookup;
pub mod period;
pub mod reason;
pub mod rows;
pub mod scoring;
pub mod source;
pub mod tenure;

pub use codes::{Action, Focus, Instrument, Program, Role, SessionFormat, TermReason};
pub use date::Day;
pub use lookup::{Lookup, PlainLookup, Sym};
pub use reason::Reason;
pub use source::{Column, Kind, Requirement, Source};
pub use tenure::TenureBand;
