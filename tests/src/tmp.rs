//! Temporary directories that clean up after a failed test too, and the
//! mount table below them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A temporary directory, removed when dropped (after lazily unmounting
/// anything a failed test left below it). `RVOL_KEEP_TMP` keeps it;
/// `RVOL_TEST_TMP` puts it elsewhere than /var/tmp.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let base = std::env::var_os("RVOL_TEST_TMP")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/tmp"));
        // The time too: a pid of an earlier run may have left its dirs.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos() as u64;
        let path = base.join(format!(
            "rvol-test-{tag}-{}-{}",
            std::process::id(),
            t ^ (crate::names::counter() << 32)
        ));
        std::fs::create_dir_all(&path).expect("mkdir temp");
        TempDir { path }
    }
    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.path.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("RVOL_KEEP_TMP").is_some() {
            return;
        }
        for m in mounts_under(&self.path).into_iter().rev() {
            let _ = Command::new("umount").arg("-l").arg(&m).status();
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Mount points in the host's (this process's) mount table at or below `dir`.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let d = dir.to_string_lossy().into_owned();
    info.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(unescape_mountinfo)
        .filter(|m| m == &d || m.starts_with(&format!("{d}/")))
        .map(PathBuf::from)
        .collect()
}

fn unescape_mountinfo(s: &str) -> String {
    s.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}
