//! rvol-ns: enter new namespaces (from flags or a bundle's
//! `linux.namespaces`), fork once so the command is PID 1 of its pid
//! namespace, forward signals to it, record the bundle's state, and exit
//! with the command's status (128+N when signal N killed it); then run the
//! bundle's poststop hooks (`--rm`). With `--enter`, the same for a
//! command joining a running container (`rvol exec`).

mod args;
mod enter;
mod hooks;
mod loopback;
mod namespaces;
mod state;
mod supervise;

fn main() {
    let r = args::parse().and_then(run);
    rvol_state::error::exit_with("rvol-ns", r)
}

fn run(args: args::Args) -> rvol_state::Result<i32> {
    if args.enter {
        return run_enter(&args);
    }
    let spec = match &args.bundle {
        Some(b) => Some(namespaces::load_spec(b)?),
        None => None,
    };
    let plan = namespaces::Plan::new(args.flags, spec.as_ref())?;
    plan.enter_parent()?;
    let poststop = spec.as_ref().map(hooks::poststop).unwrap_or_default();
    let opts = supervise::Options {
        bundle: args.bundle.as_deref(),
        hold_mount_ns: !poststop.is_empty() && plan.new_mount_ns(),
        detach: false,
    };
    let ended = supervise::run(&args.cmd, opts, || plan.enter_child())?;
    if let (Some(b), Some(spec)) = (&args.bundle, &spec) {
        hooks::run(&poststop, b, spec, ended.mount_ns);
    }
    Ok(ended.code)
}

/// `rvol exec`: the command joins the running container; its record and
/// hooks are not ours.
fn run_enter(args: &args::Args) -> rvol_state::Result<i32> {
    let bundle = args.bundle.as_deref().unwrap_or(std::path::Path::new(""));
    let target = enter::open(bundle)?;
    target.enter_parent()?;
    let opts = supervise::Options {
        bundle: None,
        hold_mount_ns: false,
        detach: args.detach,
    };
    let ended = supervise::run(&args.cmd, opts, || target.enter_child())?;
    Ok(ended.code)
}
