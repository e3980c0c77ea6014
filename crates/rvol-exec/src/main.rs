//! rvol-exec: become the container process. Inside the namespaces rvol-ns
//! made (and after rvol-mount apply mounted the root), pivot_root into the
//! bundle's rootfs, mount /proc /dev /sys as Docker does, set the hostname,
//! resolve the user, set the spec's capabilities (Docker's default set and
//! the user's --cap-add/--cap-drop) and seccomp filter, and execve the
//! command. Exit 127 not found, 126 cannot run, 125 our own failure.
//! With `--enter`, start a command in a running container instead (exec).

mod args;
mod caps;
mod command;
mod console;
mod dev;
mod enter;
mod keep;
mod kernelfs;
mod pivot;
mod plan;
mod process;
mod seccomp;
mod sys;
mod user;

use rvol_state::Result;

fn main() {
    let args = args::parse();
    let exec = args.as_ref().is_ok_and(|a| a.enter.is_some());
    let r = args.and_then(|a| match a.enter {
        Some(_) => enter::run(a),
        None => run(a),
    });
    if let Err(e) = &r {
        rvol_state::start_fd::report(&e.msg);
        if exec {
            // docker exec's own words (enter.rs), as the verb prints them.
            eprintln!("{}", e.msg);
            std::process::exit(e.code);
        }
    }
    rvol_state::error::exit_with("rvol-exec", r)
}

fn run(args: args::Args) -> Result<i32> {
    let plan = plan::Plan::new(args)?;
    let filter = seccomp::Filter::compile(plan.seccomp.as_ref(), plan.no_new_privileges)?;
    // Setup needs exact modes (0666 devices); the command gets docker's 022.
    // SAFETY: umask(2) cannot fail.
    unsafe { libc::umask(0) };
    // The hostname only in a uts namespace of our own: never the host's.
    let own_uts = sys::own_namespace("uts")?;
    sys::require_own_mount_namespace()?;
    let kept = keep::take(&plan)?;
    let mut host_devices = None;
    pivot::into(&plan.rootfs, |host| {
        kernelfs::mount_proc(&plan)?;
        kernelfs::mount_sys(&plan, host)?;
        host_devices = dev::host_devices(host)?;
        Ok(())
    })?;
    dev::mount(&plan, host_devices)?;
    kernelfs::protect()?;
    kept.restore()?;
    console::take(&plan, true)?;
    if let (true, Some(h)) = (own_uts, &plan.hostname) {
        sys::set_hostname(h)?;
    }
    let user = user::resolve(&plan.user, &plan.additional_gids)?;
    command::make_cwd(&plan.cwd)?;
    if plan.readonly {
        pivot::remount_root_readonly()?;
    }
    process::start(&plan, &user, &filter)
}
