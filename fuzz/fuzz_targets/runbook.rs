#![no_main]
//! Fuzzes breach::fuzz::runbook: no input may make it panic, hang or exhaust memory.

libfuzzer_sys::fuzz_target!(|data: &[u8]| breach::fuzz::runbook(data));
