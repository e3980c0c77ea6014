//! rvol-commit: a container's changes as a new image (`docker commit`),
//! and images out of the store as docker-archive or OCI layout (`docker save`);
//! the store's names and their removal (`docker rmi`, `tag`, `image prune`)
//! with the collection of what no image or container needs; files between
//! a container and the host (`docker cp`).

mod args;
mod blob;
mod build;
mod change;
mod commit;
mod cp;
mod cphost;
mod cppath;
mod cpsink;
mod cptree;
mod cpview;
mod diff;
mod dockerfile;
mod fsview;
mod gc;
mod image;
mod layer;
mod pause;
mod prune;
mod rmi;
mod save;
mod tarfmt;
mod volxfer;

use rvol_state::{Error, Root};

fn main() {
    rvol_state::error::exit_with("rvol-commit", run());
}

fn run() -> rvol_state::Result<i32> {
    let args = args::parse().map_err(|e| Error::new(format!("{e}\n{}", args::USAGE)))?;
    let root = Root::resolve(args.root);
    // Rootless: every verb reads or writes files of mapped owners; commit
    // enters the namespace of the container it stops, once it knows it
    // (commit.rs).
    if !matches!(args.command, args::Command::Commit(_)) {
        rvol_state::rootless::enter(true)?;
    }
    match args.command {
        args::Command::Help => {
            print!("{}", args::USAGE);
            Ok(0)
        }
        args::Command::Commit(c) => {
            let id = commit::commit(&root, &c)?;
            println!("{id}");
            Ok(0)
        }
        args::Command::Cp(c) => cp::cp(&root, &c),
        args::Command::Diff(c) => diff::diff(&root, &c),
        args::Command::Export { output, container } => {
            diff::export(&root, &container, output.as_deref())
        }
        args::Command::VolumeExport { output, volume } => {
            volxfer::export(&root, &volume, output.as_deref())
        }
        args::Command::VolumeImport { volume, source } => volxfer::import(&root, &volume, &source),
        args::Command::Save(s) => save::save(&root, &s).map(|()| 0),
        args::Command::Rmi { force, images } => rmi::rmi(&root, force, &images),
        args::Command::Tag { source, target } => rmi::tag(&root, &source, &target),
        args::Command::Prune {
            all,
            force,
            filters,
        } => prune::prune(&root, all, force, &filters),
        args::Command::Build(b) => build::build(&root, &b),
        args::Command::CopyInto { rootfs, plan } => build::copyinto::run(&rootfs, &plan),
        args::Command::CopyOut { rootfs, to, srcs } => build::copyout::run(&rootfs, &to, &srcs),
    }
}
