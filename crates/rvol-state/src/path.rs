//! Paths as docker records them: every destination, working dir and
//! VOLUME goes through Go's `path.Clean` before it is compared or stored,
//! so `/data/` and `/data` are one mount point everywhere in the toolkit.

/// `path.Clean` of Go, for `/`-separated paths (lexical only: nothing is
/// looked up on any filesystem).
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let abs = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !abs {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    let body = out.join("/");
    match (abs, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn as_go_path_clean() {
        assert_eq!(clean("/a/./b/"), "/a/b");
        assert_eq!(clean("/"), "/");
        assert_eq!(clean("/../x/../../y"), "/y");
        assert_eq!(clean("a/../../b"), "../b");
        assert_eq!(clean(""), ".");
        assert_eq!(clean("a/.."), ".");
    }
}
