//! A corrupt or hostile data chunk is an error, never a panic.
#![no_main]

use fiable_core::Validator;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut v = Validator::new();
    let name = if data.first().is_some_and(|b| b & 1 == 0) { "firstnames-j" } else { "communes-75" };
    if v.load_chunk(name, data).is_ok() {
        let _ = v.cities_for_postcode("75011");
        let _ = v.validate(fiable_core::Kind::FirstName, "Jean", &Default::default());
    }
});
