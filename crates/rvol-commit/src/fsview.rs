//! A container's filesystem as docker's naive diff and export see it:
//! the container's tree (its upper dir over the init layer and the
//! image's layers) and its parent's (the init layer over the image), with
//! no volume, bind or kernel file system on them.
//!
//! Both are read-only overlays of lower dirs only (the container's upper
//! dir taken as the top lower): no workdir, so a running container's own
//! mount is not disturbed. They are mounted in a mount namespace of this
//! process, made private first, on a tmpfs over the bundle's rootfs/ (an
//! empty directory on the host): nothing reaches the host and everything
//! goes when the process ends.

use std::fs::File;
use std::path::Path;

use nix::mount::{mount, MsFlags};
use rvol_state::{Error, Result, ResultExt};

pub struct Views {
    /// The container's tree.
    pub merged: File,
    /// Its parent's: the init layer and the image.
    pub base: File,
}

pub fn mount_views(bundle: &Path) -> Result<Views> {
    let c = rvol_state::bundle::Container::at(bundle.to_path_buf());
    let anns = c.annotations()?;
    let image = anns
        .image()?
        .ok_or_else(|| Error::new("config.json: no org.rvol.image annotation"))?;
    let lowers: Vec<String> = anns
        .init_layer()
        .map(String::from)
        .into_iter()
        .chain(image.lower_dirs)
        .collect();
    if lowers.is_empty() {
        return Err(Error::new("the container's image has no layers"));
    }
    rvol_state::mountns::private()?;
    let top = bundle.join("rootfs");
    mount(
        Some("tmpfs"),
        &top,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=0700"),
    )
    .with_ctx(|| format!("mount tmpfs on {}", top.display()))?;
    let upper = bundle.join("upper");
    let merged_lowers: Vec<String> = std::iter::once(upper.display().to_string())
        .chain(lowers.iter().cloned())
        .collect();
    let merged = overlay(&top.join("m"), &merged_lowers)?;
    let base = if lowers.len() == 1 {
        File::open(&lowers[0]).with_ctx(|| format!("open {}", lowers[0]))?
    } else {
        overlay(&top.join("b"), &lowers)?
    };
    Ok(Views { merged, base })
}

fn overlay(at: &Path, lowers: &[String]) -> Result<File> {
    std::fs::create_dir(at).with_ctx(|| format!("mkdir {}", at.display()))?;
    let data = format!(
        "{}lowerdir={}",
        rvol_state::rootless::overlay_options(),
        lowers.join(":")
    );
    mount(
        Some("overlay"),
        at,
        Some("overlay"),
        MsFlags::MS_RDONLY,
        Some(data.as_str()),
    )
    .with_ctx(|| format!("mount overlay on {} ({data})", at.display()))?;
    File::open(at).with_ctx(|| format!("open {}", at.display()))
}
