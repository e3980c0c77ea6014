//! `--format` for the list commands (ps, images, volume ls), as the docker
//! CLI does it: each row is a context object of strings; the default is a
//! `table` template; `table TEMPLATE` prints a header (the template run on
//! the column titles) and cells split at `\t` through the tabwriter; `json`
//! prints each row as one JSON line (keys sorted, as docker's).

use serde_json::{Map, Value};

use crate::table::render;
use crate::template::Template;

pub enum Format {
    Json,
    Template { tmpl: Template, table: bool },
}

/// Docker's status for a template that does not parse.
pub const EXIT_BAD_TEMPLATE: i32 = 64;

/// `None` means the list's default table.
pub fn parse(given: Option<&str>, default: &str) -> Result<Format, String> {
    let f = given.filter(|f| !f.is_empty()).unwrap_or(default);
    if f == "json" {
        return Ok(Format::Json);
    }
    let (body, table) = match f.strip_prefix("table") {
        Some(rest) => (rest, true),
        None => (f, false),
    };
    // docker takes `\t` and `\n` typed on a command line as tab and newline
    let body = body
        .trim_matches(' ')
        .replace("\\t", "\t")
        .replace("\\n", "\n");
    Ok(Format::Template {
        tmpl: Template::parse(&body)?,
        table,
    })
}

/// Print the rows; `titles` maps each field to its column title.
pub fn print(
    f: &Format,
    titles: &[(&str, &str)],
    rows: &[Map<String, Value>],
) -> Result<(), String> {
    let mut out = String::new();
    match f {
        Format::Json => {
            for r in rows {
                let mut sorted: Vec<(&String, &Value)> = r.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(b.0));
                let m: Map<String, Value> = sorted
                    .into_iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                out.push_str(&serde_json::to_string(&m).unwrap_or_default());
                out.push('\n');
            }
        }
        Format::Template { tmpl, table: false } => {
            for r in rows {
                out.push_str(&tmpl.execute(&Value::Object(r.clone()))?);
                out.push('\n');
            }
        }
        Format::Template { tmpl, table: true } => {
            let header: Map<String, Value> = titles
                .iter()
                .map(|(k, t)| (k.to_string(), Value::String(t.to_string())))
                .collect();
            let mut cells = vec![split(&tmpl.execute(&Value::Object(header))?)];
            for r in rows {
                cells.push(split(&tmpl.execute(&Value::Object(r.clone()))?));
            }
            out = render(&cells);
        }
    }
    use std::io::Write;
    let mut so = std::io::stdout().lock();
    so.write_all(out.as_bytes())
        .and_then(|_| so.flush())
        .map_err(|e| e.to_string())
}

fn split(line: &str) -> Vec<String> {
    line.split('\t').map(String::from).collect()
}

/// The start every list verb (`ps`, `images`, `volume ls`) shares: its
/// `--filter`s checked against the keys it knows and its `--format` parsed.
/// A bad one prints docker's message and gives the status to exit with.
pub fn prepare(
    given: &[String],
    allowed: &[&str],
    format: Option<&str>,
    default: &str,
) -> Result<(Vec<(String, String)>, Format), i32> {
    let f = filters(given, allowed).map_err(|e| {
        eprintln!("{e}");
        1
    })?;
    let fmt = parse(format, default).map_err(|e| {
        eprintln!("template parsing error: {e}");
        EXIT_BAD_TEMPLATE
    })?;
    Ok((f, fmt))
}

/// `--filter KEY=VALUE` pairs, docker's `Invalid filter 'KEY'` for others.
pub fn filters(given: &[String], allowed: &[&str]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for f in given {
        let Some((k, v)) = f.split_once('=') else {
            return Err("Error: Bad format of filter (expected name=value)".to_string());
        };
        let k = k.trim().to_lowercase();
        if !allowed.contains(&k.as_str()) {
            return Err(format!("Error: Invalid filter '{k}'"));
        }
        out.push((k, v.to_string()));
    }
    Ok(out)
}

/// Docker's filter semantics: values of one key are OR'ed, keys AND'ed.
pub fn matches(filters: &[(String, String)], key: &str, test: impl Fn(&str) -> bool) -> bool {
    let vals: Vec<&String> = filters
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v)
        .collect();
    vals.is_empty() || vals.iter().any(|v| test(v))
}
