//! Parsing: the pieces into a tree of nodes (text, prints, if/with/range
//! with their else branches), each action's tokens into a pipeline.

use super::funcs;
use super::lex::{lex, split_pieces, Action, Piece, Tok, Token};
use super::{line_of, parse_error};

#[derive(Debug, Clone)]
pub(super) enum Arg {
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
pub(super) struct Located {
    pub(super) arg: Arg,
    /// Byte offset (for error positions, as Go reports them) and source text.
    pub(super) pos: usize,
    pub(super) text: String,
}

#[derive(Debug, Clone)]
pub(super) struct Cmd {
    pub(super) args: Vec<Located>,
}

#[derive(Debug, Clone)]
pub(super) struct Pipe {
    pub(super) decl: Vec<String>,
    pub(super) cmds: Vec<Cmd>,
}

#[derive(Debug)]
pub(super) enum Node {
    Text(String),
    Print(Pipe),
    If(Pipe, Vec<Node>, Vec<Node>),
    With(Pipe, Vec<Node>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
}

/// Deeper nesting (of parentheses, or of if/range/with) is refused rather
/// than recursed into: the parser and the executor recurse per level.
const MAX_DEPTH: usize = 200;

struct PipeParser<'a> {
    toks: Vec<Token>,
    i: usize,
    depth: usize,
    body: &'a str,
    base: usize,
    src: &'a str,
}

impl PipeParser<'_> {
    fn err(&self, m: impl std::fmt::Display) -> String {
        parse_error(line_of(self.src, self.base), m)
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

    /// Where the field chain that follows starts, if one does: Go reports
    /// a failed `.A.B` or `$x.B` at its second link.
    fn chain_start(&self) -> Option<usize> {
        match self.toks.get(self.i) {
            Some((Tok::Field(_), p, false)) => Some(*p),
            _ => None,
        }
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
                err_pos = self.chain_start().unwrap_or(pos);
                fields.extend(self.chain());
                Arg::Field(fields)
            }
            Tok::Var(v) => {
                err_pos = self.chain_start().unwrap_or(pos);
                Arg::Var(v, self.chain())
            }
            Tok::Str(s) => Arg::Str(s),
            Tok::Num(n) => Arg::Num(n),
            Tok::Ident(id) => match id.as_str() {
                "true" => Arg::Bool(true),
                "false" => Arg::Bool(false),
                "nil" => Arg::Nil,
                f if funcs::is_defined(f) => Arg::Ident(id),
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

/// An action's pipeline, after its first `skip_words` tokens (a keyword).
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

/// What ended a list of nodes.
enum Stop {
    Eof,
    End,
    Else(Option<Action>),
}

type Pieces = std::iter::Peekable<std::vec::IntoIter<Piece>>;

/// The whole template; the error is Go's text (`template: :1: unclosed action`).
pub(super) fn parse(src: &str) -> Result<Vec<Node>, String> {
    let pieces = split_pieces(src)?;
    let mut it = pieces.into_iter().peekable();
    let (nodes, stop) = parse_list(&mut it, src, 0)?;
    match stop {
        Stop::Eof => Ok(nodes),
        Stop::End => Err(parse_error(1, "unexpected {{end}}")),
        Stop::Else(_) => Err(parse_error(1, "unexpected {{else}}")),
    }
}

fn parse_list(pieces: &mut Pieces, src: &str, depth: usize) -> Result<(Vec<Node>, Stop), String> {
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
            "if" | "range" | "with" => nodes.push(parse_nested(&kw, a, pieces, src, depth, line)?),
            other => {
                return Err(parse_error(
                    line,
                    format!("{{{{{other}}}}} is not supported"),
                ))
            }
        }
    }
    Ok((nodes, Stop::Eof))
}

/// A control action one level below `depth`, refused past MAX_DEPTH.
fn parse_nested(
    kw: &str,
    a: Action,
    pieces: &mut Pieces,
    src: &str,
    depth: usize,
    line: usize,
) -> Result<Node, String> {
    if depth >= MAX_DEPTH {
        return Err(parse_error(line, "nesting too deep"));
    }
    parse_control(kw, a, pieces, src, depth + 1)
}

fn parse_control(
    kw: &str,
    a: Action,
    pieces: &mut Pieces,
    src: &str,
    depth: usize,
) -> Result<Node, String> {
    let line = line_of(src, a.pos);
    let pipe = parse_pipe(&a, src, 1)?;
    let (body, stop) = parse_list(pieces, src, depth)?;
    let unexpected_eof = || parse_error(line, "unexpected EOF");
    let else_nodes = match stop {
        Stop::Eof => return Err(unexpected_eof()),
        Stop::End => Vec::new(),
        Stop::Else(None) => {
            let (e, stop) = parse_list(pieces, src, depth)?;
            match stop {
                Stop::End => e,
                Stop::Eof => return Err(unexpected_eof()),
                Stop::Else(_) => return Err(parse_error(line, "expected end; found {{else}}")),
            }
        }
        // `{{else if X}}...{{end}}` ends the outer control too.
        Stop::Else(Some(inner)) => {
            let kw = keyword(&inner).to_string();
            if kw != "if" && kw != "with" {
                return Err(parse_error(line, format!("unexpected {{{{else {kw}}}}}")));
            }
            vec![parse_nested(&kw, inner, pieces, src, depth, line)?]
        }
    };
    Ok(match kw {
        "if" => Node::If(pipe, body, else_nodes),
        "with" => Node::With(pipe, body, else_nodes),
        _ => Node::Range(pipe, body, else_nodes),
    })
}

#[cfg(test)]
mod tests {
    use super::super::Template;

    #[test]
    fn errors_read_as_go() {
        assert!(Template::parse("{{nosuch .X}}").is_err());
        assert!(Template::parse("{{if .X}}").is_err());
    }

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
}
