//! What rvol-exec will do, read once from the bundle's config.json (or the
//! defaults for a bare ROOTFS): the root, the command, env, cwd, user,
//! hostname, and which of its own mounts a user mount replaces; for an
//! exec, with its own env, user, cwd and terminal over the container's.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{Capability, LinuxCapabilities, LinuxSeccomp, Spec};
use rvol_state::{Error, Result};

use crate::args::{Args, Exec};

pub struct Plan {
    pub rootfs: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<String>,
    pub cwd: String,
    /// `user[:group]` as given, resolved inside the rootfs; empty = root.
    pub user: String,
    pub additional_gids: Vec<u32>,
    pub hostname: Option<String>,
    pub readonly: bool,
    /// `process.terminal`: stdin is the container's terminal.
    pub terminal: bool,
    /// Destinations of the spec's own mounts (already made by apply).
    pub user_mounts: Vec<String>,
    /// `process.capabilities` as masks (docker's default set for a bundle
    /// without them, and for a bare ROOTFS).
    pub caps: Caps,
    pub no_new_privileges: bool,
    /// `linux.seccomp`: none is unconfined.
    pub seccomp: Option<LinuxSeccomp>,
}

/// The capability sets, one bit per capability number.
#[derive(Clone, Copy)]
pub struct Caps {
    pub bounding: u64,
    pub effective: u64,
    pub permitted: u64,
}

impl Caps {
    fn docker_default() -> Caps {
        let m = rvol_state::caps::mask(&rvol_state::caps::DOCKER_DEFAULT.map(String::from));
        Caps {
            bounding: m,
            effective: m,
            permitted: m,
        }
    }

    fn of(c: &LinuxCapabilities) -> Result<Caps> {
        let set = |s: &Option<std::collections::HashSet<Capability>>| -> Result<u64> {
            let mut m = 0u64;
            for cap in s.iter().flatten() {
                // its serde name is the spec's: CAP_CHOWN
                let name = serde_json::to_value(cap)?.as_str().unwrap_or("").to_owned();
                let n = rvol_state::caps::number(&name)
                    .ok_or_else(|| Error::new(format!("unknown capability {name:?}")))?;
                m |= 1 << n;
            }
            Ok(m)
        };
        Ok(Caps {
            bounding: set(c.bounding())?,
            effective: set(c.effective())?,
            permitted: set(c.permitted())?,
        })
    }
}

impl Plan {
    pub fn new(args: Args) -> Result<Plan> {
        let mut plan = match &args.bundle {
            Some(b) => from_bundle(b)?,
            None => Plan {
                rootfs: args.rootfs.clone().unwrap_or_default(),
                args: Vec::new(),
                env: Vec::new(),
                cwd: "/".into(),
                user: String::new(),
                additional_gids: Vec::new(),
                hostname: None,
                readonly: false,
                terminal: false,
                user_mounts: Vec::new(),
                caps: Caps::docker_default(),
                no_new_privileges: false,
                seccomp: None,
            },
        };
        if let Some(x) = &args.enter {
            plan.exec_over(x)?;
        }
        if !args.cmd.is_empty() {
            plan.args = args.cmd;
        }
        if plan.args.is_empty() {
            // docker's words for an image with neither Entrypoint nor Cmd.
            return Err(Error::new("no command specified"));
        }
        plan.rootfs = std::path::absolute(&plan.rootfs)
            .map_err(|e| Error::new(format!("rootfs {}: {e}", plan.rootfs.display())))?;
        Ok(plan)
    }

    /// docker exec's settings over the container's: the env files' entries,
    /// then the `--env` ones, merged into the container's env by key (the
    /// CLI's order, whatever the command line's); a file that cannot be
    /// read is the CLI's error (status 1, before anything starts).
    fn exec_over(&mut self, x: &Exec) -> Result<()> {
        let mut overrides = Vec::new();
        for f in &x.env_files {
            overrides.extend(rvol_state::env::file(f).map_err(|e| e.with_code(1))?);
        }
        overrides.extend(x.env.iter().filter_map(|kv| rvol_state::env::item(kv)));
        self.env = rvol_state::env::merge(std::mem::take(&mut self.env), &overrides);
        if let Some(u) = &x.user {
            self.user = u.clone();
        }
        if let Some(w) = &x.workdir {
            self.cwd = w.clone();
        }
        self.terminal = x.tty;
        Ok(())
    }

    /// Whether the spec mounts something at `dest` itself (a user mount wins
    /// over our default one, as in docker).
    pub fn has_user_mount(&self, dest: &str) -> bool {
        self.user_mounts.iter().any(|d| d == dest)
    }
}

fn from_bundle(bundle: &Path) -> Result<Plan> {
    let path = bundle.join("config.json");
    let spec =
        Spec::load(&path).map_err(|e| Error::new(format!("read {}: {e}", path.display())))?;
    let root = spec
        .root()
        .as_ref()
        .map(|r| r.path().clone())
        .unwrap_or_else(|| PathBuf::from("rootfs"));
    let rootfs = if root.is_absolute() {
        root
    } else {
        bundle.join(root)
    };
    let readonly = spec
        .root()
        .as_ref()
        .and_then(|r| r.readonly())
        .unwrap_or(false);
    let anns = rvol_state::annotation::of(spec.annotations());
    let (args, env, cwd, mut user, additional_gids) = match spec.process() {
        Some(p) => {
            let u = p.user();
            let user = match (u.uid(), u.gid()) {
                (0, 0) => String::new(),
                (uid, gid) => format!("{uid}:{gid}"),
            };
            (
                p.args().clone().unwrap_or_default(),
                p.env().clone().unwrap_or_default(),
                p.cwd().to_string_lossy().into_owned(),
                user,
                u.additional_gids().clone().unwrap_or_default(),
            )
        }
        None => (
            Vec::new(),
            Vec::new(),
            "/".into(),
            String::new(),
            Vec::new(),
        ),
    };
    if let Some(u) = anns.user() {
        user = u;
    }
    let hostname = spec.hostname().clone().or_else(|| {
        anns.config_hostname().or_else(|| {
            let id = rvol_state::root::Bundle(bundle).id();
            rvol_state::container::is_id(&id).then(|| id[..12].to_owned())
        })
    });
    let user_mounts = spec
        .mounts()
        .iter()
        .flatten()
        .map(|m| {
            m.destination()
                .to_string_lossy()
                .trim_end_matches('/')
                .to_owned()
        })
        .collect();
    Ok(Plan {
        rootfs,
        args: args.into_iter().map(OsString::from).collect(),
        env,
        cwd: if cwd.is_empty() { "/".into() } else { cwd },
        user,
        additional_gids,
        hostname,
        readonly,
        terminal: spec
            .process()
            .as_ref()
            .and_then(|p| p.terminal())
            .unwrap_or(false),
        user_mounts,
        caps: match spec
            .process()
            .as_ref()
            .and_then(|p| p.capabilities().as_ref())
        {
            Some(c) => Caps::of(c)?,
            None => Caps::docker_default(),
        },
        no_new_privileges: spec
            .process()
            .as_ref()
            .and_then(|p| p.no_new_privileges())
            .unwrap_or(false),
        seccomp: spec.linux().as_ref().and_then(|l| l.seccomp().clone()),
    })
}
