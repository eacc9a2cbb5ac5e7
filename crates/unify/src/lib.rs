//! No code: the dependencies in Cargo.toml are the point (one build of DataFusion for
//! the workspace and for `cargo nextest run -p CRATE`, issue #27).
