//! Layer unpacking: any byte stream as a tar layer into a fresh directory,
//! through rvol-unpack's extractor. It may be refused; it must never
//! panic and never create, change or link anything outside that directory
//! (a canary next to it, and the parent's listing, stay as they were).
#![no_main]
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

struct Scratch {
    base: PathBuf,
    canary: PathBuf,
}

fn scratch() -> &'static Scratch {
    static S: OnceLock<Scratch> = OnceLock::new();
    S.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("rvol-fuzz-unpack-{}", std::process::id()));
        let canary = base.join("canary");
        std::fs::create_dir_all(&canary).unwrap();
        std::fs::write(canary.join("file"), b"canary").unwrap();
        Scratch { base, canary }
    })
}

fn listing(p: &std::path::Path) -> Vec<(String, u64)> {
    use std::os::unix::fs::MetadataExt;
    let mut v: Vec<_> = std::fs::read_dir(p)
        .unwrap()
        .flatten()
        // The layer dir itself changes (its mode, size); only its inode counts.
        .filter(|e| e.file_name() != "layer")
        .map(|e| {
            let m = e.path().symlink_metadata().unwrap();
            (e.file_name().to_string_lossy().into_owned(), m.ino() ^ m.mode() as u64 ^ m.size())
        })
        .collect();
    v.sort();
    v
}

fuzz_target!(|data: &[u8]| {
    let s = scratch();
    let layer = s.base.join("layer");
    let _ = std::fs::remove_dir_all(&layer);
    std::fs::create_dir(&layer).unwrap();
    let ino = { use std::os::unix::fs::MetadataExt; layer.symlink_metadata().unwrap().ino() };
    let before = (listing(&s.base), listing(&s.canary), std::fs::read(s.canary.join("file")).unwrap());
    let root: OwnedFd = std::fs::File::open(&layer).unwrap().into();
    let mut archive = tar::Archive::new(data);
    let _ = rvol_unpack::extract::extract(&mut archive, &root);
    drop(root);
    let after = (listing(&s.base), listing(&s.canary), std::fs::read(s.canary.join("file")).unwrap());
    assert_eq!(before, after, "something outside the layer changed");
    // The layer dir itself stays a directory (not replaced by a link).
    let m = layer.symlink_metadata().unwrap();
    assert!(m.is_dir() && { use std::os::unix::fs::MetadataExt; m.ino() == ino });
});
