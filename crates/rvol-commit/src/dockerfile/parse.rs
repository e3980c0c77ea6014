//! A Dockerfile's text as instructions, as BuildKit's parser
//! (frontend/dockerfile/parser/parser.go) reads it, which the classic
//! builder of Docker 20.10 shares (docs/docker-behaviour.md §16):
//! - parser directives (`# escape=`, `# syntax=`) only before anything else:
//!   the first line that is not one (a comment, a blank line, an
//!   instruction) ends them; a second `escape` is an error;
//! - a line whose first non-blank character is `#` is a comment;
//! - the escape character at the end of a line (blanks after it allowed)
//!   joins the next line; comment lines and empty lines inside such a
//!   continuation are skipped;
//! - an instruction is its first word (any case) and the rest, after the
//!   leading `--name=value` flags.

use rvol_state::{Error, Result};

/// One instruction as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// 1-based line the instruction starts on.
    pub line: usize,
    /// The instruction's keyword, upper case (`RUN`).
    pub keyword: String,
    /// Leading flags, as written: `--from=build`, `--chown=1:1`.
    pub flags: Vec<String>,
    /// The rest of the line after the keyword and the flags, trimmed.
    pub rest: String,
    /// The instruction as the builder's `Step N/M :` line shows it: the
    /// joined line, continuation characters removed.
    pub original: String,
}

/// A parsed Dockerfile.
#[derive(Debug)]
pub struct Dockerfile {
    pub escape: char,
    pub nodes: Vec<Node>,
}

/// Parse a Dockerfile; only syntax is checked here (see
/// [`crate::dockerfile::instr`] for what each instruction accepts).
pub fn parse(text: &str) -> Result<Dockerfile> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut escape = '\\';
    let mut directives_done = false;
    let mut escape_seen = false;
    let mut nodes = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i].strip_suffix('\r').unwrap_or(lines[i]);
        i += 1;
        let start = i;
        let trimmed = raw.trim_start();
        if !directives_done {
            match directive(trimmed) {
                Some((name, value)) => {
                    if name == "escape" {
                        if escape_seen {
                            return Err(Error::new("only one escape parser directive can be used"));
                        }
                        escape_seen = true;
                        escape = match value.as_str() {
                            "\\" => '\\',
                            "`" => '`',
                            v => {
                                return Err(Error::new(format!(
                                    "invalid escape token '{v}' does not match ` or \\"
                                )))
                            }
                        };
                    }
                    continue;
                }
                None => directives_done = true,
            }
        }
        if trimmed.starts_with('#') {
            continue;
        }
        let (mut line, mut more) = continuation(trimmed, escape);
        if !more && line.trim().is_empty() {
            continue;
        }
        while more && i < lines.len() {
            let next = lines[i].strip_suffix('\r').unwrap_or(lines[i]);
            i += 1;
            let t = next.trim_start();
            if t.starts_with('#') {
                continue;
            }
            if t.trim().is_empty() {
                // An empty continuation line: BuildKit warns and goes on.
                continue;
            }
            let (part, m) = continuation(next, escape);
            line.push_str(&part);
            more = m;
        }
        nodes.push(node(&line, start)?);
    }
    Ok(Dockerfile { escape, nodes })
}

/// `# name=value`: a parser directive (names are case-insensitive).
fn directive(line: &str) -> Option<(String, String)> {
    let body = line.strip_prefix('#')?.trim_start();
    let eq = body.find('=')?;
    let name = body[..eq].trim_end();
    let mut cs = name.chars();
    if !cs.next()?.is_ascii_alphabetic() || !cs.all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let value = body[eq + 1..].trim();
    if value.is_empty() {
        return None;
    }
    Some((name.to_ascii_lowercase(), value.to_string()))
}

/// The line without a trailing escape character (and blanks after it),
/// and whether it continues.
fn continuation(line: &str, escape: char) -> (String, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    match t.strip_suffix(escape) {
        Some(head) => (head.to_string(), true),
        None => (line.to_string(), false),
    }
}

fn node(line: &str, start: usize) -> Result<Node> {
    let line_t = line.trim();
    let (kw, rest) = match line_t.find(char::is_whitespace) {
        Some(p) => (&line_t[..p], line_t[p..].trim_start()),
        None => (line_t, ""),
    };
    let (flags, rest) = flags(rest);
    Ok(Node {
        line: start,
        keyword: kw.to_ascii_uppercase(),
        flags,
        rest: rest.trim().to_string(),
        original: line_t.to_string(),
    })
}

/// Leading `--flag[=value]` words (BuildKit's extractBuilderFlags; `--`
/// alone ends them).
fn flags(rest: &str) -> (Vec<String>, &str) {
    let mut out = Vec::new();
    let mut r = rest;
    loop {
        let t = r.trim_start();
        if !t.starts_with("--") {
            return (out, t);
        }
        let end = t.find(char::is_whitespace).unwrap_or(t.len());
        let word = &t[..end];
        r = &t[end..];
        if word == "--" {
            return (out, r.trim_start());
        }
        out.push(word.to_string());
    }
}

/// `["a", "b"]`: the JSON (exec) form, or None for the shell form (as
/// BuildKit's parseMaybeJSON decides: a JSON array of strings or nothing).
pub fn json_list(s: &str) -> Option<Vec<String>> {
    if !s.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_continuations() {
        let d = parse(
            "# escape=\\\n\n# a comment\nFROM busybox AS b\nrun echo a \\\n  # inside\n\n  && echo b\ncopy --chown=1:2 --chmod=600 a /b\n",
        )
        .unwrap();
        assert_eq!(d.nodes.len(), 3);
        assert_eq!(d.nodes[0].keyword, "FROM");
        assert_eq!(d.nodes[0].line, 4);
        assert_eq!(d.nodes[1].keyword, "RUN");
        assert_eq!(d.nodes[1].line, 5);
        assert_eq!(d.nodes[1].rest, "echo a   && echo b");
        assert_eq!(d.nodes[1].original, "run echo a   && echo b");
        assert_eq!(d.nodes[2].flags, ["--chown=1:2", "--chmod=600"]);
        assert_eq!(d.nodes[2].rest, "a /b");
    }

    #[test]
    fn directives() {
        let d = parse("# escape=`\nFROM x\nRUN a `\n b\n").unwrap();
        assert_eq!(d.escape, '`');
        assert_eq!(d.nodes[1].rest, "a  b");
        // After a comment, a directive is only a comment.
        let d = parse("# hi\n# escape=`\nRUN a `\n").unwrap();
        assert_eq!(d.escape, '\\');
        assert_eq!(d.nodes[0].rest, "a `");
        assert!(parse("# escape=`\n# escape=`\n").is_err());
        assert!(parse("# escape=x\n").is_err());
    }

    #[test]
    fn json_forms() {
        assert_eq!(json_list(r#"["a","b c"]"#).unwrap(), ["a", "b c"]);
        assert!(json_list("[a]").is_none());
        assert!(json_list("echo [x]").is_none());
    }
}
