//! The container's seccomp filter (docs/docker-behaviour.md §13): the spec's
//! `linux.seccomp` (Docker's profile as rvol-mount create translated it)
//! compiled to BPF here, at every start (bpf.rs), and loaded when runc loads it
//! (standard_init_linux.go): without no-new-privileges, before the
//! capabilities are dropped (loading a filter then needs CAP_SYS_ADMIN);
//! with it, as the last step before execve, after the command is found.
//!
//! What it costs a start (the `cost` test below, release build, on a
//! loaded 2-core VM): parsing the profile ~25 us, compiling it ~150 us,
//! the kernel's load ~145 us for Docker's 405 instructions; a start also
//! pays ~20 more page faults here (README, "Speed"). Not precompiled into
//! the bundle: create, which a run also pays, would do the same work, and
//! a bundle's config.json stays the one source of its filter.
//!
//! Our own compiler rather than a crate: libseccomp is C (the binaries
//! are static, no C libraries), and seccompiler, the pure-Rust one, has
//! one match action per filter and x86_64/aarch64 only, where Docker's
//! profile needs several actions (clone3's ENOSYS beside ALLOW), the x86
//! and x32 sub-arches, and runc's -ENOSYS stub.

mod bpf;
mod syscalls;

use oci_spec::runtime::LinuxSeccomp;
use rvol_state::{Error, Result};

/// A compiled filter and when it is to be loaded.
pub struct Filter {
    program: Option<bpf::Program>,
    no_new_privileges: bool,
}

impl Filter {
    /// Compiled now, loaded later: nothing here needs a privilege.
    pub fn compile(seccomp: Option<&LinuxSeccomp>, no_new_privileges: bool) -> Result<Filter> {
        let program = seccomp
            .map(bpf::compile)
            .transpose()
            .map_err(|e| Error::new(format!("unable to init seccomp: {}", e.msg)))?;
        Ok(Filter {
            program,
            no_new_privileges,
        })
    }

    /// runc's first place: without no-new-privileges, while we still hold
    /// CAP_SYS_ADMIN (the filter then also sees the capability and user
    /// changes, which Docker's profile allows).
    pub fn load_before_capabilities(&self) -> Result<()> {
        if self.no_new_privileges {
            return Ok(());
        }
        self.load()
    }

    /// runc's second place: with no-new-privileges, just before execve.
    pub fn load_before_execve(&self) -> Result<()> {
        if !self.no_new_privileges {
            return Ok(());
        }
        self.load()
    }

    fn load(&self) -> Result<()> {
        let Some(p) = &self.program else {
            return Ok(());
        };
        let prog = libc::sock_fprog {
            len: p.len() as u16,
            filter: p.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: prctl(PR_SET_SECCOMP) reads `prog`, which points at `p`,
        // both alive for the call.
        let r = unsafe {
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &prog as *const libc::sock_fprog,
                0,
                0,
            )
        };
        if r < 0 {
            return Err(Error::new(format!(
                "error loading seccomp filter into kernel: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(())
    }
}

/// PR_SET_NO_NEW_PRIVS, set where runc sets it: after the mounts, before
/// the filter and the capabilities.
pub fn set_no_new_privileges(on: bool) -> Result<()> {
    if !on {
        return Ok(());
    }
    // SAFETY: prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } < 0 {
        return Err(Error::new(format!(
            "prctl(SET_NO_NEW_PRIVS): {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        let t = syscalls::SYSCALLS;
        assert!(t.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
