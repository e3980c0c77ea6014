//! The host's side of a copy, as docker's CLI treats it (moby's
//! CopyInfoSourcePath, ResolveHostSourcePath, CopyInfoDestinationPath and
//! the CLI's ValidateOutputPath): the caller's own paths, followed as the
//! caller's shell would, with Go's error texts.

use std::os::unix::fs::FileTypeExt;

use rvol_state::{Error, Result};

use crate::cppath::{self, CopyInfo};
use crate::cpview::go_msg;

fn fail(msg: String) -> Error {
    Error::new(msg).with_code(1)
}

/// The CLI's resolveLocalPath: absolute, with the trailing `/` or `/.` kept.
pub fn resolve_local(p: &str) -> String {
    let abs = if p.starts_with('/') {
        cppath::clean(p)
    } else {
        let cwd = std::env::current_dir()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "/".into());
        cppath::join(&cwd, p)
    };
    cppath::preserve_trailing(&abs, p)
}

/// Go's filepath.EvalSymlinks (its lstat errors included).
pub fn eval_symlinks(path: &str) -> Result<String> {
    let mut dest = String::from("/");
    let mut todo: std::collections::VecDeque<String> = path.split('/').map(String::from).collect();
    let mut links = 0;
    while let Some(c) = todo.pop_front() {
        match c.as_str() {
            "" | "." => continue,
            ".." => {
                dest = cppath::dir(&dest);
                continue;
            }
            _ => {}
        }
        let cand = if dest == "/" {
            format!("/{c}")
        } else {
            format!("{dest}/{c}")
        };
        let md = std::fs::symlink_metadata(&cand)
            .map_err(|e| fail(format!("lstat {cand}: {}", go_msg(&e))))?;
        if md.file_type().is_symlink() {
            links += 1;
            if links > 255 {
                return Err(fail("EvalSymlinks: too many links".into()));
            }
            let t = std::fs::read_link(&cand)
                .map_err(|e| fail(format!("readlink {cand}: {}", go_msg(&e))))?;
            let t = t.to_string_lossy().into_owned();
            if t.starts_with('/') {
                dest = "/".into();
            }
            for (i, part) in t.split('/').enumerate() {
                todo.insert(i, part.to_string());
            }
            continue;
        }
        if !md.is_dir() && !todo.is_empty() {
            return Err(fail("not a directory".into()));
        }
        dest = cand;
    }
    Ok(dest)
}

/// moby's CopyInfoSourcePath (ResolveHostSourcePath, then lstat).
pub fn source_info(path: &str, follow: bool) -> Result<CopyInfo> {
    let (resolved, rebase_name) = if follow {
        let r = eval_symlinks(path)?;
        cppath::get_rebase_name(path, &r)
    } else {
        let (d, b) = cppath::split(path);
        let rd = eval_symlinks(d)?;
        let resolved = format!("{rd}/{b}");
        let rebase = (cppath::has_trailing_separator(path)
            && cppath::base(path) != cppath::base(&resolved))
        .then(|| cppath::base(path));
        (resolved, rebase)
    };
    let md = std::fs::symlink_metadata(&resolved)
        .map_err(|e| fail(format!("lstat {resolved}: {}", go_msg(&e))))?;
    Ok(CopyInfo {
        path: resolved,
        exists: true,
        is_dir: md.is_dir(),
        rebase_name,
    })
}

/// moby's CopyInfoDestinationPath: symlinks at the end followed (at most 10).
pub fn destination_info(path: &str) -> Result<CopyInfo> {
    let mut path = path.to_string();
    let mut md = std::fs::symlink_metadata(&path);
    let mut n = 0;
    while let Ok(m) = &md {
        if !m.file_type().is_symlink() {
            break;
        }
        if n > 10 {
            return Err(fail(format!("too many symlinks in {path}")));
        }
        n += 1;
        let t = std::fs::read_link(&path)
            .map_err(|e| fail(format!("readlink {path}: {}", go_msg(&e))))?;
        let t = t.to_string_lossy().into_owned();
        path = if t.starts_with('/') {
            t
        } else {
            cppath::join(&cppath::split_path_dir_entry(&path).0, &t)
        };
        md = std::fs::symlink_metadata(&path);
    }
    match md {
        Ok(m) => Ok(CopyInfo {
            path,
            exists: true,
            is_dir: m.is_dir(),
            rebase_name: None,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = cppath::split_path_dir_entry(&path).0;
            let pm = std::fs::metadata(&parent)
                .map_err(|e| fail(format!("stat {parent}: {}", go_msg(&e))))?;
            if !pm.is_dir() {
                return Err(fail("not a directory".into()));
            }
            Ok(CopyInfo {
                path,
                ..CopyInfo::default()
            })
        }
        Err(e) => Err(fail(format!("lstat {path}: {}", go_msg(&e)))),
    }
}

/// The CLI's ValidateOutputPath.
pub fn validate_output(path: &str) -> Result<()> {
    let d = cppath::dir(&cppath::clean(path));
    if !d.is_empty() && d != "." {
        if let Err(e) = std::fs::metadata(&d) {
            if e.kind() == std::io::ErrorKind::NotFound {
                return Err(fail(format!(
                    "invalid output path: directory {d:?} does not exist"
                )));
            }
        }
    }
    if let Ok(m) = std::fs::metadata(path) {
        let t = m.file_type();
        let why = if t.is_block_device() || t.is_char_device() {
            Some("got a device")
        } else if !(t.is_dir() || t.is_file()) {
            Some("got an irregular file")
        } else {
            None
        };
        if let Some(w) = why {
            return Err(fail(format!(
                "invalid output path: {path:?} must be a directory or a regular file: {w}"
            )));
        }
    }
    Ok(())
}
