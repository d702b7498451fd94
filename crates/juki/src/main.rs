//! The `juki` command (being written).
fn main() {}
