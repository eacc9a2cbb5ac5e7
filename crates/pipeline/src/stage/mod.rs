//! The stages of a run, in the order of the pipeline file's `stages`: each takes what the
//! one before made and hands on what the next needs, as a named type.
//!
//! | stage   | takes                               | makes                         |
//! |---------|-------------------------------------|-------------------------------|
//! | ingest  | the inbox                           | [`ingest::Ingested`]          |
//! | derive  | what was accepted                   | [`derive::Derived`], then the derived tables written and the SQL inputs ([`derive::HandOver`]) |
//! | model   | what was derived                    | [`model::Risk`]               |
//! | sql     | the SQL inputs, the risk            | [`sql::Indicators`]           |
//! | publish | the run folder and every table      | the published run             |
//!
//! A new stage (the risk model, the report) is a module here with its own input and
//! output types, a name in [`crate::config::STAGES`], and one line in [`crate::run::run`].

pub mod derive;
pub mod ingest;
pub mod model;
pub mod publish;
pub mod sql;
