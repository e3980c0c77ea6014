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

/// What the filter costs a start, measured (`cargo test --release -p
/// rvol-exec -- --ignored --nocapture filter_cost`): compiling Docker's
/// profile (every rule's names, all three ABIs) and loading it, each in a
/// fresh child (filters stack). Figures in scripts/bench-run's notes.
#[cfg(test)]
mod cost {
    use super::*;
    use std::time::Instant;

    fn profile() -> LinuxSeccomp {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../../../profiles/seccomp/default.json"))
                .unwrap();
        let syscalls: Vec<serde_json::Value> = v["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| serde_json::json!({"names": s["names"], "action": "SCMP_ACT_ALLOW"}))
            .collect();
        let spec = serde_json::json!({"defaultAction": "SCMP_ACT_ERRNO",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": syscalls});
        serde_json::from_value(spec).unwrap()
    }

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    }

    #[test]
    #[ignore = "a measurement, not a check"]
    fn filter_cost() {
        let spec = profile();
        let text = serde_json::to_string(&spec).unwrap();
        let (mut parse, mut compile) = (Vec::new(), Vec::new());
        for _ in 0..200 {
            let t = Instant::now();
            let s: LinuxSeccomp = serde_json::from_str(&text).unwrap();
            parse.push(t.elapsed().as_secs_f64() * 1e6);
            let t = Instant::now();
            let p = bpf::compile(&s).unwrap();
            compile.push(t.elapsed().as_secs_f64() * 1e6);
            assert!(!p.is_empty());
        }
        let p = bpf::compile(&spec).unwrap();
        let mut load = Vec::new();
        for _ in 0..100 {
            let (r, w) = nix::unistd::pipe().unwrap();
            // SAFETY: the child only loads the filter, writes and exits.
            match unsafe { libc::fork() } {
                0 => {
                    let f = Filter {
                        program: Some(p.clone()),
                        no_new_privileges: false,
                    };
                    let t = Instant::now();
                    f.load().unwrap();
                    let us = t.elapsed().as_secs_f64() * 1e6;
                    let _ = nix::unistd::write(&w, &us.to_ne_bytes());
                    unsafe { libc::_exit(0) };
                }
                pid => {
                    drop(w);
                    let mut b = [0u8; 8];
                    let _ = nix::unistd::read(std::os::fd::AsRawFd::as_raw_fd(&r), &mut b);
                    unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
                    load.push(f64::from_ne_bytes(b));
                }
            }
        }
        eprintln!(
            "{} instructions; median JSON parse {:.0} us, compile {:.0} us, load {:.0} us",
            p.len(),
            median(parse),
            median(compile),
            median(load)
        );
    }
}
