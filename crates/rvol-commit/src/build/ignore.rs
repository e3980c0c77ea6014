//! `.dockerignore`: which context paths COPY and ADD cannot see, as
//! docker's fileutils.PatternMatcher decides (Docker 20.10): patterns
//! cleaned and taken from the context's root, `#` comments, `!` exceptions;
//! the last pattern that matches a path (or one of its parent directories)
//! decides.

use super::glob;

pub struct Ignore {
    rules: Vec<Rule>,
}

struct Rule {
    pattern: String,
    exception: bool,
    depth: usize,
}

impl Ignore {
    pub fn parse(text: &str) -> Ignore {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exception, pat) = match line.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, line),
            };
            let pattern = rvol_state::path::clean(&format!("/{pat}"))
                .trim_start_matches('/')
                .to_string();
            if pattern.is_empty() {
                continue;
            }
            let depth = pattern.split('/').count();
            rules.push(Rule {
                pattern,
                exception,
                depth,
            });
        }
        Ignore { rules }
    }

    pub fn none() -> Ignore {
        Ignore { rules: Vec::new() }
    }

    /// Whether `rel` (relative to the context, no leading `/`) is excluded.
    pub fn excluded(&self, rel: &str) -> bool {
        let parts: Vec<&str> = rel.split('/').collect();
        let mut matched = false;
        for r in &self.rules {
            let mut hit = glob::matches(&r.pattern, rel);
            if !hit && parts.len() > 1 && r.depth < parts.len() {
                hit = glob::matches(&r.pattern, &parts[..r.depth].join("/"));
            }
            if hit {
                matched = !r.exception;
            }
        }
        matched
    }

    /// Whether some exception could bring back a path below an excluded
    /// directory (then the walk must go in).
    pub fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|r| r.exception)
    }
}

#[cfg(test)]
mod tests {
    use super::Ignore;

    #[test]
    fn last_match_wins() {
        let i = Ignore::parse("# c\n*.log\n!keep.log\nsecret/\n/build\n");
        assert!(i.excluded("a.log"));
        assert!(!i.excluded("keep.log"));
        assert!(i.excluded("secret/x"));
        assert!(i.excluded("build/out/y"));
        assert!(!i.excluded("d/a.log"));
        assert!(!i.excluded("src/main.rs"));
    }
}
