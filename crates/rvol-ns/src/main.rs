//! rvol-ns: enter new namespaces (from flags or a bundle's
//! `linux.namespaces`), fork once so the command is PID 1 of its pid
//! namespace, forward signals to it, record the bundle's state, and exit
//! with the command's status (128+N when signal N killed it); then run the
//! bundle's poststop hooks (`--rm`). With a bundle the output passes
//! through us to its log (relay.rs); `--attach` is the client of a
//! running container's attach socket (attach.rs).

mod args;
mod attach;
mod front;
mod hooks;
mod loopback;
mod namespaces;
mod relay;
mod state;
mod supervise;
mod terminal;

fn main() {
    let r = args::parse().and_then(run);
    rvol_state::error::exit_with("rvol-ns", r)
}

fn run(args: args::Args) -> rvol_state::Result<i32> {
    if let (true, Some(b)) = (args.attach, &args.bundle) {
        return front::attach(b);
    }
    let spec = match &args.bundle {
        Some(b) => Some(namespaces::load_spec(b)?),
        None => None,
    };
    let terminal = spec
        .as_ref()
        .and_then(|s| s.process().as_ref())
        .and_then(|p| p.terminal())
        .unwrap_or(false);
    let detach = args.detach;
    if args.bundle.is_some() && terminal && !detach && front::interactive() {
        // -it: the user's side becomes an attach client, the rest of us
        // the container's supervisor, so that a detach leaves it running.
        match front::split()? {
            front::Split::Front(code) => return Ok(code),
            front::Split::Supervisor(c) => {
                // Our own failure is the front's to print: our stderr is
                // /dev/null now.
                let report = c.try_clone().ok();
                let r = supervisor(args, spec, terminal, true, Some(c));
                if let (Err(e), Some(c)) = (&r, report) {
                    front::report(&c, e);
                }
                return r;
            }
        }
    }
    if terminal && !detach {
        if let Some(ws) = terminal::user_size() {
            std::env::set_var(
                rvol_state::console::SIZE_ENV,
                rvol_state::console::size_text(&ws),
            );
        }
    }
    supervisor(args, spec, terminal, detach, None)
}

/// The container's supervisor (or a plain rvol-ns without a bundle).
fn supervisor(
    args: args::Args,
    spec: Option<oci_spec::runtime::Spec>,
    terminal: bool,
    detach: bool,
    client: Option<std::os::fd::OwnedFd>,
) -> rvol_state::Result<i32> {
    let plan = namespaces::Plan::new(args.flags, spec.as_ref())?;
    plan.enter_parent()?;
    let poststop = spec.as_ref().map(hooks::poststop).unwrap_or_default();
    let (mut relay, ends) = match &args.bundle {
        Some(b) => {
            let (r, e) = relay::Relay::new(b, terminal, !detach, detach || terminal, client)?;
            (Some(r), Some(e))
        }
        None => (None, None),
    };
    let ended = supervise::run(
        &args.cmd,
        args.bundle.as_deref(),
        !poststop.is_empty() && plan.new_mount_ns(),
        relay.as_mut().zip(ends),
        || plan.enter_child(),
    )?;
    if let (Some(b), Some(spec)) = (&args.bundle, &spec) {
        hooks::run(&poststop, b, spec, ended.mount_ns);
    }
    if let Some(r) = &mut relay {
        r.finish(ended.code);
    }
    Ok(ended.code)
}
