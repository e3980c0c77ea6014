//! The container's terminal, made as runc makes it (its console-socket
//! pattern): the pty is opened inside the container, in its own devpts
//! instance, and only the master goes back to the process on the host,
//! as a descriptor passed over a unix socket (SCM_RIGHTS).
//!
//! How to use it, both ends (`rvol-ns` + `rvol-exec` for a run; the same
//! for `exec -it`):
//!
//! - the host side, before the fork: `let (host, chain) = console::socketpair()?;`
//!   then in the child `console::pass_on(&chain)` (clears close-on-exec and
//!   sets `$RVOL_CONSOLE_FD`), in the parent `drop(chain)` and
//!   `console::recv_fd(host.as_fd(), &mut [0u8; 1])`: `Ok((_, Some(master)))`
//!   once the pty is made, `Ok((0, None))` when the chain ended (or failed)
//!   without making one;
//! - the container side, once /dev/pts is the container's devpts
//!   (newinstance, ptmxmode=0666): `if let Some(sock) = console::from_env()`
//!   { `let pty = console::open_pty(Path::new("/dev/pts/ptmx"))?;`
//!   `console::send_fd(sock.as_fd(), pty.master.as_fd(), b"m")?;`
//!   `drop(pty.master); console::make_controlling(pty.slave)?;` } and bind
//!   `pty.path` over /dev/console when there is one to cover. Before the
//!   send, `size_from_env()` gives the size to set on the master.
//!
//! `window_size`/`set_window_size` are TIOCGWINSZ/TIOCSWINSZ on any tty
//! descriptor (the user's terminal, the master). The sockets are
//! SOCK_SEQPACKET: each message keeps its bounds, so a byte of data and
//! the descriptor arrive together and nothing is read past them.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::sys::socket::{
    recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType,
};

use crate::{Error, Result, ResultExt};

/// The variable naming the chain's end of the console socket.
pub const ENV: &str = "RVOL_CONSOLE_FD";

/// The variable giving the terminal's first size, `ROWSxCOLS`: the chain
/// sets it on the pty before anyone can read it (runc's consoleSize).
pub const SIZE_ENV: &str = "RVOL_CONSOLE_SIZE";

/// `ws` as `$RVOL_CONSOLE_SIZE` says it.
pub fn size_text(ws: &libc::winsize) -> String {
    format!("{}x{}", ws.ws_row, ws.ws_col)
}

/// The size `$RVOL_CONSOLE_SIZE` gives, if any (the variable removed).
pub fn size_from_env() -> Option<libc::winsize> {
    let v = std::env::var(SIZE_ENV).ok()?;
    std::env::remove_var(SIZE_ENV);
    let (r, c) = v.split_once('x')?;
    Some(libc::winsize {
        ws_row: r.parse().ok()?,
        ws_col: c.parse().ok()?,
        ws_xpixel: 0,
        ws_ypixel: 0,
    })
}

/// A connected pair, both ends close-on-exec.
pub fn socketpair() -> Result<(OwnedFd, OwnedFd)> {
    nix::sys::socket::socketpair(
        nix::sys::socket::AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .ctx("console socketpair")
}

/// In the forked child, before the chain is exec'd: keep `chain` across
/// the exec and name it in `$RVOL_CONSOLE_FD`.
pub fn pass_on(chain: &OwnedFd) {
    // SAFETY: clearing FD_CLOEXEC on a descriptor we own.
    unsafe { libc::fcntl(chain.as_raw_fd(), libc::F_SETFD, 0) };
    std::env::set_var(ENV, chain.as_raw_fd().to_string());
}

/// The console socket the chain was given, if any; the variable is
/// removed (the command must not see it) and the descriptor made
/// close-on-exec again.
pub fn from_env() -> Option<OwnedFd> {
    let fd: RawFd = std::env::var(ENV).ok()?.parse().ok().filter(|fd| *fd > 2)?;
    std::env::remove_var(ENV);
    // SAFETY: fcntl on a descriptor number; an invalid one fails with EBADF.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
        return None;
    }
    // SAFETY: the descriptor was passed to us to own, and it is open.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Send `data` (not empty: a message with no data carries nothing on a
/// stream, and tells nothing on a seqpacket) with `fd` attached.
pub fn send_fd(sock: BorrowedFd, fd: BorrowedFd, data: &[u8]) -> Result<()> {
    let fds = [fd.as_raw_fd()];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    sendmsg::<()>(
        sock.as_raw_fd(),
        &[IoSlice::new(data)],
        &cmsg,
        MsgFlags::MSG_NOSIGNAL,
        None,
    )
    .ctx("send the terminal's descriptor")?;
    Ok(())
}

/// Receive one message into `buf`: its length (0: the peer closed) and the
/// descriptor it carried, if any (close-on-exec).
pub fn recv_fd(sock: BorrowedFd, buf: &mut [u8]) -> Result<(usize, Option<OwnedFd>)> {
    let mut space = nix::cmsg_space!(RawFd);
    loop {
        let mut iov = [IoSliceMut::new(buf)];
        let msg = match recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Err(nix::errno::Errno::EINTR) => continue,
            r => r.ctx("receive the terminal's descriptor")?,
        };
        let mut got = None;
        for c in msg.cmsgs().ctx("receive the terminal's descriptor")? {
            if let ControlMessageOwned::ScmRights(fds) = c {
                for fd in fds {
                    // SAFETY: SCM_RIGHTS gave us this descriptor to own.
                    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                    got.get_or_insert(owned);
                }
            }
        }
        return Ok((msg.bytes, got));
    }
}

/// A pty pair of one devpts instance.
pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
    /// The slave's path in that instance (`/dev/pts/0` in a container).
    pub path: PathBuf,
}

/// Open a new pty through `ptmx` (`/dev/pts/ptmx` of the container's own
/// devpts, never the host's /dev/ptmx): master and slave, both
/// close-on-exec, the slave not yet anyone's controlling terminal.
pub fn open_pty(ptmx: &Path) -> Result<Pty> {
    let what = || format!("open a terminal through {}", ptmx.display());
    let master: OwnedFd = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(ptmx)
        .with_ctx(what)?
        .into();
    let m = master.as_raw_fd();
    let unlock: libc::c_int = 0;
    let mut n: libc::c_uint = 0;
    // SAFETY: ioctls on the master we own, with pointers to locals.
    if unsafe { libc::ioctl(m, libc::TIOCSPTLCK, &unlock) } < 0
        || unsafe { libc::ioctl(m, libc::TIOCGPTN, &mut n) } < 0
    {
        return Err(std::io::Error::last_os_error()).with_ctx(what);
    }
    // The slave by the master (TIOCGPTPEER, Linux 4.13): no path lookup,
    // so it is surely this instance's.
    // SAFETY: ioctl with integer flags; it returns a new descriptor.
    let s = unsafe {
        libc::ioctl(
            m,
            libc::TIOCGPTPEER,
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if s < 0 {
        return Err(std::io::Error::last_os_error()).with_ctx(what);
    }
    // SAFETY: TIOCGPTPEER returned a descriptor for us to own.
    let slave = unsafe { OwnedFd::from_raw_fd(s) };
    let dir = ptmx.parent().unwrap_or(Path::new("/dev/pts"));
    Ok(Pty {
        master,
        slave,
        path: dir.join(n.to_string()),
    })
}

/// Make `slave` our stdin, stdout and stderr and the controlling terminal
/// of a new session of ours (setsid + TIOCSCTTY), as runc does for the
/// container's process.
pub fn make_controlling(slave: OwnedFd) -> Result<()> {
    let s = slave.as_raw_fd();
    for target in 0..3 {
        // SAFETY: dup2 onto the standard descriptors.
        if unsafe { libc::dup2(s, target) } < 0 {
            return Err(std::io::Error::last_os_error())
                .ctx("make the terminal stdin/stdout/stderr");
        }
    }
    drop(slave);
    // EPERM when already a process group leader: then it stays as it is.
    let _ = nix::unistd::setsid();
    // SAFETY: ioctl on fd 0 with an integer argument.
    if unsafe { libc::ioctl(0, libc::TIOCSCTTY, 0) } < 0 {
        return Err(std::io::Error::last_os_error()).ctx("make the terminal the controlling one");
    }
    Ok(())
}

/// TIOCGWINSZ: `fd`'s window size, None when it is not a terminal.
pub fn window_size(fd: RawFd) -> Option<libc::winsize> {
    // SAFETY: zeroed plain struct, filled by the ioctl.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes a winsize into our local.
    match unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) } {
        0 => Some(ws),
        _ => None,
    }
}

/// TIOCSWINSZ: set `fd`'s window size (the master's: the container's
/// foreground process group gets SIGWINCH from its kernel).
pub fn set_window_size(fd: RawFd, ws: &libc::winsize) -> Result<()> {
    // SAFETY: TIOCSWINSZ reads a winsize from our reference.
    if unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, ws) } < 0 {
        return Err(Error::new(format!(
            "set the terminal's size: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn a_pty_master_crosses_the_socket() {
        let (a, b) = socketpair().unwrap();
        let pty = open_pty(Path::new("/dev/ptmx")).unwrap();
        send_fd(a.as_fd(), pty.master.as_fd(), b"m").unwrap();
        let mut buf = [0u8; 4];
        let (n, fd) = recv_fd(b.as_fd(), &mut buf).unwrap();
        assert_eq!(&buf[..n], b"m");
        let fd = fd.expect("a descriptor");
        let ws = libc::winsize {
            ws_row: 12,
            ws_col: 34,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        set_window_size(fd.as_raw_fd(), &ws).unwrap();
        let got = window_size(pty.slave.as_raw_fd()).unwrap();
        assert_eq!((got.ws_row, got.ws_col), (12, 34));
        drop(a);
        assert_eq!(recv_fd(b.as_fd(), &mut buf).unwrap().0, 0);
    }
}
