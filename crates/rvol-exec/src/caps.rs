//! The container's capabilities as the spec's `process.capabilities`
//! gives them (rvol-mount create: docker's default set with `--cap-add` /
//! `--cap-drop`, docs/docker-behaviour.md §13): the bounding set first,
//! then effective and permitted for root; another user keeps nothing but
//! the bounding set (as docker shows: CapEff 0 for `-u 1000`). Without
//! CAP_SYS_ADMIN, `:ro` and `--read-only` cannot be remounted away. Two
//! syscalls (prctl, capset) through libc: too little to need the `caps`
//! crate.

use rvol_state::{Error, Result};

use crate::plan::Caps;

/// Drop every capability outside the bounding set. Done while still root
/// with CAP_SETPCAP.
pub fn drop_bounding(caps: &Caps) -> Result<()> {
    for cap in 0..64u64 {
        if caps.bounding & (1 << cap) != 0 {
            continue;
        }
        // SAFETY: prctl with integer arguments.
        if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) } < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINVAL) {
                break; // past the kernel's last capability
            }
            return Err(Error::new(format!(
                "drop capability {cap} from the bounding set: {e}"
            )));
        }
    }
    Ok(())
}

#[repr(C)]
struct Header {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Data {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// After the user switch: root gets the spec's effective and permitted
/// sets, as runc sets them (a capability the host does not give us fails
/// as runc's does: `unable to apply caps: operation not permitted`); any
/// other uid already lost them in setuid. Inheritable and ambient sets are
/// emptied.
pub fn settle(caps: &Caps, uid: u32) -> Result<()> {
    // SAFETY: prctl with integer arguments.
    unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    };
    let mut hdr = Header {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let (effective, permitted) = if uid == 0 {
        (caps.effective, caps.permitted)
    } else {
        (0, 0)
    };
    let data = [
        Data {
            effective: effective as u32,
            permitted: permitted as u32,
            inheritable: 0,
        },
        Data {
            effective: (effective >> 32) as u32,
            permitted: (permitted >> 32) as u32,
            inheritable: 0,
        },
    ];
    // SAFETY: capset(2) with a v3 header and two data words, as the ABI wants.
    if unsafe { libc::syscall(libc::SYS_capset, &mut hdr, data.as_ptr()) } < 0 {
        return Err(Error::new(format!(
            "unable to apply caps: {}",
            rvol_state::error::errno_text(
                std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
            )
        )));
    }
    Ok(())
}
