//! rvol-exec: become the container process. Inside the namespaces rvol-ns
//! made (and after rvol-mount apply mounted the root), pivot_root into the
//! bundle's rootfs, mount /proc /dev /sys as Docker does, set the hostname,
//! resolve the user, set the spec's capabilities (Docker's default set and
//! the user's --cap-add/--cap-drop) and seccomp filter, and execve the
//! command. Exit 127 not found, 126 cannot run, 125 our own failure.

mod args;
mod caps;
mod command;
mod dev;
mod keep;
mod kernelfs;
mod pivot;
mod plan;
mod seccomp;
mod sys;
mod user;

use rvol_state::Result;

fn main() {
    let r = args::parse().and_then(run);
    if let Err(e) = &r {
        rvol_state::start_fd::report(&e.msg);
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
    pivot::into(&plan.rootfs)?;
    let kept = keep::take(&plan)?;
    kernelfs::mount_proc(&plan)?;
    dev::mount(&plan)?;
    kernelfs::mount_sys(&plan)?;
    kernelfs::protect()?;
    kept.restore()?;
    if let (true, Some(h)) = (own_uts, &plan.hostname) {
        sys::set_hostname(h)?;
    }
    let user = user::resolve(&plan.user, &plan.additional_gids)?;
    command::make_cwd(&plan.cwd)?;
    if plan.readonly {
        pivot::remount_root_readonly()?;
    }
    sys::new_session(plan.terminal)?;
    sys::close_fds_on_exec()?;
    let chdir_again = command::chdir_as_root(&plan.cwd)?;
    restrict(&plan, &user, &filter)?;
    command::exec(&plan, &user, chdir_again, &filter)
}

/// runc's order (standard_init_linux.go): no_new_privs, the seccomp filter
/// when it needs our CAP_SYS_ADMIN to load (no no-new-privileges), then
/// the bounding set, the user, the capability sets. With
/// no-new-privileges the filter waits for the last step before execve
/// (command::exec).
fn restrict(plan: &plan::Plan, user: &user::User, filter: &seccomp::Filter) -> Result<()> {
    seccomp::set_no_new_privileges(plan.no_new_privileges)?;
    filter.load_before_capabilities()?;
    caps::drop_bounding(&plan.caps)?;
    user::switch(user)?;
    caps::settle(&plan.caps, user.uid)
}
