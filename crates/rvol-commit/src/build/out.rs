//! The build's lines on stdout, or, with `-q`, kept until the end: docker's
//! quiet build prints only the id, and everything when a step fails.

use std::io::Write;

pub struct Out {
    quiet: bool,
    kept: Vec<u8>,
}

impl Out {
    pub fn new(quiet: bool) -> Out {
        Out {
            quiet,
            kept: Vec::new(),
        }
    }

    pub fn quiet(&self) -> bool {
        self.quiet
    }

    pub fn line(&mut self, s: &str) {
        self.bytes(format!("{s}\n").as_bytes());
    }

    /// A step's own output (RUN), as it comes.
    pub fn bytes(&mut self, b: &[u8]) {
        if self.quiet {
            self.kept.extend_from_slice(b);
        } else {
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(b);
            let _ = o.flush();
        }
    }

    /// A failed quiet build shows what it kept (on stderr, as docker's).
    pub fn flush_all(&mut self) {
        if self.quiet && !self.kept.is_empty() {
            let _ = std::io::stderr().write_all(&self.kept);
            self.kept.clear();
        }
    }
}
