//! One error type for the toolkit: a message with context, and the exit
//! status it maps to (125 our own failure, 126 cannot run, 127 not found).

use std::fmt;

/// Exit status for the tool's own failures (usage included), as docker.
pub const EXIT_OWN: i32 = 125;
/// The command exists but cannot be run.
pub const EXIT_CANNOT_RUN: i32 = 126;
/// The command is not found.
pub const EXIT_NOT_FOUND: i32 = 127;

#[derive(Debug)]
pub struct Error {
    pub msg: String,
    pub code: i32,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(msg: impl Into<String>) -> Self {
        Error {
            msg: msg.into(),
            code: EXIT_OWN,
        }
    }
    pub fn with_code(mut self, code: i32) -> Self {
        self.code = code;
        self
    }
    /// Prefix the message with what was being done: `layer sha256:..: <msg>`.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.msg = format!("{what}: {}", self.msg);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(e.to_string())
    }
}

impl From<nix::Error> for Error {
    fn from(e: nix::Error) -> Self {
        Error::new(e.desc())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::new(e.to_string())
    }
}

impl From<lexopt::Error> for Error {
    fn from(e: lexopt::Error) -> Self {
        Error::new(e.to_string())
    }
}

/// `.ctx("what")` on any result whose error converts into ours.
pub trait ResultExt<T> {
    fn ctx(self, what: impl fmt::Display) -> Result<T>;
    fn with_ctx<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for std::result::Result<T, E> {
    fn ctx(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| e.into().context(what))
    }
    fn with_ctx<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|e| e.into().context(what()))
    }
}

/// The end of every `main`: print `rvol-<tool>: <msg>` and exit with its
/// status. A broken pipe on stdout is not worth a message.
pub fn exit_with(tool: &str, r: Result<i32>) -> ! {
    match r {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // An empty message: the failure was already reported upstream.
            if !e.msg.is_empty() && !e.msg.ends_with("Broken pipe (os error 32)") {
                eprintln!("{tool}: {}", e.msg);
            }
            std::process::exit(e.code)
        }
    }
}

/// An errno as Go prints it (`no such file or directory`): docker's texts
/// quote the Go error, Rust's adds ` (os error N)` and a capital.
pub fn go_text(e: &std::io::Error) -> String {
    if let Some(n) = e.raw_os_error() {
        return errno_text(n);
    }
    let s = e.to_string();
    let s = s.split(" (os error").next().unwrap_or(&s);
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The status docker's CLI gives a run whose start failed with `msg`
/// (its container-start error mapping): 127 for a missing file or
/// command, 126 for a refused one, else 125.
pub fn cli_start_status(msg: &str) -> i32 {
    if msg.contains("executable file not found") || msg.contains("no such file or directory") {
        EXIT_NOT_FOUND
    } else if msg.contains("permission denied") {
        EXIT_CANNOT_RUN
    } else {
        EXIT_OWN
    }
}
/// An errno as Go's syscall.Errno prints it, the way docker's texts carry
/// it: `no such file or directory`, `operation not permitted`.
pub fn errno_text(errno: i32) -> String {
    let s = nix::errno::Errno::from_raw(errno).desc();
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
