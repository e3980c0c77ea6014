//! Command lines of `rvol-mount create|apply|rm|volume ...`.

use std::path::PathBuf;

use lexopt::prelude::*;
use rvol_state::Root;

use crate::apply::ApplyArgs;
use crate::create::CreateArgs;
use crate::plan::Flags;
use crate::rm::RmArgs;
use crate::volcmd::VolumeCmd;

pub const USAGE: &str = "usage:
  rvol-mount create [--root DIR] [--name NAME] [--rm] [--quiet-empty] [-v SRC:DST[:OPTS]|DST]... [--mount KEY=VAL,...]...
                    [--tmpfs DST[:OPTS]]... [--volumes-from C[:ro|:rw]]... [--read-only]
                    [--cap-add CAP]... [--cap-drop CAP]... [--security-opt OPT]... < config.json
  rvol-mount apply [--bundle DIR | < config.json] [-- CMD ARGS...]
  rvol-mount rm [--root DIR] [-v] [-f] [--background] NAME|ID...
  rvol-mount volume create [NAME] [--label K=V]... [-o|--opt K=V]... | rm [-f] NAME...
                    | prune [-a] [-f] [--filter label=K[=V]|label!=K[=V]]...
  rvol-mount volume mount|release --bundle DIR   (a container's hooks: the local driver's mounts)

create reads the spec rvol-unpack prints (`rvol-unpack IMAGE | rvol-mount create ...`).
--quiet-empty: an empty stdin means the stage before failed and has said why: exit 125
without a second message (scripts/rvol's pipeline).";

pub enum Command {
    Create(CreateArgs),
    Apply(ApplyArgs),
    Rm(RmArgs),
    Volume(Root, VolumeCmd),
    Help,
}

pub fn parse() -> Result<Command, lexopt::Error> {
    let mut p = lexopt::Parser::from_env();
    let mut root: Option<PathBuf> = None;
    // `--root` may come before the verb too.
    let verb = loop {
        match p.next()? {
            Some(Long("root")) => root = Some(p.value()?.into()),
            Some(Short('h') | Long("help")) => return Ok(Command::Help),
            Some(Value(v)) => break v.string()?,
            Some(other) => return Err(other.unexpected()),
            None => return Err("a command is required: create, apply, rm or volume".into()),
        }
    };
    match verb.as_str() {
        "create" => create(&mut p, root),
        "apply" => apply(&mut p),
        "rm" => rm(&mut p, root),
        "volume" => volume(&mut p, root),
        other => Err(format!("unknown command {other:?}").into()),
    }
}

fn create(p: &mut lexopt::Parser, mut root: Option<PathBuf>) -> Result<Command, lexopt::Error> {
    let mut flags = Flags::default();
    let mut security = crate::security::Flags::default();
    let mut name = None;
    let mut auto_remove = false;
    let mut quiet_empty = false;
    while let Some(arg) = p.next()? {
        match arg {
            Long("root") => root = Some(p.value()?.into()),
            Long("name") => name = Some(p.value()?.string()?),
            Long("rm") => auto_remove = true,
            Long("quiet-empty") => quiet_empty = true,
            Short('v') | Long("volume") => {
                let v = p.value()?.string()?;
                match crate::mountspec::cli_volume(&v) {
                    Ok(crate::mountspec::VolumeFlag::Bind(b)) => flags.binds.push(b),
                    Ok(crate::mountspec::VolumeFlag::Anonymous(a)) => flags.anonymous.push(a),
                    // Docker's CLI errors come out as ours, before any work.
                    Err(e) => return Err(lexopt::Error::Custom(Box::new(e))),
                }
            }
            Long("mount") => flags.mounts.push(p.value()?.string()?),
            Long("tmpfs") => flags.tmpfs.push(p.value()?.string()?),
            Long("volumes-from") => flags.volumes_from.push(p.value()?.string()?),
            Long("read-only") => flags.read_only = true,
            Long("cap-add") => security.cap_add.push(p.value()?.string()?),
            Long("cap-drop") => security.cap_drop.push(p.value()?.string()?),
            Long("security-opt") => {
                let v = p.value()?.string()?;
                // The CLI's checks (and its read of a profile file), before any work.
                let opt = crate::security::cli_security_opt(&v).map_err(lexopt::Error::from)?;
                security.security_opt.push(opt);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(Command::Create(CreateArgs {
        root: Root::resolve(root),
        name,
        auto_remove,
        quiet_empty,
        flags,
        security,
    }))
}

fn apply(p: &mut lexopt::Parser) -> Result<Command, lexopt::Error> {
    let mut bundle = None;
    let mut cmd = Vec::new();
    while let Some(arg) = p.next()? {
        match arg {
            Long("bundle") => bundle = Some(PathBuf::from(p.value()?)),
            // Chain loading: the first positional (or `--`) ends our
            // options; the rest is the next program's argv, untouched.
            Value(v) => {
                cmd.push(v);
                cmd.extend(p.raw_args()?);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(Command::Apply(ApplyArgs { bundle, cmd }))
}

fn rm(p: &mut lexopt::Parser, mut root: Option<PathBuf>) -> Result<Command, lexopt::Error> {
    let (mut volumes, mut force, mut background) = (false, false, false);
    let mut targets = Vec::new();
    while let Some(arg) = p.next()? {
        match arg {
            Long("root") => root = Some(p.value()?.into()),
            Short('v') | Long("volumes") => volumes = true,
            Short('f') | Long("force") => force = true,
            Long("background") => background = true,
            Value(v) => targets.push(v.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    if targets.is_empty() {
        return Err("rm requires at least 1 argument".into());
    }
    Ok(Command::Rm(RmArgs {
        root: Root::resolve(root),
        volumes,
        force,
        background,
        targets,
    }))
}

fn volume(p: &mut lexopt::Parser, mut root: Option<PathBuf>) -> Result<Command, lexopt::Error> {
    let sub = loop {
        match p.next()? {
            Some(Long("root")) => root = Some(p.value()?.into()),
            Some(Value(v)) => break v.string()?,
            Some(other) => return Err(other.unexpected()),
            None => return Err("volume: a command is required: create, rm or prune".into()),
        }
    };
    let (mut all, mut force) = (false, false);
    let (mut labels, mut opts, mut filters) = (Vec::new(), Vec::new(), Vec::new());
    let mut names = Vec::new();
    let mut bundle = None;
    while let Some(arg) = p.next()? {
        match arg {
            Long("root") => root = Some(p.value()?.into()),
            Long("label") if sub == "create" => labels.push(p.value()?.string()?),
            Short('o') | Long("opt") if sub == "create" => opts.push(p.value()?.string()?),
            Long("filter") if sub == "prune" => filters.push(p.value()?.string()?),
            Long("bundle") if sub == "mount" || sub == "release" => {
                bundle = Some(PathBuf::from(p.value()?))
            }
            Short('d') | Long("driver") if sub == "create" => {
                let d = p.value()?.string()?;
                if d != "local" {
                    return Err(format!("volume driver {d:?}: only \"local\" is supported").into());
                }
            }
            Short('a') | Long("all") if sub == "prune" => all = true,
            Short('f') | Long("force") if matches!(sub.as_str(), "rm" | "remove" | "prune") => {
                force = true
            }
            Value(v) if sub == "create" || sub == "rm" || sub == "remove" => {
                names.push(v.string()?)
            }
            _ => return Err(arg.unexpected()),
        }
    }
    let cmd = match sub.as_str() {
        "create" => {
            if names.len() > 1 {
                return Err("volume create: at most 1 argument".into());
            }
            VolumeCmd::Create {
                name: names.pop(),
                labels,
                opts,
            }
        }
        "rm" | "remove" => {
            if names.is_empty() {
                return Err("volume rm requires at least 1 argument".into());
            }
            VolumeCmd::Rm { force, names }
        }
        "prune" => VolumeCmd::Prune {
            all,
            force,
            filters,
        },
        "mount" | "release" => {
            let bundle = bundle.ok_or("volume mount|release: --bundle is required")?;
            match sub.as_str() {
                "mount" => VolumeCmd::Mount { bundle },
                _ => VolumeCmd::Release { bundle },
            }
        }
        other => {
            return Err(format!(
                "volume: unknown command {other:?} (ls and inspect are rvol-inspect's)"
            )
            .into())
        }
    };
    Ok(Command::Volume(Root::resolve(root), cmd))
}
