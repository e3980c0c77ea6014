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
    let poststop = spec.as_ref().map(hooks::poststop).unwrap_or_default();
    if let (Some(b), Some(spec)) = (&args.bundle, &spec) {
        // On the host, before any namespace: the volumes' mounts.
        let start = hooks::create_runtime(spec);
        if let Err(f) = hooks::run_create_runtime(&start, b, spec) {
            // Docker keeps the container `created`, ExitCode 128, with
            // the error; then the end's hooks (--rm) run as after a run.
            if !f.said {
                eprintln!("rvol-ns: {}", f.msg);
            }
            if let Err(e) = state::not_started(b, None, 128, &f.msg) {
                eprintln!("rvol-ns: {e}");
            }
            hooks::run(&poststop, b, spec, None);
            return Ok(f.code);
        }
    }
    plan.enter_parent()?;
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
