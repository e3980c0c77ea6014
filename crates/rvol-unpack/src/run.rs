//! The three verbs, each from parsed arguments to what goes on stdout.

use std::io::Write;

use rvol_state::record::ImageRecord;
use rvol_state::store::Store;
use rvol_state::{Error, Result, Root};

use crate::args::{Args, Command, Flags, USAGE};
use crate::image::Image;
use crate::{import, spec, transport};

pub fn run(args: Args) -> Result<i32> {
    let root = Root::resolve(args.root);
    // Rootless, import and load write the store in the user namespace
    // (rvol_state::rootless); run only once a layer must be unpacked
    // (image.rs): a warm run reads files of our own.
    if matches!(args.command, Command::Import { .. } | Command::Load { .. }) {
        rvol_state::rootless::enter(true)?;
    }
    // Held to the exit, over the store writes of import and load and over
    // run's choice of layers, so the store's collector (rmi, image prune)
    // removes none of them meanwhile (rvol_state::layerlock). In the verbs'
    // pipeline the fd is shared with rvol-mount create, which records them.
    let _held = match args.command {
        Command::Help => None,
        _ => Some(rvol_state::layerlock::shared(&root)?),
    };
    let out = match args.command {
        Command::Help => USAGE.to_string(),
        Command::Import { file, name } => {
            let local = Store::open(&root)?;
            let id = import::import(&local, &file, &name)
                .map_err(|e| e.context(format!("import {file}")))?;
            format!("{id}\n")
        }
        Command::Load { file } => {
            let local = Store::open(&root)?;
            let what = file.clone().unwrap_or_else(|| "stdin".into());
            let lines = import::load(&local, file.as_deref())
                .map_err(|e| e.context(format!("load {what}")))?;
            lines.iter().map(|l| format!("{l}\n")).collect()
        }
        Command::Run { image, cmd, flags } => {
            unpack(&root, &image, &cmd, &flags).map_err(|e| e.context(&image))?
        }
    };
    std::io::stdout()
        .write_all(out.as_bytes())
        .map_err(|e| Error::new(format!("write stdout: {e}")))?;
    Ok(0)
}

fn unpack(root: &Root, reference: &str, cmd: &[String], flags: &Flags) -> Result<String> {
    let r = transport::parse(reference)?;
    let local = Store::open(root)?;
    let resolved = transport::ingest(&local, &r)?;
    let img = Image::open(&local, resolved)?;
    let (dirs, _made) = img.unpack(root, &local)?;
    // overlayfs takes lowerdirs top first, and refuses none twice: a layer
    // listed again higher up already covers its lower copy.
    let mut lower = Vec::new();
    for d in dirs.iter().rev() {
        let s = d.to_string_lossy().into_owned();
        if !lower.contains(&s) {
            lower.push(s);
        }
    }
    let record = ImageRecord {
        reference: reference.to_string(),
        name: img.resolved.name.clone(),
        id: img.config_digest.clone(),
        manifest_digest: img.resolved.manifest_digest.clone(),
        diff_ids: img.layers.iter().map(|l| l.diff_id.clone()).collect(),
        lower_dirs: lower,
    };
    let spec = spec::build(reference, &record, &img.config, cmd, flags)?;
    Ok(format!("{}\n", serde_json::to_string_pretty(&spec)?))
}
