//! `--mount k=v,...`: refused or parsed, never a panic; an accepted target
//! is absolute and not `/`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rvol_mount::mountspec;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(m) = mountspec::parse_mount_flag(s) {
        let d = mountspec::clean(&m.destination);
        assert!(d.starts_with('/') && d != "/", "accepted target {d:?} from {s:?}");
    }
});
