//! Docker's default capability set (docs/docker-behaviour.md §9): CHOWN DAC_OVERRIDE
//! FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW
//! SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP, as bounding, permitted and
//! effective set for root, nothing but the bounding set for another user
//! (as docker shows: CapEff 0 for `-u 1000`). No CAP_SYS_ADMIN, so `:ro`
//! and `--read-only` cannot be remounted away. Two syscalls (prctl,
//! capset) through libc: too little to need the `caps` crate.

use rvol_state::{Error, Result};

pub const DOCKER_DEFAULT: u64 = 0x00000000a80425fb;

/// Drop every capability outside docker's set from the bounding set. Done
/// while still root with CAP_SETPCAP.
pub fn drop_bounding() -> Result<()> {
    for cap in 0..64u64 {
        if DOCKER_DEFAULT & (1 << cap) != 0 {
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

/// After the user switch: root keeps docker's set as permitted and
/// effective; any other uid already lost them in setuid. Inheritable and
/// ambient sets are emptied.
pub fn settle(uid: u32) -> Result<()> {
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
    // capset can only lower the permitted set: keep what we lack out of it.
    let mut cur = [Data::default(); 2];
    // SAFETY: capget(2) with a v3 header into two data words.
    if unsafe { libc::syscall(libc::SYS_capget, &mut hdr, cur.as_mut_ptr()) } < 0 {
        return Err(Error::new(format!(
            "read capabilities: {}",
            std::io::Error::last_os_error()
        )));
    }
    let permitted = cur[0].permitted as u64 | (cur[1].permitted as u64) << 32;
    let set = if uid == 0 {
        DOCKER_DEFAULT & permitted
    } else {
        0
    };
    let data = [
        Data {
            effective: set as u32,
            permitted: set as u32,
            inheritable: 0,
        },
        Data {
            effective: (set >> 32) as u32,
            permitted: (set >> 32) as u32,
            inheritable: 0,
        },
    ];
    // SAFETY: capset(2) with a v3 header and two data words, as the ABI wants.
    if unsafe { libc::syscall(libc::SYS_capset, &mut hdr, data.as_ptr()) } < 0 {
        return Err(Error::new(format!(
            "set capabilities: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}
