//! Integration tests of the synthetic agency generator, one binary split by topic.

mod clean;
mod determinism;
mod realism;
mod support;
