//! Docker's `cp` path rules as string functions: Go's path/filepath
//! (Clean, Dir, Base, Split, Join) and moby's pkg/archive copy.go
//! (SplitPathDirEntry, PreserveTrailingDotOrSeparator, GetRebaseName,
//! PrepareArchiveCopy) and the CLI's splitCpArg. Nothing here touches a
//! file system: the container side is resolved by fd (`cpview`), the host
//! side in `cphost`; these only decide names (docs/docker-behaviour.md §15).

/// The CLI's splitCpArg: `CONTAINER:PATH`, unless the argument is an
/// absolute path or starts with `.` before its first `:` (`./a:b`).
/// An empty container (`:path`) means a local path, as in docker.
pub fn split_cp_arg(arg: &str) -> (String, String) {
    if arg.starts_with('/') {
        return (String::new(), arg.to_string());
    }
    match arg.split_once(':') {
        Some((c, p)) if !c.starts_with('.') => (c.to_string(), p.to_string()),
        _ => (String::new(), arg.to_string()),
    }
}

/// Go's filepath.Clean (one definition, in rvol_state::path).
pub use rvol_state::path::clean;

/// Go's filepath.Base.
pub fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// Go's filepath.Dir.
pub fn dir(p: &str) -> String {
    match p.rfind('/') {
        Some(i) => clean(&p[..=i]),
        None => ".".into(),
    }
}

/// Go's filepath.Split: everything up to and including the last `/`, and the rest.
pub fn split(p: &str) -> (&str, &str) {
    match p.rfind('/') {
        Some(i) => (&p[..=i], &p[i + 1..]),
        None => ("", p),
    }
}

/// Go's filepath.Join of two elements.
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(b),
        (false, true) => clean(a),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

pub fn has_trailing_separator(p: &str) -> bool {
    p.ends_with('/')
}

pub fn specifies_current_dir(p: &str) -> bool {
    base(p) == "."
}

/// The path asks for a directory: it ends in `/` or `/.`.
pub fn asserts_directory(p: &str) -> bool {
    has_trailing_separator(p) || specifies_current_dir(p)
}

/// moby's PreserveTrailingDotOrSeparator.
pub fn preserve_trailing(cleaned: &str, original: &str) -> String {
    let mut c = cleaned.to_string();
    if !specifies_current_dir(&c) && specifies_current_dir(original) {
        if !has_trailing_separator(&c) {
            c.push('/');
        }
        c.push('.');
    }
    if !has_trailing_separator(&c) && has_trailing_separator(original) {
        c.push('/');
    }
    c
}

/// moby's SplitPathDirEntry: `/a/b/.` is (`/a/b`, `.`), `/a/b/` is (`/a`, `b`).
pub fn split_path_dir_entry(p: &str) -> (String, String) {
    let mut cleaned = clean(p);
    if specifies_current_dir(p) {
        cleaned.push_str("/.");
    }
    (dir(&cleaned), base(&cleaned))
}

/// moby's GetRebaseName: the resolved path with the original's trailing
/// `/` or `/.`, and the name to give the archive's entries when the last
/// component changed by following a link.
pub fn get_rebase_name(path: &str, resolved: &str) -> (String, Option<String>) {
    let mut r = resolved.to_string();
    if specifies_current_dir(path) && !specifies_current_dir(&r) {
        r.push_str("/.");
    }
    if has_trailing_separator(path) && !has_trailing_separator(&r) {
        r.push('/');
    }
    let rebase = (base(path) != base(&r)).then(|| base(path));
    (r, rebase)
}

/// moby's CopyInfo: what is known about one side of a copy.
#[derive(Clone, Debug, Default)]
pub struct CopyInfo {
    pub path: String,
    pub exists: bool,
    pub is_dir: bool,
    pub rebase_name: Option<String>,
}

/// An archive entry rename: the first occurrence of `.0` in each name
/// (and hard link target) becomes `.1`, as moby's RebaseArchiveEntries.
pub type Rebase = (String, String);

/// moby's PrepareArchiveCopy: the directory to extract into and the
/// rename that makes the source land under the destination's name.
pub fn prepare_archive_copy(
    src: &CopyInfo,
    dst: &CopyInfo,
) -> Result<(String, Option<Rebase>), &'static str> {
    // The archive's entries already carry the rebase name, if any.
    let src_base = match &src.rebase_name {
        Some(r) => r.clone(),
        None => split_path_dir_entry(&src.path).1,
    };
    let (dst_dir, dst_base) = split_path_dir_entry(&dst.path);
    let rebase = Some((src_base, dst_base));
    if dst.exists && dst.is_dir {
        // Into an existing directory: as it is.
        return Ok((dst.path.clone(), None));
    }
    if dst.exists && src.is_dir {
        return Err("cannot copy directory");
    }
    if dst.exists || src.is_dir {
        // A file over a file, or a directory to a new name.
        return Ok((dst_dir, rebase));
    }
    if asserts_directory(&dst.path) {
        return Err("no such directory");
    }
    if asserts_directory(&src.path) {
        return Err("not a directory");
    }
    Ok((dst_dir, rebase))
}

/// The name the archive of `path` gives its top entry (moby's
/// TarResourceRebase with the path's base): `/` has none, its entries
/// are `/bin`, `/etc`, as docker writes them.
pub fn top_name(abs_path: &str) -> String {
    let b = base(abs_path);
    if b == "/" {
        String::new()
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_functions() {
        assert_eq!(clean("/a/../../b/./c/"), "/b/c");
        assert_eq!(clean("a/../.."), "..");
        assert_eq!(clean(""), ".");
        assert_eq!(base("/a/b/"), "b");
        assert_eq!(base("/"), "/");
        assert_eq!(dir("/a/b"), "/a");
        assert_eq!(dir("/a"), "/");
        assert_eq!(split("/a/b/"), ("/a/b/", ""));
        assert_eq!(split_path_dir_entry("/a/b/."), ("/a/b".into(), ".".into()));
        assert_eq!(split_path_dir_entry("/a/b/"), ("/a".into(), "b".into()));
        assert_eq!(preserve_trailing("/a/b", "a/b/."), "/a/b/.");
        assert_eq!(preserve_trailing("/a/b", "a/b/"), "/a/b/");
        assert_eq!(preserve_trailing("/", "/."), "/.");
    }

    #[test]
    fn cp_args() {
        assert_eq!(split_cp_arg("c:/x"), ("c".into(), "/x".into()));
        assert_eq!(split_cp_arg("/a:b"), ("".into(), "/a:b".into()));
        assert_eq!(split_cp_arg("./a:b"), ("".into(), "./a:b".into()));
        assert_eq!(split_cp_arg("file"), ("".into(), "file".into()));
    }

    fn info(path: &str, exists: bool, is_dir: bool) -> CopyInfo {
        CopyInfo {
            path: path.into(),
            exists,
            is_dir,
            rebase_name: None,
        }
    }

    #[test]
    fn archive_copy_cases() {
        let f = info("/s/f", true, false);
        let d = info("/s/d", true, true);
        assert_eq!(
            prepare_archive_copy(&f, &info("/t", true, true)),
            Ok(("/t".into(), None))
        );
        assert_eq!(
            prepare_archive_copy(&d, &info("/t/x", true, false)),
            Err("cannot copy directory")
        );
        assert_eq!(
            prepare_archive_copy(&f, &info("/t/x", true, false)),
            Ok(("/t".into(), Some(("f".into(), "x".into()))))
        );
        assert_eq!(
            prepare_archive_copy(&d, &info("/t/new", false, false)),
            Ok(("/t".into(), Some(("d".into(), "new".into()))))
        );
        assert_eq!(
            prepare_archive_copy(&f, &info("/t/new/", false, false)),
            Err("no such directory")
        );
        assert_eq!(
            prepare_archive_copy(&info("/s/f/", true, false), &info("/t/n", false, false)),
            Err("not a directory")
        );
        assert_eq!(
            get_rebase_name("/a/link/", "/b/target"),
            ("/b/target/".into(), Some("link".into()))
        );
    }
}
