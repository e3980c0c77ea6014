//! A container's log, `containers/<id>/container.log`, in docker's
//! json-file format: one JSON object per line of output,
//! `{"log":"hello\n","stream":"stdout","time":"2026-12-01T23:36:03.123456789Z"}`.
//! rvol-ns writes it (every container, attached or not: its parent is
//! where the output passes), rvol-inspect's `logs` reads it.
//!
//! As docker's copier: a line is logged once its newline arrives (the
//! newline kept in `log`), a line longer than 16 KiB in pieces of that
//! size, and what is left when the stream ends without a newline as a
//! last entry without one. With a terminal the stream is `stdout` and the
//! lines end in `\r\n`, as the pty's line discipline made them.

use std::io::Write;
use std::path::PathBuf;

use serde::Deserialize;

/// Docker's copier buffer: a longer line is split.
const MAX_LINE: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Appends to the log; the file is made at the first line, so a command
/// that prints nothing costs no file.
pub struct Writer {
    path: PathBuf,
    file: Option<std::fs::File>,
    failed: bool,
    partial: [Vec<u8>; 2],
    out: Vec<u8>,
}

impl Writer {
    pub fn new(path: PathBuf) -> Writer {
        Writer {
            path,
            file: None,
            failed: false,
            partial: [Vec::new(), Vec::new()],
            out: Vec::new(),
        }
    }

    /// Log `data` read from `stream` now: every line it completes.
    pub fn write(&mut self, stream: Stream, data: &[u8]) {
        let time = crate::time::now_nanos();
        let i = stream as usize;
        let mut rest = data;
        while !rest.is_empty() {
            let room = MAX_LINE - self.partial[i].len();
            let take = rest.iter().take(room).position(|b| *b == b'\n');
            match take {
                Some(n) => {
                    self.partial[i].extend_from_slice(&rest[..=n]);
                    rest = &rest[n + 1..];
                }
                None if rest.len() >= room => {
                    self.partial[i].extend_from_slice(&rest[..room]);
                    rest = &rest[room..];
                }
                None => {
                    self.partial[i].extend_from_slice(rest);
                    break;
                }
            }
            let line = std::mem::take(&mut self.partial[i]);
            self.entry(stream, &line, &time);
        }
        self.flush();
    }

    /// The stream ended: what is left of its last line.
    pub fn finish(&mut self) {
        let time = crate::time::now_nanos();
        for stream in [Stream::Stdout, Stream::Stderr] {
            let line = std::mem::take(&mut self.partial[stream as usize]);
            if !line.is_empty() {
                self.entry(stream, &line, &time);
            }
        }
        self.flush();
    }

    fn entry(&mut self, stream: Stream, line: &[u8], time: &str) {
        let log = String::from_utf8_lossy(line);
        let _ = serde_json::to_writer(
            &mut self.out,
            &serde_json::json!({"log": log, "stream": stream.name(), "time": time}),
        );
        self.out.push(b'\n');
    }

    fn flush(&mut self) {
        if self.out.is_empty() {
            return;
        }
        if self.file.is_none() && !self.failed {
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
            {
                Ok(f) => self.file = Some(f),
                Err(e) => {
                    // Once: the container runs on without its log.
                    eprintln!("rvol-ns: log {}: {e}", self.path.display());
                    self.failed = true;
                }
            }
        }
        if let Some(f) = &mut self.file {
            let _ = f.write_all(&self.out);
        }
        self.out.clear();
    }
}

/// One line of the log as read back.
#[derive(Deserialize, Debug)]
pub struct Entry {
    pub log: String,
    pub stream: String,
    pub time: String,
}

/// Parse one line of the log; None for a line that is not an entry (a
/// torn last line of a log being written).
pub fn parse(line: &str) -> Option<Entry> {
    serde_json::from_str(line).ok()
}

/// An entry's time in nanoseconds since the epoch.
pub fn nanos(time: &str) -> Option<i128> {
    let (whole, frac) = match time.split_once('.') {
        Some((w, f)) => (w.to_string() + "Z", f.trim_end_matches('Z')),
        None => (time.to_string(), ""),
    };
    let secs = crate::time::parse_time(&whole)? as i128;
    let digits: String = frac.chars().take_while(char::is_ascii_digit).collect();
    let n: i128 = format!("{digits:0<9}")[..9].parse().ok()?;
    Some(secs * 1_000_000_000 + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(w: &Writer) -> Vec<Entry> {
        std::fs::read_to_string(&w.path)
            .unwrap_or_default()
            .lines()
            .map(|l| parse(l).unwrap())
            .collect()
    }

    #[test]
    fn lines_are_logged_when_complete() {
        let dir = std::env::temp_dir().join(format!("rvol-logfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut w = Writer::new(dir.join("container.log"));
        w.write(Stream::Stdout, b"a\nb");
        w.write(Stream::Stderr, b"e\n");
        assert_eq!(lines(&w).len(), 2);
        w.write(Stream::Stdout, b"c\nd");
        w.finish();
        let got: Vec<(String, String)> = lines(&w).into_iter().map(|e| (e.log, e.stream)).collect();
        let want = [
            ("a\n", "stdout"),
            ("e\n", "stderr"),
            ("bc\n", "stdout"),
            ("d", "stdout"),
        ];
        assert_eq!(
            got,
            want.map(|(l, s)| (l.to_string(), s.to_string())).to_vec()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn time_to_nanos() {
        assert_eq!(nanos("1970-01-01T00:00:01.000000002Z"), Some(1_000_000_002));
        assert_eq!(nanos("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
    }
}
