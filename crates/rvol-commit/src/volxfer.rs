//! `volume export [-o FILE] VOL` and `volume import VOL FILE|-` (Podman's;
//! Docker has none): a volume's content as a tar with owners, modes,
//! every extended attribute and hard links, and back. Import merges the
//! archive into the volume, the archive's entries winning (Podman's
//! rule), under the volume's lock, and is refused while a container
//! uses the volume: what it sees would change under it.

use std::fs::File;
use std::os::fd::OwnedFd;

use rvol_state::fsx::Lock;
use rvol_state::{volume, Error, Result, ResultExt, Root};

use crate::cpsink::{read_tar, tar_out, write_children, DirSink, Owner};
use crate::cptree::Xattrs;

fn known(root: &Root, name: &str) -> Result<()> {
    if volume::is_volume(root, name) {
        Ok(())
    } else {
        Err(Error::new(format!("No such volume: {name}")).with_code(1))
    }
}

pub fn export(root: &Root, name: &str, output: Option<&str>) -> Result<i32> {
    known(root, name)?;
    // SAFETY: isatty on a standard fd.
    if output.is_none() && unsafe { libc::isatty(1) } == 1 {
        return Err(Error::new(
            "cannot write to terminal, use command-line redirection or the --output flag",
        )
        .with_code(1));
    }
    let data = root.volume_data(name);
    let dir: OwnedFd = File::open(&data)
        .with_ctx(|| format!("open {}", data.display()))?
        .into();
    tar_out(output, |sink| write_children(&dir, sink, Xattrs::All))?;
    Ok(0)
}

pub fn import(root: &Root, name: &str, source: &str) -> Result<i32> {
    known(root, name)?;
    let _lock = Lock::exclusive(&root.volumes().join(format!("{name}.lock")))?;
    if let Some(ids) = volume::users(root)?.get(name).filter(|ids| !ids.is_empty()) {
        let short: Vec<&str> = ids.iter().map(|i| &i[..12.min(i.len())]).collect();
        return Err(Error::new(format!(
            "volume import {name}: volume is in use - [{}]: remove its containers first",
            short.join(", ")
        ))
        .with_code(1));
    }
    let data = root.volume_data(name);
    // The volume is the root its entries resolve in: a link it holds
    // (or the archive makes) never leads out of it.
    let dir: OwnedFd = File::open(&data)
        .with_ctx(|| format!("open {}", data.display()))?
        .into();
    let mut sink =
        DirSink::new(dir, "/", Owner::Keep).with_ctx(|| format!("open {}", data.display()))?;
    if source == "-" {
        read_tar(std::io::stdin().lock(), &mut sink)?;
    } else {
        let f = File::open(source).with_ctx(|| format!("open {source}"))?;
        read_tar(std::io::BufReader::with_capacity(1 << 17, f), &mut sink)?;
    }
    Ok(0)
}
