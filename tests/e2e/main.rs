//! End-to-end tests of the `retention` binary and the pipeline, one test binary split
//! into topic modules (ripgrep's layout).

mod cli;
mod conservation;
mod derived;
mod guards;
mod indicators;
mod provenance;
mod publish;
mod report;
mod serve;
mod snapshots;
mod sql;
mod util;
