//! The user's terminal, as docker's CLI handles it for `-it` and attach:
//! raw mode while attached (and always put back: on every return, and on
//! the signals the caller catches), its size passed on, and the detach
//! keys (ctrl-p ctrl-q, docker's default) picked out of the input.
//! Shared by `run -it`'s front and `attach` (attach.rs), and meant for
//! `exec -it` as well.

use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use nix::sys::termios::{self, SetArg, Termios};
use rvol_state::{Result, ResultExt};

/// The terminal in raw mode for as long as this lives.
pub struct RawMode {
    fd: RawFd,
    saved: Termios,
}

impl RawMode {
    /// Raw mode on `fd` (cfmakeraw, as moby/term's MakeRaw: no echo, no
    /// line editing, no signals from keys, no output processing): ctrl-c
    /// is a byte for the container's own line discipline.
    pub fn enter(fd: BorrowedFd) -> Result<RawMode> {
        let saved = termios::tcgetattr(fd).ctx("read the terminal's mode")?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(fd, SetArg::TCSANOW, &raw).ctx("put the terminal in raw mode")?;
        Ok(RawMode {
            fd: fd.as_raw_fd(),
            saved,
        })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: the descriptor outlives us (stdin), we only borrow it.
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        let _ = termios::tcsetattr(fd, SetArg::TCSANOW, &self.saved);
    }
}

/// The size of the user's terminal: stdout's (docker's CLI resizes by its
/// output stream), else stdin's.
pub fn user_size() -> Option<libc::winsize> {
    rvol_state::console::window_size(1).or_else(|| rvol_state::console::window_size(0))
}

/// Pass the user's size on to `master` (a resize the kernel signals to
/// the container's foreground group as SIGWINCH).
pub fn pass_size(master: RawFd) {
    if let Some(ws) = user_size() {
        let _ = rvol_state::console::set_window_size(master, &ws);
    }
}

/// `attach`'s first resize, as docker's CLI makes it: one row and column
/// more, then the real size, so that the size changes and the container's
/// foreground program (a shell at its prompt) redraws on the SIGWINCH,
/// for the second attach as for the first.
pub fn pass_size_redrawn(master: RawFd) {
    if let Some(mut ws) = user_size() {
        ws.ws_row += 1;
        ws.ws_col += 1;
        let _ = rvol_state::console::set_window_size(master, &ws);
    }
    pass_size(master);
}

const CTRL_P: u8 = 0x10;
const CTRL_Q: u8 = 0x11;

/// docker's escape proxy for its default keys ctrl-p ctrl-q: a ctrl-p is
/// held until the next byte; followed by ctrl-q both are the detach (and
/// never sent), followed by anything else both go on.
#[derive(Default)]
pub struct DetachKeys {
    held: bool,
}

impl DetachKeys {
    /// The bytes of `input` to send on, and whether the keys were typed
    /// (what followed them in `input` is dropped, as docker drops it).
    pub fn filter(&mut self, input: &[u8], out: &mut Vec<u8>) -> bool {
        out.clear();
        for &b in input {
            if self.held {
                self.held = false;
                if b == CTRL_Q {
                    return true;
                }
                out.push(CTRL_P);
            }
            if b == CTRL_P {
                self.held = true;
            } else {
                out.push(b);
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_keys() {
        let mut k = DetachKeys::default();
        let mut out = Vec::new();
        assert!(!k.filter(b"ab\x10", &mut out));
        assert_eq!(out, b"ab");
        assert!(!k.filter(b"x", &mut out));
        assert_eq!(out, b"\x10x");
        assert!(!k.filter(b"\x10", &mut out));
        assert!(k.filter(b"\x11rest", &mut out));
        assert!(out.is_empty());
    }
}
