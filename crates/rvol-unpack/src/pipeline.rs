//! A layer blob as a verified stream of tar bytes. A second thread reads
//! the blob, hashes it (the digest), decompresses it and hashes the result
//! (the diff_id), and hands 1 MiB chunks to the thread that creates the
//! files: decompression overlaps file creation, and memory stays a few
//! chunks whatever the layer's size.

use std::io::{self, BufReader, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use rvol_state::store::{hex, MEDIA_LAYER_GZIP, MEDIA_LAYER_TAR, MEDIA_LAYER_ZSTD};
use rvol_state::{Error, Result};
use sha2::{Digest, Sha256};

const CHUNK: usize = 1 << 20;
const IN_FLIGHT: usize = 4;

/// The largest uncompressed layer unpacked (64 GiB): far above real
/// layers, and a stop for a decompression bomb (a few MB of gzip or zstd
/// that inflate to terabytes of tar) before it fills the disk or spins
/// forever. `RVOL_MAX_LAYER_BYTES` sets another limit.
pub const MAX_LAYER_BYTES: u64 = 64 << 30;
pub const MAX_LAYER_BYTES_ENV: &str = "RVOL_MAX_LAYER_BYTES";

/// The most entries one layer may hold (4 Mi; the largest real layers
/// hold a few hundred thousand). `RVOL_MAX_LAYER_ENTRIES` sets another.
pub const MAX_LAYER_ENTRIES: u64 = 4 << 20;
pub const MAX_LAYER_ENTRIES_ENV: &str = "RVOL_MAX_LAYER_ENTRIES";

/// The limit in force: the environment's, else [`MAX_LAYER_BYTES`].
pub fn max_layer_bytes() -> Result<u64> {
    limit(MAX_LAYER_BYTES_ENV, MAX_LAYER_BYTES)
}

/// The limit in force: the environment's, else [`MAX_LAYER_ENTRIES`].
pub fn max_layer_entries() -> Result<u64> {
    limit(MAX_LAYER_ENTRIES_ENV, MAX_LAYER_ENTRIES)
}

fn limit(var: &str, default: u64) -> Result<u64> {
    match std::env::var(var) {
        Err(_) => Ok(default),
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|_| Error::new(format!("{var}={v:?}: not a number"))),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// From a layer descriptor's media type (OCI and docker's names).
    pub fn from_media_type(mt: &str) -> Result<Compression> {
        let base = mt.replace(".nondistributable", "");
        Ok(match base.as_str() {
            MEDIA_LAYER_TAR | "application/vnd.docker.image.rootfs.diff.tar" => Compression::None,
            MEDIA_LAYER_GZIP | "application/vnd.docker.image.rootfs.diff.tar.gzip" => {
                Compression::Gzip
            }
            MEDIA_LAYER_ZSTD | "application/vnd.docker.image.rootfs.diff.tar.zstd" => {
                Compression::Zstd
            }
            _ => return Err(Error::new(format!("unknown layer media type {mt:?}"))),
        })
    }

    /// What the first bytes of a blob say it is.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "uncompressed tar",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// What the stream hashed to, known once it is read to the end.
#[derive(Debug)]
pub struct Sums {
    /// `sha256:` of the blob as stored.
    pub digest: String,
    pub size: u64,
    /// `sha256:` of the uncompressed tar.
    pub diff_id: String,
}

/// Counts and hashes what is read through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
    size: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// The reading end: implements Read over the chunks the worker sends.
pub struct Stream {
    rx: Receiver<Vec<u8>>,
    back: SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    worker: Option<JoinHandle<Result<Sums>>>,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            match self.rx.recv() {
                Ok(next) => {
                    let old = std::mem::replace(&mut self.cur, next);
                    let _ = self.back.try_send(old);
                    self.pos = 0;
                }
                // The worker is done (or failed: `finish` tells which).
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Stream {
    /// Start reading `blob` (already checked to start as `comp` says).
    pub fn start(blob: Box<dyn Read + Send>, comp: Compression) -> Stream {
        let (tx, rx) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (back, back_rx) = sync_channel::<Vec<u8>>(IN_FLIGHT + 2);
        let worker = std::thread::spawn(move || work(blob, comp, tx, back_rx));
        Stream {
            rx,
            back,
            cur: Vec::new(),
            pos: 0,
            worker: Some(worker),
        }
    }

    /// Read what the consumer left (tar's end blocks and padding), then
    /// wait for the worker: the sums, or the first error of the stream.
    pub fn finish(mut self) -> Result<Sums> {
        let mut sink = vec![0u8; 64 * 1024];
        loop {
            match self.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.join()
    }

    /// Stop early (the consumer failed): the worker sees the channel closed.
    /// Returns the worker's own error when it had one first (a truncated
    /// gzip makes the tar reader fail too; the gzip error is the cause).
    pub fn abort(mut self) -> Option<Error> {
        let worker = self.worker.take();
        drop(self);
        match worker.map(|w| w.join()) {
            Some(Ok(Err(e))) if !e.msg.starts_with("consumer gone") => Some(e),
            _ => None,
        }
    }

    fn join(&mut self) -> Result<Sums> {
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(Error::new("decompressor thread panicked")),
            None => Err(Error::new("stream already finished")),
        }
    }
}

fn work(
    blob: Box<dyn Read + Send>,
    comp: Compression,
    tx: SyncSender<Vec<u8>>,
    back: Receiver<Vec<u8>>,
) -> Result<Sums> {
    let src = Hashing {
        inner: blob,
        hash: Sha256::new(),
        size: 0,
    };
    let mut tar_hash = Sha256::new();
    let limit = max_layer_bytes()?;
    let mut src = match comp {
        Compression::None => pump(src, &mut tar_hash, &tx, &back, limit)?,
        Compression::Gzip => {
            let d = flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(CHUNK, src));
            pump(d, &mut tar_hash, &tx, &back, limit)
                .map_err(|e| e.context("gunzip"))?
                .into_inner()
                .into_inner()
        }
        Compression::Zstd => {
            let d = zstd::stream::read::Decoder::with_buffer(BufReader::with_capacity(CHUNK, src))
                .map_err(|e| Error::new(format!("zstd: {e}")))?;
            pump(d, &mut tar_hash, &tx, &back, limit)
                .map_err(|e| e.context("zstd"))?
                .finish()
                .into_inner()
        }
    };
    // Bytes after the compressed stream still belong to the blob's digest.
    io::copy(&mut src, &mut io::sink()).map_err(|e| Error::new(format!("read blob: {e}")))?;
    Ok(Sums {
        digest: format!("sha256:{}", hex(&src.hash.finalize())),
        size: src.size,
        diff_id: format!("sha256:{}", hex(&tar_hash.finalize())),
    })
}

/// Move all of `r` into the channel, hashing it; returns `r` for its inner
/// reader. More than `limit` bytes is an error.
fn pump<R: Read>(
    mut r: R,
    hash: &mut Sha256,
    tx: &SyncSender<Vec<u8>>,
    back: &Receiver<Vec<u8>>,
    limit: u64,
) -> Result<R> {
    let mut total = 0u64;
    loop {
        let mut buf = back.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        let mut n = 0;
        // Fill the chunk: fewer, larger hand-offs.
        while n < CHUNK {
            match r.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::new(e.to_string())),
            }
        }
        if n == 0 {
            return Ok(r);
        }
        buf.truncate(n);
        total += n as u64;
        if total > limit {
            return Err(Error::new(format!(
                "the uncompressed layer is over the limit of {limit} bytes \
                 (a decompression bomb?); {MAX_LAYER_BYTES_ENV} sets another limit"
            )));
        }
        hash.update(&buf);
        if tx.send(buf).is_err() {
            return Err(Error::new("consumer gone"));
        }
        if n < CHUNK {
            // A short fill means EOF was seen; read once more to confirm.
            continue;
        }
    }
}
