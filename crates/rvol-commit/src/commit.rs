//! `docker commit`: find the container, stop it while its upper dir is
//! read, stream the layer into the store, then write config and manifest,
//! and tag. Bad input (unknown container, bad name, bad --change) is
//! refused before anything is written; a failure while writing leaves at
//! most unreferenced blobs, never a tag to half an image.

use serde_json::{Map, Value};

use rvol_state::record::{ann, ImageRecord};
use rvol_state::root::Bundle;
use rvol_state::store::{self, Store};
use rvol_state::{container, Error, Result, ResultExt, Root};

use crate::args::CommitArgs;
use crate::blob::LayerWriter;
use crate::image::{self, Meta, Parent};
use crate::{change, layer, pause};

/// Commit and return the new image id (`sha256:<config digest>`).
pub fn commit(root: &Root, a: &CommitArgs) -> Result<String> {
    if let Some(r) = &a.reference {
        store::check_name(r)?;
    }
    // Rootless: found as the user (the names and bundles are its own),
    // then its user namespace, where its processes can be stopped.
    let id = container::find(root, &a.container)?;
    rvol_state::rootless::enter_container(&root.container(&id), true)?;
    // The new image's blobs are reachable from nothing until it is in the
    // index: the collector (rmi, image prune) waits for us meanwhile.
    let _held = rvol_state::layerlock::shared(root)?;
    let bundle = root.container(&id);
    let c = rvol_state::bundle::Container::at(bundle.clone());
    let anns = c.annotations().ctx(format!("container {id}"))?;
    let rec: ImageRecord = anns
        .image()
        .ctx(format!("container {id}"))?
        .ok_or_else(|| {
            Error::new(format!(
                "container {id}: no {} annotation: which image it runs is unknown",
                ann::IMAGE
            ))
        })?;
    let store = Store::open(root)?;
    let parent = Parent::read(&store, &rec.manifest_digest, &rec.id)
        .ctx(format!("image of container {id}"))?;

    // The new Config: the parent's, then what the container ran with (as
    // docker commits the container's Config), then the changes.
    let mut config: Map<String, Value> = parent.config["config"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let run_config = anns.config().ctx(format!("container {id}"))?;
    if let Some(rc) = &run_config {
        for (k, v) in rc {
            config.insert(k.clone(), v.clone());
        }
    }
    let created_by = config
        .get("Cmd")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .map(|s| s.as_str().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    change::apply_all(&mut config, &a.changes)?;

    let upper = Bundle(&bundle).upper();
    let written = {
        let _paused = if a.pause {
            pause::pause(&bundle).ctx(format!("container {id}"))?
        } else {
            None
        };
        let mut w = LayerWriter::create(&store, a.compression)?;
        let lower: Vec<std::path::PathBuf> = rec.lower_dirs.iter().map(Into::into).collect();
        let mut counted = rvol_state::progress::CountedW {
            inner: &mut w,
            bar: rvol_state::progress::bytes("Committing"),
        };
        layer::pack(&upper, &lower, &mut counted).ctx(format!("container {id}"))?;
        counted.bar.finish();
        w.finish()?
    };

    let created = rvol_state::time::now_nanos();
    let meta = Meta {
        created: &created,
        author: a.author.as_deref(),
        comment: a.message.as_deref(),
        created_by,
        container_id: &id,
        config,
    };
    let new = image::write(&store, &parent, Some(&written), &meta, a.compression)?;
    match &a.reference {
        Some(r) => store.tag(r, &new.manifest_digest, new.manifest_size)?,
        None => store.add_untagged(&new.manifest_digest, new.manifest_size)?,
    }
    Ok(new.id)
}
