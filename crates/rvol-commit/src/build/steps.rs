//! What each instruction does to the build, in the classic builder's terms:
//! FROM starts a stage, ARG declares what the steps may see, RUN and
//! COPY/ADD make a layer in a container, the rest change the config; every
//! step but FROM and ARG leaves an image (cached, docker's ` ---> id`).

use serde_json::{json, Map, Value};

use rvol_state::compress::Compression;
use rvol_state::store::Store;
use rvol_state::{Error, Result, ResultExt, Root};

use super::args::BuildArgs;
use super::cache::Cache;
use super::context::{Context, Source, TempDir};
use super::copyinto::{Item, Kind, Plan};
use super::out::Out;
use super::stage::Image;
use super::{spawn, Failed};
use crate::blob::LayerWriter;
use crate::dockerfile::instr::{Command, Copy, Instr, Step};
use crate::dockerfile::parse::{json_list, parse};
use crate::dockerfile::word::Lex;
use crate::image::{Meta, NewImage};
use crate::{change, layer};

/// The ARGs docker lets every build pass without declaring them.
const PREDEFINED_ARGS: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

struct Stage {
    name: Option<String>,
    image: Image,
    /// ARGs declared in this stage, with their values.
    args: Vec<(String, String)>,
    /// A CMD came in this stage (an ENTRYPOINT then keeps it).
    cmd_set: bool,
    /// MAINTAINER: the author of the stage's images.
    maintainer: Option<String>,
}

pub struct Builder<'a> {
    root: &'a Root,
    a: &'a BuildArgs,
    ctx: &'a Context,
    lex: Lex,
    pub out: &'a mut Out,
    store: Store,
    cache: Cache,
    /// ARGs declared before the first FROM (their defaults or --build-arg).
    global_args: Vec<(String, String)>,
    stages: Vec<Stage>,
    /// Set while ONBUILD triggers run (they may not be FROM or ONBUILD).
    in_trigger: bool,
}

impl<'a> Builder<'a> {
    pub fn new(
        root: &'a Root,
        a: &'a BuildArgs,
        ctx: &'a Context,
        lex: Lex,
        out: &'a mut Out,
    ) -> Result<Self> {
        Ok(Builder {
            root,
            a,
            ctx,
            lex,
            out,
            store: Store::open(root)?,
            cache: Cache::new(root),
            global_args: Vec::new(),
            stages: Vec::new(),
            in_trigger: false,
        })
    }

    fn stage(&mut self) -> &mut Stage {
        self.stages.last_mut().expect("check() puts FROM first")
    }

    /// The value `--build-arg` gives NAME, else `default`.
    fn arg_value(&self, name: &str, default: Option<String>) -> Option<String> {
        match self.a.build_args.iter().rev().find(|(k, _)| k == name) {
            Some((_, Some(v))) => Some(v.clone()),
            _ => default,
        }
    }

    /// What the step's words expand with: the stage's ARGs (the config's
    /// Env wins over them, in change.rs and here).
    fn vars(&mut self) -> Vec<(String, String)> {
        let s = self.stage();
        let mut v = s.args.clone();
        let cfg = s.image.config();
        for e in cfg
            .get("Env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some((k, val)) = e.as_str().and_then(|e| e.split_once('=')) {
                v.push((k.to_string(), val.to_string()));
            }
        }
        v
    }

    pub fn step(&mut self, s: &Step) -> std::result::Result<(), Failed> {
        match &s.instr {
            Instr::Arg(list) => self.arg(list),
            Instr::From { image, stage } => self.from(image, stage.clone()),
            Instr::Run(cmd) => self.run(cmd, &s.node.original),
            Instr::Copy(c) => self.copy(c).map_err(Failed::from),
            _ => self.config_step(s).map_err(Failed::from),
        }
    }

    fn arg(&mut self, list: &[(String, Option<String>)]) -> std::result::Result<(), Failed> {
        for (k, default) in list {
            if self.stages.is_empty() {
                let d = default
                    .as_ref()
                    .map(|d| self.lex.process(d, &self.global_args))
                    .transpose()?;
                if let Some(v) = self.arg_value(k, d) {
                    self.global_args.push((k.clone(), v));
                }
                continue;
            }
            // Inside a stage: a global ARG named again brings its value in.
            let vars = self.vars();
            let d = default
                .as_ref()
                .map(|d| self.lex.process(d, &vars))
                .transpose()?;
            let d = d.or_else(|| {
                self.global_args
                    .iter()
                    .rev()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
            });
            if let Some(v) = self.arg_value(k, d) {
                self.stage().args.push((k.clone(), v));
            }
        }
        // Docker makes no image for ARG in the classic builder's count of
        // layers, but shows the step: nothing to print after it.
        Ok(())
    }

    fn from(&mut self, image: &str, name: Option<String>) -> std::result::Result<(), Failed> {
        let reference = self.lex.process(image, &self.global_args)?;
        let img = if reference == "scratch" {
            Image::scratch()
        } else if let Some(s) = self
            .stages
            .iter()
            .find(|s| s.name.as_deref() == Some(reference.as_str()))
        {
            s.image.clone()
        } else {
            Image::find(&self.store, &reference)?
        };
        if !img.id.is_empty() {
            self.out.line(&format!(" ---> {}", img.short()));
        }
        let mut img = img;
        with_default_path(&mut img);
        self.stages.push(Stage {
            name,
            image: img,
            args: Vec::new(),
            cmd_set: false,
            maintainer: None,
        });
        self.onbuild_triggers()
    }

    /// The image's ONBUILD instructions, run as steps of this stage.
    fn onbuild_triggers(&mut self) -> std::result::Result<(), Failed> {
        let triggers: Vec<String> = self
            .stage()
            .image
            .config()
            .get("OnBuild")
            .cloned()
            .unwrap_or_default()
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        if triggers.is_empty() {
            return Ok(());
        }
        let word = if triggers.len() == 1 {
            "trigger"
        } else {
            "triggers"
        };
        self.out
            .line(&format!("# Executing {} build {word}", triggers.len()));
        let text = triggers.join("\n");
        let df = parse(&text)?;
        let steps = crate::dockerfile::instr::typed_all(&df.nodes, &self.lex)?;
        // The triggers ran: the new image does not carry them on.
        let mut cfg = self.stage().image.config();
        cfg.insert("OnBuild".into(), Value::Null);
        self.set_config_only(cfg, "")?;
        self.in_trigger = true;
        for s in &steps {
            self.step(s)?;
        }
        self.in_trigger = false;
        Ok(())
    }

    /// The image's config changed, no image written yet (the next step's
    /// own image carries it).
    fn set_config_only(&mut self, cfg: Map<String, Value>, _why: &str) -> Result<()> {
        self.stage().image.parent.config["config"] = Value::Object(cfg);
        Ok(())
    }

    /// Write the stage's image with `config` and maybe a layer, as the
    /// step's image (made in container `id`, if one), and print its id.
    fn commit_step(
        &mut self,
        key: &str,
        config: Map<String, Value>,
        created_by: String,
        layer: Option<&crate::blob::Written>,
    ) -> Result<()> {
        self.write_step(key, config, created_by, layer, "")?;
        let short = self.stage().image.short().to_string();
        self.out.line(&format!(" ---> {short}"));
        Ok(())
    }

    /// The step's image: written, kept (see `keep`), the stage's now.
    fn write_step(
        &mut self,
        key: &str,
        config: Map<String, Value>,
        created_by: String,
        layer: Option<&crate::blob::Written>,
        container_id: &str,
    ) -> Result<()> {
        let created = rvol_state::time::now_nanos();
        let author = self.stage().maintainer.clone();
        let meta = Meta {
            created: &created,
            author: author.as_deref(),
            comment: None,
            created_by,
            container_id,
            config,
        };
        let parent_id = self.stage().image.id.clone();
        let parent = self.stage().image.parent.clone();
        let new = crate::image::write(&self.store, &parent, layer, &meta, Compression::Gzip)?;
        self.keep(key, &parent_id, &new)
    }

    /// A step that made this image before: use it (` ---> Using cache`).
    fn cached(&mut self, key: &str) -> Result<bool> {
        if self.a.no_cache {
            return Ok(false);
        }
        let Some(hit) = self.cache.lookup(&self.store, key) else {
            return Ok(false);
        };
        self.stage().image = Image::from_new(&self.store, &hit)?;
        self.out.line(" ---> Using cache");
        let short = self.stage().image.short().to_string();
        self.out.line(&format!(" ---> {short}"));
        Ok(true)
    }

    /// The stage's image as stored, so that a container can run it: a
    /// `FROM scratch` not yet written is written now (no layers).
    fn stored(&mut self) -> Result<String> {
        if self.stage().image.id.is_empty() {
            let cfg = self.stage().image.config();
            let key = Cache::key("", "scratch");
            self.write_step(&key, cfg, String::new(), None, "")?;
        }
        Ok(self.stage().image.id.clone())
    }

    /// A step's image: in the store without a name, made from `parent`
    /// (docker's intermediate image), under its cache key; the stage's now.
    fn keep(&mut self, key: &str, parent: &str, new: &NewImage) -> Result<()> {
        self.store
            .add_untagged(&new.manifest_digest, new.manifest_size)?;
        if !parent.is_empty() {
            self.store.set_parent(&new.id, parent)?;
        }
        self.cache.record(key, parent, new)?;
        self.stage().image = Image::from_new(&self.store, new)?;
        Ok(())
    }

    fn config_step(&mut self, s: &Step) -> Result<()> {
        let kw = s.node.keyword.as_str();
        let rest = s.node.rest.as_str();
        let mut cfg = self.stage().image.config();
        let vars = self.vars();
        let args = self.stage().args.clone();
        let shown;
        match &s.instr {
            Instr::Shell(l) => {
                cfg.insert("Shell".into(), json!(l));
                shown = format!("SHELL {}", go_list(l));
            }
            Instr::Healthcheck(h) => {
                cfg.insert("Healthcheck".into(), h.clone());
                shown = format!("HEALTHCHECK {}", s.node.rest);
            }
            Instr::Onbuild(t) => {
                let mut list: Vec<Value> = cfg
                    .get("OnBuild")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                list.push(json!(t));
                cfg.insert("OnBuild".into(), Value::Array(list));
                shown = format!("ONBUILD {t}");
            }
            _ if kw == "MAINTAINER" => {
                shown = format!("MAINTAINER {rest}");
            }
            _ if kw == "CMD" || kw == "ENTRYPOINT" => {
                // The shell form goes through the stage's SHELL.
                let shell = shell_of(&cfg);
                let v = match json_list(rest) {
                    Some(l) => json!(l),
                    None if rest.is_empty() && kw == "ENTRYPOINT" => Value::Null,
                    None => json!(shell
                        .iter()
                        .cloned()
                        .chain([rest.to_string()])
                        .collect::<Vec<_>>()),
                };
                shown = format!("{kw} {}", go_value_list(&v));
                let cmd_set = &mut self.stage().cmd_set;
                if kw == "CMD" {
                    cfg.insert("Cmd".into(), v);
                    *cmd_set = true;
                } else {
                    cfg.insert("Entrypoint".into(), v);
                    if !*cmd_set {
                        cfg.insert("Cmd".into(), Value::Null);
                    }
                }
            }
            _ => {
                let mut cmd_set = self.stage().cmd_set;
                change::apply_instruction(&mut cfg, kw, rest, &mut cmd_set, &args, &self.lex)?;
                self.stage().cmd_set = cmd_set;
                shown = match kw {
                    "VOLUME" => {
                        let paths = json_list(rest).unwrap_or_else(|| {
                            rest.split_whitespace().map(str::to_string).collect()
                        });
                        let paths: Vec<String> = paths
                            .iter()
                            .map(|p| self.lex.process(p, &vars))
                            .collect::<Result<_>>()?;
                        format!("VOLUME [{}]", paths.join(" "))
                    }
                    _ => format!("{kw} {rest}"),
                };
            }
        }
        let created_by = format!("/bin/sh -c #(nop)  {shown}");
        let parent = self.stage().image.id.clone();
        let key = Cache::key(
            &parent,
            &format!("{created_by}\n{}", serde_json::to_string(&cfg)?),
        );
        if self.cached(&key)? {
            return Ok(());
        }
        if kw == "MAINTAINER" {
            self.stage().maintainer = Some(self.lex.process(rest, &vars)?);
        }
        self.commit_step(&key, cfg, created_by, None)
    }

    fn run(&mut self, cmd: &Command, _original: &str) -> std::result::Result<(), Failed> {
        let cfg = self.stage().image.config();
        let argv: Vec<String> = match cmd {
            Command::Exec(l) => l.clone(),
            Command::Shell(s) => shell_of(&cfg).into_iter().chain([s.clone()]).collect(),
        };
        // The stage's ARGs reach the command's environment unless an ENV
        // of the same name is set (docker: ENV wins).
        let env_keys: Vec<String> = cfg
            .get("Env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| {
                e.as_str()
                    .map(|e| e.split('=').next().unwrap_or("").to_string())
            })
            .collect();
        let mut args: Vec<(String, String)> = self
            .stage()
            .args
            .iter()
            .filter(|(k, _)| !env_keys.contains(k))
            .cloned()
            .collect();
        for (k, v) in &self.a.build_args {
            if PREDEFINED_ARGS.contains(&k.as_str()) && !args.iter().any(|(n, _)| n == k) {
                if let Some(v) = v {
                    args.push((k.clone(), v.clone()));
                }
            }
        }
        args.sort();
        let shown = argv.join(" ");
        let created_by = if args.is_empty() {
            shown.clone()
        } else {
            let kv: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("|{} {} {shown}", args.len(), kv.join(" "))
        };
        let parent = self.stored()?;
        let key = Cache::key(
            &parent,
            &format!("RUN {created_by}\nvolumes={}", self.a.compat_volumes),
        );
        if self.cached(&key)? {
            return Ok(());
        }
        let id = spawn::create(&parent, &args, self.a.compat_volumes, &argv)?;
        let guard = spawn::guard(&id)?;
        let short = id.get(..12).unwrap_or(&id).to_string();
        self.out.line(&format!(" ---> Running in {short}"));
        let status = spawn::start(&id, self.out);
        let status = match status {
            Ok(s) => s,
            Err(e) => {
                spawn::remove(&id);
                guard.done();
                return Err(e.into());
            }
        };
        if status != 0 {
            spawn::remove(&id);
            guard.done();
            return Err(Failed {
                msg: format!("The command '{shown}' returned a non-zero code: {status}"),
                status,
            });
        }
        let r = self.commit_container(&id, &key, cfg, created_by);
        spawn::remove(&id);
        guard.done();
        self.out
            .line(&format!("Removing intermediate container {short}"));
        r.map_err(Failed::from)?;
        let short = self.stage().image.short().to_string();
        self.out.line(&format!(" ---> {short}"));
        Ok(())
    }

    /// The container's upper dir as the step's layer; the config is the
    /// stage's, not the container's.
    fn commit_container(
        &mut self,
        id: &str,
        key: &str,
        config: Map<String, Value>,
        created_by: String,
    ) -> Result<()> {
        let bundle = self.root.container(id);
        let c = rvol_state::bundle::Container::at(bundle.clone());
        let rec = c
            .annotations()
            .ctx(format!("container {id}"))?
            .image()
            .ctx(format!("container {id}"))?
            .ok_or_else(|| Error::new(format!("container {id}: which image it runs is unknown")))?;
        let upper = rvol_state::root::Bundle(&bundle).upper();
        let lower: Vec<std::path::PathBuf> = rec.lower_dirs.iter().map(Into::into).collect();
        self.commit_dir(&upper, &lower, id, key, config, created_by)
            .ctx(format!("container {id}"))
    }

    /// `upper` (over `lower`, top first) as the step's layer.
    fn commit_dir(
        &mut self,
        upper: &std::path::Path,
        lower: &[std::path::PathBuf],
        id: &str,
        key: &str,
        config: Map<String, Value>,
        created_by: String,
    ) -> Result<()> {
        let mut w = LayerWriter::create(&self.store, Compression::Gzip)?;
        layer::pack(upper, lower, &mut w)?;
        let written = w.finish()?;
        self.write_step(key, config, created_by, Some(&written), id)
    }

    fn copy(&mut self, c: &Copy) -> Result<()> {
        let what = if c.add { "ADD" } else { "COPY" };
        let fail = |e: Error| Error::new(format!("{what} failed: {}", e.msg));
        let vars = self.vars();
        let words: Vec<String> = c
            .args
            .iter()
            .map(|w| self.lex.process(w, &vars))
            .collect::<Result<_>>()?;
        let (dest, srcs) = words.split_last().expect("check() wants two");
        let cfg = self.stage().image.config();
        let workdir = cfg
            .get("WorkingDir")
            .and_then(Value::as_str)
            .unwrap_or("/")
            .to_string();
        let dest_abs = if dest.starts_with('/') {
            dest.clone()
        } else {
            format!("{}/{}", workdir.trim_end_matches('/'), dest)
        };
        let dest_is_dir = dest.ends_with('/') || dest == "." || dest.ends_with("/.");
        // Sources: the context's, or another stage's or image's (staged on
        // the host first).
        let staged;
        let from_ctx;
        let sources: Vec<Source> = match &c.from {
            None => {
                from_ctx = None;
                let mut all = Vec::new();
                for s in srcs {
                    if c.add && (s.starts_with("http://") || s.starts_with("https://")) {
                        return Err(fail(Error::new(format!(
                            "{s}: a remote URL (rvol builds from local sources only)"
                        ))));
                    }
                    all.extend(self.ctx.sources(s).map_err(fail)?);
                }
                all
            }
            Some(from) => {
                let from = self.lex.process(from, &self.global_args)?;
                let (ctx, tmp, found) = self.stage_from(&from, srcs).map_err(fail)?;
                staged = tmp;
                from_ctx = Some(ctx);
                let _ = &staged;
                found
            }
        };
        if sources.len() > 1 && !dest_is_dir {
            return Err(fail(Error::new(
                "When using COPY with more than one source file, the destination must be a directory and end with a /",
            )));
        }
        let ctx: &Context = from_ctx.as_ref().unwrap_or(self.ctx);
        let digest = ctx.digest(&sources)?;
        let kind = match (sources.len(), sources.first().map(|s| s.is_dir)) {
            (1, Some(true)) => "dir",
            (1, _) => "file",
            _ => "multi",
        };
        let created_by = format!("/bin/sh -c #(nop) {what} {kind}:{digest} in {dest} ");
        let parent = self.stored()?;
        let key = Cache::key(
            &parent,
            &format!(
                "{created_by}\nchown={:?} chmod={:?} from={:?}",
                c.chown, c.chmod, c.from
            ),
        );
        if self.cached(&key)? {
            return Ok(());
        }
        let mut plan = Plan {
            items: Vec::new(),
            chown: c
                .chown
                .as_ref()
                .map(|s| self.lex.process(s, &vars))
                .transpose()?,
            chmod: match &c.chmod {
                Some(m) => Some(
                    u32::from_str_radix(m, 8)
                        .map_err(|_| fail(Error::new(format!("invalid chmod parameter: {m}"))))?,
                ),
                None => None,
            },
            keep_owner: c.from.is_some(),
        };
        for s in &sources {
            self.plan_source(
                ctx,
                &mut plan,
                s,
                &dest_abs,
                dest_is_dir,
                c.add,
                sources.len() == 1,
            )?;
        }
        let tmp = TempDir::new("build-plan")?;
        let plan_path = tmp.0.join("plan.json");
        rvol_state::fsx::write_json(&plan_path, &plan)?;
        let layers = self.stage().image.parent.config["rootfs"]["diff_ids"]
            .as_array()
            .map_or(0, Vec::len);
        if layers == 0 {
            // Nothing below (FROM scratch): no container (overlayfs wants
            // a lower layer), the files go into a new directory, the layer.
            let dir = tmp.0.join("layer");
            std::fs::create_dir(&dir).ctx("mkdir")?;
            super::copyinto::run(&dir, &plan_path).map_err(fail)?;
            self.commit_dir(&dir, &[], "", &key, cfg, created_by)?;
            let short = self.stage().image.short().to_string();
            self.out.line(&format!(" ---> {short}"));
            return Ok(());
        }
        let id = spawn::create(&parent, &[], false, &["true".to_string()])?;
        let guard = spawn::guard(&id)?;
        let r = spawn::copy_into(self.root, &id, &plan_path)
            .map_err(|e| {
                if e.msg.is_empty() {
                    fail(Error::new("the copy into the container failed"))
                } else {
                    fail(e)
                }
            })
            .and_then(|()| self.commit_container(&id, &key, cfg, created_by));
        spawn::remove(&id);
        guard.done();
        r?;
        let short = self.stage().image.short().to_string();
        self.out.line(&format!(" ---> {short}"));
        Ok(())
    }

    /// One source as plan items: a directory's content (what
    /// .dockerignore leaves) under the destination, a file at it or in it.
    #[allow(clippy::too_many_arguments)]
    fn plan_source(
        &self,
        ctx: &Context,
        plan: &mut Plan,
        s: &Source,
        dest: &str,
        dest_is_dir: bool,
        add: bool,
        only: bool,
    ) -> Result<()> {
        let base = s.rel.rsplit('/').next().unwrap_or(&s.rel).to_string();
        let md =
            std::fs::symlink_metadata(&s.abs).with_ctx(|| format!("stat {}", s.abs.display()))?;
        if s.is_dir {
            plan.items.push(Item {
                src: s.abs.display().to_string(),
                dest: dest.to_string(),
                kind: Kind::Dir,
                onto: false,
            });
            let root_rel = s.rel.clone();
            let mut err = None;
            let mut push = |rel: &str, abs: &std::path::Path, is_dir: bool| {
                let sub = rel
                    .strip_prefix(&root_rel)
                    .unwrap_or(rel)
                    .trim_start_matches('/');
                let kind = match std::fs::symlink_metadata(abs) {
                    Ok(m) if m.file_type().is_symlink() => Kind::Symlink,
                    Ok(_) if is_dir => Kind::Dir,
                    Ok(_) => Kind::File,
                    Err(e) => {
                        err.get_or_insert(Error::new(format!("stat {}: {e}", abs.display())));
                        return false;
                    }
                };
                plan.items.push(Item {
                    src: abs.display().to_string(),
                    dest: format!("{}/{sub}", dest.trim_end_matches('/')),
                    kind,
                    onto: false,
                });
                true
            };
            ctx.walk(&s.rel, &mut push)?;
            if let Some(e) = err {
                return Err(e);
            }
            return Ok(());
        }
        let kind = if md.file_type().is_symlink() {
            Kind::Symlink
        } else if add && is_archive(&s.abs) {
            Kind::Archive
        } else {
            Kind::File
        };
        let target = if kind == Kind::Archive || dest_is_dir {
            if kind == Kind::Archive {
                dest.to_string()
            } else {
                format!("{}/{base}", dest.trim_end_matches('/'))
            }
        } else {
            dest.to_string()
        };
        plan.items.push(Item {
            src: s.abs.display().to_string(),
            dest: target,
            kind,
            onto: only && !dest_is_dir && kind == Kind::File,
        });
        Ok(())
    }

    /// `COPY --from=STAGE|N|IMAGE SRC...`: the sources, taken out of that
    /// image's root by a container of it, staged in a directory that
    /// then serves as the step's context.
    fn stage_from(
        &mut self,
        from: &str,
        srcs: &[String],
    ) -> Result<(Context, TempDir, Vec<Source>)> {
        let current = self.stages.len() - 1;
        let img = match self.stages[..current]
            .iter()
            .find(|s| s.name.as_deref() == Some(from))
        {
            Some(s) => s.image.clone(),
            None => match from.parse::<usize>() {
                Ok(n) if n < current => self.stages[n].image.clone(),
                _ => Image::find(&self.store, from)?,
            },
        };
        if img.id.is_empty() {
            return Err(Error::new(format!(
                "{from}: the stage has no files (FROM scratch)"
            )));
        }
        let tmp = TempDir::new("build-from")?;
        let id = spawn::create(&img.id, &[], false, &["true".to_string()])?;
        let guard = spawn::guard(&id)?;
        let r = spawn::copy_out(self.root, &id, &tmp.0, srcs);
        spawn::remove(&id);
        guard.done();
        r.map_err(|e| {
            if e.msg.is_empty() {
                Error::new(format!("copy from {from} failed"))
            } else {
                e
            }
        })?;
        let ctx = Context::plain(tmp.0.clone());
        let mut sources = Vec::new();
        for n in 0..srcs.len() {
            let mut names: Vec<String> = std::fs::read_dir(tmp.0.join(n.to_string()))
                .ctx("read the staged sources")?
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                sources.extend(ctx.sources(&format!("{n}/{name}"))?);
            }
        }
        Ok((ctx, tmp, sources))
    }

    /// The last stage's image, with `--label`s, stored.
    pub fn finish(&mut self) -> std::result::Result<NewImage, Failed> {
        if !self.a.labels.is_empty() {
            let mut cfg = self.stage().image.config();
            let labels = cfg.entry("Labels").or_insert_with(|| json!({}));
            if !labels.is_object() {
                *labels = json!({});
            }
            for (k, v) in &self.a.labels {
                labels[k] = json!(v);
            }
            let list: Vec<String> = self
                .a
                .labels
                .iter()
                .map(|(k, v)| format!("{k:?}={v:?}"))
                .collect();
            let created_by = format!("/bin/sh -c #(nop)  LABEL {}", list.join(" "));
            let parent = self.stage().image.id.clone();
            let key = Cache::key(&parent, &created_by);
            if !self.cached(&key)? {
                self.commit_step(&key, cfg, created_by, None)?;
            }
        }
        self.stored()?;
        let img = &self.stage().image;
        Ok(NewImage {
            id: img.id.clone(),
            manifest_digest: img.manifest_digest.clone(),
            manifest_size: img.manifest_size,
        })
    }
}

/// Docker's builder gives a stage's config the default PATH when its
/// image's Env has none (beginStage).
fn with_default_path(img: &mut Image) {
    let mut cfg = img.config();
    let env = cfg.entry("Env").or_insert_with(|| json!([]));
    if !env.is_array() {
        *env = json!([]);
    }
    let list = env.as_array_mut().unwrap();
    if !list
        .iter()
        .any(|e| e.as_str().is_some_and(|e| e.starts_with("PATH=")))
    {
        list.push(json!(
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        ));
        img.parent.config["config"] = Value::Object(cfg);
    }
}

/// The config's SHELL, else docker's `/bin/sh -c`.
fn shell_of(cfg: &Map<String, Value>) -> Vec<String> {
    cfg.get("Shell")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .filter(|l: &Vec<String>| !l.is_empty())
        .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()])
}

/// A list as the history shows it: `["a" "b"]`, Go's %q of a slice.
fn go_list(l: &[String]) -> String {
    let q: Vec<String> = l.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", q.join(" "))
}

fn go_value_list(v: &Value) -> String {
    match v.as_array() {
        Some(l) => go_list(
            &l.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect::<Vec<_>>(),
        ),
        None => "[]".into(),
    }
}

/// ADD unpacks a local file that is a tar (plain, gzip or zstd).
fn is_archive(p: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 262];
    let Ok(mut f) = std::fs::File::open(p) else {
        return false;
    };
    let n = f.read(&mut head).unwrap_or(0);
    if n >= 262 && &head[257..262] == b"ustar" {
        return true;
    }
    !matches!(Compression::sniff(&head[..n]), Compression::None)
}
