//! Command line: `rvol-commit [OPTIONS] CONTAINER [NAME[:TAG]]` (docker
//! commit) and `rvol-commit save [-o DEST] [--format F] IMAGE...` (docker save).

use std::path::PathBuf;

use lexopt::prelude::*;

use rvol_state::compress::Compression;

pub const USAGE: &str = "\
usage: rvol-commit [--root DIR] [OPTIONS] CONTAINER [NAME[:TAG]]
       rvol-commit [--root DIR] save [-o FILE|DIR|oci:DIR[:TAG]] [--format docker-archive|oci] IMAGE...
       rvol-commit [--root DIR] rmi [-f] IMAGE...
       rvol-commit [--root DIR] tag SOURCE TARGET
       rvol-commit [--root DIR] cp [-a] [-L] CONTAINER:SRC DEST|-
       rvol-commit [--root DIR] cp [-a] [-L] SRC|- CONTAINER:DEST
       rvol-commit [--root DIR] diff CONTAINER
       rvol-commit [--root DIR] export [-o FILE] CONTAINER
       rvol-commit [--root DIR] volume-export [-o FILE] VOLUME
       rvol-commit [--root DIR] volume-import VOLUME FILE|-
       rvol-commit [--root DIR] image-prune [-a] [-f] [--filter until=T|label=K[=V]]...
       rvol-commit [--root DIR] build [-t NAME]... [-f FILE] [--build-arg K[=V]]... [-q]
                   [--no-cache] [--label K=V]... [--compat-volumes] PATH|-

Create a new image from a container's changes (docker commit), write
images out of the store (docker save), or remove and name images in it
(docker rmi, tag, image prune; unused layers and blobs are collected).

commit options:
  -a, --author AUTHOR     author (\"John Doe <jd@example.com>\")
  -c, --change INSTR      apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV,
                          EXPOSE, LABEL, USER, VOLUME, WORKDIR (repeatable)
  -m, --message MSG       commit message
  -p, --pause[=BOOL]      stop the container's processes while committing
                          (default true)
      --compress ALGO     layer compression: gzip (default, fast level), zstd,
                          or none (a plain tar layer, as docker keeps them)
save options:
  -o, --output DEST       a docker-archive FILE (default: stdout), or an OCI
                          layout as oci:DIR[:TAG] or DIR with --format oci
      --format FMT        docker-archive (default) or oci
  --root DIR              state root (default $RVOL_ROOT or /var/lib/rvol)
";

pub enum Command {
    Commit(CommitArgs),
    Save(SaveArgs),
    /// `rmi [-f] IMAGE...`
    Rmi {
        force: bool,
        images: Vec<String>,
    },
    /// `tag SOURCE TARGET`
    Tag {
        source: String,
        target: String,
    },
    /// `image-prune [-a] [-f] [--filter F]...`
    Prune {
        all: bool,
        force: bool,
        filters: Vec<String>,
    },
    /// `build [OPTIONS] PATH|-` (docker build)
    Build(crate::build::BuildArgs),
    /// `copy-into --rootfs DIR PLAN`: a build step's files into a mounted root
    CopyInto {
        rootfs: PathBuf,
        plan: PathBuf,
    },
    /// `copy-out --rootfs DIR --to DIR SRC...`: COPY --from's sources out
    CopyOut {
        rootfs: PathBuf,
        to: PathBuf,
        srcs: Vec<String>,
    },
    Cp(crate::cp::CpArgs),
    /// `diff CONTAINER`
    Diff(String),
    /// `export [-o FILE] CONTAINER`
    Export {
        output: Option<String>,
        container: String,
    },
    /// `volume-export [-o FILE] VOLUME`
    VolumeExport {
        output: Option<String>,
        volume: String,
    },
    /// `volume-import VOLUME FILE|-`
    VolumeImport {
        volume: String,
        source: String,
    },
    Help,
}

pub struct CommitArgs {
    pub container: String,
    pub reference: Option<String>,
    pub changes: Vec<String>,
    pub message: Option<String>,
    pub author: Option<String>,
    pub pause: bool,
    pub compression: Compression,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    DockerArchive,
    Oci,
}

pub struct SaveArgs {
    pub output: Option<String>,
    pub format: Option<Format>,
    pub images: Vec<String>,
}

pub struct Args {
    pub root: Option<PathBuf>,
    pub command: Command,
}

fn parse_bool(v: &str) -> Result<bool, lexopt::Error> {
    match v {
        "true" | "1" | "t" | "T" | "TRUE" | "True" => Ok(true),
        "false" | "0" | "f" | "F" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("invalid boolean value {v:?} for --pause").into()),
    }
}

pub fn parse() -> Result<Args, lexopt::Error> {
    let mut parser = lexopt::Parser::from_env();
    let mut root = None;
    let mut save = false;
    let mut positional: Vec<String> = Vec::new();
    let mut commit = CommitArgs {
        container: String::new(),
        reference: None,
        changes: Vec::new(),
        message: None,
        author: None,
        pause: true,
        compression: Compression::Gzip,
    };
    let mut output = None;
    let mut format = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("root") => root = Some(PathBuf::from(parser.value()?)),
            Short('h') | Long("help") => {
                return Ok(Args {
                    root,
                    command: Command::Help,
                })
            }
            Short('c') | Long("change") if !save => commit.changes.push(parser.value()?.string()?),
            Short('m') | Long("message") if !save => {
                commit.message = Some(parser.value()?.string()?)
            }
            Short('a') | Long("author") if !save => commit.author = Some(parser.value()?.string()?),
            Short('p') | Long("pause") if !save => {
                commit.pause = match parser.optional_value() {
                    Some(v) => parse_bool(&v.string()?)?,
                    None => true,
                }
            }
            Long("compress") if !save => {
                let v = parser.value()?.string()?;
                commit.compression = Compression::parse(&v).ok_or_else(|| {
                    lexopt::Error::from(format!("--compress {v:?}: want gzip, zstd or none"))
                })?;
            }
            Short('o') | Long("output") if save => output = Some(parser.value()?.string()?),
            Long("format") if save => {
                format = Some(match parser.value()?.string()?.as_str() {
                    "docker-archive" | "docker" => Format::DockerArchive,
                    "oci" => Format::Oci,
                    v => return Err(format!("--format {v:?}: want docker-archive or oci").into()),
                })
            }
            Value(v) => {
                let v = v.string()?;
                if !save && positional.is_empty() && v == "build" {
                    return Ok(Args {
                        root,
                        command: Command::Build(crate::build::args::parse(&mut parser)?),
                    });
                }
                if !save && positional.is_empty() && v == "copy-into" {
                    let mut rootfs = None;
                    let mut plan = None;
                    while let Some(arg) = parser.next()? {
                        match arg {
                            Long("rootfs") => rootfs = Some(PathBuf::from(parser.value()?)),
                            Value(v) => plan = Some(PathBuf::from(v)),
                            _ => return Err(arg.unexpected()),
                        }
                    }
                    return match (rootfs, plan) {
                        (Some(rootfs), Some(plan)) => Ok(Args {
                            root,
                            command: Command::CopyInto { rootfs, plan },
                        }),
                        _ => Err("copy-into: requires --rootfs DIR and PLAN".into()),
                    };
                }
                if !save && positional.is_empty() && v == "copy-out" {
                    let (mut rootfs, mut to, mut srcs) = (None, None, Vec::new());
                    while let Some(arg) = parser.next()? {
                        match arg {
                            Long("rootfs") => rootfs = Some(PathBuf::from(parser.value()?)),
                            Long("to") => to = Some(PathBuf::from(parser.value()?)),
                            Value(v) => srcs.push(v.string()?),
                            _ => return Err(arg.unexpected()),
                        }
                    }
                    return match (rootfs, to) {
                        (Some(rootfs), Some(to)) => Ok(Args {
                            root,
                            command: Command::CopyOut { rootfs, to, srcs },
                        }),
                        _ => Err("copy-out: requires --rootfs DIR and --to DIR".into()),
                    };
                }
                if !save
                    && positional.is_empty()
                    && matches!(
                        v.as_str(),
                        "diff" | "export" | "volume-export" | "volume-import"
                    )
                {
                    return Ok(Args {
                        root,
                        command: parse_view(&v, &mut parser)?,
                    });
                }
                if !save && positional.is_empty() && v == "cp" {
                    return Ok(Args {
                        root,
                        command: parse_cp(&mut parser)?,
                    });
                }
                if !save && positional.is_empty() && STORE_MODES.contains(&v.as_str()) {
                    return Ok(Args {
                        root,
                        command: parse_store(&v, &mut parser)?,
                    });
                }
                if !save && positional.is_empty() && v == "save" {
                    save = true;
                } else {
                    positional.push(v);
                }
            }
            _ => return Err(arg.unexpected()),
        }
    }
    let command = if save {
        if positional.is_empty() {
            return Err("save: requires at least 1 IMAGE".into());
        }
        Command::Save(SaveArgs {
            output,
            format,
            images: positional,
        })
    } else {
        if positional.is_empty() || positional.len() > 2 {
            return Err(
                "requires at least 1 and at most 2 arguments: CONTAINER [REPOSITORY[:TAG]]".into(),
            );
        }
        let mut it = positional.into_iter();
        commit.container = it.next().unwrap();
        commit.reference = it.next();
        Command::Commit(commit)
    };
    Ok(Args { root, command })
}

/// The modes that change the store's names (scripts/rvol-rmi, rvol-tag,
/// rvol-image-prune sort docker's flags and call these).
const STORE_MODES: [&str; 3] = ["rmi", "tag", "image-prune"];

fn parse_store(mode: &str, parser: &mut lexopt::Parser) -> Result<Command, lexopt::Error> {
    let (mut force, mut all) = (false, false);
    let mut filters = Vec::new();
    let mut operands = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('f') | Long("force") if mode != "tag" => force = true,
            Short('a') | Long("all") if mode == "image-prune" => all = true,
            Long("filter") if mode == "image-prune" => filters.push(parser.value()?.string()?),
            Short('h') | Long("help") => return Ok(Command::Help),
            Value(v) => operands.push(v.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(match mode {
        "rmi" if !operands.is_empty() => Command::Rmi {
            force,
            images: operands,
        },
        "rmi" => return Err("rmi: requires at least 1 IMAGE".into()),
        "tag" if operands.len() == 2 => {
            let mut it = operands.into_iter();
            Command::Tag {
                source: it.next().unwrap_or_default(),
                target: it.next().unwrap_or_default(),
            }
        }
        "tag" => return Err("tag: requires exactly 2 arguments: SOURCE TARGET".into()),
        _ if operands.is_empty() => Command::Prune {
            all,
            force,
            filters,
        },
        _ => return Err("image-prune: takes no arguments".into()),
    })
}

/// `cp [-a] [-L] [--mounted] SRC DST` (docker cp; `--mounted`: the re-exec
/// under rvol-mount apply, the container's bundle mounted for the copy).
fn parse_cp(parser: &mut lexopt::Parser) -> Result<Command, lexopt::Error> {
    let mut a = crate::cp::CpArgs {
        archive: false,
        follow: false,
        mounted: false,
        src: String::new(),
        dst: String::new(),
    };
    let mut operands = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('a') | Long("archive") => a.archive = true,
            Short('L') | Long("follow-link") => a.follow = true,
            Long("mounted") => a.mounted = true,
            Short('h') | Long("help") => return Ok(Command::Help),
            Value(v) => operands.push(v.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    if operands.len() != 2 {
        return Err("cp: requires exactly 2 arguments: SRC DEST".into());
    }
    a.dst = operands.pop().unwrap_or_default();
    a.src = operands.pop().unwrap_or_default();
    Ok(Command::Cp(a))
}

/// `diff CONTAINER`, `export [-o FILE] CONTAINER`.
fn parse_view(mode: &str, parser: &mut lexopt::Parser) -> Result<Command, lexopt::Error> {
    let mut output = None;
    let mut operands = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('o') | Long("output") if mode.ends_with("export") => {
                output = Some(parser.value()?.string()?)
            }
            Short('h') | Long("help") => return Ok(Command::Help),
            Value(v) => operands.push(v.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    let want = if mode == "volume-import" { 2 } else { 1 };
    if operands.len() != want {
        let what = match mode {
            "volume-import" => "exactly 2 arguments: VOLUME FILE|-",
            "volume-export" => "exactly 1 argument: VOLUME",
            _ => "exactly 1 argument: CONTAINER",
        };
        return Err(format!("{mode}: requires {what}").into());
    }
    let mut it = operands.into_iter();
    let first = it.next().unwrap_or_default();
    Ok(match mode {
        "diff" => Command::Diff(first),
        "export" => Command::Export {
            output,
            container: first,
        },
        "volume-export" => Command::VolumeExport {
            output,
            volume: first,
        },
        _ => Command::VolumeImport {
            volume: first,
            source: it.next().unwrap_or_default(),
        },
    })
}
