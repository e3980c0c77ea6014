//! `-t`: the container's terminal, made here in its own devpts once /dev
//! is up (rvol_state::console): the master goes back to rvol-ns' parent
//! over the socket it passed, the slave becomes our stdin, stdout, stderr,
//! controlling terminal and /dev/console.

use std::os::fd::AsFd;
use std::os::fd::AsRawFd;
use std::path::Path;

use rvol_state::console;
use rvol_state::Result;

use crate::plan::Plan;

/// Nothing to do without a console socket (no `process.terminal`, or a
/// chain run by hand). `dev_console`: bind it over /dev/console too (a
/// run; an exec's terminal is its own, the container's console stays).
pub fn take(plan: &Plan, dev_console: bool) -> Result<()> {
    let Some(sock) = console::from_env() else {
        return Ok(());
    };
    let pty = console::open_pty(Path::new("/dev/pts/ptmx"))?;
    if let Some(ws) = console::size_from_env() {
        console::set_window_size(pty.master.as_raw_fd(), &ws)?;
    }
    if dev_console {
        crate::dev::bind_console(plan, &pty.path)?;
    }
    console::send_fd(sock.as_fd(), pty.master.as_fd(), b"m")?;
    drop(pty.master);
    drop(sock);
    console::make_controlling(pty.slave)
}
