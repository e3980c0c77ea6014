//! Command line: `rvol-unpack [--root DIR] [process flags] IMAGE [CMD...]`,
//! `rvol-unpack import FILE NAME[:TAG]`, `rvol-unpack load [-i FILE]`.

use std::path::PathBuf;

use lexopt::prelude::*;
use rvol_state::{Error, Result};

pub const USAGE: &str = "\
usage: rvol-unpack [--root DIR] [OPTIONS] IMAGE [CMD [ARG...]]
       rvol-unpack [--root DIR] import FILE|- NAME[:TAG]
       rvol-unpack [--root DIR] load [-i FILE]

Unpack IMAGE's layers into ROOT/layers/ and print an OCI runtime
config.json for it on stdout.

IMAGE: NAME[:TAG] from ROOT/images, oci:DIR[:TAG], oci-archive:FILE[:TAG],
       docker-archive:FILE[:NAME:TAG]

Options:
  --root DIR              state root (else $RVOL_ROOT, else /var/lib/rvol)
  --entrypoint CMD        replace the image's Entrypoint (and its Cmd)
  -e, --env K=V | K       set an environment variable (K alone: from ours)
  --env-file FILE         read K=V lines from FILE
  -w, --workdir DIR       working directory inside the container
  -u, --user USER[:GROUP] user to run as
  -h, --hostname NAME     container hostname
  --network none|host     network namespace (default none: only lo)
  --no-image-volumes      no volume for the image's Volumes (a build's RUN:
                          what it writes there stays in the container's layer)
  -t, --tty               the command gets a terminal (process.terminal)
  --help                  this text

Environment:
  RVOL_MAX_LAYER_BYTES    largest uncompressed layer unpacked (default 64 GiB)
  RVOL_MAX_LAYER_ENTRIES  most entries in one layer (default 4194304)
";

#[derive(Debug, Default)]
pub struct Flags {
    pub entrypoint: Option<String>,
    /// `-e` and `--env-file` entries in order, already `K=V` (a bare K
    /// taken from our environment, or dropped when unset there).
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub hostname: Option<String>,
    pub network: Option<String>,
    pub no_image_volumes: bool,
    /// `-t`: `process.terminal`.
    pub tty: bool,
}

#[derive(Debug)]
pub enum Command {
    Run {
        image: String,
        cmd: Vec<String>,
        flags: Flags,
    },
    Import {
        file: String,
        name: String,
    },
    Load {
        file: Option<String>,
    },
    Help,
}

pub struct Args {
    pub root: Option<PathBuf>,
    pub command: Command,
}

pub fn parse() -> Result<Args> {
    parse_from(std::env::args_os().skip(1))
}

pub fn parse_from(argv: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Args> {
    let mut p = lexopt::Parser::from_args(argv);
    let mut root = None;
    let mut flags = Flags::default();
    let str_of = |v: std::ffi::OsString| {
        v.into_string()
            .map_err(|v| Error::new(format!("not UTF-8: {v:?}")))
    };
    while let Some(arg) = p.next()? {
        match arg {
            Long("root") => root = Some(PathBuf::from(p.value()?)),
            Long("help") => {
                return Ok(Args {
                    root,
                    command: Command::Help,
                })
            }
            Long("entrypoint") => flags.entrypoint = Some(str_of(p.value()?)?),
            Short('e') | Long("env") => flags
                .env
                .extend(rvol_state::env::item(&str_of(p.value()?)?)),
            Long("env-file") => flags
                .env
                .extend(rvol_state::env::file(&str_of(p.value()?)?)?),
            Short('w') | Long("workdir") => flags.workdir = Some(str_of(p.value()?)?),
            Short('u') | Long("user") => flags.user = Some(str_of(p.value()?)?),
            Short('h') | Long("hostname") => flags.hostname = Some(str_of(p.value()?)?),
            Long("network") | Long("net") => flags.network = Some(str_of(p.value()?)?),
            Long("no-image-volumes") => flags.no_image_volumes = true,
            Short('t') | Long("tty") => flags.tty = true,
            Value(v) => {
                let first = str_of(v)?;
                let rest: Vec<String> = p.raw_args()?.map(str_of).collect::<Result<_>>()?;
                let command = match first.as_str() {
                    "import" => match rest.as_slice() {
                        [file, name] => Command::Import {
                            file: file.clone(),
                            name: name.clone(),
                        },
                        _ => return Err(Error::new("usage: rvol-unpack import FILE|- NAME[:TAG]")),
                    },
                    "load" => match rest
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .as_slice()
                    {
                        [] => Command::Load { file: None },
                        ["-i" | "--input", f] => Command::Load {
                            file: Some(f.to_string()),
                        },
                        [f] if f.starts_with("--input=") => Command::Load {
                            file: Some(f["--input=".len()..].to_string()),
                        },
                        _ => return Err(Error::new("usage: rvol-unpack load [-i FILE]")),
                    },
                    _ => Command::Run {
                        image: first,
                        cmd: rest,
                        flags,
                    },
                };
                return Ok(Args { root, command });
            }
            _ => return Err(arg.unexpected().into()),
        }
    }
    Err(Error::new("no image given (see --help)"))
}
