#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|frame: &[u8]| harness::relay_message(frame));
