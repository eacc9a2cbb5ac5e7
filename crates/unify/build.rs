//! Empty: its presence makes cargo resolve the build-dependencies of Cargo.toml, which
//! unify the features of the proc macros' syn (issue #27).
fn main() {}
