//! `rmi [-f] IMAGE...` and `tag SOURCE TARGET`: docker's ImageDelete and
//! ImageTag rules (daemon/images/image_delete.go) over the store's index,
//! then the collector. Errors are docker's texts, printed as its CLI
//! prints them; the status is 1 when any image failed.

use rvol_state::layerlock;
use rvol_state::store::{self, Found, Store, StoredImage};
use rvol_state::{Error, Result, Root};

use crate::gc::{self, User};

/// One target's outcome: docker's `Untagged:`/`Deleted:` records.
pub enum Record {
    Untagged(String),
    Deleted(String),
}

fn short(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.get(..12).unwrap_or(hex)
}

/// What docker's "No such image" names: a name normalized, an id as given,
/// a bare full id as a digest.
pub fn no_such(reference: &str) -> Error {
    let shown = if reference.starts_with("sha256:") {
        reference.to_string()
    } else if store::digest_hex(&format!("sha256:{reference}")).is_ok() {
        format!("sha256:{reference}")
    } else {
        store::normalize_name(reference)
    };
    Error::new(format!("No such image: {shown}")).with_code(1)
}

pub fn rmi(root: &Root, force: bool, images: &[String]) -> Result<i32> {
    let store = Store::open(root)?;
    // Held to the end: no unpack or create picks a layer meanwhile, so the
    // containers read here stay the whole truth.
    let held = layerlock::exclusive(root)?;
    let users = gc::users(root)?;
    let mut status = 0;
    for reference in images {
        match remove_one(&store, &users, reference, force) {
            Ok(records) => print_records(&records, false),
            Err(e) => {
                eprintln!("Error response from daemon: {}", e.msg);
                status = 1;
            }
        }
    }
    gc::collect(root, &store, &users, &held)?;
    Ok(status)
}

pub fn print_records(records: &[Record], prune: bool) {
    for r in records {
        match (r, prune) {
            (Record::Untagged(n), false) => println!("Untagged: {n}"),
            (Record::Deleted(d), false) => println!("Deleted: {d}"),
            (Record::Untagged(n), true) => println!("untagged: {n}"),
            (Record::Deleted(d), true) => println!("deleted: {d}"),
        }
    }
}

fn remove_one(store: &Store, users: &[User], reference: &str, force: bool) -> Result<Vec<Record>> {
    let images = store.images()?;
    let (img, found) = store::find(&images, reference).ok_or_else(|| no_such(reference))?;
    let img = img.clone();
    let using: Vec<&User> = users.iter().filter(|u| u.image.id == img.id).collect();
    let mut records = Vec::new();
    let quiet = match found {
        Found::Name(full) => {
            // Untagging the last name of an image a container uses would
            // leave it dangling: docker wants that forced.
            if let (Some(c), false, 1) = (using.first(), force, img.names.len()) {
                return Err(Error::new(format!(
                    "conflict: unable to remove repository reference \"{reference}\" (must force) - container {} is using its referenced image {}",
                    short(&c.id),
                    short(&img.id)
                )));
            }
            store.untag_keeping(&full)?;
            records.push(Record::Untagged(full.clone()));
            if img.names.len() > 1 {
                return Ok(records);
            }
            true
        }
        Found::Id => {
            // An id with a single name: the checks first (but for the
            // name itself), then that name goes with the image.
            if img.names.len() == 1 {
                let children = has_children(&img, &images);
                conflict(&img, &using, force, false, children).map_err(|c| Error::new(c.msg))?;
                store.untag_keeping(&img.names[0])?;
                records.push(Record::Untagged(img.names[0].clone()));
            }
            false
        }
    };
    let now = store.images()?;
    let Some(cur) = now.iter().find(|i| i.id == img.id).cloned() else {
        return Ok(records);
    };
    if let Err(c) = conflict(&cur, &using, force, true, has_children(&cur, &now)) {
        // After an untag by name: a conflict leaves the image as it is,
        // silently, unless it is now dangling and no container is the cause.
        if quiet && (!cur.names.is_empty() || c.used) {
            return Ok(records);
        }
        return Err(Error::new(c.msg));
    }
    for n in &cur.names {
        store.untag_keeping(n)?;
        records.push(Record::Untagged(n.clone()));
    }
    delete(store, users, &cur, &mut records)?;
    Ok(records)
}

/// Delete `img` (its entries), then, as docker's ImageDelete prunes, each
/// parent a build left that is now nobody's: no name, no other child, no
/// container. `Deleted:` records for each image and each layer chain
/// released.
pub fn delete(
    store: &Store,
    users: &[User],
    img: &StoredImage,
    records: &mut Vec<Record>,
) -> Result<()> {
    store.remove_manifests(&img.manifests)?;
    records.push(Record::Deleted(img.id.clone()));
    let mut rest = store.images()?;
    for c in gc::released_chains(img, &rest, users) {
        records.push(Record::Deleted(c));
    }
    let mut parent = img.parent.clone();
    while let Some(pid) = parent {
        let Some(p) = rest.iter().find(|i| i.id == pid).cloned() else {
            break;
        };
        let has_child = rest
            .iter()
            .any(|o| o.parent.as_deref() == Some(pid.as_str()));
        if !p.names.is_empty() || has_child || users.iter().any(|u| u.image.id == pid) {
            break;
        }
        store.remove_manifests(&p.manifests)?;
        records.push(Record::Deleted(p.id.clone()));
        rest = store.images()?;
        for c in gc::released_chains(&p, &rest, users) {
            records.push(Record::Deleted(c));
        }
        parent = p.parent.clone();
    }
    Ok(())
}

/// Another image was built on it (docker: a child).
fn has_children(img: &StoredImage, all: &[StoredImage]) -> bool {
    all.iter()
        .any(|o| o.parent.as_deref() == Some(img.id.as_str()))
}

/// Why an image cannot be deleted (docker's imageDeleteConflict).
struct Conflict {
    msg: String,
    /// A container is the cause (docker's `conflict.used`).
    used: bool,
}

/// docker's checkImageDeleteConflict: a running container (hard: even -f
/// cannot), other names (when `names` counts), a stopped container.
fn conflict(
    img: &StoredImage,
    using: &[&User],
    force: bool,
    names: bool,
    children: bool,
) -> std::result::Result<(), Conflict> {
    let fail = |hard: bool, what: String, used: bool| {
        let how = if hard {
            "cannot be forced"
        } else {
            "must be forced"
        };
        Err(Conflict {
            msg: format!(
                "conflict: unable to delete {} ({how}) - {what}",
                short(&img.id)
            ),
            used,
        })
    };
    if children {
        return fail(true, "image has dependent child images".into(), false);
    }
    if let Some(c) = using.iter().find(|u| u.running) {
        return fail(
            true,
            format!("image is being used by running container {}", short(&c.id)),
            true,
        );
    }
    if force {
        return Ok(());
    }
    if names && !img.names.is_empty() {
        return fail(
            false,
            "image is referenced in multiple repositories".into(),
            false,
        );
    }
    if let Some(c) = using.iter().find(|u| !u.running) {
        return fail(
            false,
            format!("image is being used by stopped container {}", short(&c.id)),
            true,
        );
    }
    Ok(())
}

/// `tag SOURCE TARGET`: TARGET's entry points at SOURCE's manifest.
pub fn tag(root: &Root, source: &str, target: &str) -> Result<i32> {
    let store = Store::open(root)?;
    if let Err(why) = reference_error(target) {
        eprintln!("Error parsing reference: \"{target}\" is not a valid repository/tag: {why}");
        return Ok(1);
    }
    let _held = layerlock::shared(root)?;
    let images = store.images()?;
    let Some((img, _)) = store::find(&images, source) else {
        eprintln!("Error response from daemon: {}", no_such(source).msg);
        return Ok(1);
    };
    let manifest = &img.manifests[0];
    let size = std::fs::metadata(store.blob_path(manifest)?)
        .map(|m| m.len())
        .unwrap_or(0);
    store.tag(target, manifest, size)?;
    Ok(0)
}

/// Docker's reference grammar's complaint about `r`, if any.
fn reference_error(r: &str) -> std::result::Result<(), String> {
    if store::check_name(r).is_ok() {
        return Ok(());
    }
    let full = store::normalize_name(r);
    let (name, _) = full.rsplit_once(':').unwrap_or((&full, ""));
    let lower_ok = name.to_ascii_lowercase() == name;
    if !lower_ok && store::check_name(&r.to_ascii_lowercase()).is_ok() {
        let shown = if name.contains('/') {
            name.to_string()
        } else {
            format!("library/{name}")
        };
        return Err(format!(
            "invalid reference format: repository name ({shown}) must be lowercase"
        ));
    }
    Err("invalid reference format".into())
}
