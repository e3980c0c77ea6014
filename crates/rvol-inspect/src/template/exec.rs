//! Execution: the tree run over docker's JSON, with `.` rebound by
//! range/with and variables scoped to their block. Errors are Go's
//! `template: :L:C: executing "" at <ACTION>: ...`.

use super::format::go_print;
use super::funcs::call;
use super::parse::{Arg, Cmd, Located, Node, Pipe};
use super::value::{go_type, is_map, num, omitted_field, truthy, Val};
use super::{line_of, parse_error};
use serde_json::Value;

/// Run `nodes` (parsed from `src`) on `data`.
pub(super) fn run(src: &str, nodes: &[Node], data: &Value) -> Result<String, String> {
    let mut ex = Exec {
        src,
        out: String::new(),
        vars: vec![("".to_string(), Val::plain(data.clone()))],
    };
    let dot = Val::plain(data.clone());
    ex.list(nodes, &dot)?;
    Ok(ex.out)
}

struct Exec<'a> {
    src: &'a str,
    out: String,
    /// In scope, innermost last; `$` is the unnamed first.
    vars: Vec<(String, Val)>,
}

impl Exec<'_> {
    fn err(&self, l: &Located, msg: impl std::fmt::Display) -> String {
        let line = line_of(self.src, l.pos);
        let line_start = self.src[..l.pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
        format!(
            "template: :{line}:{}: executing \"\" at <{}>: {msg}",
            l.pos - line_start,
            l.text
        )
    }

    fn list(&mut self, nodes: &[Node], dot: &Val) -> Result<(), String> {
        for n in nodes {
            let depth = self.vars.len();
            match n {
                Node::Text(t) => self.out.push_str(t),
                Node::Print(p) => {
                    let v = self.pipe(p, dot)?;
                    if p.decl.is_empty() {
                        self.out.push_str(&go_print(&v));
                    } else {
                        // a declaration prints nothing and lives to the end of the block
                        self.vars.push((p.decl[0].clone(), v));
                        continue;
                    }
                }
                Node::If(p, body, els) => {
                    let v = self.pipe(p, dot)?;
                    if truthy(&v) {
                        self.list(body, dot)?
                    } else {
                        self.list(els, dot)?
                    }
                }
                Node::With(p, body, els) => {
                    let v = self.pipe(p, dot)?;
                    if truthy(&v) {
                        self.list(body, &v)?
                    } else {
                        self.list(els, dot)?
                    }
                }
                Node::Range(p, body, els) => {
                    let mut p2 = p.clone();
                    let decl = std::mem::take(&mut p2.decl);
                    let v = self.pipe(&p2, dot)?;
                    let items: Vec<(Val, Val)> = match &v.v {
                        Value::Array(a) => a
                            .iter()
                            .enumerate()
                            .map(|(i, x)| (Val::plain(i.into()), Val::new(x.clone(), &v.hint)))
                            .collect(),
                        Value::Object(o) if is_map(&v.hint) => {
                            let mut keys: Vec<&String> = o.keys().collect();
                            keys.sort();
                            keys.into_iter()
                                .map(|k| (Val::plain(k.clone().into()), Val::plain(o[k].clone())))
                                .collect()
                        }
                        Value::Null => Vec::new(),
                        _ => {
                            let l = &p.cmds[0].args[0];
                            return Err(
                                self.err(l, format!("range can't iterate over {}", go_print(&v)))
                            );
                        }
                    };
                    if items.is_empty() {
                        self.list(els, dot)?;
                    }
                    for (k, item) in items {
                        let d = self.vars.len();
                        match decl.len() {
                            0 => {}
                            1 => self.vars.push((decl[0].clone(), item.clone())),
                            _ => {
                                self.vars.push((decl[0].clone(), k));
                                self.vars.push((decl[1].clone(), item.clone()));
                            }
                        }
                        self.list(body, &item)?;
                        self.vars.truncate(d);
                    }
                }
            }
            self.vars.truncate(depth);
        }
        Ok(())
    }

    fn pipe(&mut self, p: &Pipe, dot: &Val) -> Result<Val, String> {
        let mut last: Option<Val> = None;
        for c in &p.cmds {
            last = Some(self.cmd(c, dot, last)?);
        }
        Ok(last.unwrap_or_else(Val::nil))
    }

    /// Call function `f` named at `l`.
    fn call(&self, l: &Located, f: &str, args: Vec<Val>) -> Result<Val, String> {
        call(f, args).map_err(|m| self.err(l, format!("error calling {f}: {m}")))
    }

    fn cmd(&mut self, c: &Cmd, dot: &Val, piped: Option<Val>) -> Result<Val, String> {
        let first = &c.args[0];
        if let Arg::Ident(f) = &first.arg {
            let mut args = Vec::new();
            for a in &c.args[1..] {
                args.push(self.arg(a, dot)?);
            }
            if let Some(p) = piped {
                args.push(p);
            }
            return self.call(first, f, args);
        }
        if c.args.len() > 1 || piped.is_some() {
            return Err(self.err(
                first,
                format!("can't give argument to non-function {}", first.text),
            ));
        }
        self.arg(first, dot)
    }

    fn arg(&mut self, l: &Located, dot: &Val) -> Result<Val, String> {
        match &l.arg {
            Arg::Dot => Ok(dot.clone()),
            Arg::Field(fs) => self.fields(l, dot.clone(), fs),
            Arg::Var(name, fs) => {
                let v = self
                    .vars
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| {
                        parse_error(
                            line_of(self.src, l.pos),
                            format!("undefined variable: ${name}"),
                        )
                    })?;
                self.fields(l, v, fs)
            }
            Arg::Str(s) => Ok(Val::plain(Value::String(s.clone()))),
            Arg::Num(n) => Ok(Val::plain(num(*n))),
            Arg::Bool(b) => Ok(Val::plain(Value::Bool(*b))),
            Arg::Nil => Ok(Val::nil()),
            Arg::Ident(f) => self.call(l, f, Vec::new()),
            Arg::Sub(p, fs) => {
                let v = self.pipe(p, dot)?;
                self.fields(l, v, fs)
            }
        }
    }

    fn fields(&self, l: &Located, mut v: Val, fs: &[String]) -> Result<Val, String> {
        for f in fs {
            v = match &v.v {
                Value::Object(o) => match o.get(f) {
                    Some(x) => Val::new(x.clone(), f),
                    // Go: a missing map key gives the zero value
                    None if is_map(&v.hint) => Val::missing_key(),
                    None => match omitted_field(&v.hint, f) {
                        Some(zero) => Val::new(zero, f),
                        None => {
                            return Err(self.err(l, format!("map has no entry for key \"{f}\"")))
                        }
                    },
                },
                Value::Null if is_map(&v.hint) => Val::missing_key(),
                Value::Null => {
                    return Err(self.err(l, format!("nil pointer evaluating interface {{}}.{f}")))
                }
                other => {
                    return Err(self.err(
                        l,
                        format!("can't evaluate field {f} in type {}", go_type(other)),
                    ))
                }
            };
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_data::{data, run};
    use super::super::Template;

    #[test]
    fn json_range_index_if() {
        let d = data();
        assert_eq!(
            run("{{range .Mounts}}{{.Destination}},{{end}}", &d),
            "/a,/b,"
        );
        assert_eq!(
            run("{{range $i, $m := .Mounts}}{{$i}}={{$m.Type}} {{end}}", &d),
            "0=bind 1=volume "
        );
        assert_eq!(
            run("{{if .State.Running}}up{{else}}down{{end}}", &d),
            "down"
        );
        assert_eq!(
            run("{{if eq (len .Mounts) 2}}two{{else if .Name}}n{{end}}", &d),
            "two"
        );
        assert_eq!(
            run(
                "{{range .Mounts}}{{if eq .Type \"volume\"}}{{.Name}}{{end}}{{end}}",
                &d
            ),
            "n"
        );
        assert_eq!(run("{{with .Config}}{{.Labels.k}}{{end}}", &d), "v");
        assert_eq!(run("{{(index .Mounts 1).Source}}", &d), "/s");
        assert_eq!(
            run(
                "{{range $k, $v := .HostConfig.Tmpfs}}{{$k}}:{{$v}}{{end}}",
                &d
            ),
            "/t:size=1m"
        );
        assert_eq!(
            run("{{$n := .Name}}{{range .Mounts}}{{$n}}{{end}}", &d),
            "/x/x"
        );
        assert_eq!(run("{{range .Mounts}}{{$.Name}}{{end}}", &d), "/x/x");
    }

    #[test]
    fn errors_read_as_go() {
        let d = data();
        assert_eq!(
            Template::parse("{{.Foo}}")
                .unwrap()
                .execute(&d)
                .unwrap_err(),
            "template: :1:2: executing \"\" at <.Foo>: map has no entry for key \"Foo\""
        );
        assert_eq!(
            Template::parse("{{.State.Foo}}")
                .unwrap()
                .execute(&d)
                .unwrap_err(),
            "template: :1:8: executing \"\" at <.State.Foo>: map has no entry for key \"Foo\""
        );
    }
}
