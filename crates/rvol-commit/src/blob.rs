//! A layer blob written while the tar stream is made: the caller's thread
//! hashes the plain tar (the diff_id) and hands chunks to a second thread
//! that compresses and streams the result into the store's blob writer
//! (which hashes it and renames it to its digest). Two cores work at once,
//! and nothing is buffered beyond a few chunks.

use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use rvol_state::compress::Compression;
use rvol_state::digest::Hasher;
use rvol_state::store::{self, Store};
use rvol_state::{Error, Result, ResultExt};

const CHUNK: usize = 1 << 20;

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
    /// Of the plain tar: the diff_id.
    diff: Hasher,
    tx: Option<SyncSender<Vec<u8>>>,
    worker: Option<Worker>,
    /// Set when dropped unfinished: the worker then leaves no blob behind.
    abort: Arc<AtomicBool>,
}

impl LayerWriter {
    /// Start a layer blob in `store` (a temp file there until finished;
    /// removed if this is dropped unfinished).
    pub fn create(store: &Store, compression: Compression) -> Result<LayerWriter> {
        let out = store.blob_writer()?;
        let (tx, rx) = sync_channel::<Vec<u8>>(4);
        let abort = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&abort);
        let worker = std::thread::spawn(move || compress(rx, out, compression, &stop));
        Ok(LayerWriter {
            buf: Vec::with_capacity(CHUNK),
            diff: Hasher::new(),
            tx: Some(tx),
            worker: Some(worker),
            abort,
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
        let (diff_id, _) = std::mem::take(&mut self.diff).finish();
        Ok(Written {
            diff_id,
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
            self.abort.store(true, Ordering::SeqCst);
            let _ = self.join();
        }
    }
}

fn compress(
    rx: Receiver<Vec<u8>>,
    out: store::BlobWriter,
    c: Compression,
    abort: &AtomicBool,
) -> Result<(String, u64)> {
    let out = BufWriter::with_capacity(CHUNK, out);
    let r: io::Result<_> = (|| {
        Ok(match c {
            Compression::None => {
                let mut out = out;
                for chunk in rx {
                    out.write_all(&chunk)?;
                }
                out
            }
            Compression::Gzip => gzip_parallel(rx, out)?,
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
    if abort.load(Ordering::SeqCst) {
        // The layer was not finished: the blob writer, dropped unfinished,
        // removes its temp file.
        return Err(Error::new("layer abandoned"));
    }
    let blob = out
        .into_inner()
        .map_err(|e| e.into_error())
        .ctx("write layer blob")?;
    blob.finish(None)
}

/// gzip as pigz makes it: the stream is cut into fixed CHUNKs, each
/// deflated on its own (no shared window, so the output depends only on
/// the input and never on which thread did what) and ended with a sync
/// flush; the pieces are written in order between one gzip header and one
/// trailer (CRC-32 combined from the pieces). One ordinary gzip member,
/// which every reader takes, made on every core.
fn gzip_parallel<W: Write + Send>(rx: Receiver<Vec<u8>>, mut out: W) -> io::Result<W> {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    type Piece = io::Result<(Vec<u8>, flate2::Crc)>;
    std::thread::scope(|s| -> io::Result<W> {
        let (job_tx, job_rx) = sync_channel::<(u64, Vec<u8>)>(threads * 2);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done_rx) = sync_channel::<(u64, Piece)>(threads * 2);
        for _ in 0..threads {
            let job_rx = Arc::clone(&job_rx);
            let done_tx = done_tx.clone();
            s.spawn(move || {
                // Level 1: the layer is made once per commit; speed matters
                // more than the last percent of size.
                let mut c = flate2::Compress::new(flate2::Compression::new(1), false);
                loop {
                    let job = job_rx.lock().map(|r| r.recv());
                    let Ok(Ok((i, chunk))) = job else { break };
                    let piece = deflate_piece(&mut c, &chunk);
                    if done_tx.send((i, piece)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        s.spawn(move || {
            for (i, chunk) in rx.into_iter().enumerate() {
                if job_tx.send((i as u64, chunk)).is_err() {
                    break;
                }
            }
        });
        // Header: deflate, no name, mtime 0, "fast" flag, OS unknown.
        out.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 0xff])?;
        let mut crc = flate2::Crc::new();
        let mut pending: BTreeMap<u64, (Vec<u8>, flate2::Crc)> = BTreeMap::new();
        let mut next = 0u64;
        for (i, piece) in done_rx {
            pending.insert(i, piece?);
            while let Some((data, c)) = pending.remove(&next) {
                out.write_all(&data)?;
                crc.combine(&c);
                next += 1;
            }
        }
        if !pending.is_empty() {
            return Err(io::Error::other("gzip: a piece went missing"));
        }
        // An empty final block (fixed Huffman, end of block), then the trailer.
        out.write_all(&[0x03, 0x00])?;
        out.write_all(&crc.sum().to_le_bytes())?;
        out.write_all(&crc.amount().to_le_bytes())?;
        Ok(out)
    })
}

/// One chunk as raw deflate blocks ending in a sync flush, and its CRC.
fn deflate_piece(c: &mut flate2::Compress, data: &[u8]) -> io::Result<(Vec<u8>, flate2::Crc)> {
    c.reset();
    let mut crc = flate2::Crc::new();
    crc.update(data);
    let mut out = Vec::with_capacity(data.len() + data.len() / 16 + 1024);
    let mut input = data;
    loop {
        let before = c.total_in();
        c.compress_vec(input, &mut out, flate2::FlushCompress::Sync)
            .map_err(io::Error::other)?;
        input = &input[(c.total_in() - before) as usize..];
        // Done when all input is in and the flush left room to spare.
        if input.is_empty() && out.len() < out.capacity() {
            break;
        }
        out.reserve(64 * 1024);
    }
    Ok((out, crc))
}
