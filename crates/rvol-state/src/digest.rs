//! sha256 digests (`sha256:<hex>`), computed while bytes stream past:
//! blobs and layers are hashed as they are read or written, never
//! buffered whole. [`HashingReader`] and [`HashingWriter`] wrap a stream
//! and add no copy of their own: they hash the caller's buffer in place.

use std::io::{self, Read, Write};

use sha2::{Digest as _, Sha256};

/// `sha256:<hex>` of some bytes.
pub fn sha256(bytes: &[u8]) -> String {
    let mut h = Hasher::new();
    h.update(bytes);
    h.finish().0
}

/// Lowercase hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

/// A sha256 and the count of bytes it was fed.
#[derive(Clone, Default)]
pub struct Hasher {
    sha: Sha256,
    len: u64,
}

impl Hasher {
    pub fn new() -> Hasher {
        Hasher::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.sha.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// Bytes fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `sha256:<hex>` and the byte count.
    pub fn finish(self) -> (String, u64) {
        let mut s = String::with_capacity(71);
        s.push_str("sha256:");
        s.push_str(&hex(&self.sha.finalize()));
        (s, self.len)
    }
}

/// Hashes and counts what is read through it.
pub struct HashingReader<R> {
    inner: R,
    hash: Hasher,
}

impl<R> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hash: Hasher::new(),
        }
    }

    /// Bytes read so far.
    pub fn size(&self) -> u64 {
        self.hash.len()
    }

    /// The inner reader, `sha256:<hex>` of what was read, and its length.
    pub fn finish(self) -> (R, String, u64) {
        let (digest, len) = self.hash.finish();
        (self.inner, digest, len)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// Hashes and counts what is written through it (what the inner writer
/// took, on a short write).
pub struct HashingWriter<W> {
    inner: W,
    hash: Hasher,
}

impl<W> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hash: Hasher::new(),
        }
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.hash.len()
    }

    /// The inner writer, `sha256:<hex>` of what was written, and its length.
    pub fn finish(self) -> (W, String, u64) {
        let (digest, len) = self.hash.finish();
        (self.inner, digest, len)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Read `r` to its end, in 1 MiB reads, into nothing; returns the byte
/// count. For a [`HashingReader`] whose digest is all that is wanted.
pub fn drain(r: &mut impl Read) -> io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(n),
            Ok(k) => n += k as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC: &str = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn known_digest() {
        assert_eq!(sha256(b"abc"), ABC);
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
    }

    #[test]
    fn reader_and_writer_agree() {
        let mut r = HashingReader::new(&b"abc"[..]);
        assert_eq!(drain(&mut r).unwrap(), 3);
        let (_, d, n) = r.finish();
        assert_eq!((d.as_str(), n), (ABC, 3));

        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"a").unwrap();
        w.write_all(b"bc").unwrap();
        assert_eq!(w.size(), 3);
        let (out, d, n) = w.finish();
        assert_eq!((out.as_slice(), d.as_str(), n), (&b"abc"[..], ABC, 3));
    }
}
