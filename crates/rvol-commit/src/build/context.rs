//! The build context: a directory, or a tar (or a lone Dockerfile) on
//! stdin; its Dockerfile; what .dockerignore hides; the sources a COPY
//! names, found with docker's rules (a path cleaned inside the context,
//! `..` cannot leave it; wildcards matched by glob.rs).

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rvol_state::{Error, Result, ResultExt};

use super::args::BuildArgs;
use super::glob;
use super::ignore::Ignore;

pub struct Context {
    pub dir: PathBuf,
    dockerfile: Dockerfile,
    ignore: Ignore,
    /// A context made from stdin, removed when the build ends.
    _tmp: Option<TempDir>,
}

enum Dockerfile {
    Path(PathBuf),
    Text(String),
}

/// One source of a COPY: where it is on the host, and its path in the context.
#[derive(Debug, Clone)]
pub struct Source {
    pub abs: PathBuf,
    pub rel: String,
    pub is_dir: bool,
}

pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TempDir {
    pub fn new(what: &str) -> Result<TempDir> {
        let base = std::env::temp_dir();
        for n in 0..1000u32 {
            let p = base.join(format!("rvol-{what}-{}-{n}", std::process::id()));
            match std::fs::create_dir(&p) {
                Ok(()) => return Ok(TempDir(p)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::new(format!("mkdir {}: {e}", p.display()))),
            }
        }
        Err(Error::new("no temporary directory could be made"))
    }
}

impl Context {
    pub fn open(a: &BuildArgs) -> Result<Context> {
        let (dir, tmp, stdin_dockerfile) = if a.context == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .ctx("read the context from stdin")?;
            let tmp = TempDir::new("build-context")?;
            let is_tar = bytes.len() >= 262 && &bytes[257..262] == b"ustar"
                || !matches!(
                    rvol_state::compress::Compression::sniff(&bytes),
                    rvol_state::compress::Compression::None
                );
            if is_tar {
                let dec = rvol_state::compress::sniff_decoder(&bytes[..]).ctx("context")?;
                tar::Archive::new(dec)
                    .unpack(&tmp.0)
                    .ctx("unpack the context from stdin")?;
                (tmp.0.clone(), Some(tmp), None)
            } else {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                (tmp.0.clone(), Some(tmp), Some(text))
            }
        } else {
            let d = PathBuf::from(&a.context);
            if !d.is_dir() {
                return Err(Error::new(format!(
                    "unable to prepare context: path {:?} not found",
                    a.context
                )));
            }
            (d, None, None)
        };
        let dockerfile = match (&a.file, stdin_dockerfile) {
            (_, Some(t)) => Dockerfile::Text(t),
            (Some(f), None) if f.as_os_str() == "-" => {
                let mut t = String::new();
                std::io::stdin()
                    .read_to_string(&mut t)
                    .ctx("read the Dockerfile from stdin")?;
                Dockerfile::Text(t)
            }
            (Some(f), None) => Dockerfile::Path(std::path::absolute(f).ctx("-f")?),
            (None, None) => {
                Dockerfile::Path(std::path::absolute(dir.join("Dockerfile")).ctx("context")?)
            }
        };
        let ignore = match std::fs::read_to_string(dir.join(".dockerignore")) {
            Ok(t) => Ignore::parse(&t),
            Err(_) => Ignore::none(),
        };
        Ok(Context {
            dir,
            dockerfile,
            ignore,
            _tmp: tmp,
        })
    }

    /// A directory as a context with nothing ignored (`COPY --from`'s
    /// staged sources).
    pub fn plain(dir: PathBuf) -> Context {
        Context {
            dir,
            dockerfile: Dockerfile::Text(String::new()),
            ignore: Ignore::none(),
            _tmp: None,
        }
    }

    pub fn dockerfile_text(&self) -> Result<String> {
        let text = match &self.dockerfile {
            Dockerfile::Text(t) => t.clone(),
            Dockerfile::Path(p) => std::fs::read_to_string(p).map_err(|e| {
                Error::new(format!(
                    "unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {}: {}",
                    p.display(),
                    if e.kind() == std::io::ErrorKind::NotFound {
                        "no such file or directory".to_string()
                    } else {
                        e.to_string()
                    }
                ))
            })?,
        };
        if text.trim().is_empty() {
            let name = match &self.dockerfile {
                Dockerfile::Path(p) => p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                Dockerfile::Text(_) => "Dockerfile".into(),
            };
            return Err(Error::new(format!(
                "Error response from daemon: the Dockerfile ({name}) cannot be empty"
            )));
        }
        Ok(text)
    }

    /// The sources `src` names (wildcards matched), none excluded.
    pub fn sources(&self, src: &str) -> Result<Vec<Source>> {
        let rel = rvol_state::path::clean(&format!("/{src}"))
            .trim_start_matches('/')
            .to_string();
        let not_found = || {
            Error::new(format!(
                "file not found in build context or excluded by .dockerignore: stat {src}: file does not exist"
            ))
        };
        if glob::has_wildcards(&rel) {
            let mut hits = Vec::new();
            self.walk("", &mut |r, abs, is_dir| {
                if glob::matches(&rel, r) {
                    hits.push(Source {
                        abs: abs.to_path_buf(),
                        rel: r.to_string(),
                        is_dir,
                    });
                    false
                } else {
                    true
                }
            })?;
            if hits.is_empty() {
                return Err(not_found());
            }
            return Ok(hits);
        }
        if !rel.is_empty() && self.ignore.excluded(&rel) {
            return Err(not_found());
        }
        let abs = if rel.is_empty() {
            self.dir.clone()
        } else {
            self.dir.join(&rel)
        };
        let md = std::fs::symlink_metadata(&abs).map_err(|_| not_found())?;
        Ok(vec![Source {
            abs,
            rel,
            is_dir: md.is_dir(),
        }])
    }

    /// Every path below `rel` that .dockerignore leaves visible, parents
    /// first; `f(rel, abs, is_dir)` says whether to go into a directory.
    pub fn walk(&self, rel: &str, f: &mut dyn FnMut(&str, &Path, bool) -> bool) -> Result<()> {
        let dir = if rel.is_empty() {
            self.dir.clone()
        } else {
            self.dir.join(rel)
        };
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .with_ctx(|| format!("read {}", dir.display()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        names.sort();
        for n in names {
            let n = n.to_string_lossy().into_owned();
            let r = if rel.is_empty() {
                n.clone()
            } else {
                format!("{rel}/{n}")
            };
            let abs = dir.join(&n);
            let Ok(md) = std::fs::symlink_metadata(&abs) else {
                continue;
            };
            let excluded = self.ignore.excluded(&r);
            if excluded && !(md.is_dir() && self.ignore.has_exceptions()) {
                continue;
            }
            let go_in = if excluded {
                true
            } else {
                f(&r, &abs, md.is_dir())
            };
            if md.is_dir() && go_in {
                self.walk(&r, f)?;
            }
        }
        Ok(())
    }

    /// A digest of what `sources` copy (names, modes, owners' absence,
    /// sizes, contents, link targets): the cache key's part for COPY, and
    /// docker's `file:`/`dir:` name in the history.
    pub fn digest(&self, sources: &[Source]) -> Result<String> {
        let mut h = rvol_state::digest::Hasher::new();
        let mut add = |rel: &str, abs: &Path| -> Result<()> {
            let md =
                std::fs::symlink_metadata(abs).with_ctx(|| format!("stat {}", abs.display()))?;
            h.update(format!("{rel}\0{:o}\0{}\0", md.mode(), md.size()).as_bytes());
            if md.file_type().is_symlink() {
                let t = std::fs::read_link(abs).ctx("readlink")?;
                h.update(t.as_os_str().as_encoded_bytes());
            } else if md.is_file() {
                let mut f =
                    std::fs::File::open(abs).with_ctx(|| format!("open {}", abs.display()))?;
                let mut buf = vec![0u8; 1 << 16];
                loop {
                    let n = f.read(&mut buf).ctx("read")?;
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                }
            }
            Ok(())
        };
        for s in sources {
            add(&s.rel, &s.abs)?;
            if s.is_dir {
                let mut err = None;
                self.walk(&s.rel, &mut |r, abs, _| {
                    if let Err(e) = add(r, abs) {
                        err.get_or_insert(e);
                    }
                    true
                })?;
                if let Some(e) = err {
                    return Err(e);
                }
            }
        }
        let (d, _) = h.finish();
        Ok(d["sha256:".len()..].to_string())
    }
}
