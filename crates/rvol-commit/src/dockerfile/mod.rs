//! The Dockerfile language: its parser (BuildKit's rules), the shell-word
//! lexer its arguments go through, and each instruction typed and checked.
//! `commit --change` uses the lexer; `build` all of it.

pub mod instr;
pub mod parse;
pub mod word;
