//! The start-failure channel of a run: rvol-ns (with a bundle) passes the
//! write end of a pipe in `$RVOL_START_FD`; a tool of the chain that fails
//! before the command is exec'd (rvol-ns' child, rvol-mount apply,
//! rvol-exec) writes its message there, and rvol-ns records it as the
//! state's `Error`, the container staying `created`, as docker's does. On
//! success the descriptor closes with the command's execve (rvol-exec marks
//! it close-on-exec).

/// The variable naming the descriptor.
pub const ENV: &str = "RVOL_START_FD";

/// Write `msg` to the channel, if this process has one. rvol-ns makes the
/// pipe non-blocking: what does not fit is dropped, never waited for.
pub fn report(msg: &str) {
    let Some(fd) = std::env::var(ENV)
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|fd| *fd > 2)
    else {
        return;
    };
    // SAFETY: write(2) of our buffer to a descriptor number; EBADF is harmless.
    unsafe { libc::write(fd, msg.as_ptr().cast(), msg.len()) };
}
