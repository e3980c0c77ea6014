//! `docker ps` for the containers under the root: newest first, docker's
//! columns, truncation, quoting and relative times.

use rvol_state::Result;

use crate::args::PsArgs;
use crate::container::Container;
use crate::table::{ellipsis, go_quote, human_duration, parse_time, render, since};

/// The daemon's command string: Path, then Args, each arg holding a space
/// wrapped in single quotes.
fn command(c: &Container) -> String {
    let mut parts = Vec::new();
    for (i, a) in c.args.iter().enumerate() {
        if i > 0 && a.contains(' ') {
            parts.push(format!("'{a}'"));
        } else {
            parts.push(a.clone());
        }
    }
    parts.join(" ")
}

pub fn status(c: &Container) -> String {
    let s = &c.state;
    match s.status.as_str() {
        "running" => format!("Up {}", human_duration(since(&s.started_at).unwrap_or(0.0))),
        "exited" => match since(&s.finished_at) {
            Some(d) => format!("Exited ({}) {} ago", s.exit_code, human_duration(d)),
            None => format!("Exited ({})", s.exit_code),
        },
        "created" => "Created".into(),
        other => {
            let mut t = other.to_string();
            if let Some(f) = t.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
            t
        }
    }
}

pub fn run(a: &PsArgs) -> Result<i32> {
    let mut cs = crate::container::all(&a.root)?;
    if !a.all {
        cs.retain(|c| c.state.running);
    }
    // newest first, as docker lists them
    cs.sort_by(|x, y| {
        let tx = parse_time(&x.created).unwrap_or(0.0);
        let ty = parse_time(&y.created).unwrap_or(0.0);
        ty.partial_cmp(&tx).unwrap_or(std::cmp::Ordering::Equal)
    });
    let id = |c: &Container| {
        if a.no_trunc {
            c.id.clone()
        } else {
            c.id.chars().take(12).collect()
        }
    };
    if a.quiet {
        for c in &cs {
            println!("{}", id(c));
        }
        return Ok(0);
    }
    let mut rows = vec![[
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ]
    .map(String::from)
    .to_vec()];
    for c in &cs {
        let cmd = command(c);
        let cmd = if a.no_trunc { cmd } else { ellipsis(&cmd, 20) };
        let image = c
            .config
            .get("Image")
            .and_then(|v| v.as_str())
            .map(String::from)
            .unwrap_or_else(|| c.image.reference.clone());
        let created = match since(&c.created) {
            Some(d) => format!("{} ago", human_duration(d)),
            None => "N/A".into(),
        };
        rows.push(vec![
            id(c),
            image,
            go_quote(&cmd),
            created,
            status(c),
            String::new(),
            c.name.clone(),
        ]);
    }
    print!("{}", render(&rows));
    Ok(0)
}
