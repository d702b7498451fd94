//! Fuzzes the fixed reader (and the checks of what it reads): see common.rs.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::run(juki_gateway::Format::Fixed, data));
