//! Rootless' own outcomes (README "Rootless"): the tests stay root, make
//! the users ([`rootless::user`], with a subordinate range;
//! [`rootless::single_user`], without) and run the rvol commands as them,
//! in a temp dir the user owns. What they check on the host, as root:
//! - a rootless container writes nowhere the user cannot, whatever its
//!   capabilities, and leaves no mount behind;
//! - volume files belong to the user's mapped ids (0 = the user, n =
//!   subuid start + n - 1), copy-up keeps them, a single-id map squashes;
//! - the clear 125s: an unreadable bind source, an unmapped container
//!   user, no user namespaces (a per-namespace limit of 0, set in a user
//!   namespace of the test's own: the host's setting is left alone);
//! - the default state root of a user;
//! - the verbs the replay (RVOL_TEST_ROOTLESS) does not run, with docker
//!   as the reference for what is seen inside.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rvol_tests::docker::{docker_ok, DockerObjects};
use rvol_tests::hardening::host_mounts;
use rvol_tests::rootless::{self, User};
use rvol_tests::{image, mounts_under, ok, run, stderr, stdout, TestRoot};

/// A test's root whose temp dir (and the empty state root in it) `u` owns.
fn root_for(tag: &str, u: &User) -> TestRoot {
    let env = TestRoot::new(tag);
    u.own(&env.tmp.path, &[]);
    env
}

/// `scripts/rvol ARGS` on `env`'s state root, as `u`, not yet run (not
/// `TestRoot::rvol`: under RVOL_TEST_ROOTLESS that hands the whole temp
/// dir, root's canaries too, to the replay's user first).
fn rvol(env: &TestRoot, u: &User, args: &[&str]) -> Command {
    let mut c = Command::new(rvol_tests::repo().join("scripts/rvol"));
    c.env("RVOL_BIN_DIR", rvol_tests::bin_dir())
        .env("RVOL_ROOT", env.path())
        .args(args);
    u.command(&mut c);
    c
}

fn rvol_run(env: &TestRoot, u: &User, args: &[&str]) -> Output {
    run(&mut rvol(env, u, args))
}

fn rvol_ok(env: &TestRoot, u: &User, args: &[&str]) -> String {
    ok(&mut rvol(env, u, args))
}

/// The tests' busybox tar (in `env`'s temp dir, handed to `u`) imported
/// by `u` as `name`.
fn import_busybox(env: &TestRoot, u: &User, name: &str) -> PathBuf {
    let tar = image::busybox_tar(&env.tmp);
    u.own(&env.tmp.path, &["root"]);
    rvol_ok(env, u, &["import", tar.to_str().unwrap(), name]);
    tar
}

/// The busybox rootfs with `/data` (0755) and `/data/f` owned by 1000:1000
/// and `/data/r` by root, tarred in `env`'s temp dir (for rvol and docker
/// alike): what a copy-up copies.
fn owned_image_tar(env: &TestRoot) -> PathBuf {
    let dir = env.tmp.join("owned-rootfs");
    image::busybox_rootfs(&dir);
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("f"), "by 1000\n").unwrap();
    std::fs::write(data.join("r"), "by root\n").unwrap();
    for p in [&data, &data.join("f")] {
        std::os::unix::fs::chown(p, Some(1000), Some(1000)).unwrap();
    }
    let tar = env.tmp.join("owned.tar");
    std::fs::write(&tar, image::tar_dir(&dir)).unwrap();
    tar
}

fn owner(p: &Path) -> (u32, u32) {
    let md = std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (md.uid(), md.gid())
}

/// Everything below `dir` (and `dir`): path, owner, mode, size, mtime,
/// content of the files: what a write, chmod, chown or touch would change.
fn snapshot(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let md = std::fs::symlink_metadata(&p).unwrap();
        let content = if md.is_file() {
            String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()
        } else {
            String::new()
        };
        out.push(format!(
            "{} {}:{} {:o} {} {}.{} {content:?}",
            p.display(),
            md.uid(),
            md.gid(),
            md.mode(),
            md.size(),
            md.mtime(),
            md.mtime_nsec()
        ));
        if md.is_dir() {
            for e in std::fs::read_dir(&p).unwrap().flatten() {
                stack.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// The state root's volume whose `_data` holds `file`: the names of all.
fn volumes_holding(env: &TestRoot, file: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(env.path().join("volumes"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("_data").join(file).exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A script for `sh -c` that tries each write and prints `WHAT: written`
/// or `WHAT: refused` (the shell's status of it).
fn tries(cmds: &[&str]) -> String {
    cmds.iter()
        .map(|c| {
            format!("if {c} 2>/dev/null; then echo '{c}: written'; else echo '{c}: refused'; fi\n")
        })
        .collect()
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn rootless_container_writes_nothing_the_user_cannot() {
    let u = rootless::user();
    let env = root_for("rl-nowrite", u);
    import_busybox(&env, u, "bb");
    // Root's, readable by all, writable by root only: a dir with a file,
    // a lone file.
    let ro = env.host("ro");
    std::fs::create_dir_all(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(ro.join("f"), "root's\n").unwrap();
    let rofile = env.host("rofile");
    std::fs::write(&rofile, "root's too\n").unwrap();
    // The user's own dir: writable, and what the container writes there
    // is the user's.
    let mine = env.host("mine");
    std::fs::create_dir_all(&mine).unwrap();
    u.own(&mine, &[]);
    let canary = format!("rvol-rootless-canary-{}", std::process::id());
    let (ro_before, rofile_before) = (snapshot(&ro), snapshot(&rofile));
    let etc_before = snapshot(Path::new("/etc/hostname"));
    let mounts_before = host_mounts();

    let script = tries(&[
        "echo x >/ro/new",
        "echo x >>/ro/f",
        "touch /ro/f",
        "rm /ro/f",
        "mkdir /ro/d",
        "chmod 777 /ro",
        "chown 0:0 /ro/f",
        "mknod /ro/null c 1 3",
        "echo x >>/rofile",
        "chmod 666 /rofile",
        &format!("touch /hostetc/{canary}"),
        "echo x >>/hostetc/hostname",
        "cat /proc/sys/kernel/core_pattern >/proc/sys/kernel/core_pattern",
        "echo x >/mine/by-container",
        "echo x >/vol/in-volume",
    ]);
    let (ro_s, rofile_s, mine_s) = (
        format!("{}:/ro", ro.display()),
        format!("{}:/rofile", rofile.display()),
        format!("{}:/mine", mine.display()),
    );
    // As the container's root with every capability: still the user on
    // the host.
    let out = rvol_ok(
        &env,
        u,
        &[
            "run",
            "--rm",
            "--cap-add",
            "ALL",
            "-v",
            &ro_s,
            "-v",
            &rofile_s,
            "-v",
            "/etc:/hostetc",
            "-v",
            &mine_s,
            "-v",
            "vol:/vol",
            "bb",
            "sh",
            "-c",
            &script,
        ],
    );
    assert_eq!(
        out,
        format!(
            "echo x >/ro/new: refused\necho x >>/ro/f: refused\ntouch /ro/f: refused\n\
             rm /ro/f: refused\nmkdir /ro/d: refused\nchmod 777 /ro: refused\n\
             chown 0:0 /ro/f: refused\nmknod /ro/null c 1 3: refused\n\
             echo x >>/rofile: refused\nchmod 666 /rofile: refused\n\
             touch /hostetc/{canary}: refused\necho x >>/hostetc/hostname: refused\n\
             cat /proc/sys/kernel/core_pattern >/proc/sys/kernel/core_pattern: refused\n\
             echo x >/mine/by-container: written\necho x >/vol/in-volume: written\n"
        )
    );
    assert_eq!(snapshot(&ro), ro_before, "the root-owned dir changed");
    assert_eq!(
        snapshot(&rofile),
        rofile_before,
        "the root-owned file changed"
    );
    assert_eq!(snapshot(Path::new("/etc/hostname")), etc_before);
    assert!(!Path::new("/etc").join(&canary).exists());
    assert_eq!(owner(&mine.join("by-container")), (u.uid, u.gid));
    assert_eq!(volumes_holding(&env, "in-volume"), ["vol"]);
    assert_eq!(
        owner(&env.path().join("volumes/vol/_data/in-volume")),
        (u.uid, u.gid)
    );

    // --volumes-from: the anonymous volume of another container, in the
    // state root too.
    rvol_ok(
        &env,
        u,
        &["create", "--name", "src", "-v", "/anon", "bb", "true"],
    );
    rvol_ok(
        &env,
        u,
        &[
            "run",
            "--rm",
            "--volumes-from",
            "src",
            "bb",
            "sh",
            "-c",
            "echo y >/anon/from",
        ],
    );
    let held = volumes_holding(&env, "from");
    assert_eq!(held.len(), 1, "{held:?}");
    assert!(rvol_tests::is_hex64(&held[0]), "{held:?}");
    rvol_ok(&env, u, &["rm", "-v", "src"]);
    assert!(volumes_holding(&env, "from").is_empty());

    // Nothing left mounted: not on the host, not under the test's dir.
    assert_eq!(host_mounts(), mounts_before);
    assert_eq!(mounts_under(&env.tmp.path), Vec::<PathBuf>::new());
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn rootless_volume_files_belong_to_the_mapped_ids() {
    let u = rootless::user();
    let (start, _) = u.subids.unwrap();
    let env = root_for("rl-owners", u);
    let tar = owned_image_tar(&env);
    u.own(&env.tmp.path, &["root"]);
    rvol_ok(&env, u, &["import", tar.to_str().unwrap(), "owned"]);
    let mut d = DockerObjects::new();
    let dimg = rvol_tests::fresh("owned") + ":local";
    docker_ok(&["import", tar.to_str().unwrap(), &dimg]);
    d.images.push(dimg.clone());

    // Made as the container's root: the user's; as 1000:1000: subuid
    // start + 999 (and the gid alike: the tests' ranges are the same).
    rvol_ok(
        &env,
        u,
        &[
            "run",
            "--rm",
            "-v",
            "v1:/v",
            "owned",
            "sh",
            "-c",
            "touch /v/by-root && mkdir /v/d && chown 1000:1000 /v/d",
        ],
    );
    rvol_ok(
        &env,
        u,
        &[
            "run",
            "--rm",
            "-u",
            "1000:1000",
            "-v",
            "v1:/v",
            "owned",
            "touch",
            "/v/d/by-1000",
        ],
    );
    let v1 = env.path().join("volumes/v1/_data");
    assert_eq!(owner(&v1), (u.uid, u.gid));
    assert_eq!(owner(&v1.join("by-root")), (u.uid, u.gid));
    assert_eq!(owner(&v1.join("d")), (start + 999, start + 999));
    assert_eq!(owner(&v1.join("d/by-1000")), (start + 999, start + 999));

    // Copy-up of the image's /data (1000's) into an empty volume: the
    // mapped owners on the host, docker's owners inside.
    let ls = "ls -lnA /data | sed 1d; stat -c '%u:%g %a %n' /data";
    let r = rvol_ok(
        &env,
        u,
        &["run", "--rm", "-v", "v2:/data", "owned", "sh", "-c", ls],
    );
    let dv = rvol_tests::fresh("rlv2");
    d.volumes.push(dv.clone());
    let dk = docker_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        &format!("{dv}:/data"),
        &dimg,
        "sh",
        "-c",
        ls,
    ]);
    assert_eq!(r, dk, "ls -ln of the copied-up volume, rvol then docker");
    assert!(
        r.contains("1000     1000") && r.ends_with("1000:1000 755 /data\n"),
        "{r}"
    );
    let v2 = env.path().join("volumes/v2/_data");
    assert_eq!(owner(&v2), (start + 999, start + 999));
    assert_eq!(owner(&v2.join("f")), (start + 999, start + 999));
    assert_eq!(owner(&v2.join("r")), (u.uid, u.gid));
    assert_eq!(std::fs::read_to_string(v2.join("f")).unwrap(), "by 1000\n");

    // The user's ids inside, as docker's.
    let flags: [&[&str]; 3] = [&[], &["-u", "1000:1000"], &["-u", "user"]];
    for f in flags {
        let mut a = vec!["run", "--rm"];
        a.extend_from_slice(f);
        let mut da = a.clone();
        da.extend_from_slice(&["--network", "none", &dimg, "id"]);
        a.extend_from_slice(&["owned", "id"]);
        assert_eq!(rvol_ok(&env, u, &a), docker_ok(&da), "id with {f:?}");
    }
}

/// `o` failed with 125 and said `what` on stderr.
fn assert_125(o: &Output, what: &str) {
    assert_eq!(o.status.code(), Some(125), "{}", stderr(o));
    assert!(
        stderr(o).contains(what),
        "wanted {what:?} in:\n{}",
        stderr(o)
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn rootless_single_id_map_squashes_other_owners() {
    let u = rootless::single_user();
    assert_eq!(u.subids, None);
    let env = root_for("rl-single", u);
    let tar = owned_image_tar(&env);
    u.own(&env.tmp.path, &["root"]);
    rvol_ok(&env, u, &["import", tar.to_str().unwrap(), "owned"]);
    // Inside: all root's; a copy-up into a volume keeps that.
    let out = rvol_ok(
        &env,
        u,
        &[
            "run",
            "--rm",
            "-v",
            "sv:/data",
            "owned",
            "sh",
            "-c",
            "id; stat -c '%u:%g %n' /data /data/f /data/r; touch /data/new",
        ],
    );
    // No `groups=`: under a single-id map setgroups is denied, so the
    // process keeps the user's own supplementary groups (none here; a
    // user's would show as 65534) where docker's root has groups=0(root).
    assert_eq!(
        out,
        "uid=0(root) gid=0(root)\n0:0 /data\n0:0 /data/f\n0:0 /data/r\n"
    );
    // The layer on the host (unpacked by that run): 1000's files are the user's, as root's are.
    let layers: Vec<PathBuf> = std::fs::read_dir(env.path().join("layers"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("data/f").exists())
        .collect();
    assert_eq!(layers.len(), 1, "{layers:?}");
    for f in ["data", "data/f", "data/r", "bin/busybox"] {
        assert_eq!(owner(&layers[0].join(f)), (u.uid, u.gid), "{f}");
    }
    let data = env.path().join("volumes/sv/_data");
    for f in ["", "f", "r", "new"] {
        assert_eq!(owner(&data.join(f)), (u.uid, u.gid), "{f}");
    }

    // A container user the map lacks: 125, naming the missing range.
    let o = rvol_run(&env, u, &["run", "--rm", "-u", "1000", "owned", "true"]);
    assert_125(
        &o,
        "rootless: the container's uid 1000 is not mapped: the user running rvol needs a \
         subordinate range in /etc/subuid and /etc/subgid",
    );
    let o = rvol_run(&env, u, &["run", "--rm", "-u", "0:1000", "owned", "true"]);
    assert_125(&o, "rootless: the container's gid 1000 is not mapped");
    // An image whose user needs the range: the same.
    let ctx = env.tmp.join("ctx-user");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("Dockerfile"), "FROM owned\nUSER user\n").unwrap();
    u.own(&ctx, &[]);
    rvol_ok(
        &env,
        u,
        &["build", "-q", "-t", "as-user", ctx.to_str().unwrap()],
    );
    let o = rvol_run(&env, u, &["run", "--rm", "as-user", "true"]);
    assert_125(&o, "rootless: the container's uid 1000 is not mapped");
    // No container was left by the refused runs.
    assert_eq!(rvol_ok(&env, u, &["ps", "-aq"]), "");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn rootless_unreadable_bind_source_is_125() {
    let u = rootless::user();
    let env = root_for("rl-bind", u);
    import_busybox(&env, u, "bb");
    let closed = env.host("closed");
    std::fs::create_dir_all(&closed).unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).unwrap();
    let secret = env.host("secret");
    std::fs::write(&secret, "root's\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = rvol_run(
        &env,
        u,
        &[
            "run",
            "--rm",
            "-v",
            &format!("{}:/c", closed.display()),
            "bb",
            "true",
        ],
    );
    assert_125(
        &o,
        &format!(
            "rvol-mount: rootless: bind source {}: Permission denied (os error 13): \
             the user running rvol cannot read and search it",
            closed.display()
        ),
    );
    let o = rvol_run(
        &env,
        u,
        &[
            "run",
            "--rm",
            "-v",
            &format!("{}:/s:ro", secret.display()),
            "bb",
            "cat",
            "/s",
        ],
    );
    assert_125(
        &o,
        &format!(
            "rvol-mount: rootless: bind source {}: Permission denied (os error 13): \
             the user running rvol cannot read it",
            secret.display()
        ),
    );
    assert_eq!(stdout(&o), "");
    // --mount type=bind: the same check.
    let o = rvol_run(
        &env,
        u,
        &[
            "run",
            "--rm",
            "--mount",
            &format!("type=bind,src={},dst=/c", closed.display()),
            "bb",
            "true",
        ],
    );
    assert_125(&o, "cannot read and search it");
    assert_eq!(rvol_ok(&env, u, &["ps", "-aq"]), "");
}

/// Whether `tools` are all on PATH; when not, a skip, which fails under
/// RVOL_MUST_WORK=1 (the case must then run).
fn have_tools(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| {
            !run(Command::new("sh").args(["-c", &format!("command -v {t}")]))
                .status
                .success()
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!("needs {missing:?} (util-linux) on PATH");
    assert!(
        !std::env::var("RVOL_MUST_WORK").is_ok_and(|v| v == "1"),
        "RVOL_MUST_WORK=1 and this test cannot run: {why}"
    );
    eprintln!("skipped: {why}");
    false
}

/// A user namespace of the test's own, held by a `sleep` (killed when
/// dropped), that maps root and the given users to themselves, so that
/// root can set its per-namespace limits and they can run in it.
struct Userns {
    holder: std::process::Child,
}

impl Userns {
    fn new(users: &[&User]) -> Userns {
        let holder = Command::new("unshare")
            .args(["--user", "sleep", "600"])
            .spawn()
            .expect("unshare --user sleep");
        let pid = holder.id();
        let ns = |p: &str| std::fs::read_link(p).ok();
        let made = rvol_tests::eventually(10.0, || {
            ns(&format!("/proc/{pid}/ns/user")) != ns("/proc/self/ns/user")
        });
        assert!(made, "unshare --user never made its namespace");
        let map = |ids: &[u32]| -> String {
            std::iter::once(0)
                .chain(ids.iter().copied())
                .map(|i| format!("{i} {i} 1\n"))
                .collect()
        };
        let uids: Vec<u32> = users.iter().map(|u| u.uid).collect();
        let gids: Vec<u32> = users.iter().map(|u| u.gid).collect();
        std::fs::write(format!("/proc/{pid}/uid_map"), map(&uids)).unwrap();
        std::fs::write(format!("/proc/{pid}/gid_map"), map(&gids)).unwrap();
        Userns { holder }
    }

    /// `cmd` (a command of [`rvol`]'s making, its program, args and env)
    /// run as `u` in this namespace after `setup` (sh, as its root).
    fn command(&self, setup: &str, u: &User, cmd: &Command) -> Command {
        let mut c = Command::new("nsenter");
        c.args([
            "-t",
            &self.holder.id().to_string(),
            "--user",
            "--",
            "sh",
            "-c",
        ])
        .arg(format!(
            "{setup} && exec setpriv --reuid {} --regid {} --clear-groups \"$@\"",
            u.uid, u.gid
        ))
        .arg("sh")
        .arg(cmd.get_program())
        .args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c
    }
}

impl Drop for Userns {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn rootless_without_user_namespaces_is_125() {
    if !have_tools(&["unshare", "nsenter", "setpriv"]) {
        return;
    }
    let (u, s) = (rootless::user(), rootless::single_user());
    let env = root_for("rl-nouserns", u);
    import_busybox(&env, u, "bb");
    let senv = root_for("rl-nouserns-single", s);
    let star = image::busybox_tar(&senv.tmp);
    s.own(&senv.tmp.path, &["root"]);
    let host_limit = std::fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap();

    // The kernel's limit of user namespaces, 0 in a namespace of ours
    // (and so in every one below it): what a kernel without unprivileged
    // ones refuses, ENOSPC here, EPERM there.
    let ns = Userns::new(&[u, s]);
    let setup = "echo 0 >/proc/sys/user/max_user_namespaces && \
                 echo limit=$(cat /proc/sys/user/max_user_namespaces)";
    let why = "rootless: cannot make a user namespace: no more user namespaces are allowed \
               here (sysctl user.max_user_namespaces is 0, or that many exist)";
    // A ranged map (newuidmap's way) and a single-id one (written by us);
    // the first tool that needs one says so, alone.
    let o = run(&mut ns.command(setup, u, &rvol(&env, u, &["run", "--rm", "bb", "true"])));
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        (stdout(&o), stderr(&o)),
        ("limit=0\n".into(), format!("rvol-unpack: bb: {why}\n"))
    );
    let o = run(&mut ns.command(
        setup,
        s,
        &rvol(&senv, s, &["import", star.to_str().unwrap(), "bb"]),
    ));
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        (stdout(&o), stderr(&o)),
        ("limit=0\n".into(), format!("rvol-unpack: {why}\n"))
    );
    // Nothing was made of the refused runs; outside that namespace they
    // work.
    assert_eq!(rvol_ok(&env, u, &["ps", "-aq"]), "");
    rvol_ok(&env, u, &["run", "--rm", "bb", "true"]);
    rvol_ok(&senv, s, &["import", star.to_str().unwrap(), "bb"]);
    // Warm (layers unpacked, the init layer made), a run needs only the
    // container's own namespace: rvol-ns is refused it, the same way.
    let o = run(&mut ns.command(setup, u, &rvol(&env, u, &["run", "--rm", "bb", "true"])));
    assert_125(&o, why);
    assert_eq!(stderr(&o), format!("rvol-ns: {why}\n"));
    // Its --rm container stays `created`: the removal (rvol-mount rm, the
    // poststop hook) needs a user namespace too; `rvol rm` removes it once
    // one can be made.
    let ps = ["ps", "-aq", "--filter", "status=created"];
    let left = rvol_ok(&env, u, &ps);
    assert_eq!(left.lines().count(), 1, "{left}");
    // Recorded as docker records a failed start: Created, 128, the error.
    let st = rvol_ok(
        &env,
        u,
        &[
            "inspect",
            "-f",
            "{{.State.ExitCode}} {{.State.Error}}",
            left.trim(),
        ],
    );
    assert_eq!(st, format!("128 {why}\n"));
    drop(ns);
    rvol_ok(&env, u, &["rm", left.trim()]);
    assert_eq!(rvol_ok(&env, u, &["ps", "-aq"]), "");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap(),
        host_limit,
        "the host's limit is left alone"
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn rootless_default_state_root_is_the_users_data_dir() {
    let u = rootless::user();
    let env = root_for("rl-default-root", u);
    let tar = image::busybox_tar(&env.tmp);
    let (xdg, home) = (env.tmp.join("xdg"), env.tmp.join("home"));
    std::fs::create_dir_all(&xdg).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    u.own(&env.tmp.path, &[]);
    // No RVOL_ROOT: $XDG_DATA_HOME/rvol.
    let with = |c: &mut Command, xdg_data_home: Option<&Path>| {
        c.env_remove("RVOL_ROOT").env("HOME", &home);
        if let Some(x) = xdg_data_home {
            c.env("XDG_DATA_HOME", x);
        }
    };
    let mut c = rvol(&env, u, &["import", tar.to_str().unwrap(), "in-xdg"]);
    with(&mut c, Some(&xdg));
    ok(&mut c);
    let index =
        |root: &Path| std::fs::read_to_string(root.join("images/index.json")).unwrap_or_default();
    assert!(index(&xdg.join("rvol")).contains("in-xdg:latest"));
    let mut c = rvol(&env, u, &["run", "--rm", "in-xdg", "true"]);
    with(&mut c, Some(&xdg));
    ok(&mut c);
    assert!(xdg.join("rvol/layers").is_dir());
    // Else ~/.local/share/rvol: the binaries' rule (rvol-unpack alone)...
    let mut c = Command::new(rvol_tests::bin("rvol-unpack"));
    c.args(["import", tar.to_str().unwrap(), "in-home"]);
    u.command(&mut c);
    with(&mut c, None);
    ok(&mut c);
    let local = home.join(".local/share/rvol");
    assert!(index(&local).contains("in-home:latest"));
    assert!(!index(&xdg.join("rvol")).contains("in-home"));
    // ...and scripts/rvol's, an empty XDG_DATA_HOME as none.
    let images = |x: Option<&Path>| {
        let mut c = rvol(&env, u, &["images", "--format", "{{.Repository}}"]);
        with(&mut c, x);
        ok(&mut c)
    };
    assert_eq!(images(None), "in-home\n");
    assert_eq!(images(Some(Path::new(""))), "in-home\n");
    assert_eq!(images(Some(&xdg)), "in-xdg\n");
    // The test's own state root was not used.
    assert!(index(&env.path()).is_empty());
}

/// A build context in `dir`: the smoke test's Dockerfile on `base`.
fn smoke_context(dir: &Path, base: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("hello.txt"), "hello\n").unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        format!(
            "FROM {base}\nCOPY hello.txt /srv/hello.txt\n\
             RUN mkdir /srv/d && echo built >/srv/d/f && chown -R 1000:1000 /srv/d\n\
             USER 1000\nCMD [\"sh\", \"-c\", \"echo started; exec sleep 1000\"]\n"
        ),
    )
    .unwrap();
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn rootless_verbs_smoke_as_docker() {
    let u = rootless::user();
    let (start, _) = u.subids.unwrap();
    let env = root_for("rl-smoke", u);
    import_busybox(&env, u, "bb");
    let mut d = DockerObjects::new();
    let dbb = d.import_busybox(&env.tmp);
    let mounts_before = host_mounts();

    // build: COPY, RUN (a chown to 1000), USER.
    let (ctx, dctx) = (env.tmp.join("ctx"), env.tmp.join("dctx"));
    smoke_context(&ctx, "bb");
    smoke_context(&dctx, &dbb);
    u.own(&env.tmp.path, &["root"]);
    rvol_ok(
        &env,
        u,
        &["build", "-q", "-t", "built", ctx.to_str().unwrap()],
    );
    let dbuilt = rvol_tests::fresh("built") + ":local";
    d.images.push(dbuilt.clone());
    ok(Command::new("docker")
        .env("DOCKER_BUILDKIT", "0")
        .args([
            "build",
            "-q",
            "--force-rm",
            "--network",
            "none",
            "-t",
            &dbuilt,
        ])
        .arg(&dctx));
    let facts =
        "id; stat -c '%u:%g %a %s %n' /srv/hello.txt /srv/d /srv/d/f; cat /srv/hello.txt /srv/d/f";
    let r = rvol_ok(&env, u, &["run", "--rm", "built", "sh", "-c", facts]);
    let dk = docker_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        &dbuilt,
        "sh",
        "-c",
        facts,
    ]);
    assert_eq!(r, dk, "the built image, rvol then docker");
    assert!(r.starts_with("uid=1000(user) gid=1000(user)"), "{r}");
    // The RUN's layer on the host: 1000's files at the mapped id.
    let layer: Vec<PathBuf> = std::fs::read_dir(env.path().join("layers"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("srv/d/f").exists())
        .collect();
    assert_eq!(layer.len(), 1, "{layer:?}");
    assert_eq!(owner(&layer[0].join("srv/d/f")), (start + 999, start + 999));

    // A running container: exec, cp both ways, logs.
    rvol_ok(&env, u, &["run", "-d", "--name", "ct", "built"]);
    let dc = rvol_tests::fresh("rlsmoke");
    d.containers.push(dc.clone());
    docker_ok(&["run", "-d", "--network", "none", "--name", &dc, &dbuilt]);
    let flags: [&[&str]; 2] = [&[], &["-u", "0"]];
    for f in flags {
        let (a, da) = (
            [&["exec"][..], f, &["ct", "id"]].concat(),
            [&["exec"][..], f, &[&dc, "id"]].concat(),
        );
        assert_eq!(rvol_ok(&env, u, &a), docker_ok(&da), "exec {f:?} id");
    }
    // The file of whoever copies: the user's for rvol, root's for docker
    // (the container's root either way: rootless, the user is).
    let (into, dinto) = (env.host("user/in.txt"), env.host("root/in.txt"));
    for f in [&into, &dinto] {
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    }
    std::fs::write(&into, "to the container\n").unwrap();
    u.own(&env.tmp.path, &["root"]);
    std::fs::write(&dinto, "to the container\n").unwrap();
    rvol_ok(&env, u, &["cp", into.to_str().unwrap(), "ct:/tmp/in.txt"]);
    docker_ok(&["cp", dinto.to_str().unwrap(), &format!("{dc}:/tmp/in.txt")]);
    let look = [
        "exec",
        "ct",
        "sh",
        "-c",
        "stat -c '%u:%g %a %n' /tmp/in.txt; cat /tmp/in.txt",
    ];
    let mut dlook = look;
    dlook[1] = &dc;
    assert_eq!(rvol_ok(&env, u, &look), docker_ok(&dlook), "cp into");
    let out = env.host("out");
    rvol_ok(&env, u, &["cp", "ct:/srv/d/f", out.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "built\n");
    assert_eq!(owner(&out), (u.uid, u.gid), "cp out: the user's file");
    assert!(rvol_tests::eventually(10.0, || {
        rvol_run(&env, u, &["logs", "ct"]).stdout == b"started\n"
    }));
    assert_eq!(rvol_ok(&env, u, &["logs", "ct"]), docker_ok(&["logs", &dc]));
    rvol_ok(&env, u, &["rm", "-f", "ct"]);
    assert_eq!(rvol_ok(&env, u, &["ps", "-aq"]), "");

    // volume export: the container's ids in the tar; import: the mapped
    // ids again on the host.
    rvol_ok(
        &env,
        u,
        &[
            "run",
            "--rm",
            "-v",
            "vx:/v",
            "bb",
            "sh",
            "-c",
            "echo a >/v/a && mkdir /v/d && echo e >/v/d/e && chown -R 1000:1000 /v/d",
        ],
    );
    let vtar = env.host("vx.tar");
    rvol_ok(
        &env,
        u,
        &["volume", "export", "-o", vtar.to_str().unwrap(), "vx"],
    );
    assert_eq!(owner(&vtar), (u.uid, u.gid));
    let list = ok(Command::new("tar")
        .args(["--numeric-owner", "-tvf"])
        .arg(&vtar));
    let owners: Vec<(String, String)> = list
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[f.len() - 1].trim_end_matches('/').to_string(),
                f[1].to_string(),
            )
        })
        .filter(|(n, _)| n != ".")
        .collect();
    assert_eq!(
        owners,
        [
            ("a".to_string(), "0/0".to_string()),
            ("d".to_string(), "1000/1000".to_string()),
            ("d/e".to_string(), "1000/1000".to_string())
        ],
        "{list}"
    );
    rvol_ok(&env, u, &["volume", "create", "vy"]);
    rvol_ok(&env, u, &["volume", "import", "vy", vtar.to_str().unwrap()]);
    let vy = env.path().join("volumes/vy/_data");
    assert_eq!(owner(&vy.join("a")), (u.uid, u.gid));
    assert_eq!(owner(&vy.join("d/e")), (start + 999, start + 999));
    assert_eq!(std::fs::read_to_string(vy.join("d/e")).unwrap(), "e\n");

    // system df, rmi, image prune -a.
    let df = |env: &TestRoot| {
        rvol_ok(
            env,
            u,
            &[
                "system",
                "df",
                "--format",
                "{{.Type}}:{{.TotalCount}}:{{.Active}}",
            ],
        )
    };
    // bb, built and the build's 3 intermediates (after COPY, RUN, USER),
    // which docker's classic builder keeps too.
    assert_eq!(
        df(&env),
        "Images:5:0\nContainers:0:0\nLocal Volumes:2:0\nBuild Cache:0:0\n"
    );
    let o = rvol_ok(&env, u, &["rmi", "built"]);
    assert!(
        o.starts_with("Untagged: built:latest\nDeleted: sha256:"),
        "{o}"
    );
    assert_eq!(
        rvol_ok(&env, u, &["images", "--format", "{{.Repository}}"]),
        "bb\n"
    );
    let o = rvol_ok(&env, u, &["image", "prune", "-a", "-f"]);
    assert!(
        o.starts_with("Deleted Images:\nuntagged: bb:latest\ndeleted: sha256:")
            && o.contains("\nTotal reclaimed space: "),
        "{o}"
    );
    assert_eq!(rvol_ok(&env, u, &["images", "-q"]), "");
    let left: Vec<_> = std::fs::read_dir(env.path().join("layers"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| !n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(left.is_empty(), "layers left: {left:?}");
    assert_eq!(
        df(&env),
        "Images:0:0\nContainers:0:0\nLocal Volumes:2:0\nBuild Cache:0:0\n"
    );
    assert_eq!(host_mounts(), mounts_before);
    assert_eq!(mounts_under(&env.tmp.path), Vec::<PathBuf>::new());
}
