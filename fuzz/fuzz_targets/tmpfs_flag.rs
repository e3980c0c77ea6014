//! `--tmpfs DST[:OPTS]` and the option merge: never a panic; every size
//! that gets through is one the kernel reads as written.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rvol_mount::mountspec;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok((dst, opts)) = mountspec::parse_tmpfs_flag(s) {
        assert!(dst.starts_with('/'));
        let list: Vec<String> = opts.split(',').filter(|o| !o.is_empty()).map(String::from).collect();
        if let Ok(merged) = mountspec::merge_tmpfs_options(&list) {
            for o in merged {
                if let Some(v) = o.strip_prefix("size=") {
                    let digits = v.trim_end_matches(|c: char| "kKmMgGtTpPeE%".contains(c));
                    assert!(!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()), "size {v:?}");
                }
            }
        }
    }
});
