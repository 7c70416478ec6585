#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rapport_fuzz::targets::routing_rules::check(data));
