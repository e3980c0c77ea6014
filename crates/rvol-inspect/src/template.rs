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

use serde_json::Value;

/// Docker fields that are Go maps (printed `map[k:v]`, missing keys are "").
const MAP_KEYS: &[&str] = &[
    "Labels",
    "Volumes",
    "Tmpfs",
    "Options",
    "Data",
    "ExposedPorts",
    "PortBindings",
    "Ports",
    "Networks",
    "Sysctls",
    "StorageOpt",
];
/// Docker fields that are Go slices (a nil one prints `[]`).
const SLICE_KEYS: &[&str] = &[
    "Env",
    "Cmd",
    "Entrypoint",
    "Binds",
    "VolumesFrom",
    "OnBuild",
    "Args",
    "Mounts",
    "RepoTags",
    "RepoDigests",
    "Layers",
    "CapAdd",
    "CapDrop",
    "Dns",
    "DnsOptions",
    "DnsSearch",
    "ExtraHosts",
    "GroupAdd",
    "Links",
    "SecurityOpt",
    "MaskedPaths",
    "ReadonlyPaths",
    "Shell",
    "ExecIDs",
    "ConsoleSize",
];

/// Docker struct fields that are `omitempty`: absent from inspect's JSON
/// when empty, but a template reads the Go struct, where they hold their
/// zero value. `Mounts` entries: docker's MountPoint (`.Mounts`) and
/// mount.Mount (`.HostConfig.Mounts`).
fn omitted_field(hint: &str, field: &str) -> Option<Value> {
    Some(match (hint, field) {
        ("HostConfig", "Tmpfs" | "Mounts") => Value::Null,
        ("Mounts", "Name" | "Driver" | "Source" | "Consistency") => Value::String(String::new()),
        ("Mounts", "ReadOnly") => Value::Bool(false),
        ("Mounts", "BindOptions" | "VolumeOptions" | "TmpfsOptions") => Value::Null,
        _ => return None,
    })
}

fn is_map(hint: &str) -> bool {
    MAP_KEYS.contains(&hint)
}
fn is_slice(hint: &str) -> bool {
    SLICE_KEYS.contains(&hint)
}

/// A value and the key it came from (its Go type, as far as printing cares).
#[derive(Clone, Debug)]
struct Val {
    v: Value,
    hint: String,
}

impl Val {
    fn new(v: Value, hint: &str) -> Val {
        Val {
            v,
            hint: hint.to_string(),
        }
    }
    fn plain(v: Value) -> Val {
        Val::new(v, "")
    }
}

// ---------------------------------------------------------------- parsing

#[derive(Debug, Clone)]
enum Arg {
    Dot,
    /// `.A.B` on dot.
    Field(Vec<String>),
    /// `$x.A.B` (`$` alone is the root).
    Var(String, Vec<String>),
    Str(String),
    Num(f64),
    Bool(bool),
    Nil,
    /// A function name.
    Ident(String),
    /// `(pipeline).A.B`
    Sub(Box<Pipe>, Vec<String>),
}

#[derive(Debug, Clone)]
struct Located {
    arg: Arg,
    /// Byte offset (for error positions, as Go reports them) and source text.
    pos: usize,
    text: String,
}

#[derive(Debug, Clone)]
struct Cmd {
    args: Vec<Located>,
}

#[derive(Debug, Clone)]
struct Pipe {
    decl: Vec<String>,
    cmds: Vec<Cmd>,
}

#[derive(Debug)]
enum Node {
    Text(String),
    Print(Pipe),
    If(Pipe, Vec<Node>, Vec<Node>),
    With(Pipe, Vec<Node>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
}

#[derive(Debug)]
pub struct Template {
    src: String,
    nodes: Vec<Node>,
}

/// One `{{...}}` as lexed: its inside, where the inside starts.
struct Action {
    body: String,
    pos: usize,
}

enum Piece {
    Text(String),
    Action(Action),
}

fn line_of(src: &str, pos: usize) -> usize {
    1 + src[..pos.min(src.len())].matches('\n').count()
}

fn split_pieces(src: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut trim_next = false;
    while i < src.len() {
        let Some(off) = src[i..].find("{{") else {
            let mut t = src[i..].to_string();
            if trim_next {
                t = t.trim_start().to_string();
            }
            out.push(Piece::Text(t));
            break;
        };
        let start = i + off;
        let mut text = src[i..start].to_string();
        if trim_next {
            text = text.trim_start().to_string();
        }
        let mut body_start = start + 2;
        if src[body_start..].starts_with("- ") || src[body_start..].starts_with("-\t") {
            text = text.trim_end().to_string();
            body_start += 1;
        }
        out.push(Piece::Text(text));
        // find the closing "}}" outside quotes
        let b = src.as_bytes();
        let mut j = body_start;
        let mut end = None;
        while j < b.len() {
            match b[j] {
                b'"' => {
                    j += 1;
                    while j < b.len() && b[j] != b'"' {
                        if b[j] == b'\\' {
                            j += 1;
                        }
                        j += 1;
                    }
                }
                b'`' => {
                    j += 1;
                    while j < b.len() && b[j] != b'`' {
                        j += 1;
                    }
                }
                b'}' if b.get(j + 1) == Some(&b'}') => {
                    end = Some(j);
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        let Some(end) = end else {
            return Err(format!(
                "template: :{}: unclosed action",
                line_of(src, start)
            ));
        };
        let mut body_end = end;
        trim_next = false;
        if end > body_start && src[..end].ends_with(" -") {
            body_end = end - 1;
            trim_next = true;
        }
        let body = &src[body_start..body_end];
        if !(body.trim_start().starts_with("/*") && body.trim_end().ends_with("*/")) {
            out.push(Piece::Action(Action {
                body: body.to_string(),
                pos: body_start,
            }));
        }
        i = end + 2;
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Field(String),
    Var(String),
    Dot,
    Ident(String),
    Str(String),
    Num(f64),
    LParen,
    RParen,
    Pipe,
    Declare,
    Comma,
}

/// Tokens with (offset, whether whitespace preceded it).
fn lex(body: &str, base: usize, src: &str) -> Result<Vec<(Tok, usize, bool)>, String> {
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |m: String| format!("template: :{}: {m}", line_of(src, base));
    while i < b.len() {
        let c = b[i];
        let spaced = i == 0 || b[i - 1].is_ascii_whitespace();
        let pos = base + i;
        let word = |i: usize| {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            j
        };
        match c {
            c if c.is_ascii_whitespace() => i += 1,
            b'(' => {
                out.push((Tok::LParen, pos, spaced));
                i += 1
            }
            b')' => {
                out.push((Tok::RParen, pos, spaced));
                i += 1
            }
            b'|' => {
                out.push((Tok::Pipe, pos, spaced));
                i += 1
            }
            b',' => {
                out.push((Tok::Comma, pos, spaced));
                i += 1
            }
            b':' if b.get(i + 1) == Some(&b'=') => {
                out.push((Tok::Declare, pos, spaced));
                i += 2
            }
            b'=' => {
                out.push((Tok::Declare, pos, spaced));
                i += 1
            }
            b'.' => {
                let j = word(i + 1);
                if j == i + 1 {
                    out.push((Tok::Dot, pos, spaced));
                } else {
                    out.push((Tok::Field(body[i + 1..j].to_string()), pos, spaced));
                }
                i = j
            }
            b'$' => {
                let j = word(i + 1);
                out.push((Tok::Var(body[i + 1..j].to_string()), pos, spaced));
                i = j
            }
            b'"' => {
                let mut s = String::new();
                let mut j = i + 1;
                let chars: Vec<char> = body[j..].chars().collect();
                let mut k = 0;
                loop {
                    let Some(&ch) = chars.get(k) else {
                        return Err(err("unterminated quoted string".into()));
                    };
                    k += 1;
                    match ch {
                        '"' => break,
                        '\\' => {
                            let e = chars.get(k).copied().unwrap_or('\\');
                            k += 1;
                            s.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                '0' => '\0',
                                other => other,
                            });
                        }
                        ch => s.push(ch),
                    }
                }
                j += chars[..k].iter().map(|c| c.len_utf8()).sum::<usize>();
                out.push((Tok::Str(s), pos, spaced));
                i = j
            }
            b'`' => {
                let Some(off) = body[i + 1..].find('`') else {
                    return Err(err("unterminated raw quoted string".into()));
                };
                out.push((Tok::Str(body[i + 1..i + 1 + off].to_string()), pos, spaced));
                i += off + 2
            }
            c if c.is_ascii_digit() || c == b'-' || c == b'+' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.') {
                    j += 1;
                }
                let n: f64 = body[i..j]
                    .parse()
                    .map_err(|_| err(format!("bad number syntax: \"{}\"", &body[i..j])))?;
                out.push((Tok::Num(n), pos, spaced));
                i = j
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let j = word(i);
                out.push((Tok::Ident(body[i..j].to_string()), pos, spaced));
                i = j
            }
            other => return Err(err(format!("unexpected \"{}\" in command", other as char))),
        }
    }
    Ok(out)
}

/// Deeper nesting (of parentheses, or of if/range/with) is refused rather
/// than recursed into: the parser and the executor recurse per level.
const MAX_DEPTH: usize = 200;

struct PipeParser<'a> {
    toks: Vec<(Tok, usize, bool)>,
    i: usize,
    depth: usize,
    body: &'a str,
    base: usize,
    src: &'a str,
}

const FUNCS: &[&str] = &[
    "index", "len", "json", "printf", "print", "println", "eq", "ne", "lt", "le", "gt", "ge",
    "and", "or", "not", "join", "split", "lower", "upper", "title", "truncate", "pad",
];

impl PipeParser<'_> {
    fn err(&self, m: impl std::fmt::Display) -> String {
        format!("template: :{}: {m}", line_of(self.src, self.base))
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.0)
    }
    fn text(&self, from: usize, to: usize) -> String {
        self.body[from - self.base..to - self.base]
            .trim()
            .to_string()
    }

    fn pipe(&mut self, in_paren: bool) -> Result<Pipe, String> {
        let mut decl = Vec::new();
        // `$x :=` or `$i, $v :=`
        let save = self.i;
        let mut names = Vec::new();
        while let Some(Tok::Var(v)) = self.peek() {
            names.push(v.clone());
            self.i += 1;
            match self.peek() {
                Some(Tok::Comma) => self.i += 1,
                Some(Tok::Declare) => {
                    self.i += 1;
                    decl = std::mem::take(&mut names);
                    break;
                }
                _ => break,
            }
        }
        if decl.is_empty() {
            self.i = save;
        }
        let mut cmds = Vec::new();
        loop {
            let mut args = Vec::new();
            loop {
                match self.peek() {
                    None => break,
                    Some(Tok::Pipe) => break,
                    Some(Tok::RParen) if in_paren => break,
                    _ => args.push(self.operand()?),
                }
            }
            if args.is_empty() {
                return Err(self.err("missing value for command"));
            }
            cmds.push(Cmd { args });
            match self.peek() {
                Some(Tok::Pipe) => self.i += 1,
                _ => break,
            }
        }
        Ok(Pipe { decl, cmds })
    }

    fn chain(&mut self) -> Vec<String> {
        let mut fields = Vec::new();
        while let Some((Tok::Field(f), _, false)) = self.toks.get(self.i) {
            fields.push(f.clone());
            self.i += 1;
        }
        fields
    }

    fn operand(&mut self) -> Result<Located, String> {
        let (tok, pos, _) = self.toks[self.i].clone();
        self.i += 1;
        let mut err_pos = pos;
        let arg = match tok {
            Tok::Dot => Arg::Dot,
            Tok::Field(f) => {
                let mut fields = vec![f];
                if let Some((Tok::Field(_), p, false)) = self.toks.get(self.i) {
                    err_pos = *p;
                }
                fields.extend(self.chain());
                Arg::Field(fields)
            }
            Tok::Var(v) => {
                if let Some((Tok::Field(_), p, false)) = self.toks.get(self.i) {
                    err_pos = *p;
                }
                Arg::Var(v, self.chain())
            }
            Tok::Str(s) => Arg::Str(s),
            Tok::Num(n) => Arg::Num(n),
            Tok::Ident(id) => match id.as_str() {
                "true" => Arg::Bool(true),
                "false" => Arg::Bool(false),
                "nil" => Arg::Nil,
                f if FUNCS.contains(&f) => Arg::Ident(id),
                f => return Err(self.err(format!("function \"{f}\" not defined"))),
            },
            Tok::LParen => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(self.err("nesting too deep"));
                }
                let p = self.pipe(true)?;
                self.depth -= 1;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(self.err("unclosed left paren"));
                }
                self.i += 1;
                Arg::Sub(Box::new(p), self.chain())
            }
            Tok::RParen => return Err(self.err("unexpected right paren")),
            Tok::Pipe | Tok::Declare | Tok::Comma => {
                return Err(self.err(format!("unexpected {tok:?} in operand")))
            }
        };
        let end = self
            .toks
            .get(self.i)
            .map(|t| t.1)
            .unwrap_or(self.base + self.body.len());
        Ok(Located {
            arg,
            pos: err_pos,
            text: self.text(pos, end),
        })
    }
}

fn parse_pipe(a: &Action, src: &str, skip_words: usize) -> Result<Pipe, String> {
    let toks = lex(&a.body, a.pos, src)?;
    let mut p = PipeParser {
        toks,
        i: skip_words,
        depth: 0,
        body: &a.body,
        base: a.pos,
        src,
    };
    let pipe = p.pipe(false)?;
    if p.i < p.toks.len() {
        return Err(p.err("unexpected token in pipeline"));
    }
    Ok(pipe)
}

/// What an action is, by its first word.
fn keyword(a: &Action) -> &str {
    let t = a.body.trim_start();
    let w = t
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    match w {
        "if" | "else" | "end" | "range" | "with" | "define" | "template" | "block" | "break"
        | "continue" => w,
        _ => "",
    }
}

enum Stop {
    Eof,
    End,
    Else(Option<Action>),
}

fn parse_list(
    pieces: &mut std::iter::Peekable<std::vec::IntoIter<Piece>>,
    src: &str,
    depth: usize,
) -> Result<(Vec<Node>, Stop), String> {
    let mut nodes = Vec::new();
    while let Some(piece) = pieces.next() {
        let a = match piece {
            Piece::Text(t) => {
                if !t.is_empty() {
                    nodes.push(Node::Text(t));
                }
                continue;
            }
            Piece::Action(a) => a,
        };
        let line = line_of(src, a.pos);
        let kw = keyword(&a).to_string();
        match kw.as_str() {
            "" => nodes.push(Node::Print(parse_pipe(&a, src, 0)?)),
            "end" => return Ok((nodes, Stop::End)),
            "else" => {
                let rest = a.body.trim_start()["else".len()..].trim().to_string();
                if rest.is_empty() {
                    return Ok((nodes, Stop::Else(None)));
                }
                // `else if ...` / `else with ...`: the rest is a new control action
                let off = a.body.find(&rest).unwrap_or(0);
                return Ok((
                    nodes,
                    Stop::Else(Some(Action {
                        body: rest,
                        pos: a.pos + off,
                    })),
                ));
            }
            "if" | "range" | "with" => {
                if depth >= MAX_DEPTH {
                    return Err(format!("template: :{line}: nesting too deep"));
                }
                nodes.push(parse_control(&kw, a, pieces, src, depth + 1)?);
            }
            other => {
                return Err(format!(
                    "template: :{line}: {{{{{other}}}}} is not supported"
                ))
            }
        }
    }
    Ok((nodes, Stop::Eof))
}

fn parse_control(
    kw: &str,
    a: Action,
    pieces: &mut std::iter::Peekable<std::vec::IntoIter<Piece>>,
    src: &str,
    depth: usize,
) -> Result<Node, String> {
    let line = line_of(src, a.pos);
    let pipe = parse_pipe(&a, src, 1)?;
    let (body, stop) = parse_list(pieces, src, depth)?;
    let else_nodes = match stop {
        Stop::Eof => return Err(format!("template: :{line}: unexpected EOF")),
        Stop::End => Vec::new(),
        Stop::Else(None) => {
            let (e, stop) = parse_list(pieces, src, depth)?;
            match stop {
                Stop::End => e,
                Stop::Eof => return Err(format!("template: :{line}: unexpected EOF")),
                Stop::Else(_) => {
                    return Err(format!(
                        "template: :{line}: expected end; found {{{{else}}}}"
                    ))
                }
            }
        }
        // `{{else if X}}...{{end}}` ends the outer control too.
        Stop::Else(Some(inner)) => {
            let kw = keyword(&inner).to_string();
            if kw != "if" && kw != "with" {
                return Err(format!("template: :{line}: unexpected {{{{else {kw}}}}}"));
            }
            if depth >= MAX_DEPTH {
                return Err(format!("template: :{line}: nesting too deep"));
            }
            vec![parse_control(&kw, inner, pieces, src, depth + 1)?]
        }
    };
    Ok(match kw {
        "if" => Node::If(pipe, body, else_nodes),
        "with" => Node::With(pipe, body, else_nodes),
        _ => Node::Range(pipe, body, else_nodes),
    })
}

impl Template {
    /// Parse; the error is Go's text (`template: :1: unclosed action`).
    pub fn parse(src: &str) -> Result<Template, String> {
        let pieces = split_pieces(src)?;
        let mut it = pieces.into_iter().peekable();
        let (nodes, stop) = parse_list(&mut it, src, 0)?;
        match stop {
            Stop::Eof => Ok(Template {
                src: src.to_string(),
                nodes,
            }),
            Stop::End => Err("template: :1: unexpected {{end}}".into()),
            Stop::Else(_) => Err("template: :1: unexpected {{else}}".into()),
        }
    }

    /// Run on one object; the error is Go's `template: :L:C: executing ...`.
    pub fn execute(&self, data: &Value) -> Result<String, String> {
        let mut ex = Exec {
            src: &self.src,
            out: String::new(),
            vars: vec![("".to_string(), Val::plain(data.clone()))],
        };
        let dot = Val::plain(data.clone());
        ex.list(&self.nodes, &dot)?;
        Ok(ex.out)
    }
}

// ---------------------------------------------------------------- execution

struct Exec<'a> {
    src: &'a str,
    out: String,
    vars: Vec<(String, Val)>,
}

fn truthy(v: &Val) -> bool {
    match &v.v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().unwrap_or(0.0) != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        // a struct is always true; a map when it has entries
        Value::Object(o) => !is_map(&v.hint) || !o.is_empty(),
    }
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
        Ok(last.unwrap_or_else(|| Val::plain(Value::Null)))
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
            return call(f, args).map_err(|m| self.err(first, format!("error calling {f}: {m}")));
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
                        format!(
                            "template: :{}: undefined variable: ${name}",
                            line_of(self.src, l.pos)
                        )
                    })?;
                self.fields(l, v, fs)
            }
            Arg::Str(s) => Ok(Val::plain(Value::String(s.clone()))),
            Arg::Num(n) => Ok(Val::plain(num(*n))),
            Arg::Bool(b) => Ok(Val::plain(Value::Bool(*b))),
            Arg::Nil => Ok(Val::plain(Value::Null)),
            Arg::Ident(f) => {
                call(f, Vec::new()).map_err(|m| self.err(l, format!("error calling {f}: {m}")))
            }
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
                    None if is_map(&v.hint) => Val::plain(Value::String(String::new())),
                    None => match omitted_field(&v.hint, f) {
                        Some(zero) => Val::new(zero, f),
                        None => {
                            return Err(self.err(l, format!("map has no entry for key \"{f}\"")))
                        }
                    },
                },
                Value::Null if is_map(&v.hint) => Val::plain(Value::String(String::new())),
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

fn num(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Print as Go's `fmt.Sprint` prints docker's typed value.
fn go_print(v: &Val) -> String {
    go_fmt(&v.v, &v.hint)
}

fn go_fmt(v: &Value, hint: &str) -> String {
    match v {
        Value::Null if is_map(hint) => "map[]".into(),
        Value::Null if is_slice(hint) => "[]".into(),
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => go_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => s.clone(),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(|x| go_fmt(x, hint)).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(o) if is_map(hint) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_fmt(&o[*k], "")))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        Value::Object(o) => {
            // A docker MountPoint struct has Name and Driver even when the
            // JSON omits them (binds): Go prints them as empty fields.
            if hint == "Mounts" && o.contains_key("Destination") {
                let s = |k: &str| o.get(k).map(|x| go_fmt(x, k)).unwrap_or_default();
                return format!(
                    "{{{} {} {} {} {} {} {} {}}}",
                    s("Type"),
                    s("Name"),
                    s("Source"),
                    s("Destination"),
                    s("Driver"),
                    s("Mode"),
                    s("RW"),
                    s("Propagation")
                );
            }
            let parts: Vec<String> = o.iter().map(|(k, x)| go_fmt(x, k)).collect();
            format!("{{{}}}", parts.join(" "))
        }
    }
}

fn go_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

fn as_f64(v: &Val) -> Option<f64> {
    v.v.as_f64()
}

fn as_str(v: &Val) -> String {
    match &v.v {
        Value::String(s) => s.clone(),
        _ => go_print(v),
    }
}

fn equal(a: &Val, b: &Val) -> bool {
    match (&a.v, &b.v) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (x, y) => x == y,
    }
}

fn call(f: &str, args: Vec<Val>) -> Result<Val, String> {
    let want = |n: usize| -> Result<(), String> {
        if args.len() != n {
            Err(format!(
                "wrong number of args for {f}: want {n} got {}",
                args.len()
            ))
        } else {
            Ok(())
        }
    };
    let s = |v: Value| Ok(Val::plain(v));
    match f {
        "json" => {
            want(1)?;
            s(Value::String(
                serde_json::to_string(&args[0].v).unwrap_or_default(),
            ))
        }
        "len" => {
            want(1)?;
            let n = match &args[0].v {
                Value::String(x) => x.len(),
                Value::Array(a) => a.len(),
                Value::Object(o) => o.len(),
                Value::Null => 0,
                other => return Err(format!("len of type {}", go_type(other))),
            };
            s(n.into())
        }
        "index" => {
            if args.is_empty() {
                return Err("wrong number of args for index: want at least 1 got 0".into());
            }
            let mut cur = args[0].clone();
            for k in &args[1..] {
                cur = match (&cur.v, &k.v) {
                    (Value::Array(a), Value::Number(n)) => {
                        let i = n.as_i64().unwrap_or(-1);
                        if i < 0 || i as usize >= a.len() {
                            return Err(format!("index out of range: {i}"));
                        }
                        Val::new(a[i as usize].clone(), &cur.hint)
                    }
                    (Value::Object(o), Value::String(key)) => match o.get(key) {
                        Some(x) => Val::new(x.clone(), key),
                        None => Val::plain(Value::String(String::new())),
                    },
                    (Value::Null, _) => Val::plain(Value::String(String::new())),
                    (other, _) => {
                        return Err(format!("can't index item of type {}", go_type(other)))
                    }
                };
            }
            Ok(cur)
        }
        "print" => {
            // fmt.Sprint: a space between operands when neither is a string
            let mut out = String::new();
            for (i, a) in args.iter().enumerate() {
                if i > 0 && !a.v.is_string() && !args[i - 1].v.is_string() {
                    out.push(' ');
                }
                out.push_str(&go_print(a));
            }
            s(Value::String(out))
        }
        "println" => {
            let parts: Vec<String> = args.iter().map(go_print).collect();
            s(Value::String(format!("{}\n", parts.join(" "))))
        }
        "printf" => {
            if args.is_empty() {
                return Err("wrong number of args for printf: want at least 1 got 0".into());
            }
            s(Value::String(printf(&as_str(&args[0]), &args[1..])))
        }
        "eq" => {
            if args.len() < 2 {
                return Err("missing argument for comparison".into());
            }
            s(Value::Bool(args[1..].iter().any(|b| equal(&args[0], b))))
        }
        "ne" => {
            want(2)?;
            s(Value::Bool(!equal(&args[0], &args[1])))
        }
        "lt" | "le" | "gt" | "ge" => {
            want(2)?;
            let ord = match (as_f64(&args[0]), as_f64(&args[1])) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => Some(as_str(&args[0]).cmp(&as_str(&args[1]))),
            }
            .ok_or("incompatible types for comparison")?;
            use std::cmp::Ordering::*;
            let r = match f {
                "lt" => ord == Less,
                "le" => ord != Greater,
                "gt" => ord == Greater,
                _ => ord != Less,
            };
            s(Value::Bool(r))
        }
        "and" => Ok(args
            .iter()
            .find(|a| !truthy(a))
            .or(args.last())
            .cloned()
            .unwrap_or_else(|| Val::plain(Value::Null))),
        "or" => Ok(args
            .iter()
            .find(|a| truthy(a))
            .or(args.last())
            .cloned()
            .unwrap_or_else(|| Val::plain(Value::Null))),
        "not" => {
            want(1)?;
            s(Value::Bool(!truthy(&args[0])))
        }
        "join" => {
            want(2)?;
            let items: Vec<String> = match &args[0].v {
                Value::Array(a) => a.iter().map(|x| go_fmt(x, "")).collect(),
                Value::Null => Vec::new(),
                other => return Err(format!("join of type {}", go_type(other))),
            };
            s(Value::String(items.join(&as_str(&args[1]))))
        }
        "split" => {
            want(2)?;
            let parts: Vec<Value> = as_str(&args[0])
                .split(as_str(&args[1]).as_str())
                .map(|x| Value::String(x.to_string()))
                .collect();
            s(Value::Array(parts))
        }
        "lower" => {
            want(1)?;
            s(Value::String(as_str(&args[0]).to_lowercase()))
        }
        "upper" => {
            want(1)?;
            s(Value::String(as_str(&args[0]).to_uppercase()))
        }
        "title" => {
            want(1)?;
            let t: String = as_str(&args[0])
                .split(' ')
                .map(|w| {
                    let mut c = w.chars();
                    match c.next() {
                        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                        None => String::new(),
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            s(Value::String(t))
        }
        "truncate" => {
            want(2)?;
            let n = as_f64(&args[1]).unwrap_or(0.0) as usize;
            s(Value::String(as_str(&args[0]).chars().take(n).collect()))
        }
        "pad" => {
            want(3)?;
            let l = " ".repeat(as_f64(&args[1]).unwrap_or(0.0) as usize);
            let r = " ".repeat(as_f64(&args[2]).unwrap_or(0.0) as usize);
            s(Value::String(format!("{l}{}{r}", as_str(&args[0]))))
        }
        other => Err(format!("function \"{other}\" not defined")),
    }
}

/// `fmt.Sprintf` for the verbs templates use: %s %v %d %q %t %x %%, with
/// `-`, `0` and a width.
fn printf(fmt: &str, args: &[Val]) -> String {
    let mut out = String::new();
    let mut it = fmt.chars().peekable();
    let mut ai = 0;
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut left = false;
        let mut zero = false;
        while let Some(&f) = it.peek() {
            match f {
                '-' => left = true,
                '0' => zero = true,
                '+' | ' ' | '#' => {}
                _ => break,
            }
            it.next();
        }
        let mut width = 0usize;
        let mut too_large = false;
        while let Some(d) = it.peek().and_then(|c| c.to_digit(10)) {
            // Go's parsenum: past 1e6 the number (and the rest of the
            // format) is dropped; a huge width must not allocate forever.
            if width > 1_000_000 {
                too_large = true;
                break;
            }
            width = width * 10 + d as usize;
            it.next();
        }
        if too_large {
            it.by_ref().for_each(drop);
        }
        let Some(verb) = it.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(a) = args.get(ai) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        ai += 1;
        let s = match verb {
            'q' => crate::table::go_quote(&as_str(a)),
            'x' => match &a.v {
                Value::Number(n) => format!("{:x}", n.as_i64().unwrap_or(0)),
                _ => as_str(a).bytes().map(|b| format!("{b:02x}")).collect(),
            },
            _ => go_print(a),
        };
        let n = s.chars().count();
        if n >= width {
            out.push_str(&s);
        } else if left {
            out.push_str(&s);
            out.push_str(&" ".repeat(width - n));
        } else {
            let pad = if zero && verb == 'd' { "0" } else { " " };
            out.push_str(&pad.repeat(width - n));
            out.push_str(&s);
        }
    }
    if ai < args.len() {
        let extra: Vec<String> = args[ai..]
            .iter()
            .map(|a| format!("{}={}", go_type(&a.v), go_print(a)))
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(t: &str, v: &Value) -> String {
        Template::parse(t).unwrap().execute(v).unwrap()
    }

    fn data() -> Value {
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

    #[test]
    fn fields_and_go_printing() {
        let d = data();
        assert_eq!(run("{{.Name}}", &d), "/x");
        assert_eq!(
            run(
                "{{.Config.Labels}} {{.Config.Volumes}} {{.HostConfig.Binds}}",
                &d
            ),
            "map[k:v] map[] []"
        );
        assert_eq!(run("{{.HostConfig.Tmpfs}}", &d), "map[/t:size=1m]");
        assert_eq!(run("{{.State.Running}} {{.State.Pid}}", &d), "false 0");
        assert_eq!(
            run("{{.Mounts}}", &d),
            "[{bind  /h /a   true rprivate} {volume n /s /b local z false }]"
        );
    }

    #[test]
    fn json_range_index_if() {
        let d = data();
        assert_eq!(run("{{json .Config.Env}}", &d), r#"["A=1","B=2"]"#);
        assert_eq!(run("{{json .Config.Volumes}}", &d), "null");
        assert_eq!(
            run("{{range .Mounts}}{{.Destination}},{{end}}", &d),
            "/a,/b,"
        );
        assert_eq!(
            run("{{range $i, $m := .Mounts}}{{$i}}={{$m.Type}} {{end}}", &d),
            "0=bind 1=volume "
        );
        assert_eq!(
            run(
                r#"{{index .Config.Labels "k"}}|{{index .Config.Labels "z"}}|"#,
                &d
            ),
            "v||"
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
        assert_eq!(run("{{printf \"%s-%d\" .Name 3}}", &d), "/x-3");
        assert_eq!(run("{{println .Name}}", &d), "/x\n");
        assert_eq!(run("{{.Name | printf \"%q\"}}", &d), "\"/x\"");
        assert_eq!(run("{{(index .Mounts 1).Source}}", &d), "/s");
        assert_eq!(run("{{join .Config.Env \",\"}}", &d), "A=1,B=2");
        assert_eq!(
            run("{{range .Mounts -}} {{.Type}} {{- end}}", &d),
            "bindvolume"
        );
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
            Template::parse("{{.Foo").err().unwrap(),
            "template: :1: unclosed action"
        );
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
        assert!(Template::parse("{{nosuch .X}}").is_err());
        assert!(Template::parse("{{if .X}}").is_err());
    }
}

#[cfg(test)]
mod robustness {
    use super::*;

    /// Random token soup: every input parses or fails cleanly, and every
    /// parsed template runs or fails cleanly (no panic, no hang).
    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let parens = format!(
            "{{{{{}.Name{}}}}}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert!(Template::parse(&parens)
            .unwrap_err()
            .contains("nesting too deep"));
        let ifs = format!(
            "{}x{}",
            "{{if .Name}}".repeat(100_000),
            "{{end}}".repeat(100_000)
        );
        assert!(Template::parse(&ifs)
            .unwrap_err()
            .contains("nesting too deep"));
        let elifs = format!("{{{{if 0}}}}{}{{{{end}}}}", "{{else if 0}}".repeat(100_000));
        assert!(Template::parse(&elifs)
            .unwrap_err()
            .contains("nesting too deep"));
        let ok = format!("{}x{}", "{{if .Name}}".repeat(50), "{{end}}".repeat(50));
        assert_eq!(
            Template::parse(&ok)
                .unwrap()
                .execute(&serde_json::json!({"Name": "n"}))
                .unwrap(),
            "x"
        );
    }

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
