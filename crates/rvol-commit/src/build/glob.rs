//! Go's filepath.Match, which COPY's wildcards and .dockerignore's patterns
//! use: `*` any run of non-`/` characters, `?` one, `[a-z]`/`[^a-z]` a
//! class, `\` escapes; plus `**` as a whole segment, any number of
//! directories (docker's fileutils, for .dockerignore).

/// Whether `name` (a `/`-separated relative path) matches `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let n: Vec<&str> = name.split('/').filter(|s| !s.is_empty()).collect();
    segments(&p, &n)
}

fn segments(p: &[&str], n: &[&str]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some(&"**") => (0..=n.len()).any(|k| segments(&p[1..], &n[k..])),
        Some(seg) => {
            !n.is_empty() && segment(seg.as_bytes(), n[0].as_bytes()) && segments(&p[1..], &n[1..])
        }
    }
}

/// One path segment against one pattern segment.
fn segment(p: &[u8], n: &[u8]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some(b'*') => (0..=n.len()).any(|k| segment(&p[1..], &n[k..])),
        Some(b'?') => !n.is_empty() && segment(&p[1..], &n[1..]),
        Some(b'[') => {
            let Some(c) = n.first() else { return false };
            match class(&p[1..], *c) {
                Some((hit, rest)) => hit && segment(rest, &n[1..]),
                None => false,
            }
        }
        Some(b'\\') if p.len() > 1 => n.first() == Some(&p[1]) && segment(&p[2..], &n[1..]),
        Some(c) => n.first() == Some(c) && segment(&p[1..], &n[1..]),
    }
}

/// A `[...]` class (after the `[`): whether `c` is in it, and the pattern
/// after the `]`; None for a class that does not end (Go: ErrBadPattern).
fn class(p: &[u8], c: u8) -> Option<(bool, &[u8])> {
    let (negate, mut i) = match p.first() {
        Some(b'^') => (true, 1),
        _ => (false, 0),
    };
    let mut hit = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((hit != negate, &p[i + 1..]));
        }
        first = false;
        let mut lo = p[i];
        if lo == b'\\' {
            i += 1;
            lo = *p.get(i)?;
        }
        let mut hi = lo;
        if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&b| b != b']') {
            hi = p[i + 2];
            i += 2;
        }
        if lo <= c && c <= hi {
            hit = true;
        }
        i += 1;
    }
    None
}

/// Whether a COPY source has wildcards (then it is matched, not looked up).
pub fn has_wildcards(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn go_rules() {
        assert!(matches("*.txt", "a.txt"));
        assert!(!matches("*.txt", "d/a.txt"));
        assert!(matches("d/*.txt", "d/a.txt"));
        assert!(matches("a?c", "abc"));
        assert!(matches("[a-c]x", "bx"));
        assert!(!matches("[^a-c]x", "bx"));
        assert!(matches("**/*.go", "x/y/z.go"));
        assert!(matches("**/*.go", "z.go"));
        assert!(matches("a/**", "a/b/c"));
        assert!(matches(r"\*", "*"));
    }
}
