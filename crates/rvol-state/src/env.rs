//! A container's environment as docker's CLI and daemon build it, for
//! `run` (rvol-unpack) and `exec` (rvol-exec) alike: `-e K=V` as given,
//! `-e K` taken from the caller's environment (dropped when unset there),
//! `--env-file` lines (opts/envfile.go: blank lines and `#` comments
//! skipped, a bare name taken from the caller's environment), and
//! overrides merged into a base by key (ReplaceOrAppendEnvValues).

use crate::{Error, Result};

/// One `-e` operand, already `K=V`; None when a bare K is unset here.
pub fn item(kv: &str) -> Option<String> {
    if kv.contains('=') {
        return Some(kv.to_string());
    }
    std::env::var_os(kv).map(|v| format!("{kv}={}", v.to_string_lossy()))
}

/// The entries of an env file, in order. Errors in the CLI's words:
/// `open F: no such file or directory`, `invalid env file (F): ...`.
pub fn file(path: &str) -> Result<Vec<String>> {
    let bytes = std::fs::read(path).map_err(|e| {
        let why = nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)).desc();
        Error::new(format!("open {path}: {}", lower_first(why)))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::new(format!("invalid env file ({path}): invalid utf8 bytes")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = line.split('=').next().unwrap_or("").trim_start();
        let bad = if name.is_empty() {
            Some(format!("no variable name on line '{line}'"))
        } else if name.contains(char::is_whitespace) {
            Some(format!("variable '{name}' contains whitespaces"))
        } else {
            None
        };
        if let Some(why) = bad {
            return Err(Error::new(format!("invalid env file ({path}): {why}")));
        }
        out.extend(item(line));
    }
    Ok(out)
}

/// `base`, then each override replacing the entry of the same key in
/// place or adding to the end.
pub fn merge(base: Vec<String>, overrides: &[String]) -> Vec<String> {
    let mut env = base;
    for kv in overrides {
        let key = kv.split('=').next().unwrap_or(kv);
        match env.iter_mut().find(|e| e.split('=').next() == Some(key)) {
            Some(e) => *e = kv.clone(),
            None => env.push(kv.clone()),
        }
    }
    env
}

/// An errno's text as Go prints it: `no such file or directory`.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_replaces_in_place_and_appends() {
        let e = merge(
            vec!["A=1".into(), "B=2".into()],
            &["B=3".into(), "C=4".into()],
        );
        assert_eq!(e, vec!["A=1", "B=3", "C=4"]);
    }

    #[test]
    fn env_file_as_the_cli_reads_it() {
        let dir = std::env::temp_dir().join(format!("rvol-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("ok");
        std::fs::write(&f, "A=1\n\n  # comment\nRVOL_ENV_TEST_UNSET_X\nB=x=y\n").unwrap();
        let p = f.to_str().unwrap();
        assert_eq!(file(p).unwrap(), vec!["A=1", "B=x=y"]);
        std::fs::write(&f, "=x\n").unwrap();
        assert_eq!(
            file(p).unwrap_err().msg,
            format!("invalid env file ({p}): no variable name on line '=x'")
        );
        std::fs::write(&f, "A B=1\n").unwrap();
        assert_eq!(
            file(p).unwrap_err().msg,
            format!("invalid env file ({p}): variable 'A B' contains whitespaces")
        );
        let missing = dir.join("missing");
        let m = missing.to_str().unwrap();
        assert_eq!(
            file(m).unwrap_err().msg,
            format!("open {m}: no such file or directory")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
