//! rvol-mount: docker's mounts for one container. `create` plans them
//! (volumes, copy-up, the bundle), `apply` makes them in the container's
//! mount namespace and execs the next link of the chain; `rm` and
//! `volume create|rm|prune` change the state those two share.

use rvol_mount::{apply, args, create, rm, volcmd};

use rvol_state::error::exit_with;
use rvol_state::Result;

fn run() -> Result<i32> {
    let cmd = args::parse()?;
    // Rootless: every verb but apply (already in the container's user
    // namespace) and create (which enters only when it needs to: create.rs)
    // writes the store's files of mapped owners.
    if !matches!(
        cmd,
        args::Command::Apply(_) | args::Command::Create(_) | args::Command::Help
    ) {
        rvol_state::rootless::enter(true)?;
    }
    match cmd {
        args::Command::Help => {
            println!("{}", args::USAGE);
            Ok(0)
        }
        args::Command::Create(a) => create::run(a),
        args::Command::Apply(a) => apply::run(a),
        args::Command::Rm(a) => rm::run(a),
        args::Command::Volume(root, cmd) => volcmd::run(&root, cmd),
    }
}

fn main() {
    exit_with("rvol-mount", run())
}
