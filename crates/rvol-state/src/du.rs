//! Sizes as docker counts and prints them: a tree's bytes (each inode
//! once, docker's directory.Size) and go-units' HumanSize (`3.968MB`), for
//! the prunes' `Total reclaimed space:` lines.

use std::path::Path;

/// Bytes in a tree, each inode once (docker's directory.Size).
pub fn size(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(md) = e.path().symlink_metadata() else {
                continue;
            };
            if md.is_dir() {
                stack.push(e.path());
            } else if md.nlink() <= 1 || seen.insert(md.ino()) {
                total += md.size();
            }
        }
    }
    total
}

/// go-units' HumanSize: decimal units, four significant digits.
pub fn human_size(bytes: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    let digits = if v >= 1000.0 {
        0
    } else if v >= 100.0 {
        1
    } else if v >= 10.0 {
        2
    } else {
        3
    };
    let mut s = format!("{v:.digits$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{s}{}", units[i])
}

#[cfg(test)]
mod tests {
    #[test]
    fn human() {
        assert_eq!(super::human_size(3_968_000), "3.968MB");
        assert_eq!(super::human_size(123_456), "123.5kB");
        assert_eq!(super::human_size(0), "0B");
        assert_eq!(super::human_size(3), "3B");
        assert_eq!(super::human_size(1500), "1.5kB");
        assert_eq!(super::human_size(2_000_000), "2MB");
    }
}
