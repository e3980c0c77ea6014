//! The container user as Docker resolves it (runc's GetExecUser), read from
//! the container's own /etc/passwd and /etc/group after pivot_root:
//! `name|uid[:group|gid]`; a uid missing from passwd is taken as it is
//! (gid 0, HOME /); supplementary groups are the primary gid plus, when no
//! group was given, every group listing the user's name.

use rvol_state::{Error, Result, ResultExt};

pub struct User {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub home: String,
}

struct Passwd {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

fn passwd() -> Vec<Passwd> {
    // A missing file is an image without users: numeric ids still work.
    let text = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 7 {
                return None;
            }
            Some(Passwd {
                name: f[0].into(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                home: f[5].into(),
            })
        })
        .collect()
}

/// (name, gid, members) per /etc/group line.
fn groups() -> Vec<(String, u32, Vec<String>)> {
    let text = std::fs::read_to_string("/etc/group").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 4 {
                return None;
            }
            let members = f[3]
                .split(',')
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect();
            Some((f[0].into(), f[2].parse().ok()?, members))
        })
        .collect()
}

pub fn resolve(spec: &str, additional: &[u32]) -> Result<User> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let u = if u.is_empty() { "0" } else { u };
    let users = passwd();
    let entry = match u.parse::<u32>() {
        Ok(uid) => users.iter().find(|p| p.uid == uid),
        Err(_) => Some(users.iter().find(|p| p.name == u).ok_or_else(|| {
            Error::new(format!(
                "unable to find user {u}: no matching entries in passwd file"
            ))
        })?),
    };
    let uid = entry
        .map(|p| p.uid)
        .unwrap_or_else(|| u.parse().unwrap_or(0));
    let all_groups = if entry.is_some() || g.is_some_and(|g| g.parse::<u32>().is_err()) {
        groups()
    } else {
        Vec::new()
    };
    let gid = match g {
        None | Some("") => entry.map(|p| p.gid).unwrap_or(0),
        Some(g) => match g.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => all_groups
                .iter()
                .find(|(name, _, _)| name == g)
                .map(|(_, gid, _)| *gid)
                .ok_or_else(|| {
                    Error::new(format!(
                        "unable to find group {g}: no matching entries in group file"
                    ))
                })?,
        },
    };
    let mut groups = vec![gid];
    if let (Some(p), None | Some("")) = (entry, g) {
        groups.extend(
            all_groups
                .iter()
                .filter(|(_, _, members)| members.contains(&p.name))
                .map(|(_, gid, _)| *gid),
        );
    }
    groups.extend_from_slice(additional);
    groups.sort_unstable();
    groups.dedup();
    let home = match entry {
        Some(p) => p.home.clone(),
        None if uid == 0 => "/root".into(),
        None => "/".into(),
    };
    Ok(User {
        uid,
        gid,
        groups,
        home,
    })
}

/// setgroups, then gid, then uid (uid last: it gives up the right to the
/// rest). A uid change clears the parent-death signal rvol-ns set: put it back.
pub fn switch(user: &User) -> Result<()> {
    let mut pdeath: libc::c_int = 0;
    // SAFETY: PR_GET_PDEATHSIG writes one int.
    unsafe {
        libc::prctl(
            libc::PR_GET_PDEATHSIG,
            &mut pdeath as *mut libc::c_int,
            0,
            0,
            0,
        )
    };
    let groups: Vec<nix::unistd::Gid> = user
        .groups
        .iter()
        .map(|g| nix::unistd::Gid::from_raw(*g))
        .collect();
    rvol_state::rootless::check_ids(user.uid, user.gid, &user.groups)?;
    // A rootless single-id map denies setgroups (the kernel's rule for an
    // unprivileged map): there are no other groups to give up then.
    if !rvol_state::rootless::setgroups_denied() {
        nix::unistd::setgroups(&groups).with_ctx(|| format!("setgroups {:?}", user.groups))?;
    }
    let gid = nix::unistd::Gid::from_raw(user.gid);
    nix::unistd::setresgid(gid, gid, gid).with_ctx(|| format!("setgid {}", user.gid))?;
    let uid = nix::unistd::Uid::from_raw(user.uid);
    nix::unistd::setresuid(uid, uid, uid).with_ctx(|| format!("setuid {}", user.uid))?;
    if pdeath != 0 {
        // SAFETY: prctl with integer arguments.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, pdeath, 0, 0, 0) };
    }
    Ok(())
}
