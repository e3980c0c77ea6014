//! The client end of attach.sock (relay.rs): `rvol attach` (`rvol-ns
//! --attach --bundle B`), and the front of `run -it`, which is an attach
//! client of its own supervisor from the start (main.rs): the container
//! must outlive a detach, so the process that holds it is not the one the
//! user's shell waits for.
//!
//! With a terminal: the user's terminal in raw mode, its input written
//! into the master (ctrl-p ctrl-q detach), its size set there (at once
//! and at each SIGWINCH), the master's output as the supervisor sends it.
//! Without: the output streams, and signals passed on.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use rvol_state::{console, Error, Result, ResultExt};

use crate::relay::{self, write_all};
use crate::terminal::{self, DetachKeys, RawMode};

/// How an attach ended.
pub enum Ended {
    /// The container ended with this status.
    Exited(i32),
    /// ctrl-p ctrl-q: the container runs on.
    Detached,
    /// Signal N reached this client (an `attach` without signal passing).
    Signaled(i32),
    /// The supervisor went away without an exit status (killed).
    Lost,
}

/// Connect to the attach socket of `bundle`; None when nobody serves it
/// (the container is not running, or has no terminal and is attached).
pub fn connect(bundle: &Path) -> Result<Option<OwnedFd>> {
    use nix::sys::socket::{self, SockFlag, SockType, UnixAddr};
    let dir = std::fs::File::open(bundle).with_ctx(|| format!("open {}", bundle.display()))?;
    let path = relay::socket_path(&dir);
    let fd = socket::socket(
        socket::AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .ctx("socket")?;
    let addr = UnixAddr::new(&path).ctx("attach socket")?;
    match socket::connect(fd.as_raw_fd(), &addr) {
        Ok(()) => Ok(Some(fd)),
        Err(nix::errno::Errno::ENOENT | nix::errno::Errno::ECONNREFUSED) => Ok(None),
        Err(e) => Err(Error::new(format!(
            "connect to {}: {}",
            bundle.join(relay::SOCKET).display(),
            e.desc()
        ))),
    }
}

/// Who we are to the container.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `run -it`'s front: every signal goes on to the container.
    Front,
    /// `rvol attach`: signals go on to a container without a terminal
    /// (docker's --sig-proxy, which it ignores for a tty); with one they
    /// end this client. The first resize nudges a redraw.
    Attach,
}

/// Relay the user's side over `sock` until the container ends or the user
/// detaches. `interactive`: stdin is passed on (and, when it is a terminal
/// and the container has one, put in raw mode). INT TERM HUP QUIT USR1
/// USR2 go to the container or end this client only (restoring the
/// terminal first), as `role` says.
pub fn run(sock: OwnedFd, interactive: bool, role: Role) -> Result<Ended> {
    let mut set = SigSet::empty();
    for s in crate::supervise::FORWARDED {
        // An ignored signal is dropped even while blocked (a background
        // job's INT and QUIT): the default back first, as supervise.rs.
        // SAFETY: setting a disposition; no handler is involved.
        unsafe { libc::signal(s as libc::c_int, libc::SIG_DFL) };
        set.add(s);
    }
    set.add(Signal::SIGWINCH);
    set.thread_block().ctx("block signals")?;
    let sfd = SignalFd::with_flags(&set, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
        .ctx("signalfd")?;

    let mut buf = vec![0u8; 64 * 1024];
    let mut master: Option<OwnedFd> = None;
    let mut raw: Option<RawMode> = None;
    let mut keys = DetachKeys::default();
    let mut input = Vec::new();
    let mut stdin_open = interactive;
    // SAFETY: stdin stays open for our whole run.
    let stdin = unsafe { BorrowedFd::borrow_raw(0) };
    let ended = loop {
        let mut fds = vec![
            libc::pollfd {
                fd: sfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: sock.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // Input only once there is a master to write it to.
        if stdin_open && master.is_some() {
            fds.push(libc::pollfd {
                fd: 0,
                events: libc::POLLIN,
                revents: 0,
            });
        }
        // SAFETY: poll on our vector of pollfds.
        if unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) } < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(Error::new(format!("poll: {e}")));
        }
        if fds[0].revents != 0 {
            let mut signaled = None;
            while let Ok(Some(si)) = sfd.read_signal() {
                let sig = si.ssi_signo as i32;
                if sig == libc::SIGWINCH {
                    if let Some(m) = &master {
                        terminal::pass_size(m.as_raw_fd());
                    }
                } else if role == Role::Front || master.is_none() {
                    let _ = nix::sys::socket::send(
                        sock.as_raw_fd(),
                        &[relay::SIGNAL, sig as u8],
                        nix::sys::socket::MsgFlags::MSG_NOSIGNAL,
                    );
                } else {
                    signaled = Some(sig);
                }
            }
            if let Some(sig) = signaled {
                break Ended::Signaled(sig);
            }
        }
        if fds[1].revents != 0 {
            let (n, fd) = console::recv_fd(sock.as_fd(), &mut buf)?;
            if n == 0 {
                break Ended::Lost;
            }
            match buf[0] {
                relay::MASTER => {
                    if let Some(m) = fd {
                        match role {
                            Role::Front => terminal::pass_size(m.as_raw_fd()),
                            Role::Attach => terminal::pass_size_redrawn(m.as_raw_fd()),
                        }
                        // SAFETY: isatty on stdin.
                        if interactive && raw.is_none() && unsafe { libc::isatty(0) } == 1 {
                            raw = Some(RawMode::enter(stdin)?);
                        }
                        master = Some(m);
                    }
                }
                relay::STDOUT => {
                    write_all(1, &buf[1..n]);
                }
                relay::STDERR => {
                    write_all(2, &buf[1..n]);
                }
                relay::EXIT => {
                    let code = std::str::from_utf8(&buf[1..n])
                        .ok()
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(rvol_state::error::EXIT_OWN);
                    break Ended::Exited(code);
                }
                _ => {}
            }
        }
        if fds.len() > 2 && fds[2].revents != 0 {
            // SAFETY: read into our buffer from stdin.
            let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                // EOF (or the terminal hung up): no more input.
                stdin_open =
                    n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR);
                continue;
            }
            let detach = keys.filter(&buf[..n as usize], &mut input);
            if let Some(m) = &master {
                write_all(m.as_raw_fd(), &input);
            }
            if detach {
                let _ = nix::sys::socket::send(
                    sock.as_raw_fd(),
                    &[relay::DETACHED],
                    nix::sys::socket::MsgFlags::MSG_NOSIGNAL,
                );
                break Ended::Detached;
            }
        }
    };
    drop(raw);
    Ok(ended)
}
