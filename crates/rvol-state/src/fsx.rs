//! Small file operations every tool needs the same way: write a record
//! atomically, hold an flock.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::error::{Result, ResultExt};

/// Write `bytes` to `path` through a temp file and a rename, so a reader
/// (or a crash) sees the old content or the new, never half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_via_rename(path, bytes, true)
}

/// [`write_atomic`] without the fdatasync: readers still see the old
/// content or the new, but a crash may lose both (an empty or missing
/// file). For records that a crash makes moot anyway (they describe a
/// process, or a container that ends with its process): an fdatasync
/// costs 2-15 ms on a busy disk, more than the rest of a create.
pub fn write_atomic_unsynced(path: &Path, bytes: &[u8]) -> Result<()> {
    write_via_rename(path, bytes, false)
}

fn write_via_rename(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let r = (|| -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        if sync {
            f.sync_data()?;
        }
        std::fs::rename(&tmp, path)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r.with_ctx(|| format!("write {}", path.display()))
}

/// Serialize `value` as pretty JSON and write it atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// [`write_json`] through [`write_atomic_unsynced`].
pub fn write_json_unsynced<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    write_atomic_unsynced(path, &bytes)
}

pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).with_ctx(|| format!("read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_ctx(|| format!("parse {}", path.display()))
}

/// An flock, released when dropped (or when the process dies,
/// so a `kill -9` never leaves a lock held).
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Lock `path` exclusively (created if missing), waiting for another holder.
    pub fn exclusive(path: &Path) -> Result<Lock> {
        Lock::open(path, libc::LOCK_EX)
    }

    /// Lock `path` shared (created if missing), waiting for an exclusive holder.
    pub fn shared(path: &Path) -> Result<Lock> {
        Lock::open(path, libc::LOCK_SH)
    }

    fn open(path: &Path, how: i32) -> Result<Lock> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_ctx(|| format!("open lock {}", path.display()))?;
        flock(&file, how).with_ctx(|| format!("lock {}", path.display()))?;
        Ok(Lock { _file: file })
    }
}

/// flock(2), retried on EINTR.
pub fn flock(file: &impl AsRawFd, how: i32) -> std::io::Result<()> {
    loop {
        // SAFETY: flock on an fd the caller owns.
        let r = unsafe { libc::flock(file.as_raw_fd(), how) };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}
