//! Tar streams written byte by byte, so a test can make the archives no
//! well-behaved tool writes: `../` names, absolute names, links out of the
//! layer, whiteout tricks, image-supplied overlay xattrs. Plus a tree
//! listing (paths, types, modes, owners, content, link targets, xattrs)
//! to compare two directory trees.

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// One raw tar entry.
pub struct Raw {
    pub name: Vec<u8>,
    /// b'0' file, b'1' hardlink, b'2' symlink, b'3' char, b'4' block,
    /// b'5' dir, b'6' fifo, b'L' GNU long name, b'x' pax.
    pub kind: u8,
    pub link: Vec<u8>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub data: Vec<u8>,
    /// pax records written before the entry (`key`, `value`).
    pub pax: Vec<(String, Vec<u8>)>,
}

impl Raw {
    pub fn new(kind: u8, name: &str) -> Raw {
        Raw {
            name: name.as_bytes().to_vec(),
            kind,
            link: Vec::new(),
            mode: if kind == b'5' { 0o755 } else { 0o644 },
            uid: 0,
            gid: 0,
            data: Vec::new(),
            pax: Vec::new(),
        }
    }
    pub fn file(name: &str, data: &[u8]) -> Raw {
        let mut r = Raw::new(b'0', name);
        r.data = data.to_vec();
        r
    }
    pub fn dir(name: &str) -> Raw {
        Raw::new(b'5', name)
    }
    pub fn symlink(name: &str, target: &str) -> Raw {
        let mut r = Raw::new(b'2', name);
        r.link = target.as_bytes().to_vec();
        r.mode = 0o777;
        r
    }
    pub fn hardlink(name: &str, target: &str) -> Raw {
        let mut r = Raw::new(b'1', name);
        r.link = target.as_bytes().to_vec();
        r
    }
    pub fn with_mode(mut self, mode: u32) -> Raw {
        self.mode = mode;
        self
    }
    pub fn with_pax(mut self, key: &str, value: &[u8]) -> Raw {
        self.pax.push((key.to_string(), value.to_vec()));
        self
    }
}

fn octal(field: &mut [u8], v: u64) {
    let s = format!("{:0width$o}", v, width = field.len() - 1);
    field[..s.len()].copy_from_slice(s.as_bytes());
    field[field.len() - 1] = 0;
}

fn header(
    name: &[u8],
    kind: u8,
    link: &[u8],
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
) -> [u8; 512] {
    let mut h = [0u8; 512];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name[..n]);
    octal(&mut h[100..108], mode as u64);
    octal(&mut h[108..116], uid as u64);
    octal(&mut h[116..124], gid as u64);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 1_700_000_000);
    h[156] = kind;
    let l = link.len().min(100);
    h[157..157 + l].copy_from_slice(&link[..l]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| *b as u32).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    h
}

fn push_data(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(data);
    let pad = (512 - data.len() % 512) % 512;
    out.extend(std::iter::repeat_n(0u8, pad));
}

/// A tar stream of `entries` with the two zero blocks at the end.
pub fn tar(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        if !e.pax.is_empty() {
            let mut body = Vec::new();
            for (k, v) in &e.pax {
                // "LEN key=value\n" where LEN counts itself.
                let rest = k.len() + v.len() + 3;
                let mut len = rest + 1;
                while len.to_string().len() + rest != len {
                    len += 1;
                }
                body.extend_from_slice(format!("{len} {k}=").as_bytes());
                body.extend_from_slice(v);
                body.push(b'\n');
            }
            out.extend_from_slice(&header(
                b"PaxHeader",
                b'x',
                b"",
                0o644,
                0,
                0,
                body.len() as u64,
            ));
            push_data(&mut out, &body);
        }
        let size = if e.kind == b'0' || e.kind == b'L' {
            e.data.len() as u64
        } else {
            0
        };
        out.extend_from_slice(&header(
            &e.name, e.kind, &e.link, e.mode, e.uid, e.gid, size,
        ));
        if size > 0 {
            push_data(&mut out, &e.data);
        }
    }
    out.extend(std::iter::repeat_n(0u8, 1024));
    out
}

/// A GNU long-name entry followed by `entry` (whose own name is cut).
pub fn long_name(name: &str, mut entry: Raw) -> Vec<Raw> {
    let mut l = Raw::new(b'L', "././@LongLink");
    let mut d = name.as_bytes().to_vec();
    d.push(0);
    l.data = d;
    entry.name = b"placeholder".to_vec();
    vec![l, entry]
}

/// Read one xattr of `path` (not following a symlink); None when unset.
pub fn xattr(path: &Path, key: &str) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let p = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    let k = std::ffi::CString::new(key).unwrap();
    let mut buf = vec![0u8; 4096];
    // SAFETY: valid C strings and buffer.
    let n = unsafe { libc::lgetxattr(p.as_ptr(), k.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return None;
    }
    buf.truncate(n as usize);
    Some(buf)
}

/// One line per path below `dir`: type, mode, owner, and the content's
/// hash (files), the target (symlinks), the device numbers, the
/// security.capability xattr; hardlinked files name their first path.
/// `skip` drops paths (relative, no leading `/`) and everything below them.
pub fn tree(dir: &Path, skip: &[&str]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut inodes: BTreeMap<(u64, u64), String> = BTreeMap::new();
    walk(dir, dir, skip, &mut out, &mut inodes);
    out
}

fn walk(
    root: &Path,
    dir: &Path,
    skip: &[&str],
    out: &mut BTreeMap<String, String>,
    inodes: &mut BTreeMap<(u64, u64), String>,
) {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in names {
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if skip
            .iter()
            .any(|s| rel == *s || rel.starts_with(&format!("{s}/")))
        {
            continue;
        }
        let m = std::fs::symlink_metadata(&p).unwrap();
        let ft = m.file_type();
        let mode = m.mode() & 0o7777;
        let base = format!("{:o} {}:{}", mode, m.uid(), m.gid());
        let cap = xattr(&p, "security.capability")
            .map(|v| format!(" cap={}", crate::image::sha256_hex(&v)))
            .unwrap_or_default();
        let desc = if ft.is_dir() {
            format!("dir {base}{cap}")
        } else if ft.is_symlink() {
            format!(
                "symlink {base} -> {}",
                std::fs::read_link(&p).unwrap().display()
            )
        } else if ft.is_file() {
            let key = (m.dev(), m.ino());
            if m.nlink() > 1 {
                if let Some(first) = inodes.get(&key) {
                    out.insert(rel, format!("hardlink -> {first}"));
                    continue;
                }
                inodes.insert(key, rel.clone());
            }
            let content = std::fs::read(&p).unwrap();
            format!("file {base} {}{cap}", crate::image::sha256_hex(&content))
        } else if ft.is_fifo() {
            format!("fifo {base}")
        } else if ft.is_char_device() {
            format!("char {base} {}", m.rdev())
        } else if ft.is_block_device() {
            format!("block {base} {}", m.rdev())
        } else {
            format!("other {base}")
        };
        out.insert(rel, desc);
        if ft.is_dir() {
            walk(root, &p, skip, out, inodes);
        }
    }
}
