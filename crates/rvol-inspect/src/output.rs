//! `inspect`: find each object, print the JSON array (4-space indent, as
//! docker) or one formatted line per object; unknown objects are reported
//! as docker does (`[]`-style output of what was found, `Error: No such
//! object: X`, exit 1).

use serde::Serialize;
use serde_json::Value;

use crate::args::{InspectArgs, Kind};
use crate::template::Template;

/// Docker's status for a template that does not parse.
const EXIT_BAD_TEMPLATE: i32 = 64;

pub fn inspect(a: &InspectArgs) -> rvol_state::Result<i32> {
    // Parse the template before touching the state, as docker does.
    let tmpl = match a.format.as_deref() {
        None | Some("") | Some("json") => None,
        Some(f) => match Template::parse(f) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("template parsing error: {e}");
                return Ok(EXIT_BAD_TEMPLATE);
            }
        },
    };
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for name in &a.names {
        match lookup(a, name)? {
            Ok(v) => found.push(v),
            Err(text) => missing.push(text),
        }
    }
    let mut status = 0;
    match &tmpl {
        // `--format json`: the same array, compact on one line (docker CLI)
        None if a.format.as_deref() == Some("json") => {
            let mut line = serde_json::to_string(&found)?;
            line.push('\n');
            write_stdout(&line)?
        }
        None => print_json_array(&found)?,
        Some(t) => {
            let mut out = String::new();
            for v in &found {
                match t.execute(v) {
                    Ok(s) => {
                        out.push_str(&s);
                        out.push('\n');
                    }
                    Err(e) => {
                        write_stdout(&out)?;
                        eprintln!("template parsing error: {e}");
                        return Ok(1);
                    }
                }
            }
            write_stdout(&out)?;
        }
    }
    for text in missing {
        status = 1;
        eprintln!("{text}");
    }
    Ok(status)
}

fn not_found_text(a: &InspectArgs, name: &str) -> String {
    match a.kind {
        Kind::Any => format!("Error: No such object: {name}"),
        Kind::Container => format!("Error: No such container: {name}"),
        Kind::Image => format!("Error: No such image: {name}"),
        Kind::Volume => format!("Error: get {name}: no such volume"),
    }
}

/// The object, or docker's text for why there is none.
fn lookup(a: &InspectArgs, name: &str) -> rvol_state::Result<Result<Value, String>> {
    let root = &a.root;
    if matches!(a.kind, Kind::Any | Kind::Container) {
        match rvol_state::container::find(root, name) {
            Ok(id) => return crate::container::inspect(root, &id).map(Ok),
            Err(e) if e.msg.starts_with("No such container") => {}
            Err(e) if e.msg.starts_with("multiple IDs") && a.kind == Kind::Any => {}
            Err(e) if e.msg.starts_with("multiple IDs") => {
                return Ok(Err(format!("Error: {}", e.msg)))
            }
            Err(e) => return Err(e),
        }
    }
    if matches!(a.kind, Kind::Any | Kind::Image) {
        if let Some(v) = crate::image::inspect(root, name)? {
            return Ok(Ok(v));
        }
    }
    if matches!(a.kind, Kind::Any | Kind::Volume) {
        if let Some(v) = crate::volume::inspect(root, name)? {
            return Ok(Ok(v));
        }
    }
    Ok(Err(not_found_text(a, name)))
}

/// Docker's `json.MarshalIndent(v, "", "    ")` then a newline.
pub fn print_json_array(items: &[Value]) -> rvol_state::Result<()> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    items.serialize(&mut ser)?;
    buf.push(b'\n');
    write_stdout(&String::from_utf8_lossy(&buf))
}

fn write_stdout(s: &str) -> rvol_state::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()?;
    Ok(())
}
