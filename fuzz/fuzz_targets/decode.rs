//! Any bytes: decoding returns Ok or Err, never panics; a decoded profile flattens cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profsql::decode::{decode_bytes, DecodeOptions};
use profsql::tables::{generate_all, LoadedProfile};

fuzz_target!(|data: &[u8]| {
    // A small cap keeps each run fast; the cap's own check is covered by the tests.
    let opts = DecodeOptions {
        max_decompressed: 16 << 20,
    };
    if let Ok(profile) = decode_bytes("fuzz-input", data, &opts) {
        if let Ok(lp) = LoadedProfile::new(0, "fuzz-input", profile) {
            let _ = generate_all(&lp);
        }
    }
});
