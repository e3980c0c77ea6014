//! rvol-ns: enter new namespaces (from flags or a bundle's
//! `linux.namespaces`), fork once so the command is PID 1 of its pid
//! namespace, forward signals to it, record the bundle's state, and exit
//! with the command's status (128+N when signal N killed it); then run the
//! bundle's poststop hooks (`--rm`). With a bundle the output passes
//! through us to its log (relay.rs); `--attach` is the client of a
//! running container's attach socket (attach.rs).
//! With `--enter`, the same for a command joining a running container
//! (`rvol exec`, enter.rs).

mod args;
mod attach;
mod enter;
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
    if args.enter {
        return run_enter(&args);
    }
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
    if let Err(e) = plan.enter_parent() {
        // Rootless, the kernel may refuse the user namespace: recorded as
        // a failed start (Created, ExitCode 128, the error), as above. The
        // poststop hooks are not run: removing an --rm container needs a
        // user namespace too (`rvol rm` does it once one can be made).
        if let Some(b) = &args.bundle {
            eprintln!("rvol-ns: {}", e.msg);
            if let Err(e) = state::not_started(b, None, 128, &e.msg) {
                eprintln!("rvol-ns: {e}");
            }
            return Ok(e.code);
        }
        return Err(e);
    }
    let (mut relay, ends) = match &args.bundle {
        Some(b) => {
            let (r, e) = relay::Relay::new(b, terminal, !detach, detach || terminal, client)?;
            (Some(r), Some(e))
        }
        None => (None, None),
    };
    let opts = supervise::Options {
        bundle: args.bundle.as_deref(),
        hold_mount_ns: !poststop.is_empty() && plan.new_mount_ns(),
        new_pid_ns: plan.new_pid_ns(),
        detach: false,
    };
    let ended = supervise::run(&args.cmd, opts, relay.as_mut().zip(ends), || {
        plan.enter_child()
    })?;
    if let (Some(b), Some(spec)) = (&args.bundle, &spec) {
        hooks::run(&poststop, b, spec, ended.mount_ns);
    }
    if let Some(r) = &mut relay {
        r.finish(ended.code);
    }
    Ok(ended.code)
}

/// `rvol exec`: the command joins the running container; its record and
/// hooks are not ours. With `--tty` the chain makes the pty and we relay
/// it as a run's (relay.rs, without the log): `exec -it` on a terminal
/// splits into the front the user's shell waits for and the supervisor
/// (front.rs), which ends the command when the front goes away unless the
/// user detached (relay.rs).
fn run_enter(args: &args::Args) -> rvol_state::Result<i32> {
    let bundle = args.bundle.as_deref().unwrap_or(std::path::Path::new(""));
    let target = enter::open(bundle)?;
    let mut client = None;
    if args.tty && !args.detach && front::interactive() {
        match front::split_exec()? {
            front::Split::Front(code) => return Ok(code),
            front::Split::Supervisor(c) => client = Some(c),
        }
    } else if args.tty {
        if let Some(ws) = terminal::user_size() {
            std::env::set_var(
                rvol_state::console::SIZE_ENV,
                rvol_state::console::size_text(&ws),
            );
        }
    }
    target.enter_parent()?;
    let (mut relay, ends) = match args.tty {
        true => {
            let echo = client.is_none();
            let (r, e) = relay::Relay::unlogged(echo, client)?;
            (Some(r), Some(e))
        }
        false => (None, None),
    };
    let opts = supervise::Options {
        bundle: None,
        hold_mount_ns: false,
        new_pid_ns: false,
        detach: args.detach,
    };
    let ended = supervise::run(&args.cmd, opts, relay.as_mut().zip(ends), || {
        target.enter_child()
    })?;
    if let Some(r) = &mut relay {
        r.finish(ended.code);
    }
    Ok(ended.code)
}
