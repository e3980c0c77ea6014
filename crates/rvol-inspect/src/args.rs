//! Command line: `rvol-inspect [--root DIR] [--type T] [-f FMT] NAME...`,
//! `ps [-a] [-q] [--no-trunc]`, `images [-q]`, `volume ls [-q]`,
//! `volume inspect [-f FMT] NAME...`, `info|version [-f FMT]`, `prunable
//! [--filter F]...`. Usage errors read as docker's, with
//! `rvol` in place of `docker`, and exit 125.

use std::ffi::OsString;
use std::path::PathBuf;

use lexopt::prelude::*;
use rvol_state::Root;

pub use crate::logs::LogsArgs;
pub use crate::prune::PruneArgs;
pub use crate::system::SystemArgs;

pub enum Command {
    Help(&'static str),
    Inspect(InspectArgs),
    Ps(PsArgs),
    Images(ListArgs),
    VolumeLs(ListArgs),
    /// `df [-v] [--format F]` (docker system df)
    Df(crate::df::DfArgs),
    Info(SystemArgs),
    Version(SystemArgs),
    Prunable(PruneArgs),
    Logs(LogsArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Any,
    Container,
    Volume,
    Image,
}

pub struct InspectArgs {
    pub root: Root,
    pub kind: Kind,
    pub format: Option<String>,
    pub names: Vec<String>,
}

pub struct PsArgs {
    pub root: Root,
    pub all: bool,
    pub quiet: bool,
    pub no_trunc: bool,
    pub format: Option<String>,
    pub filters: Vec<String>,
    /// `-n N` / `-l`: the N last created containers, in any state.
    pub last: Option<usize>,
}

pub struct ListArgs {
    pub root: Root,
    pub quiet: bool,
    /// `images -a`: intermediate images too.
    pub all: bool,
    /// `images REPOSITORY[:TAG]`: only those rows.
    pub filter: Option<String>,
    pub format: Option<String>,
    pub filters: Vec<String>,
}

pub const INSPECT_HELP: &str = "\
Usage:  rvol inspect [OPTIONS] NAME|ID [NAME|ID...]

Return low-level information on rvol objects

Options:
  -f, --format string   Format output using a custom template:
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given Go template
      --root string     State root (default $RVOL_ROOT, else /var/lib/rvol)
      --type string     Return JSON for specified type (container, image, volume)

Also: rvol-inspect [--root DIR] inspect [OPTIONS] NAME... (the same; NAME may be ps),
      rvol-inspect ps [-a] [-q] [--no-trunc], rvol-inspect images [-q],
      rvol-inspect volume ls [-q], rvol-inspect volume inspect [-f FORMAT] VOLUME...,
      rvol-inspect info|version [-f FORMAT], rvol-inspect prunable [--filter F]...
      (the containers container prune removes: ID BYTES a line)
";

pub const PS_HELP: &str = "\
Usage:  rvol ps [OPTIONS]

List containers

Options:
  -a, --all             Show all containers (default shows just running)
  -f, --filter filter   Filter output based on conditions provided
                        (name=, id=, status=, volume=)
      --format string   Format output using a custom template:
                        'table':            Print output in table format with column headers (default)
                        'table TEMPLATE':   Print output in table format using the given Go template
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given Go template
  -n, --last int        Show n last created containers (includes all states) (default -1)
  -l, --latest          Show the latest created container (includes all states)
      --no-trunc        Don't truncate output
  -q, --quiet           Only display container IDs
";

pub const IMAGES_HELP: &str = "\
Usage:  rvol images [OPTIONS] [REPOSITORY[:TAG]]

List images

Options:
  -a, --all             Show all images (default hides intermediate images)
  -f, --filter filter   Filter output based on conditions provided (reference=)
      --format string   Format output using a custom template ('table',
                        'table TEMPLATE', 'json', 'TEMPLATE')
  -q, --quiet           Only show image IDs
";

pub const VOLUME_LS_HELP: &str = "\
Usage:  rvol volume ls [OPTIONS]

List volumes

Options:
  -f, --filter filter   Provide filter values (name=, dangling=true|false)
      --format string   Format output using a custom template ('table',
                        'table TEMPLATE', 'json', 'TEMPLATE')
  -q, --quiet           Only display volume names
";

pub const VOLUME_INSPECT_HELP: &str = "\
Usage:  rvol volume inspect [OPTIONS] VOLUME [VOLUME...]

Display detailed information on one or more volumes

Options:
  -f, --format string   Format output using a custom template:
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given Go template
";

pub const INFO_HELP: &str = "\
Usage:  rvol info [OPTIONS]

Display system-wide information (rvol has no daemon: the Server section
describes the state root)

Options:
  -f, --format string   Format output using a custom template:
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given Go template
";

pub const VERSION_HELP: &str = "\
Usage:  rvol version [OPTIONS]

Show the rvol version information (a Client section only: rvol has no
daemon, so there is no Server to ask; `{{.Server}}` is null)

Options:
  -f, --format string   Format output using the given Go template
";

/// The command a usage text names: `$RVOL_CMD` when a management form
/// (`rvol container ls`) ran this verb (scripts/rvol-container sets it),
/// else the verb itself.
pub fn shown(verb: &str) -> String {
    match std::env::var("RVOL_CMD") {
        Ok(c) if !c.is_empty() => c,
        _ => verb.to_string(),
    }
}

/// A usage error: docker's text, for the verb it came from.
pub struct Usage {
    pub msg: String,
    pub verb: &'static str,
    pub synopsis: &'static str,
}

impl Usage {
    pub fn print_and_exit(&self) -> ! {
        let verb = shown(self.verb);
        eprintln!(
            "{}\n\nUsage:  rvol {verb} {}\n\nRun 'rvol {verb} --help' for more information",
            self.msg,
            inspect_synopsis(&verb, self.synopsis)
        );
        std::process::exit(rvol_state::error::EXIT_OWN)
    }
}

/// Too many operands, in the CLI's words and status (1) (cli/required.go;
/// scripts/rvol-lib.sh nargs and no_args print the same): `accepts no
/// arguments` and `requires at most N argument(s)`, the latter with the
/// "SRun" Docker 20.10 prints.
fn too_many(verb: &str, synopsis: &str, at_most: usize) -> ! {
    let verb = shown(verb);
    let (what, hint) = match at_most {
        0 => ("accepts no arguments".to_string(), "Run"),
        1 => ("requires at most 1 argument".to_string(), "SRun"),
        n => (format!("requires at most {n} arguments"), "SRun"),
    };
    eprintln!(
        "rvol: 'rvol {verb}' {what}\n\nUsage:  rvol {verb} {}\n\n{hint} 'rvol {verb} --help' for more information",
        inspect_synopsis(&verb, synopsis)
    );
    std::process::exit(1)
}

/// Turn lexopt's complaint into docker's (`unknown flag: --x`,
/// `unknown shorthand flag: 'x' in -x`, `flag needs an argument: --x`).
fn docker_text(e: lexopt::Error) -> String {
    match e {
        lexopt::Error::UnexpectedOption(o) if o.starts_with("--") => format!("unknown flag: {o}"),
        lexopt::Error::UnexpectedOption(o) => {
            let c = o.trim_start_matches('-');
            format!("unknown shorthand flag: '{c}' in {o}")
        }
        lexopt::Error::MissingValue { option: Some(o) } if o.starts_with("--") => {
            format!("flag needs an argument: {o}")
        }
        lexopt::Error::MissingValue { option: Some(o) } => {
            let c = o.trim_start_matches('-');
            format!("flag needs an argument: '{c}' in {o}")
        }
        other => other.to_string(),
    }
}

const INSPECT_SYN: &str = "[OPTIONS] NAME|ID [NAME|ID...]";

/// `container inspect` and `image inspect` name their operands in docker's
/// usage line; every other verb keeps its own synopsis.
fn inspect_synopsis<'a>(verb: &str, syn: &'a str) -> &'a str {
    match verb {
        "container inspect" => "[OPTIONS] CONTAINER [CONTAINER...]",
        "image inspect" => "[OPTIONS] IMAGE [IMAGE...]",
        _ => syn,
    }
}

pub fn parse() -> rvol_state::Result<Command> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    parse_from(args)
}

fn parse_from(args: Vec<OsString>) -> rvol_state::Result<Command> {
    let mut p = lexopt::Parser::from_args(args);
    let mut root: Option<PathBuf> = None;
    let mut kind = Kind::Any;
    let mut format = None;
    let mut names = Vec::new();
    let mut flags_seen = false;
    // `rvol-inspect inspect ARGS`: ARGS are docker inspect's, whatever they say.
    let mut explicit = false;
    let usage = |msg: String| Usage {
        msg,
        verb: "inspect",
        synopsis: INSPECT_SYN,
    };
    loop {
        let arg = match p.next() {
            Ok(Some(a)) => a,
            Ok(None) => break,
            Err(e) => usage(docker_text(e)).print_and_exit(),
        };
        match arg {
            Long("root") => root = Some(value(&mut p, "inspect", INSPECT_SYN)?.into()),
            Long("help") | Short('h') => return Ok(Command::Help(INSPECT_HELP)),
            Long("type") => {
                flags_seen = true;
                let t = value(&mut p, "inspect", INSPECT_SYN)?;
                kind = match t.as_str() {
                    "container" => Kind::Container,
                    "volume" => Kind::Volume,
                    "image" => Kind::Image,
                    "" => Kind::Any,
                    other => usage(format!("\"{other}\" is not a valid value for --type"))
                        .print_and_exit(),
                };
            }
            Short('f') | Long("format") => {
                flags_seen = true;
                format = Some(value(&mut p, "inspect", INSPECT_SYN)?);
            }
            Short('s') | Long("size") => flags_seen = true,
            Value(v) => {
                let v = v.to_string_lossy().into_owned();
                if names.is_empty() && !flags_seen && !explicit {
                    let root = Root::resolve(root.clone());
                    match v.as_str() {
                        "inspect" => {
                            explicit = true;
                            continue;
                        }
                        "ps" => return parse_ps(p, root),
                        "images" => return parse_images(p, root),
                        "volume" => return parse_volume(p, root),
                        "info" => return parse_system(p, root, "info"),
                        "version" => return parse_system(p, root, "version"),
                        "prunable" => return parse_prunable(p, root),
                        "logs" => return parse_logs(p, root),
                        "df" => return parse_df(p, root),
                        _ => {}
                    }
                }
                names.push(v);
            }
            other => usage(docker_text(other.unexpected())).print_and_exit(),
        }
    }
    if names.is_empty() {
        let verb = shown("inspect");
        let syn = inspect_synopsis(&verb, INSPECT_SYN);
        eprintln!(
            "rvol: 'rvol {verb}' requires at least 1 argument\n\nUsage:  rvol {verb} {syn}\n\nSee 'rvol {verb} --help' for more information"
        );
        // docker's status for a missing argument
        std::process::exit(1);
    }
    Ok(Command::Inspect(InspectArgs {
        root: Root::resolve(root),
        kind,
        format,
        names,
    }))
}

fn value(
    p: &mut lexopt::Parser,
    verb: &'static str,
    syn: &'static str,
) -> rvol_state::Result<String> {
    match p.value() {
        Ok(v) => Ok(v.to_string_lossy().into_owned()),
        Err(e) => Usage {
            msg: docker_text(e),
            verb,
            synopsis: syn,
        }
        .print_and_exit(),
    }
}

fn parse_ps(mut p: lexopt::Parser, root: Root) -> rvol_state::Result<Command> {
    let (mut all, mut quiet, mut no_trunc) = (false, false, false);
    let (mut format, mut filters) = (None, Vec::new());
    let mut last = None;
    let usage = |msg| Usage {
        msg,
        verb: "ps",
        synopsis: "[OPTIONS]",
    };
    loop {
        match p.next() {
            Ok(None) => break,
            Ok(Some(Short('l') | Long("latest"))) => last = Some(1),
            Ok(Some(Short('n') | Long("last"))) => {
                let v = value(&mut p, "ps", "[OPTIONS]")?;
                match v.parse::<i64>() {
                    // docker: -1 (the default) means all
                    Ok(n) if n < 0 => last = None,
                    Ok(n) => last = Some(n as usize),
                    Err(_) => usage(format!(
                        "invalid argument \"{v}\" for \"-n, --last\" flag: strconv.ParseInt: parsing \"{v}\": invalid syntax"
                    ))
                    .print_and_exit(),
                }
            }
            Ok(Some(Long("format"))) => format = Some(value(&mut p, "ps", "[OPTIONS]")?),
            Ok(Some(Short('f') | Long("filter"))) => {
                filters.push(value(&mut p, "ps", "[OPTIONS]")?)
            }
            Ok(Some(Short('a') | Long("all"))) => all = true,
            Ok(Some(Short('q') | Long("quiet"))) => quiet = true,
            Ok(Some(Long("no-trunc"))) => no_trunc = true,
            Ok(Some(Long("help") | Short('h'))) => return Ok(Command::Help(PS_HELP)),
            Ok(Some(Value(_))) => too_many("ps", "[OPTIONS]", 0),
            Ok(Some(other)) => usage(docker_text(other.unexpected())).print_and_exit(),
            Err(e) => usage(docker_text(e)).print_and_exit(),
        }
    }
    Ok(Command::Ps(PsArgs {
        root,
        all,
        quiet,
        no_trunc,
        format,
        filters,
        last,
    }))
}

fn parse_images(mut p: lexopt::Parser, root: Root) -> rvol_state::Result<Command> {
    let mut quiet = false;
    let mut all = false;
    let mut filter = None;
    let (mut format, mut filters) = (None, Vec::new());
    const SYN: &str = "[OPTIONS] [REPOSITORY[:TAG]]";
    let usage = |msg| Usage {
        msg,
        verb: "images",
        synopsis: SYN,
    };
    loop {
        match p.next() {
            Ok(None) => break,
            Ok(Some(Long("format"))) => format = Some(value(&mut p, "images", SYN)?),
            Ok(Some(Short('f') | Long("filter"))) => filters.push(value(&mut p, "images", SYN)?),
            Ok(Some(Short('q') | Long("quiet"))) => quiet = true,
            Ok(Some(Short('a') | Long("all"))) => all = true,
            Ok(Some(Long("help") | Short('h'))) => return Ok(Command::Help(IMAGES_HELP)),
            Ok(Some(Value(v))) if filter.is_none() => {
                filter = Some(v.to_string_lossy().into_owned())
            }
            Ok(Some(Value(_))) => too_many("images", SYN, 1),
            Ok(Some(other)) => usage(docker_text(other.unexpected())).print_and_exit(),
            Err(e) => usage(docker_text(e)).print_and_exit(),
        }
    }
    Ok(Command::Images(ListArgs {
        root,
        quiet,
        all,
        filter,
        format,
        filters,
    }))
}

fn parse_volume(mut p: lexopt::Parser, root: Root) -> rvol_state::Result<Command> {
    let sub = match p.next() {
        Ok(Some(Value(v))) => v.to_string_lossy().into_owned(),
        _ => {
            eprintln!(
                "Usage:  rvol volume ls|inspect\n\nRun 'rvol volume --help' for more information"
            );
            std::process::exit(rvol_state::error::EXIT_OWN);
        }
    };
    match sub.as_str() {
        "ls" | "list" => {
            let mut quiet = false;
            let (mut format, mut filters) = (None, Vec::new());
            let usage = |msg| Usage {
                msg,
                verb: "volume ls",
                synopsis: "[OPTIONS]",
            };
            loop {
                match p.next() {
                    Ok(None) => break,
                    Ok(Some(Long("format"))) => {
                        format = Some(value(&mut p, "volume ls", "[OPTIONS]")?)
                    }
                    Ok(Some(Short('f') | Long("filter"))) => {
                        filters.push(value(&mut p, "volume ls", "[OPTIONS]")?)
                    }
                    Ok(Some(Short('q') | Long("quiet"))) => quiet = true,
                    Ok(Some(Long("help") | Short('h'))) => {
                        return Ok(Command::Help(VOLUME_LS_HELP))
                    }
                    Ok(Some(Value(_))) => too_many("volume ls", "[OPTIONS]", 0),
                    Ok(Some(other)) => usage(docker_text(other.unexpected())).print_and_exit(),
                    Err(e) => usage(docker_text(e)).print_and_exit(),
                }
            }
            Ok(Command::VolumeLs(ListArgs {
                root,
                quiet,
                all: false,
                filter: None,
                format,
                filters,
            }))
        }
        "inspect" => {
            const SYN: &str = "[OPTIONS] VOLUME [VOLUME...]";
            let mut format = None;
            let mut names = Vec::new();
            let usage = |msg| Usage {
                msg,
                verb: "volume inspect",
                synopsis: SYN,
            };
            loop {
                match p.next() {
                    Ok(None) => break,
                    Ok(Some(Short('f') | Long("format"))) => {
                        format = Some(value(&mut p, "volume inspect", SYN)?)
                    }
                    Ok(Some(Long("help") | Short('h'))) => {
                        return Ok(Command::Help(VOLUME_INSPECT_HELP))
                    }
                    Ok(Some(Value(v))) => names.push(v.to_string_lossy().into_owned()),
                    Ok(Some(other)) => usage(docker_text(other.unexpected())).print_and_exit(),
                    Err(e) => usage(docker_text(e)).print_and_exit(),
                }
            }
            if names.is_empty() {
                eprintln!(
                    "rvol: 'rvol volume inspect' requires at least 1 argument\n\nUsage:  rvol volume inspect {SYN}\n\nSee 'rvol volume inspect --help' for more information"
                );
                std::process::exit(1);
            }
            Ok(Command::Inspect(InspectArgs {
                root,
                kind: Kind::Volume,
                format,
                names,
            }))
        }
        other => {
            eprintln!("rvol: unknown command: rvol volume {other}\n\nUsage:  rvol volume COMMAND\n\nRun 'rvol volume --help' for more information");
            std::process::exit(rvol_state::error::EXIT_OWN);
        }
    }
}

/// `info [-f FMT]` and `version [-f FMT]`: no operands.
fn parse_system(
    mut p: lexopt::Parser,
    root: Root,
    verb: &'static str,
) -> rvol_state::Result<Command> {
    let mut format = None;
    let usage = |msg| Usage {
        msg,
        verb,
        synopsis: "[OPTIONS]",
    };
    loop {
        match p.next() {
            Ok(None) => break,
            Ok(Some(Short('f') | Long("format"))) => {
                format = Some(value(&mut p, verb, "[OPTIONS]")?)
            }
            Ok(Some(Long("help") | Short('h'))) => {
                return Ok(Command::Help(if verb == "info" {
                    INFO_HELP
                } else {
                    VERSION_HELP
                }))
            }
            Ok(Some(Value(_))) => too_many(verb, "[OPTIONS]", 0),
            Ok(Some(other)) => usage(docker_text(other.unexpected())).print_and_exit(),
            Err(e) => usage(docker_text(e)).print_and_exit(),
        }
    }
    let a = SystemArgs { root, format };
    Ok(if verb == "info" {
        Command::Info(a)
    } else {
        Command::Version(a)
    })
}

/// `prunable [--filter F]...`: scripts/rvol-container-prune's list (its
/// own flags were checked there).
fn parse_prunable(mut p: lexopt::Parser, root: Root) -> rvol_state::Result<Command> {
    let mut filters = Vec::new();
    loop {
        match p.next() {
            Ok(None) => break,
            Ok(Some(Long("filter"))) => {
                filters.push(value(&mut p, "container prune", "[OPTIONS]")?)
            }
            Ok(Some(other)) => Usage {
                msg: docker_text(other.unexpected()),
                verb: "container prune",
                synopsis: "[OPTIONS]",
            }
            .print_and_exit(),
            Err(e) => Usage {
                msg: docker_text(e),
                verb: "container prune",
                synopsis: "[OPTIONS]",
            }
            .print_and_exit(),
        }
    }
    Ok(Command::Prunable(PruneArgs { root, filters }))
}

/// `logs`: docker's flags (`-n` is `--tail`; `--details` is taken and
/// has no effect: rvol logs no attributes).
fn parse_logs(mut p: lexopt::Parser, root: Root) -> rvol_state::Result<Command> {
    const SYN: &str = "[OPTIONS] CONTAINER";
    let mut a = LogsArgs {
        root,
        follow: false,
        tail: None,
        timestamps: false,
        since: None,
        until: None,
        container: String::new(),
    };
    let mut names = Vec::new();
    let usage = |msg: String| Usage {
        msg,
        verb: "logs",
        synopsis: SYN,
    };
    loop {
        match p.next() {
            Ok(None) => break,
            Ok(Some(Long("help"))) => return Ok(Command::Help(crate::logs::HELP)),
            Ok(Some(Short('f') | Long("follow"))) => a.follow = true,
            Ok(Some(Short('t') | Long("timestamps"))) => a.timestamps = true,
            Ok(Some(Long("details"))) => {}
            Ok(Some(Short('n') | Long("tail"))) => a.tail = Some(value(&mut p, "logs", SYN)?),
            Ok(Some(Long("since"))) => a.since = Some(value(&mut p, "logs", SYN)?),
            Ok(Some(Long("until"))) => a.until = Some(value(&mut p, "logs", SYN)?),
            Ok(Some(Value(v))) => {
                names.push(v.to_string_lossy().into_owned());
            }
            Ok(Some(other)) => usage(docker_text(other.unexpected())).print_and_exit(),
            Err(e) => usage(docker_text(e)).print_and_exit(),
        }
    }
    if names.len() != 1 {
        let verb = shown("logs");
        eprintln!(
            "rvol: 'rvol {verb}' requires 1 argument\n\nUsage:  rvol {verb} {SYN}\n\nRun 'rvol {verb} --help' for more information"
        );
        std::process::exit(1);
    }
    a.container = names.remove(0);
    Ok(Command::Logs(a))
}

const DF_HELP: &str = "
Usage:  rvol system df [OPTIONS]

Show rvol disk usage

Options:
      --format string   Format output using a custom template:
                        'table':            Print output in table format
                        with column headers (default)
                        'table TEMPLATE':   Print output in table format
                        using the given Go template
                        'json':             Print in JSON format
  -v, --verbose         Show detailed information on space usage
";

/// `df [-v] [--format F]`: docker system df.
fn parse_df(mut p: lexopt::Parser, root: Root) -> rvol_state::Result<Command> {
    let (mut verbose, mut format) = (false, None);
    let usage = |msg| Usage {
        msg,
        verb: "system df",
        synopsis: "[OPTIONS]",
    };
    loop {
        match p.next() {
            Ok(None) => break,
            Ok(Some(Short('v') | Long("verbose"))) => verbose = true,
            Ok(Some(Long("format"))) => format = Some(value(&mut p, "system df", "[OPTIONS]")?),
            Ok(Some(Long("help") | Short('h'))) => return Ok(Command::Help(DF_HELP)),
            Ok(Some(Value(_))) => too_many("system df", "[OPTIONS]", 0),
            Ok(Some(other)) => usage(docker_text(other.unexpected())).print_and_exit(),
            Err(e) => usage(docker_text(e)).print_and_exit(),
        }
    }
    Ok(Command::Df(crate::df::DfArgs {
        root,
        verbose,
        format,
    }))
}
