//! Lexing: the source cut into text and `{{...}}` actions (trim markers
//! `{{- ` and ` -}}` applied, comments dropped), then an action's inside
//! cut into tokens.

use super::{line_of, parse_error};

/// One `{{...}}` as lexed: its inside, where the inside starts.
pub(super) struct Action {
    pub(super) body: String,
    pub(super) pos: usize,
}

pub(super) enum Piece {
    Text(String),
    Action(Action),
}

pub(super) fn split_pieces(src: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut trim_next = false;
    while i < src.len() {
        let open = src[i..].find("{{").map(|off| i + off);
        let mut text = &src[i..open.unwrap_or(src.len())];
        if trim_next {
            text = text.trim_start();
        }
        let Some(start) = open else {
            out.push(Piece::Text(text.to_string()));
            break;
        };
        let mut body_start = start + 2;
        if src[body_start..].starts_with("- ") || src[body_start..].starts_with("-\t") {
            text = text.trim_end();
            body_start += 1;
        }
        out.push(Piece::Text(text.to_string()));
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
            return Err(parse_error(line_of(src, start), "unclosed action"));
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

/// A token of an action. The variant's name is in one error's text
/// (`unexpected Comma in operand`).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
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

/// A token, its offset in the source, and whether whitespace preceded it
/// (`.A.B` is one chain, `.A .B` two operands).
pub(super) type Token = (Tok, usize, bool);

/// The tokens that are one character.
fn punct(c: u8) -> Option<Tok> {
    Some(match c {
        b'(' => Tok::LParen,
        b')' => Tok::RParen,
        b'|' => Tok::Pipe,
        b',' => Tok::Comma,
        b'=' => Tok::Declare,
        _ => return None,
    })
}

/// The tokens of an action's inside `body`, which starts at `base` in `src`.
pub(super) fn lex(body: &str, base: usize, src: &str) -> Result<Vec<Token>, String> {
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |m: String| parse_error(line_of(src, base), m);
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
        if let Some(t) = punct(c) {
            out.push((t, pos, spaced));
            i += 1;
            continue;
        }
        match c {
            c if c.is_ascii_whitespace() => i += 1,
            b':' if b.get(i + 1) == Some(&b'=') => {
                out.push((Tok::Declare, pos, spaced));
                i += 2
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

#[cfg(test)]
mod tests {
    use super::super::test_data::{data, run};
    use super::super::Template;

    #[test]
    fn json_range_index_if() {
        let d = data();
        assert_eq!(
            run("{{range .Mounts -}} {{.Type}} {{- end}}", &d),
            "bindvolume"
        );
    }

    #[test]
    fn errors_read_as_go() {
        assert_eq!(
            Template::parse("{{.Foo").err().unwrap(),
            "template: :1: unclosed action"
        );
    }
}
