//! Tar headers written byte by byte, so that the same tree always gives the
//! same stream: ustar headers with empty uname/gname and no atime/ctime, and
//! a PAX extended header only when a field does not fit ustar (long names,
//! large numbers) or the entry carries xattrs (`SCHILY.xattr.*`, as Go's
//! archive/tar writes them, which docker and skopeo read).

use std::io::{self, Write};

pub const BLOCK: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    HardLink,
    Symlink,
    Char,
    Block,
    Dir,
    Fifo,
}

impl Kind {
    fn flag(self) -> u8 {
        match self {
            Kind::File => b'0',
            Kind::HardLink => b'1',
            Kind::Symlink => b'2',
            Kind::Char => b'3',
            Kind::Block => b'4',
            Kind::Dir => b'5',
            Kind::Fifo => b'6',
        }
    }
}

/// One entry's header fields. `name` is relative, without a leading `./`;
/// directories end in `/` (as docker writes them).
pub struct Entry {
    pub name: Vec<u8>,
    pub kind: Kind,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    pub mtime: i64,
    pub link: Vec<u8>,
    pub dev_major: u32,
    pub dev_minor: u32,
    /// Sorted by name by the caller.
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Entry {
    pub fn new(name: Vec<u8>, kind: Kind) -> Entry {
        Entry {
            name,
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: 0,
            mtime: 0,
            link: Vec::new(),
            dev_major: 0,
            dev_minor: 0,
            xattrs: Vec::new(),
        }
    }
}

/// Largest value an octal field of `len` bytes holds (len-1 digits + NUL).
fn octal_max(len: usize) -> u64 {
    (1u64 << (3 * (len as u32 - 1))) - 1
}

fn put_octal(field: &mut [u8], v: u64) {
    let digits = field.len() - 1;
    let s = format!("{v:0digits$o}");
    field[..digits].copy_from_slice(s.as_bytes());
    field[digits] = 0;
}

/// Split a long name into ustar's prefix (<= 155) and name (<= 100) at a `/`.
fn split_ustar(name: &[u8]) -> Option<(&[u8], &[u8])> {
    if name.len() <= 100 {
        return Some((&[], name));
    }
    // A trailing '/' (directory) must stay in the name part.
    let search = &name[..name.len() - 1];
    for (i, &b) in search.iter().enumerate() {
        if b == b'/' && i <= 155 && name.len() - i - 1 <= 100 && i > 0 {
            return Some((&name[..i], &name[i + 1..]));
        }
    }
    None
}

fn pax_record(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    // "LEN key=value\n" where LEN counts itself.
    let body = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    out.extend_from_slice(len.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key);
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// The numeric fields of one ustar header, already fitted to their widths.
struct Fields {
    flag: u8,
    mode: u32,
    uid: u64,
    gid: u64,
    size: u64,
    mtime: u64,
    dev: (u32, u32),
}

fn header_block(name: &[u8], prefix: &[u8], link: &[u8], f: &Fields) -> [u8; BLOCK] {
    let Fields {
        flag,
        mode,
        uid,
        gid,
        size,
        mtime,
        dev,
    } = *f;
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name);
    put_octal(&mut h[100..108], mode as u64);
    put_octal(&mut h[108..116], uid);
    put_octal(&mut h[116..124], gid);
    put_octal(&mut h[124..136], size);
    put_octal(&mut h[136..148], mtime);
    h[156] = flag;
    h[157..157 + link.len()].copy_from_slice(link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    if matches!(flag, b'3' | b'4') {
        put_octal(&mut h[329..337], dev.0 as u64);
        put_octal(&mut h[337..345], dev.1 as u64);
    }
    h[345..345 + prefix.len()].copy_from_slice(prefix);
    // The checksum is computed with its own field as spaces.
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    h
}

/// Zero bytes that pad `len` bytes of data to a whole block.
pub fn padding(len: u64) -> usize {
    (BLOCK - (len % BLOCK as u64) as usize) % BLOCK
}

/// Write the header(s) of one entry: a PAX header first when needed.
/// The caller writes `size` bytes of data and [`padding`] after it.
pub fn write_header(w: &mut impl Write, e: &Entry) -> io::Result<()> {
    let mut pax = Vec::new();
    let (prefix, name) = match split_ustar(&e.name) {
        Some(pn) => pn,
        None => {
            pax_record(&mut pax, b"path", &e.name);
            (&[][..], &e.name[..e.name.len().min(100)])
        }
    };
    let link: &[u8] = if e.link.len() > 100 {
        pax_record(&mut pax, b"linkpath", &e.link);
        &e.link[..100]
    } else {
        &e.link
    };
    let mut num = |key: &[u8], v: u64, len: usize| -> u64 {
        if v > octal_max(len) {
            pax_record(&mut pax, key, v.to_string().as_bytes());
            0
        } else {
            v
        }
    };
    let uid = num(b"uid", e.uid, 8);
    let gid = num(b"gid", e.gid, 8);
    let size = num(b"size", e.size, 12);
    let mtime = if e.mtime < 0 {
        pax_record(&mut pax, b"mtime", e.mtime.to_string().as_bytes());
        0
    } else {
        num(b"mtime", e.mtime as u64, 12)
    };
    for (k, v) in &e.xattrs {
        let mut key = b"SCHILY.xattr.".to_vec();
        key.extend_from_slice(k);
        pax_record(&mut pax, &key, v);
    }
    if !pax.is_empty() {
        // Go's archive/tar names it DIR/PaxHeaders.0/BASE.
        let trimmed = e.name.strip_suffix(b"/").unwrap_or(&e.name);
        let (dir, base) = match trimmed.iter().rposition(|&b| b == b'/') {
            Some(i) => (&trimmed[..=i], &trimmed[i + 1..]),
            None => (&b""[..], trimmed),
        };
        let mut pname = dir.to_vec();
        pname.extend_from_slice(b"PaxHeaders.0/");
        pname.extend_from_slice(base);
        pname.truncate(100);
        let pax_fields = Fields {
            flag: b'x',
            mode: 0,
            uid: 0,
            gid: 0,
            size: pax.len() as u64,
            mtime: 0,
            dev: (0, 0),
        };
        let h = header_block(&pname, &[], &[], &pax_fields);
        w.write_all(&h)?;
        w.write_all(&pax)?;
        w.write_all(&[0u8; BLOCK][..padding(pax.len() as u64)])?;
    }
    let h = header_block(
        name,
        prefix,
        link,
        &Fields {
            flag: e.kind.flag(),
            mode: e.mode & 0o7777,
            uid,
            gid,
            size,
            mtime,
            dev: (e.dev_major, e.dev_minor),
        },
    );
    w.write_all(&h)
}

/// The two zero blocks that end an archive.
pub fn write_end(w: &mut impl Write) -> io::Result<()> {
    w.write_all(&[0u8; 2 * BLOCK])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_back(bytes: &[u8]) -> Vec<(String, u64, Option<String>)> {
        let mut a = tar::Archive::new(bytes);
        a.entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let p = String::from_utf8_lossy(&e.path_bytes()).into_owned();
                let x = e
                    .pax_extensions()
                    .unwrap()
                    .map(|exts| {
                        exts.filter_map(|x| x.ok())
                            .filter(|x| x.key().unwrap_or("").starts_with("SCHILY"))
                            .map(|x| x.key().unwrap().to_string())
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .filter(|s| !s.is_empty());
                (p, e.header().size().unwrap(), x)
            })
            .collect()
    }

    #[test]
    fn short_long_and_xattr_names_read_back() {
        let long = format!("{}/{}", "d".repeat(120), "f".repeat(90));
        let very_long = "x".repeat(300);
        let mut out = Vec::new();
        let mut e = Entry::new(b"a/b".to_vec(), Kind::File);
        e.size = 3;
        e.xattrs = vec![(b"user.k".to_vec(), b"v".to_vec())];
        write_header(&mut out, &e).unwrap();
        out.extend_from_slice(b"abc");
        out.extend(std::iter::repeat_n(0, padding(3)));
        write_header(&mut out, &Entry::new(long.clone().into_bytes(), Kind::File)).unwrap();
        write_header(
            &mut out,
            &Entry::new(very_long.clone().into_bytes(), Kind::File),
        )
        .unwrap();
        write_end(&mut out).unwrap();
        let got = read_back(&out);
        assert_eq!(
            got[0],
            ("a/b".into(), 3, Some("SCHILY.xattr.user.k".into()))
        );
        assert_eq!(got[1].0, long);
        assert_eq!(got[2].0, very_long);
    }

    #[test]
    fn pax_length_counts_itself() {
        let mut v = Vec::new();
        pax_record(&mut v, b"path", &[b'a'; 90]);
        assert_eq!(v.len(), 99);
        assert!(v.starts_with(b"99 path="));
        let mut v = Vec::new();
        pax_record(&mut v, b"path", &[b'a'; 91]);
        assert_eq!(v.len(), 101);
        assert!(v.starts_with(b"101 path="));
    }
}
