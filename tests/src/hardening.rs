//! For the hardening tests (tests/tests/hardening.rs): kill a process
//! after a delay, images whose layer blobs are written as given
//! (decompression bombs), a watch on `layers/` that counts unpacks, the
//! host's mount table for before/after diffs, and lock files checked free.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::Duration;

/// Start `cmd`, SIGKILL it after `delay`; whether the kill hit a live
/// process (false: it had already exited), and its status.
pub fn kill_after(cmd: &mut Command, delay: Duration) -> (bool, ExitStatus) {
    let mut child: Child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    std::thread::sleep(delay);
    let alive = child.try_wait().unwrap().is_none();
    if alive {
        // SAFETY: signalling our own child, not yet reaped.
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    }
    let st = child.wait().unwrap();
    (alive && st_killed(&st), st)
}

fn st_killed(st: &ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    st.signal() == Some(libc::SIGKILL)
}

/// `n` delays from 0 to `span`, denser at the start (most steps are short).
pub fn delays(n: usize, span: Duration) -> Vec<Duration> {
    (0..n)
        .map(|i| {
            let f = i as f64 / (n - 1).max(1) as f64;
            span.mul_f64(f * f)
        })
        .collect()
}

/// The delays of a kill -9 loop that adapts to the machine: first the `n`
/// delays of [`delays`] (0 to `span`, denser early); then, while fewer than
/// `want` kills have hit a running process, more passes whose span shrinks
/// after each kill that came when the process had already finished, up to
/// `4 * n` tries. A quick or loaded machine then still gets its kills
/// inside the run, and never fewer tries than the plain schedule.
pub struct Kills {
    n: usize,
    want: usize,
    span: Duration,
    pub tries: usize,
    pub hits: usize,
}

impl Kills {
    pub fn new(n: usize, want: usize, span: Duration) -> Kills {
        Kills {
            n,
            want,
            span,
            tries: 0,
            hits: 0,
        }
    }

    /// The next delay; None once the first pass is done and enough kills
    /// hit, or the tries are spent.
    pub fn next_delay(&self) -> Option<Duration> {
        let done = self.tries >= self.n && self.hits >= self.want;
        if done || self.tries >= 4 * self.n {
            return None;
        }
        let i = self.tries % self.n;
        let f = i as f64 / (self.n - 1).max(1) as f64;
        Some(self.span.mul_f64(f * f))
    }

    /// Whether the kill just made hit a running process.
    pub fn record(&mut self, hit: bool) {
        self.tries += 1;
        if hit {
            self.hits += 1;
        } else if self.tries > self.n {
            self.span = self.span.mul_f64(0.8);
        }
    }

    /// Enough kills hit a running process.
    pub fn enough(&self) -> bool {
        self.hits >= self.want
    }
}

/// An OCI layout at `dir` (tag `latest`) whose layers are blobs given as
/// they are: (media type, blob bytes, the diff_id the config claims).
pub fn raw_oci(dir: &Path, layers: &[(&str, Vec<u8>, String)]) -> String {
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.2.clone()).collect::<Vec<_>>()},
    });
    let blobs: Vec<(&str, &[u8])> = layers
        .iter()
        .map(|(mt, b, _)| (*mt, b.as_slice()))
        .collect();
    crate::image::write_layout(dir, "latest", &blobs, &config);
    format!("oci:{}:latest", dir.display())
}

/// A zstd frame that inflates to `bytes` zero bytes (rounded up to 128 KiB):
/// RLE blocks of 4 bytes each, so 32768 to 1.
pub fn zstd_zero_bomb(bytes: u64) -> Vec<u8> {
    const BLOCK: u64 = 128 << 10;
    let blocks = bytes.div_ceil(BLOCK);
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd];
    // Frame header: no content size, no checksum; window 2^17 (exponent 7).
    out.push(0x00);
    out.push(7 << 3);
    for i in 0..blocks {
        let last = (i + 1 == blocks) as u32;
        let h = last | (1 << 1) | ((BLOCK as u32) << 3);
        out.extend_from_slice(&h.to_le_bytes()[..3]);
        out.push(0);
    }
    out
}

/// A gzip stream of `prefix` followed by zeros, `members` gzip members of
/// `member_bytes` zeros each (a multi-member gzip, as pigz writes):
/// about 1000 to 1, the most deflate gives.
pub fn gzip_zero_bomb(prefix: &[u8], member_bytes: usize, members: usize) -> Vec<u8> {
    use std::io::Write;
    let gz = |data: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    };
    let mut out = gz(prefix);
    let member = gz(&vec![0u8; member_bytes]);
    for _ in 0..members {
        out.extend_from_slice(&member);
    }
    out
}

/// Counts what appears in a directory (inotify): names created and names
/// renamed into it, so a test can tell how many times a layer was unpacked.
pub struct DirWatch {
    fd: std::os::fd::OwnedFd,
}

impl DirWatch {
    pub fn new(dir: &Path) -> DirWatch {
        use std::os::fd::FromRawFd;
        // SAFETY: plain syscalls; the fd is owned from here on.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        assert!(
            fd >= 0,
            "inotify_init1: {}",
            std::io::Error::last_os_error()
        );
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
        let p = CString::new(dir.as_os_str().as_bytes()).unwrap();
        let w = unsafe {
            libc::inotify_add_watch(
                fd.as_raw_fd(),
                p.as_ptr(),
                libc::IN_CREATE | libc::IN_MOVED_TO,
            )
        };
        assert!(
            w >= 0,
            "inotify_add_watch {}: {}",
            dir.display(),
            std::io::Error::last_os_error()
        );
        DirWatch { fd }
    }

    /// Every event so far: (name, "create" | "moved_to").
    pub fn events(&self) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            // SAFETY: reading into our buffer.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
            let mut off = 0usize;
            while off < n as usize {
                // struct inotify_event { int wd; u32 mask; u32 cookie; u32 len; char name[]; }
                let mask = u32::from_ne_bytes(buf[off + 4..off + 8].try_into().unwrap());
                let len = u32::from_ne_bytes(buf[off + 12..off + 16].try_into().unwrap()) as usize;
                let name = &buf[off + 16..off + 16 + len];
                let name =
                    String::from_utf8_lossy(name.split(|b| *b == 0).next().unwrap()).into_owned();
                let what = if mask & libc::IN_MOVED_TO != 0 {
                    "moved_to"
                } else {
                    "create"
                };
                out.push((name, what));
                off += 16 + len;
            }
        }
        out
    }
}

/// The host's mount points (this process's mount table), with the
/// filesystem type, minus the throwaway trees tests (ours and the other
/// suites running at once) mount under: /var/tmp, /tmp, docker's.
pub fn host_mounts() -> Vec<String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mut v: Vec<String> = info
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let dash = f.iter().position(|x| *x == "-")?;
            Some(format!("{} {}", f[4], f.get(dash + 1).unwrap_or(&"")))
        })
        .filter(|m| {
            !(m.starts_with("/var/tmp/")
                || m.starts_with("/var/lib/docker")
                || m.starts_with("/run/docker")
                || m.starts_with("/tmp/"))
        })
        .collect();
    v.sort();
    v
}

/// Every lock file under `root` (`*.lock`, `.lock-*`): path -> whether an
/// exclusive flock can be taken at once (nobody holds it).
pub fn locks_free(root: &Path) -> BTreeMap<PathBuf, bool> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let n = e.file_name().to_string_lossy().into_owned();
            let ft = e.file_type().unwrap();
            // Locks live in the root and its first level (layers/, volumes/, images/).
            if ft.is_dir() && depth(root, &p) == 1 {
                stack.push(p.clone());
            }
            if ft.is_file() && (n.ends_with(".lock") || n.starts_with(".lock-")) {
                let f = std::fs::File::open(&p).unwrap();
                // SAFETY: flock on our own fd.
                let free =
                    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
                out.insert(p, free);
            }
        }
    }
    out
}

fn depth(root: &Path, p: &Path) -> usize {
    p.strip_prefix(root)
        .map(|r| r.components().count())
        .unwrap_or(99)
}

/// Pids of live processes whose command line mentions `needle`.
pub fn processes_mentioning(needle: &str) -> Vec<i32> {
    let mut out = Vec::new();
    let me = std::process::id() as i32;
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(cl) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cl).contains(needle) {
            out.push(pid);
        }
    }
    out
}
