//! The steps that make this process the container's, the same for a run
//! (after the root and its mounts are made) and an exec (after joining
//! the running container's): a session of its own, no stray descriptor,
//! the working directory, the capability bounding set, the user, the
//! capabilities left to that user, then execve. Whatever confines a
//! container process goes here, once, so that an exec'd one gets it too.

use rvol_state::Result;

use crate::plan::Plan;
use crate::user::User;
use crate::{caps, command, sys, user};

pub fn start(plan: &Plan, user: &User) -> Result<i32> {
    sys::new_session(plan.terminal)?;
    sys::close_fds_on_exec()?;
    let chdir_again = command::chdir_as_root(&plan.cwd)?;
    caps::drop_bounding()?;
    user::switch(user)?;
    caps::settle(user.uid)?;
    command::exec(plan, user, chdir_again)
}
