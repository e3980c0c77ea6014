//! rvol-ns: enter new namespaces (from flags or a bundle's
//! `linux.namespaces`), fork once so the command is PID 1 of its pid
//! namespace, forward signals to it, record the bundle's state, and exit
//! with the command's status (128+N when signal N killed it); then run the
//! bundle's poststop hooks (`--rm`).

mod args;
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
    let spec = match &args.bundle {
        Some(b) => Some(namespaces::load_spec(b)?),
        None => None,
    };
    let plan = namespaces::Plan::new(args.flags, spec.as_ref())?;
    plan.enter_parent()?;
    let poststop = spec.as_ref().map(hooks::poststop).unwrap_or_default();
    let ended = supervise::run(
        &args.cmd,
        args.bundle.as_deref(),
        !poststop.is_empty() && plan.new_mount_ns(),
        || plan.enter_child(),
    )?;
    if let (Some(b), Some(spec)) = (&args.bundle, &spec) {
        hooks::run(&poststop, b, spec, ended.mount_ns);
    }
    Ok(ended.code)
}
