//! Fork once (the first child of a new pid namespace is its PID 1), then
//! in the parent: forward the terminating signals, reap the child, record
//! the state, and turn its wait status into our exit status.
//!
//! The child dies with the parent (PR_SET_PDEATHSIG), so a `kill -9` of
//! rvol-ns takes the whole container down; its mount namespace goes with
//! its last process, and nothing mounted in it was ever visible to the host.

use std::ffi::{CString, OsString};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, ForkResult, Pid};
use rvol_state::{Error, Result, ResultExt};

use crate::relay::{ChildEnds, Relay};
use crate::state;

pub const FORWARDED: [Signal; 6] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// How the command ended, and its mount namespace when it was held.
pub struct Ended {
    pub code: i32,
    /// With `hold_mount_ns`: the container's mount namespace, kept alive
    /// past its last process, so that its teardown (every mount of the
    /// container undone, about 0.5 ms) is not ours to wait for: the
    /// poststop hook that gets it lets it go in the background.
    pub mount_ns: Option<std::fs::File>,
}

/// What the supervision covers.
pub struct Options<'a> {
    /// The bundle whose state.json follows the command (run, start);
    /// None for an exec, which leaves the container's record alone.
    pub bundle: Option<&'a Path>,
    /// Keep the child's mount namespace past its end ([`Ended::mount_ns`]).
    pub hold_mount_ns: bool,
    /// The child gets a new pid namespace of its own (clone(2) with
    /// CLONE_NEWPID), we stay in ours: the poststop hooks' commands start
    /// in it after the container's end. (Joining ours back by setns would
    /// need privilege over the host's, which a rootless user lacks.)
    pub new_pid_ns: bool,
    /// `exec -d`: return as soon as the command runs (0) or has failed to
    /// start (its status, the chain's message on our stderr). The child
    /// is in a session of its own with /dev/null for stdin, stdout and
    /// stderr, and is not tied to us: it lives on after we return.
    pub detach: bool,
}

/// fork(2), or with `new_pid` a clone(2) whose child is PID 1 of a new pid
/// namespace. As fork, it needs a single-threaded caller; the child only
/// execs or exits (glibc's fork bookkeeping is not run for it).
unsafe fn fork_into(new_pid: bool) -> nix::Result<ForkResult> {
    if !new_pid {
        return fork();
    }
    let flags = (libc::CLONE_NEWPID | libc::SIGCHLD) as libc::c_ulong;
    // SAFETY: clone with a null stack is fork's semantics (copy on write).
    let r = libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize);
    match r {
        -1 => Err(nix::errno::Errno::last()),
        0 => Ok(ForkResult::Child),
        pid => Ok(ForkResult::Parent {
            child: Pid::from_raw(pid as libc::pid_t),
        }),
    }
}

/// `setup` runs in the child before the exec (the namespaces it enters).
pub fn run(
    cmd: &[OsString],
    opts: Options,
    relay: Option<(&mut Relay, ChildEnds)>,
    setup: impl FnOnce() -> Result<()>,
) -> Result<Ended> {
    let Options {
        bundle,
        hold_mount_ns,
        new_pid_ns,
        detach,
    } = opts;
    let argv: Vec<CString> = cmd
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::new("command line: argument contains a NUL byte"))?;

    // Blocked before the fork so that no signal is lost between fork and
    // the wait loop; the child restores the old mask before exec.
    // An ignored signal is dropped even while blocked, and a shell starts
    // a background job with SIGINT and SIGQUIT ignored: take the defaults
    // back first (blocked, they never act), so that every forwarded signal
    // reaches the wait loop.
    let mut set = SigSet::empty();
    for s in FORWARDED {
        // SAFETY: setting a disposition; no handler is involved.
        unsafe { libc::signal(s as libc::c_int, libc::SIG_DFL) };
        set.add(s);
    }
    set.add(Signal::SIGCHLD);
    // The user's terminal resized: passed on to the container's (-t).
    set.add(Signal::SIGWINCH);
    let old = set
        .thread_swap_mask(SigmaskHow::SIG_BLOCK)
        .ctx("block signals")?;

    // The parent holds the write end; if it is already gone when the
    // child has set its death signal, the child sees a hang-up and stops.
    let (alive_r, alive_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ctx("pipe")?;

    // With a bundle: a pipe whose write end the chain keeps open until the
    // command is exec'd (rvol-exec marks it close-on-exec). A tool of the
    // chain that fails before that writes its message there, so the state
    // can say `created` with docker's Error instead of `exited`.
    // A detached exec learns the same way whether its command started.
    let start = match bundle.is_some() || detach {
        true => Some(nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ctx("pipe")?),
        false => None,
    };
    // The child says here when its namespaces are made (closed unsaid at
    // its exec or exit): then its mount namespace can be opened.
    let ready = match hold_mount_ns {
        true => Some(nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ctx("pipe")?),
        false => None,
    };

    // SAFETY: single-threaded here; the child only execs or exits.
    match unsafe { fork_into(new_pid_ns) }.ctx("fork")? {
        ForkResult::Child => {
            drop(alive_w);
            if let Some((_, ends)) = relay {
                ends.install();
            }
            // Held open (by this binding) until the exec: the chain writes to it.
            let _start_w = start.map(|(r, w)| {
                drop(r);
                // SAFETY: clearing FD_CLOEXEC on a descriptor we own.
                unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETFD, 0) };
                // The parent reads only once the child is gone: a message
                // longer than the pipe (a 120 KiB path in it) must not
                // block its writer forever; what does not fit is dropped.
                // SAFETY: setting O_NONBLOCK on a descriptor we own.
                unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
                std::env::set_var(rvol_state::start_fd::ENV, w.as_raw_fd().to_string());
                w
            });
            let fail = |msg: String, code: i32| -> ! {
                eprintln!("rvol-ns: {msg}");
                rvol_state::start_fd::report(&msg);
                // SAFETY: leave without running the parent's atexit work.
                unsafe { libc::_exit(code) }
            };
            if !detach {
                // SAFETY: prctl with integer arguments.
                unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
            }
            let mut pfd = libc::pollfd {
                fd: alive_r.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: poll on one valid fd, no wait.
            if unsafe { libc::poll(&mut pfd, 1, 0) } != 0 {
                // SAFETY: leave without running the parent's atexit work.
                unsafe { libc::_exit(125) };
            }
            if detach {
                if let Err(e) = detach_child() {
                    fail(e.msg, e.code);
                }
            }
            if let Err(e) = setup() {
                fail(e.msg, e.code);
            }
            if let Some((r, w)) = ready {
                drop(r);
                let _ = nix::unistd::write(&w, b"1");
            }
            let _ = old.thread_set_mask();
            // Rust ignores SIGPIPE; the command must not inherit that.
            // SAFETY: setting a disposition before exec.
            unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
            let e = nix::unistd::execvp(&argv[0], &argv).unwrap_err();
            let code = match e {
                nix::errno::Errno::ENOENT => rvol_state::error::EXIT_NOT_FOUND,
                _ => rvol_state::error::EXIT_CANNOT_RUN,
            };
            fail(
                format!("exec {}: {}", cmd[0].to_string_lossy(), e.desc()),
                code,
            )
        }
        ForkResult::Parent { child } => {
            drop(alive_r);
            let relay = relay.map(|(r, ends)| {
                drop(ends);
                r
            });
            let start_r = start.map(|(r, w)| {
                drop(w);
                r
            });
            if detach {
                return started(child, start_r);
            }
            let before = match bundle {
                Some(b) => match state::running(b, child.as_raw()) {
                    Ok(before) => Some(before),
                    Err(e) => {
                        eprintln!("rvol-ns: {e}");
                        None
                    }
                },
                None => None,
            };
            let mount_ns = ready.and_then(|(r, w)| {
                drop(w);
                let mut b = [0u8; 1];
                // One byte: set up; none: it failed or is gone already.
                match nix::unistd::read(r.as_raw_fd(), &mut b) {
                    Ok(1) => std::fs::File::open(format!("/proc/{child}/ns/mnt")).ok(),
                    _ => None,
                }
            });
            let code = wait(child, &set, relay)?;
            if let Some(b) = bundle {
                // A failing tool wrote before it exited, so what it wrote is
                // in the pipe now. Non-blocking: without a pid namespace a
                // background process of a non-rvol command may still hold
                // the write end open.
                let failed = start_r.map(|r| {
                    // SAFETY: setting O_NONBLOCK on a descriptor we own.
                    unsafe { libc::fcntl(r.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
                    let mut buf = Vec::new();
                    let _ = std::fs::File::from(r).read_to_end(&mut buf);
                    String::from_utf8_lossy(&buf).into_owned()
                });
                let recorded = match failed.filter(|m| !m.trim().is_empty()) {
                    Some(msg) => state::not_started(b, before, code, msg.trim()),
                    None => state::exited(b, code),
                };
                // The command's status still goes out: it is the answer
                // the caller waits for; the record is worth a message.
                if let Err(e) = recorded {
                    eprintln!("rvol-ns: {e}");
                }
            }
            drop(alive_w);
            Ok(Ended { code, mount_ns })
        }
    }
}

/// The detached child: its own session, nothing of our stdio (errors
/// still reach the start channel).
pub(crate) fn detach_child() -> Result<()> {
    let _ = nix::unistd::setsid();
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .ctx("open /dev/null")?;
    for fd in 0..3 {
        nix::unistd::dup2(null.as_raw_fd(), fd).ctx("redirect stdio to /dev/null")?;
    }
    Ok(())
}

/// A detached start: the channel closes unsaid at the command's exec;
/// a message means the chain failed, and the child's status follows it.
fn started(child: Pid, start_r: Option<std::os::fd::OwnedFd>) -> Result<Ended> {
    let mut msg = Vec::new();
    if let Some(r) = start_r {
        let _ = std::fs::File::from(r).read_to_end(&mut msg);
    }
    let msg = String::from_utf8_lossy(&msg);
    if msg.trim().is_empty() {
        return Ok(Ended {
            code: 0,
            mount_ns: None,
        });
    }
    eprintln!("{}", msg.trim());
    let code = loop {
        match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, code)) => break code,
            Ok(WaitStatus::Signaled(_, s, _)) => break 128 + s as i32,
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(Error::new(format!("wait for pid {child}: {}", e.desc()))),
        }
    };
    Ok(Ended {
        code,
        mount_ns: None,
    })
}

/// Forward signals and relay the output until the child is gone; its
/// exit status, or 128+N.
fn wait(child: Pid, set: &SigSet, mut relay: Option<&mut Relay>) -> Result<i32> {
    use nix::sys::signalfd::{SfdFlags, SignalFd};
    let sfd = SignalFd::with_flags(set, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
        .ctx("signalfd")?;
    let mut fds = Vec::new();
    let mut slots = Vec::new();
    loop {
        fds.clear();
        slots.clear();
        fds.push(libc::pollfd {
            fd: sfd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
        if let Some(r) = relay.as_deref() {
            r.fds(&mut fds, &mut slots);
        }
        // SAFETY: poll on our vector of pollfds.
        if unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) } < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(Error::new(format!("poll: {e}")));
        }
        if let Some(r) = relay.as_deref_mut() {
            for sig in r.ready(&fds[1..], &slots) {
                // SAFETY: kill(2) of our child with a number a client gave.
                unsafe { libc::kill(child.as_raw(), sig) };
            }
        }
        if fds[0].revents == 0 {
            continue;
        }
        let mut ended = None;
        while let Ok(Some(si)) = sfd.read_signal() {
            let sig = si.ssi_signo as i32;
            if sig == libc::SIGWINCH {
                if let Some(r) = relay.as_deref() {
                    r.pass_size();
                }
            } else if sig != libc::SIGCHLD {
                // The child may just have exited: ESRCH is fine.
                // SAFETY: kill(2) of our child.
                unsafe { libc::kill(child.as_raw(), sig) };
            } else if ended.is_none() {
                ended = reap(child)?;
            }
        }
        if let Some(code) = ended {
            if let Some(r) = relay {
                r.drain();
            }
            return Ok(code);
        }
    }
}

/// The child's status when it has ended.
fn reap(child: Pid) -> Result<Option<i32>> {
    loop {
        match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(Some(code)),
            Ok(WaitStatus::Signaled(_, s, _)) => return Ok(Some(128 + s as i32)),
            Ok(WaitStatus::StillAlive) => return Ok(None),
            Ok(_) => continue,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(Error::new(format!("wait for pid {child}: {}", e.desc()))),
        }
    }
}
