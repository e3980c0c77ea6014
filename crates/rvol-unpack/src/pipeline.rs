//! A layer blob as a verified stream of tar bytes. A second thread reads
//! the blob, hashes it (the digest), decompresses it and hashes the result
//! (the diff_id), and hands 1 MiB chunks to the thread that creates the
//! files: decompression overlaps file creation, and memory stays a few
//! chunks whatever the layer's size.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use rvol_state::compress::Compression;
use rvol_state::digest::{self, HashingReader};
use rvol_state::{Error, Result};

const CHUNK: usize = 1 << 20;
const IN_FLIGHT: usize = 4;
/// The worker's error when the reading end went away first.
const CONSUMER_GONE: &str = "consumer gone";

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

/// What the stream hashed to, known once it is read to the end.
#[derive(Debug)]
pub struct Sums {
    /// `sha256:` of the blob as stored.
    pub digest: String,
    pub size: u64,
    /// `sha256:` of the uncompressed tar.
    pub diff_id: String,
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

/// A blob hashed as it is read, in 1 MiB reads (the decoders read its
/// buffer in place).
type Source<R> = BufReader<HashingReader<R>>;

impl Stream {
    /// Start reading `blob`, a layer of media type `media_type`: its first
    /// bytes must say the same compression.
    pub fn start<R: Read + Send + 'static>(blob: R, media_type: &str) -> Result<Stream> {
        let comp = Compression::from_media_type(media_type)?;
        let mut src = BufReader::with_capacity(CHUNK, HashingReader::new(blob));
        let head = src
            .fill_buf()
            .map_err(|e| Error::new(format!("read blob: {e}")))?;
        let sniffed = Compression::sniff(head);
        if sniffed != comp {
            return Err(Error::new(format!(
                "media type {media_type} says {} but the blob starts as {}",
                comp.name(),
                sniffed.name()
            )));
        }
        let (tx, rx) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (back, back_rx) = sync_channel::<Vec<u8>>(IN_FLIGHT + 2);
        let worker = std::thread::spawn(move || work(src, comp, tx, back_rx));
        Ok(Stream {
            rx,
            back,
            cur: Vec::new(),
            pos: 0,
            worker: Some(worker),
        })
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
            Some(Ok(Err(e))) if e.msg != CONSUMER_GONE => Some(e),
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

fn work<R: Read>(
    src: Source<R>,
    comp: Compression,
    tx: SyncSender<Vec<u8>>,
    back: Receiver<Vec<u8>>,
) -> Result<Sums> {
    // Errors of the decoder are named for it (the consumer's end is not
    // one: `abort` must still tell it from a cause).
    let what = match comp {
        Compression::None => None,
        Compression::Gzip => Some("gunzip"),
        Compression::Zstd => Some("zstd"),
    };
    let named = |e: Error| match what {
        Some(w) if e.msg != CONSUMER_GONE => e.context(w),
        _ => e,
    };
    let limit = max_layer_bytes()?;
    let plain = comp
        .decoder(src)
        .map_err(|e| named(Error::new(e.to_string())))?;
    let (plain, diff_id, _) = pump(HashingReader::new(plain), &tx, &back, limit)
        .map_err(named)?
        .finish();
    // Bytes after the compressed stream still belong to the blob's digest
    // (what the decoder's buffer held of them is hashed already).
    let mut blob = plain.into_inner().into_inner();
    digest::drain(&mut blob).map_err(|e| Error::new(format!("read blob: {e}")))?;
    let (_, digest, size) = blob.finish();
    Ok(Sums {
        digest,
        size,
        diff_id,
    })
}

/// Move all of `r` into the channel (it hashes what passes); returns `r`.
/// More than `limit` bytes is an error.
fn pump<R: Read>(
    mut r: HashingReader<R>,
    tx: &SyncSender<Vec<u8>>,
    back: &Receiver<Vec<u8>>,
    limit: u64,
) -> Result<HashingReader<R>> {
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
        if r.size() > limit {
            return Err(Error::new(format!(
                "the uncompressed layer is over the limit of {limit} bytes \
                 (a decompression bomb?); {MAX_LAYER_BYTES_ENV} sets another limit"
            )));
        }
        if tx.send(buf).is_err() {
            return Err(Error::new(CONSUMER_GONE));
        }
        if n < CHUNK {
            // A short fill means EOF was seen; read once more to confirm.
            continue;
        }
    }
}
