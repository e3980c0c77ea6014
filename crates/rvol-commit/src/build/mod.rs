//! `docker build` (the classic builder's steps and lines) as a chain of the
//! tools: each RUN is a container of the image so far, made and started by
//! the `create` and `start` verbs (rvol-unpack | rvol-mount create, then
//! rvol-ns -> rvol-mount apply -> rvol-exec) with `--network none`, whose
//! upper dir is committed as a layer; COPY and ADD are a container too,
//! into whose mounted root `rvol-commit copy-into` (run by the same chain
//! in place of rvol-exec) writes the sources; every other instruction
//! changes the config only. Each step's image goes into the store unnamed,
//! with its parent and its cache key recorded (cache.rs), so a second build
//! of the same steps runs nothing. docs/docker-behaviour.md §16.

pub mod args;
mod cache;
mod context;
pub mod copyinto;
pub mod copyout;
mod glob;
mod ignore;
mod out;
mod spawn;
mod stage;
mod steps;

use rvol_state::{layerlock, store, Error, Result, Root};

use crate::dockerfile::{instr, parse, word::Lex};

pub use args::BuildArgs;

/// Build, tag, print; the status is 0, or the failed RUN's, or 1.
pub fn build(root: &Root, a: &BuildArgs) -> Result<i32> {
    for t in &a.tags {
        store::check_name(t)?;
    }
    let mut out = out::Out::new(a.quiet);
    let r = build_quiet_or_not(root, a, &mut out);
    match r {
        Ok(id) => {
            if a.quiet {
                println!("{id}");
            }
            Ok(0)
        }
        Err(Failed { msg, status }) => {
            // As docker's -q: what the steps printed is shown when one fails.
            out.flush_all();
            eprintln!("{msg}");
            Ok(status)
        }
    }
}

/// A failed build: docker's text and status.
pub struct Failed {
    pub msg: String,
    pub status: i32,
}

impl From<Error> for Failed {
    fn from(e: Error) -> Failed {
        Failed {
            msg: e.msg,
            status: 1,
        }
    }
}

fn build_quiet_or_not(
    root: &Root,
    a: &BuildArgs,
    out: &mut out::Out,
) -> std::result::Result<String, Failed> {
    let ctx = context::Context::open(a)?;
    let text = ctx.dockerfile_text()?;
    let df = parse::parse(&text)
        .map_err(|e| Error::new(format!("Error response from daemon: {}", e.msg)))?;
    let lex = Lex { escape: df.escape };
    let steps = instr::check(&df.nodes, &lex)
        .map_err(|e| Error::new(format!("Error response from daemon: {}", e.msg)))?;
    // The collector (rmi, image prune) waits while the steps' images are
    // being made: they are in the index only once each step is done.
    let _held = layerlock::shared(root)?;
    let mut b = steps::Builder::new(root, a, &ctx, lex, out)?;
    // `--label`s are one more step, the last (as the classic builder
    // shows them: `Step N/N : LABEL k=v`).
    let n = steps.len() + usize::from(!a.labels.is_empty());
    for (i, s) in steps.iter().enumerate() {
        b.out
            .line(&format!("Step {}/{} : {}", i + 1, n, s.node.original));
        b.step(s)?;
    }
    if !a.labels.is_empty() {
        let kv: Vec<String> = a.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        b.out
            .line(&format!("Step {n}/{n} : LABEL {}", kv.join(" ")));
    }
    let image = b.finish()?;
    let short = &image.id["sha256:".len().."sha256:".len() + 12];
    b.out.line(&format!("Successfully built {short}"));
    let store = store::Store::open(root)?;
    for t in &a.tags {
        store.tag(t, &image.manifest_digest, image.manifest_size)?;
        b.out
            .line(&format!("Successfully tagged {}", store::normalize_name(t)));
    }
    Ok(image.id)
}
