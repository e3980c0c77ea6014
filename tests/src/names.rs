//! Names for what tests make outside their temp dir (docker containers,
//! volumes, images), and the check for docker's 64-hex ids.

use std::sync::atomic::{AtomicU64, Ordering};

/// `rvoltest<pid><tag>`: a name no other test process uses. The tests of
/// one process keep theirs apart by their tags (or take [`fresh`]).
pub fn unique(tag: &str) -> String {
    format!("rvoltest{}{tag}", std::process::id())
}

/// [`unique`] with a counter: a new name at every call.
pub fn fresh(tag: &str) -> String {
    format!("{}-{}", unique(tag), counter())
}

/// A number that grows at every call in this process.
pub(crate) fn counter() -> u64 {
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// Whether `s` has the shape of a full id (a container's, a volume's).
pub fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}
