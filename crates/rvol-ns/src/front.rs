//! The user's side of a container with a terminal: `run -it` splits in
//! two before anything else (the supervisor keeps the container, the
//! front the user's terminal, an attach client of the supervisor over a
//! socket pair), and `--attach` connects to a running one's attach.sock.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

use nix::unistd::{fork, ForkResult};
use rvol_state::{Error, Result, ResultExt};

use crate::attach::{self, Ended};

pub enum Split {
    /// We are the front; the container's status (0 after a detach).
    Front(i32),
    /// We are the supervisor; the front's end of the socket pair.
    Supervisor(OwnedFd),
}

/// `-it`: our stdin is a terminal (the verb passes /dev/null without -i).
pub fn interactive() -> bool {
    // SAFETY: isatty on stdin.
    unsafe { libc::isatty(0) == 1 }
}

/// Fork: the child is the supervisor, in a session of its own (the
/// terminal's hang-up is the front's to pass on), its stdio /dev/null (the
/// chain's output reaches the front through the relay); the parent is the
/// process the user's shell waits for.
pub fn split() -> Result<Split> {
    split_with(status)
}

/// `exec -it`: the same split; a detach is docker exec's error, `read
/// escape sequence` with status 1 (a run's detach is silent, 0).
pub fn split_exec() -> Result<Split> {
    split_with(|ended| match ended {
        Ended::Detached => {
            eprintln!("read escape sequence");
            1
        }
        other => status(other),
    })
}

fn split_with(status: fn(Ended) -> i32) -> Result<Split> {
    let (front, sup) = rvol_state::console::socketpair()?;
    if let Some(ws) = crate::terminal::user_size() {
        std::env::set_var(
            rvol_state::console::SIZE_ENV,
            rvol_state::console::size_text(&ws),
        );
    }
    // SAFETY: single-threaded; both sides go on with their own work.
    match unsafe { fork() }.ctx("fork")? {
        ForkResult::Child => {
            drop(front);
            crate::supervise::detach_child()?;
            Ok(Split::Supervisor(sup))
        }
        ForkResult::Parent { .. } => {
            drop(sup);
            Ok(Split::Front(status(attach::run(
                front,
                true,
                attach::Role::Front,
            )?)))
        }
    }
}

/// `rvol attach`: the client of `bundle`'s attach socket.
pub fn attach(bundle: &Path) -> Result<i32> {
    let Some(sock) = attach::connect(bundle)? else {
        return Err(
            Error::new("You cannot attach to a stopped container, start it first").with_code(1),
        );
    };
    Ok(status(attach::run(
        sock,
        interactive(),
        attach::Role::Attach,
    )?))
}

/// The supervisor failed before the container ran: its message and status
/// to the front, which prints them (stderr and the exit status).
pub fn report(front: &OwnedFd, e: &Error) {
    let send = |m: &[u8]| {
        let _ = nix::sys::socket::send(
            front.as_raw_fd(),
            m,
            nix::sys::socket::MsgFlags::MSG_NOSIGNAL,
        );
    };
    send(format!("{}rvol-ns: {}\n", crate::relay::STDERR as char, e.msg).as_bytes());
    send(format!("{}{}", crate::relay::EXIT as char, e.code).as_bytes());
}

fn status(ended: Ended) -> i32 {
    match ended {
        Ended::Exited(code) => code,
        Ended::Detached => 0,
        Ended::Signaled(sig) => 128 + sig,
        Ended::Lost => {
            eprintln!("rvol-ns: the container's supervisor went away");
            rvol_state::error::EXIT_OWN
        }
    }
}
