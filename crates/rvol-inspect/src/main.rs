//! rvol-inspect: what `docker inspect`, `docker ps`, `docker images`,
//! `docker volume ls|inspect`, `docker info` and `docker version` print,
//! read from the rvol state root alone.

use rvol_inspect::{args, df, image, logs, output, prune, ps, system, volume};

fn main() {
    let r = args::parse().and_then(run);
    rvol_state::error::exit_with("rvol-inspect", r);
}

fn run(cmd: args::Command) -> rvol_state::Result<i32> {
    use args::Command::*;
    // Rootless: sizes walk volumes and upper dirs whose files have mapped
    // owners (a 0700 directory of container uid 1000 is not ours outside).
    if matches!(cmd, Df(_) | Prunable(_)) {
        rvol_state::rootless::enter(false)?;
    }
    match cmd {
        Help(text) => {
            print!("{text}");
            Ok(0)
        }
        Inspect(a) => output::inspect(&a),
        Ps(a) => ps::run(&a),
        Images(a) => image::list(&a),
        VolumeLs(a) => volume::list(&a),
        Info(a) => system::info(&a),
        Version(a) => system::version(&a),
        Prunable(a) => prune::run(&a),
        Logs(a) => logs::run(&a),
        Df(a) => df::run(&a),
    }
}
