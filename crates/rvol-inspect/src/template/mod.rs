//! The part of Go's text/template that people use with `docker inspect
//! --format`: `{{.A.B}}`, `{{json .X}}`, `{{range .Mounts}}..{{end}}` (with
//! `.` rebound, and `$i, $m :=`), `{{if}}`/`{{else if}}`/`{{else}}`,
//! `{{with}}`, `$` and variables, `(...)` sub-pipelines, `|` pipes, and the
//! functions index, len, json, printf, print, println, eq, ne, lt, le, gt,
//! ge, and, or, not, join, split, lower, upper, title, truncate, pad.
//!
//! Data is docker's JSON. Values print as Go prints docker's typed structs
//! (`map[k:v]` for maps, `{a b}` for structs, `[a b]` for slices, `[]` and
//! `map[]` for nil ones), so the key a value sits under decides its Go type.
//! Errors read as Go's (`template: :1:2: executing "" at <.Foo>: map has no
//! entry for key "Foo"`).
//!
//! One module a stage: `lex` (text and actions, then tokens), `parse` (the
//! tree), `exec` (running it), with `value` (a value and its Go type),
//! `format` (how Go's fmt prints it) and `funcs` (what a template can call).

mod exec;
mod format;
mod funcs;
mod lex;
mod parse;
mod value;

use serde_json::Value;

#[derive(Debug)]
pub struct Template {
    src: String,
    nodes: Vec<parse::Node>,
}

impl Template {
    /// Parse; the error is Go's text (`template: :1: unclosed action`).
    pub fn parse(src: &str) -> Result<Template, String> {
        Ok(Template {
            src: src.to_string(),
            nodes: parse::parse(src)?,
        })
    }

    /// Run on one object; the error is Go's `template: :L:C: executing ...`.
    pub fn execute(&self, data: &Value) -> Result<String, String> {
        exec::run(&self.src, &self.nodes, data)
    }
}

/// The line of byte offset `pos`, from 1, as Go's errors count them.
fn line_of(src: &str, pos: usize) -> usize {
    1 + src[..pos.min(src.len())].matches('\n').count()
}

/// An error found before running, as Go words it: `template: :LINE: MSG`.
fn parse_error(line: usize, msg: impl std::fmt::Display) -> String {
    format!("template: :{line}: {msg}")
}

/// The object the stage modules' tests run templates on.
#[cfg(test)]
mod test_data {
    use super::Template;
    use serde_json::{json, Value};

    pub(super) fn run(t: &str, v: &Value) -> String {
        Template::parse(t).unwrap().execute(v).unwrap()
    }

    pub(super) fn data() -> Value {
        json!({
            "Name": "/x",
            "State": {"Running": false, "Pid": 0},
            "Config": {"Labels": {"k": "v"}, "Volumes": null, "Env": ["A=1", "B=2"]},
            "HostConfig": {"Tmpfs": {"/t": "size=1m"}, "Binds": null},
            "Mounts": [
                {"Type": "bind", "Source": "/h", "Destination": "/a", "Mode": "", "RW": true, "Propagation": "rprivate"},
                {"Type": "volume", "Name": "n", "Source": "/s", "Destination": "/b", "Driver": "local", "Mode": "z", "RW": false, "Propagation": ""}
            ]
        })
    }
}

#[cfg(test)]
mod robustness {
    use super::*;

    /// Random token soup: every input parses or fails cleanly, and every
    /// parsed template runs or fails cleanly (no panic, no hang).
    #[test]
    fn no_panic_on_token_soup() {
        let parts = [
            "{{",
            "}}",
            "{{-",
            "-}}",
            " ",
            ".",
            ".Name",
            ".Mounts",
            ".State.Pid",
            "$",
            "$x",
            ":=",
            ",",
            "|",
            "(",
            ")",
            "\"",
            "\"s\"",
            "`r`",
            "1",
            "-2",
            "3.5",
            "range",
            "if",
            "else",
            "end",
            "with",
            "json",
            "index",
            "len",
            "printf",
            "println",
            "eq",
            "and",
            "not",
            "join",
            "é",
            "\\",
            "%",
            "%d",
            "%-5s",
            "/*",
            "*/",
            "nil",
            "true",
            "\n",
            "x",
        ];
        let data = serde_json::json!({
            "Name": "/x", "State": {"Pid": 0}, "Mounts": [{"Type": "bind", "Destination": "/a"}],
            "Config": {"Labels": {"k": "v"}, "Env": null}
        });
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..50_000 {
            let mut src = String::new();
            let n = (seed % 20) as usize + 1;
            for _ in 0..n {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                src.push_str(parts[(seed % parts.len() as u64) as usize]);
            }
            if let Ok(t) = Template::parse(&src) {
                let _ = t.execute(&data);
            }
        }
    }
}
