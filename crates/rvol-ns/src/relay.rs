//! Where a container's output passes on the host: rvol-ns' parent reads
//! the chain's stdout and stderr (two pipes) and, with `process.terminal`,
//! the pty's master (sent by rvol-exec over the console socket,
//! rvol_state::console); it writes every line to the bundle's log
//! (rvol_state::logfile), to its own stdout/stderr when the user is
//! attached (`echo`), and to the attach clients.
//!
//! Attach clients connect to `attach.sock` in the bundle (served by a
//! detached container, or one with a terminal), a SOCK_SEQPACKET socket
//! whose messages each start with a tag byte:
//! - to the client: `m` + the master (SCM_RIGHTS) first, or `n` without a
//!   terminal; then `o` + stdout bytes, `e` + stderr bytes; `x` + the exit
//!   status in decimal once the container has ended and its poststop hooks
//!   have run (an `--rm` container is gone by then, as docker's `run --rm`
//!   returns once it is removed);
//! - from the client: `s` + a signal number, passed on to the container;
//!   `d` when the user detaches: an `exec -it` supervisor, which kills
//!   its command when its front goes away otherwise (a kill -9), then
//!   lets it run on, as docker's exec does.
//!
//! The client writes its input into the master itself and sets its size
//! there: no input goes through us, and a stalled client costs nothing
//! but its own output (5 s without room, and it is dropped).

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use nix::sys::socket::{self, MsgFlags, SockFlag, SockType, UnixAddr};
use rvol_state::logfile::{Stream, Writer};
use rvol_state::{console, Result, ResultExt};

pub const MASTER: u8 = b'm';
pub const NO_TERMINAL: u8 = b'n';
pub const STDOUT: u8 = b'o';
pub const STDERR: u8 = b'e';
pub const EXIT: u8 = b'x';
pub const SIGNAL: u8 = b's';
/// From the client: the user detached (ctrl-p ctrl-q), not killed.
pub const DETACHED: u8 = b'd';

/// The attach socket's name in the bundle.
pub const SOCKET: &str = "attach.sock";

/// A path for a unix socket in `dir` that fits sun_path (108 bytes) however
/// deep the state root is: through a descriptor of the directory.
pub fn socket_path(dir: &std::fs::File) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}/{SOCKET}", dir.as_raw_fd()))
}

/// What the child keeps: the write ends it makes its stdout and stderr,
/// and the console socket's end it passes to the chain.
pub struct ChildEnds {
    out: OwnedFd,
    err: OwnedFd,
    console: Option<OwnedFd>,
}

impl ChildEnds {
    /// In the forked child, before the chain is exec'd.
    pub fn install(self) {
        // SAFETY: dup2 onto our own stdout and stderr.
        unsafe {
            libc::dup2(self.out.as_raw_fd(), 1);
            libc::dup2(self.err.as_raw_fd(), 2);
        }
        if let Some(c) = self.console {
            console::pass_on(&c);
            // Kept open across the exec: the chain's now.
            std::mem::forget(c);
        }
    }
}

pub struct Relay {
    out: Option<OwnedFd>,
    err: Option<OwnedFd>,
    console: Option<OwnedFd>,
    master: Option<OwnedFd>,
    listener: Option<OwnedFd>,
    /// The bundle, held open for the socket's path.
    dir: Option<std::fs::File>,
    clients: Vec<OwnedFd>,
    /// None for an exec: docker's log is the container's own output.
    log: Option<Writer>,
    /// exec -it: the front's going away without a detach ends the command.
    end_with_client: bool,
    /// The user is attached here: output to our stdout/stderr too.
    echo: bool,
    buf: Vec<u8>,
}

/// Which descriptor a poll slot watches.
#[derive(Clone, Copy)]
pub enum Slot {
    Out,
    Err,
    Console,
    Master,
    Listener,
    Client(usize),
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ctx("pipe")
}

impl Relay {
    /// `terminal`: the spec's `process.terminal`; `serve`: listen on
    /// attach.sock; `client`: one connected already (run -it's front).
    pub fn new(
        bundle: &Path,
        terminal: bool,
        echo: bool,
        serve: bool,
        client: Option<OwnedFd>,
    ) -> Result<(Relay, ChildEnds)> {
        let (out_r, out_w) = pipe()?;
        let (err_r, err_w) = pipe()?;
        let (console, chain) = match terminal {
            true => {
                let (h, c) = console::socketpair()?;
                (Some(h), Some(c))
            }
            false => (None, None),
        };
        let mut relay = Relay {
            out: Some(out_r),
            err: Some(err_r),
            console,
            master: None,
            listener: None,
            dir: None,
            clients: Vec::new(),
            log: Some(Writer::new(bundle.join("container.log"))),
            end_with_client: false,
            echo,
            buf: vec![0; 32 * 1024],
        };
        if serve {
            relay.listen(bundle)?;
        }
        if let Some(c) = client {
            relay.welcome(c);
        }
        Ok((
            relay,
            ChildEnds {
                out: out_w,
                err: err_w,
                console: chain,
            },
        ))
    }

    /// `exec -t`: the same relay for a command joining a running
    /// container, without its log or attach socket.
    pub fn unlogged(echo: bool, client: Option<OwnedFd>) -> Result<(Relay, ChildEnds)> {
        let front = client.is_some();
        let (mut relay, ends) = Relay::new(Path::new(""), true, echo, false, client)?;
        relay.log = None;
        relay.end_with_client = front;
        Ok((relay, ends))
    }

    fn listen(&mut self, bundle: &Path) -> Result<()> {
        let dir = std::fs::File::open(bundle).with_ctx(|| format!("open {}", bundle.display()))?;
        let path = socket_path(&dir);
        let _ = std::fs::remove_file(&path);
        let what = || format!("listen on {}", bundle.join(SOCKET).display());
        let fd = socket::socket(
            socket::AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
            None,
        )
        .with_ctx(what)?;
        socket::bind(fd.as_raw_fd(), &UnixAddr::new(&path).with_ctx(what)?).with_ctx(what)?;
        socket::listen(
            &fd,
            socket::Backlog::new(8).unwrap_or(socket::Backlog::MAXCONN),
        )
        .with_ctx(what)?;
        self.listener = Some(fd);
        self.dir = Some(dir);
        Ok(())
    }

    /// The descriptors to poll, with what each is.
    pub fn fds(&self, fds: &mut Vec<libc::pollfd>, slots: &mut Vec<Slot>) {
        let mut add = |fd: &Option<OwnedFd>, slot| {
            if let Some(fd) = fd {
                fds.push(libc::pollfd {
                    fd: fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                });
                slots.push(slot);
            }
        };
        add(&self.out, Slot::Out);
        add(&self.err, Slot::Err);
        add(&self.console, Slot::Console);
        add(&self.master, Slot::Master);
        add(&self.listener, Slot::Listener);
        for (i, c) in self.clients.iter().enumerate() {
            fds.push(libc::pollfd {
                fd: c.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
            slots.push(Slot::Client(i));
        }
    }

    /// Handle what poll found ready; the signals clients asked to send.
    pub fn ready(&mut self, fds: &[libc::pollfd], slots: &[Slot]) -> Vec<i32> {
        let mut signals = Vec::new();
        let mut gone = Vec::new();
        for (p, slot) in fds.iter().zip(slots) {
            if p.revents == 0 {
                continue;
            }
            match *slot {
                Slot::Out => self.pump(Stream::Stdout),
                Slot::Err => self.pump(Stream::Stderr),
                Slot::Master => self.pump_master(),
                Slot::Console => self.take_master(),
                Slot::Listener => self.accept(),
                Slot::Client(i) => {
                    let mut b = [0u8; 8];
                    // SAFETY: recv into our buffer.
                    let n = unsafe {
                        libc::recv(p.fd, b.as_mut_ptr().cast(), b.len(), libc::MSG_DONTWAIT)
                    };
                    match n {
                        2.. if b[0] == SIGNAL => signals.push(b[1] as i32),
                        1.. if b[0] == DETACHED => self.end_with_client = false,
                        n if n > 0 => {}
                        -1 if std::io::Error::last_os_error().raw_os_error()
                            == Some(libc::EAGAIN) => {}
                        _ => gone.push(i),
                    }
                }
            }
        }
        if !gone.is_empty() && self.end_with_client {
            // exec -it's front is gone without a detach (killed): so is
            // the command.
            signals.push(libc::SIGKILL);
        }
        for i in gone.into_iter().rev() {
            self.clients.remove(i);
        }
        signals
    }

    /// SIGWINCH: the user attached here resized; so does the container's
    /// terminal. (Attach clients set the size themselves.)
    pub fn pass_size(&self) {
        if let (true, Some(m)) = (self.echo, &self.master) {
            crate::terminal::pass_size(m.as_raw_fd());
        }
    }

    /// The command has ended: what its streams still hold (every writer
    /// is gone with its pid namespace; non-blocking all the same, so a
    /// descriptor that escaped it cannot hold us), then no more attaches.
    pub fn drain(&mut self) {
        // The console socket too: a command that is not rvol-exec may have
        // kept the chain's end, and a child of it outlived the command.
        for fd in [&self.out, &self.err, &self.master, &self.console]
            .into_iter()
            .flatten()
        {
            // SAFETY: setting O_NONBLOCK on a descriptor we own.
            unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        }
        if self.console.is_some() {
            self.take_master();
        }
        while self.out.is_some() {
            self.pump(Stream::Stdout);
        }
        while self.err.is_some() {
            self.pump(Stream::Stderr);
        }
        while self.master.is_some() {
            self.pump_master();
        }
        if let Some(log) = &mut self.log {
            log.finish();
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_file(socket_path(dir));
        }
        self.listener = None;
    }

    /// The exit status, to every client still attached; then they go.
    pub fn finish(&mut self, code: i32) {
        let msg = format!("{}{code}", EXIT as char);
        for c in std::mem::take(&mut self.clients) {
            send(&c, msg.as_bytes());
        }
    }

    fn read(&mut self, fd: RawFd) -> isize {
        loop {
            // SAFETY: read into our buffer.
            let n = unsafe { libc::read(fd, self.buf.as_mut_ptr().cast(), self.buf.len()) };
            if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return n;
        }
    }

    fn pump(&mut self, stream: Stream) {
        let slot = match stream {
            Stream::Stdout => &self.out,
            Stream::Stderr => &self.err,
        };
        let Some(fd) = slot.as_ref().map(|f| f.as_raw_fd()) else {
            return;
        };
        let n = self.read(fd);
        if n <= 0 {
            // EOF, or EAGAIN while draining: done with it either way.
            match stream {
                Stream::Stdout => self.out = None,
                Stream::Stderr => self.err = None,
            }
            return;
        }
        self.emit(stream, n as usize);
    }

    fn pump_master(&mut self) {
        let Some(fd) = self.master.as_ref().map(|f| f.as_raw_fd()) else {
            return;
        };
        let n = self.read(fd);
        if n <= 0 {
            // EIO: every slave is closed.
            self.master = None;
            return;
        }
        self.emit(Stream::Stdout, n as usize);
    }

    fn emit(&mut self, stream: Stream, n: usize) {
        let data = &self.buf[..n];
        if let Some(log) = &mut self.log {
            log.write(stream, data);
        }
        if self.echo {
            let fd = match stream {
                Stream::Stdout => 1,
                Stream::Stderr => 2,
            };
            if !write_all(fd, data) {
                // The user's end is closed: the container runs on.
                self.echo = false;
            }
        }
        if !self.clients.is_empty() {
            let mut msg = Vec::with_capacity(n + 1);
            msg.push(match stream {
                Stream::Stdout => STDOUT,
                Stream::Stderr => STDERR,
            });
            msg.extend_from_slice(data);
            self.clients.retain(|c| send(c, &msg));
        }
    }

    fn take_master(&mut self) {
        let Some(sock) = self.console.take() else {
            return;
        };
        let mut b = [0u8; 1];
        // The chain's end closes at the command's exec (or its failure):
        // one message or none.
        let master = match console::recv_fd(sock.as_fd(), &mut b) {
            Ok((_, Some(m))) => m,
            _ => return,
        };
        for c in &self.clients {
            let _ = console::send_fd(c.as_fd(), master.as_fd(), &[MASTER]);
        }
        self.master = Some(master);
    }

    fn accept(&mut self) {
        let Some(l) = &self.listener else { return };
        let Ok(fd) = socket::accept4(l.as_raw_fd(), SockFlag::SOCK_CLOEXEC) else {
            return;
        };
        // SAFETY: accept4 returned a descriptor for us to own.
        let c = unsafe { OwnedFd::from_raw_fd(fd) };
        self.welcome(c);
    }

    fn welcome(&mut self, c: OwnedFd) {
        let timeout = libc::timeval {
            tv_sec: 5,
            tv_usec: 0,
        };
        // SAFETY: setsockopt with a pointer to a local timeval.
        unsafe {
            libc::setsockopt(
                c.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_SNDTIMEO,
                (&timeout as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        let ok = match &self.master {
            Some(m) => console::send_fd(c.as_fd(), m.as_fd(), &[MASTER]).is_ok(),
            // With a terminal still to come the client waits for it.
            None if self.console.is_some() => true,
            None => send(&c, &[NO_TERMINAL]),
        };
        if ok {
            self.clients.push(c);
        }
    }
}

/// One message to a client; false when it is gone (or stalled 5 s).
fn send(c: &OwnedFd, msg: &[u8]) -> bool {
    socket::send(c.as_raw_fd(), msg, MsgFlags::MSG_NOSIGNAL).is_ok()
}

/// Write all of `data` to `fd`; false when it is closed or failing.
pub fn write_all(fd: RawFd, mut data: &[u8]) -> bool {
    while !data.is_empty() {
        // SAFETY: write from our buffer.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return false;
        }
        data = &data[n as usize..];
    }
    true
}
