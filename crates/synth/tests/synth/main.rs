//! Integration tests of the synthetic agency generator, one binary split by topic.

mod clean;
mod determinism;
mod fault_share;
mod realism;
mod support;
mod truth;
