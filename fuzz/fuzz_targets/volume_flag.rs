//! `-v SRC:DST[:OPTS]`: any string parses or is refused, never panics; an
//! accepted destination is absolute and not `/`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rvol_mount::mountspec;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(mountspec::VolumeFlag::Anonymous(p)) = mountspec::cli_volume(s) {
        let _ = mountspec::clean(&p);
    }
    if let Ok(m) = mountspec::parse_bind(s) {
        let d = mountspec::clean(&m.destination);
        assert!(d.starts_with('/') && d != "/", "accepted destination {d:?} from {s:?}");
    }
    let _ = mountspec::parse_volumes_from(s);
    let _ = mountspec::check_volume_name(s);
});
