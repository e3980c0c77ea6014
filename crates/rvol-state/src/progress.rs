//! Progress on long work, on a terminal only (docker's rule: stderr a
//! tty, else nothing): `ID: Loading layer [=====>    ] 12.3MB/95MB` per
//! layer (docker load's line, sizes in go-units' HumanSize) and a byte
//! count for work whose size is not known ahead (`Copying 12.3MB`).
//! Without a terminal every bar is `None`: one branch per update, no
//! thread, no allocation; isatty is asked once per process.
//! indicatif draws (rate-limited redraws, several bars at once for the
//! layers unpacked in parallel).

use std::io::{self, Read, Write};
use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// The process's bars, when stderr is a terminal.
fn multi() -> Option<&'static MultiProgress> {
    static M: OnceLock<Option<MultiProgress>> = OnceLock::new();
    M.get_or_init(|| {
        // SAFETY: isatty on a standard fd.
        (unsafe { libc::isatty(2) } == 1)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)))
    })
    .as_ref()
}

fn human(state: &ProgressState, w: &mut dyn std::fmt::Write, v: u64) {
    let _ = state;
    let _ = w.write_str(&crate::du::human_size(v));
}

/// One bar, or nothing.
#[derive(Clone, Default)]
pub struct Bar(Option<ProgressBar>);

impl Bar {
    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish();
        }
    }
}

/// docker load's per-layer line: `ID: Loading layer [==>   ] DONE/TOTAL`.
pub fn layer(id: &str, total: u64) -> Bar {
    let Some(m) = multi() else {
        return Bar(None);
    };
    let style = ProgressStyle::with_template("{prefix}: Loading layer [{bar:50}] {done}/{all}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
        .with_key("done", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            human(s, w, s.pos())
        })
        .with_key("all", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            human(s, w, s.len().unwrap_or(0))
        });
    let short: String = id.trim_start_matches("sha256:").chars().take(12).collect();
    let b = m.add(ProgressBar::new(total).with_style(style).with_prefix(short));
    Bar(Some(b))
}

/// Bytes done of work of unknown size: `VERB 12.3MB`.
pub fn bytes(verb: &'static str) -> Bar {
    let Some(m) = multi() else {
        return Bar(None);
    };
    let style = ProgressStyle::with_template("{prefix} {done}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key("done", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            human(s, w, s.pos())
        });
    Bar(Some(m.add(
        ProgressBar::no_length().with_style(style).with_prefix(verb),
    )))
}

/// A reader whose bytes move a bar.
pub struct Counted<R> {
    pub inner: R,
    pub bar: Bar,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// A writer whose bytes move a bar.
pub struct CountedW<W> {
    pub inner: W,
    pub bar: Bar,
}

impl<W: Write> Write for CountedW<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
