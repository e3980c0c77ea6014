//! Image references (`NAME[:TAG]`, `oci:`, `oci-archive:`, `docker-archive:`):
//! parsed or refused, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = rvol_unpack::transport::parse(s);
});
