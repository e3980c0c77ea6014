//! Docker's shell-word lexer for Dockerfile arguments (BuildKit's
//! frontend/dockerfile/shell: ProcessWord): quote removal, the escape
//! character (`\` unless the `# escape=` directive says `` ` ``), and
//! `$VAR`, `${VAR}`, `${VAR:-x}`, `${VAR:+x}` expansion, never inside single
//! quotes. Used by `commit --change` and by every instruction `build`
//! expands (docs/docker-behaviour.md §5, §16).

use rvol_state::{Error, Result};

/// The variables an expansion sees, in order; a later entry wins.
pub type Vars = [(String, String)];

/// The lexer, with the Dockerfile's escape character.
#[derive(Clone, Copy, Debug)]
pub struct Lex {
    pub escape: char,
}

impl Default for Lex {
    fn default() -> Lex {
        Lex { escape: '\\' }
    }
}

fn lookup(vars: &Vars, k: &str) -> Option<String> {
    vars.iter()
        .rev()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.clone())
}

impl Lex {
    /// Split at unquoted whitespace, keeping quotes and escapes for
    /// [`Lex::process`] (BuildKit's parseWords).
    pub fn words(&self, s: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut cur = String::new();
        let mut quote: Option<char> = None;
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            match (quote, c) {
                (None, c) if c.is_whitespace() => {
                    if !cur.is_empty() {
                        words.push(std::mem::take(&mut cur));
                    }
                }
                (None, '"' | '\'') => {
                    quote = Some(c);
                    cur.push(c);
                }
                (Some(q), c) if c == q => {
                    quote = None;
                    cur.push(c);
                }
                (q, c) if c == self.escape && q != Some('\'') => {
                    cur.push(c);
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                }
                _ => cur.push(c),
            }
        }
        if !cur.is_empty() {
            words.push(cur);
        }
        words
    }

    /// One word: quotes removed, escapes and variables resolved.
    pub fn process(&self, w: &str, vars: &Vars) -> Result<String> {
        let cs: Vec<char> = w.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        let mut dq = false;
        while i < cs.len() {
            let c = cs[i];
            match c {
                '\'' if !dq => {
                    i += 1;
                    while i < cs.len() && cs[i] != '\'' {
                        out.push(cs[i]);
                        i += 1;
                    }
                    if i == cs.len() {
                        return Err(Error::new(
                            "unexpected end of statement while looking for matching single-quote",
                        ));
                    }
                }
                '"' => dq = !dq,
                c if c == self.escape => {
                    i += 1;
                    if i < cs.len() {
                        let n = cs[i];
                        if dq && !matches!(n, '"' | '$') && n != self.escape {
                            out.push(self.escape);
                        }
                        out.push(n);
                    }
                }
                '$' if i + 1 < cs.len() && cs[i + 1] == '{' => {
                    let end = cs[i + 2..]
                        .iter()
                        .position(|&c| c == '}')
                        .ok_or_else(|| Error::new("missing '}' in variable"))?;
                    let inner: String = cs[i + 2..i + 2 + end].iter().collect();
                    let (name, op) = match inner.find(':') {
                        Some(p) => (&inner[..p], Some(&inner[p + 1..])),
                        None => (inner.as_str(), None),
                    };
                    let val = lookup(vars, name);
                    match op {
                        None => out.push_str(&val.unwrap_or_default()),
                        Some(o) if o.starts_with('-') => match val.filter(|v| !v.is_empty()) {
                            Some(v) => out.push_str(&v),
                            None => out.push_str(&self.process(&o[1..], vars)?),
                        },
                        Some(o) if o.starts_with('+') => {
                            if val.is_some_and(|v| !v.is_empty()) {
                                out.push_str(&self.process(&o[1..], vars)?);
                            }
                        }
                        Some(o) => {
                            return Err(Error::new(format!(
                                "unsupported modifier ({o}) in substitution"
                            )))
                        }
                    }
                    i += 2 + end;
                }
                '$' if i + 1 < cs.len()
                    && (cs[i + 1].is_ascii_alphanumeric() || cs[i + 1] == '_') =>
                {
                    let start = i + 1;
                    let mut j = start;
                    while j < cs.len() && (cs[j].is_ascii_alphanumeric() || cs[j] == '_') {
                        j += 1;
                    }
                    let name: String = cs[start..j].iter().collect();
                    out.push_str(&lookup(vars, &name).unwrap_or_default());
                    i = j - 1;
                }
                c => out.push(c),
            }
            i += 1;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vec<(String, String)> {
        vec![("A".into(), "1".into()), ("E".into(), String::new())]
    }

    #[test]
    fn expansion_and_quotes() {
        let l = Lex::default();
        let v = vars();
        assert_eq!(l.process("$A-${A}-${B:-x}-${A:+y}", &v).unwrap(), "1-1-x-y");
        assert_eq!(l.process("${E:-d}${E:+n}", &v).unwrap(), "d");
        assert_eq!(l.process("'$A'\"$A\"\\$A", &v).unwrap(), "$A1$A");
        assert_eq!(l.words(r#"a "b c" 'd e'"#), ["a", "\"b c\"", "'d e'"]);
        assert!(l.process("${A", &v).is_err());
    }

    #[test]
    fn backtick_escape() {
        let l = Lex { escape: '`' };
        assert_eq!(l.process(r"C:\dir`$A", &vars()).unwrap(), r"C:\dir$A");
        assert_eq!(l.words("a` b c"), ["a` b", "c"]);
    }
}
