//! The statistics SQL is bad at, as plain functions over slices: the Kaplan-Meier curve
//! behind `retention_curves` (CONTRACT.md section 6), the paired t-test behind
//! `program_outcomes` (CONTRACT.md section 7), and for the risk model (section 9, issue
//! #13) a weighted ridge logistic regression and the backtest's metrics (AUC, Brier,
//! calibration slope).
//!
//! The pipeline does the grouping and the joins in SQL, collects one group's numbers into a
//! slice and calls in here; nothing in this crate knows about Arrow, files or suppression
//! thresholds, so each formula is written once and tested against hand-computed values.
#![deny(missing_docs)]

pub mod logistic;
pub mod metrics;
pub mod paired;
pub mod survival;

pub use paired::{PairedT, paired_t};
pub use survival::{Observation, SurvivalPoint, kaplan_meier};
