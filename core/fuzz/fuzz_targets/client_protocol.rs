#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|frames: &[u8]| harness::client_protocol(frames));
