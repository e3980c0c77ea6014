//! A layer blob written while the tar stream is made: the caller's thread
//! hashes the plain tar (the diff_id) and hands chunks to a second thread
//! that compresses and streams the result into the store's blob writer
//! (which hashes it and renames it to its digest). Two cores work at once,
//! and nothing is buffered beyond a few chunks.

use std::io::{self, BufWriter, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use rvol_state::store::{self, Store};
use rvol_state::{Error, Result, ResultExt};
use sha2::{Digest, Sha256};

use crate::digest::hex_digest;

const CHUNK: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    pub fn parse(s: &str) -> Option<Compression> {
        match s {
            "gzip" => Some(Compression::Gzip),
            "zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }
    pub fn media_type(self) -> &'static str {
        match self {
            Compression::Gzip => store::MEDIA_LAYER_GZIP,
            Compression::Zstd => store::MEDIA_LAYER_ZSTD,
        }
    }
}

/// What a finished blob is.
pub struct Written {
    /// sha256 of the plain tar stream.
    pub diff_id: String,
    /// sha256 of the compressed blob.
    pub digest: String,
    /// Size of the compressed blob.
    pub size: u64,
}

type Worker = JoinHandle<Result<(String, u64)>>;

pub struct LayerWriter {
    buf: Vec<u8>,
    diff: Sha256,
    tx: Option<SyncSender<Vec<u8>>>,
    worker: Option<Worker>,
}

impl LayerWriter {
    /// Start a layer blob in `store` (a temp file there until finished;
    /// removed if this is dropped unfinished).
    pub fn create(store: &Store, compression: Compression) -> Result<LayerWriter> {
        let out = store.blob_writer()?;
        let (tx, rx) = sync_channel::<Vec<u8>>(4);
        let worker = std::thread::spawn(move || compress(rx, out, compression));
        Ok(LayerWriter {
            buf: Vec::with_capacity(CHUNK),
            diff: Sha256::new(),
            tx: Some(tx),
            worker: Some(worker),
        })
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.diff.update(&chunk);
        let sent = self.tx.as_ref().map(|tx| tx.send(chunk).is_ok());
        if sent != Some(true) {
            // The worker stopped: its error says why.
            let why = self.join().err().map(|e| e.msg);
            return Err(io::Error::other(
                why.unwrap_or_else(|| "compressor stopped".into()),
            ));
        }
        Ok(())
    }

    fn join(&mut self) -> Result<(String, u64)> {
        self.tx = None;
        match self.worker.take() {
            Some(w) => w
                .join()
                .unwrap_or_else(|_| Err(Error::new("compressor panicked"))),
            None => Err(Error::new("compressor already stopped")),
        }
    }

    /// Flush the last chunk, wait for the compressor, and put the blob
    /// under its digest.
    pub fn finish(mut self) -> Result<Written> {
        self.send().ctx("write layer")?;
        let (digest, size) = self.join()?;
        let diff = std::mem::take(&mut self.diff);
        Ok(Written {
            diff_id: hex_digest(diff),
            digest,
            size,
        })
    }
}

impl Write for LayerWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.send()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LayerWriter {
    fn drop(&mut self) {
        // Unfinished: the worker ends when the channel closes, and its
        // store blob writer, dropped unfinished, removes its temp file.
        if self.worker.is_some() {
            let _ = self.join();
        }
    }
}

fn compress(
    rx: Receiver<Vec<u8>>,
    out: store::BlobWriter,
    c: Compression,
) -> Result<(String, u64)> {
    let out = BufWriter::with_capacity(CHUNK, out);
    let r: io::Result<_> = (|| {
        Ok(match c {
            Compression::Gzip => {
                // Level 1: the layer is written once per commit and read once
                // per unpack; speed matters more than the last percent of size.
                let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::new(1));
                for chunk in rx {
                    enc.write_all(&chunk)?;
                }
                enc.finish()?
            }
            Compression::Zstd => {
                let mut enc = zstd::stream::write::Encoder::new(out, 3)?;
                for chunk in rx {
                    enc.write_all(&chunk)?;
                }
                enc.finish()?
            }
        })
    })();
    let out = r.ctx("compress layer")?;
    let blob = out
        .into_inner()
        .map_err(|e| e.into_error())
        .ctx("write layer blob")?;
    blob.finish(None)
}
