//! The steps that make this process the container's, the same for a run
//! (after the root and its mounts are made) and an exec (after joining
//! the running container's): a session of its own, no stray descriptor,
//! the working directory, the capability bounding set, the user, the
//! capabilities left to that user, then execve. Whatever confines a
//! container process goes here, once, so that an exec'd one gets it too.

use rvol_state::Result;

use crate::plan::Plan;
use crate::seccomp::Filter;
use crate::user::User;
use crate::{caps, command, seccomp, sys, user};

pub fn start(plan: &Plan, user: &User, filter: &Filter) -> Result<i32> {
    sys::new_session(plan.terminal)?;
    sys::close_fds_on_exec()?;
    let chdir_again = command::chdir_as_root(&plan.cwd)?;
    restrict(plan, user, filter)?;
    command::exec(plan, user, chdir_again, filter)
}

/// runc's order (standard_init_linux.go): no_new_privs, the seccomp filter
/// when it needs our CAP_SYS_ADMIN to load (no no-new-privileges), then
/// the bounding set, the user, the capability sets. With
/// no-new-privileges the filter waits for the last step before execve
/// (command::exec).
fn restrict(plan: &Plan, user: &User, filter: &Filter) -> Result<()> {
    seccomp::set_no_new_privileges(plan.no_new_privileges)?;
    filter.load_before_capabilities()?;
    caps::drop_bounding(&plan.caps)?;
    user::switch(user)?;
    caps::settle(&plan.caps, user.uid)
}
