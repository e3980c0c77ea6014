//! rvol-unpack: real images in (made here from busybox-static and files
//! the tests write, by docker, skopeo and umoci), verified layers out, and
//! the overlay of those layers compared with what the real Docker daemon
//! exports for the same image. Plus corrupted images and hostile layers.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rvol_tests::docker::DockerObjects;
use rvol_tests::hostile::{self, Raw};
use rvol_tests::image::{busybox_rootfs, sha256_hex, tar_dir, Compress, Compression, OciImage};
use rvol_tests::{fresh, ok, run, stderr, TempDir, TestRoot};
use serde_json::{json, Value};

fn unpack(root: &TestRoot, args: &[&str]) -> Output {
    run(root.tool("rvol-unpack").args(args))
}

fn unpack_ok(root: &TestRoot, args: &[&str]) -> Value {
    let out = ok(root.tool("rvol-unpack").args(args));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("config.json: {e}\n{out}"))
}

fn annotation(spec: &Value, key: &str) -> Value {
    serde_json::from_str(
        spec["annotations"][key]
            .as_str()
            .unwrap_or_else(|| panic!("no {key}")),
    )
    .unwrap()
}

fn lower_dirs(spec: &Value) -> Vec<String> {
    annotation(spec, "org.rvol.image")["LowerDirs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// Names in ROOT/layers that are neither a finished layer nor a lock.
fn leftovers(root: &TestRoot) -> Vec<String> {
    let mut bad = Vec::new();
    for sub in ["layers", "images", "images/blobs/sha256"] {
        let Ok(rd) = std::fs::read_dir(root.path().join(sub)) else {
            continue;
        };
        for e in rd {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            if n.starts_with(".tmp-") || n.starts_with(".load-") {
                bad.push(format!("{sub}/{n}"));
            }
        }
    }
    bad
}

fn layer_dirs(root: &TestRoot) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root.path().join("layers"))
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A failure the way the toolkit fails: status 125, one line on stderr
/// naming the tool and the cause, no layer and no temp dir left.
fn assert_clean_failure(root: &TestRoot, o: &Output, want: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(125), "status; stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("rvol-unpack: "), "{err}");
    assert!(err.contains(want), "want {want:?} in {err:?}");
    assert!(o.stdout.is_empty(), "nothing on stdout");
    assert_eq!(layer_dirs(root), Vec::<String>::new(), "no layer dir");
    assert_eq!(leftovers(root), Vec::<String>::new(), "no temp dir");
}

/// Mount the layers read-only as overlayfs stacks them (top first).
struct Overlay {
    target: PathBuf,
}

impl Overlay {
    fn mount(tmp: &TempDir, lowers: &[String]) -> Overlay {
        let target = tmp.join("merged");
        let empty = tmp.join("empty-lower");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::create_dir_all(&empty).unwrap();
        // Without an upper dir overlayfs wants two lowers at least.
        let mut l = lowers.to_vec();
        l.push(empty.to_string_lossy().into_owned());
        let o = run(Command::new("mount")
            .args(["-t", "overlay", "overlay", "-o"])
            .arg(format!("lowerdir={}", l.join(":")))
            .arg(&target));
        assert!(o.status.success(), "mount overlay: {}", stderr(&o));
        Overlay { target }
    }
}

impl Drop for Overlay {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.target).status();
    }
}

/// The tests' busybox rootfs and its tar.
fn busybox_tar(tmp: &TempDir) -> (PathBuf, PathBuf) {
    let file = rvol_tests::image::busybox_tar(tmp);
    (tmp.join("busybox-rootfs"), file)
}

// ---------------------------------------------------------------- import

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn import_then_unpack_gives_the_rootfs() {
    let root = TestRoot::new("unpack-import");
    let (rootfs, file) = busybox_tar(&root.tmp);
    let id = ok(root
        .tool("rvol-unpack")
        .arg("import")
        .arg(&file)
        .arg("bb:one"));
    assert!(
        id.trim().starts_with("sha256:") && id.trim().len() == 71,
        "{id}"
    );
    let spec = unpack_ok(&root, &["bb:one", "sh", "-c", "true"]);
    assert_eq!(spec["process"]["args"], json!(["sh", "-c", "true"]));
    assert_eq!(spec["process"]["cwd"], "/");
    assert_eq!(spec["root"], json!({"path": "rootfs", "readonly": false}));
    let img = annotation(&spec, "org.rvol.image");
    assert_eq!(img["Reference"], "bb:one");
    assert_eq!(img["Name"], "bb:one");
    assert_eq!(img["Id"], id.trim());
    let diff = format!("sha256:{}", sha256_hex(&std::fs::read(&file).unwrap()));
    assert_eq!(img["DiffIds"], json!([diff]));
    let lowers = lower_dirs(&spec);
    assert_eq!(
        lowers,
        vec![root
            .path()
            .join("layers")
            .join(&diff[7..])
            .to_string_lossy()
            .into_owned()]
    );
    assert_eq!(
        hostile::tree(Path::new(&lowers[0]), &[]),
        hostile::tree(&rootfs, &[]),
        "the layer dir is the rootfs"
    );
    // Times too (tar keeps whole seconds), directories included.
    let times = |top: &Path| -> Vec<(String, i64)> {
        let o = run(Command::new("find").arg(top).args(["-printf", "%P %T@\n"]));
        let mut v: Vec<(String, i64)> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| {
                let (p, t) = l.rsplit_once(' ').unwrap();
                (p.to_string(), t.split('.').next().unwrap().parse().unwrap())
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(times(Path::new(&lowers[0])), times(&rootfs), "mtimes");
    // The store is an OCI layout other tools read: skopeo sees the tag.
    let o = run(Command::new("skopeo").arg("inspect").arg(format!(
        "oci:{}:bb:one",
        root.path().join("images").display()
    )));
    assert!(o.status.success(), "skopeo inspect: {}", stderr(&o));
    // A gzip tarball and stdin work too; a non-tar is refused.
    let gz = root.tmp.join("bb.tar.gz");
    std::fs::write(
        &gz,
        Compression::Gzip.compress(&std::fs::read(&file).unwrap()),
    )
    .unwrap();
    let id2 = ok(root
        .tool("rvol-unpack")
        .args(["import", "-", "bb:gz"])
        .stdin(std::fs::File::open(&gz).unwrap()));
    let spec2 = unpack_ok(&root, &["bb:gz", "true"]);
    assert_eq!(
        annotation(&spec2, "org.rvol.image")["DiffIds"],
        json!([diff])
    );
    assert!(id2.starts_with("sha256:"));
    let junk = root.tmp.join("junk");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let o = run(root
        .tool("rvol-unpack")
        .arg("import")
        .arg(&junk)
        .arg("bb:junk"));
    assert_eq!(o.status.code(), Some(125), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a tar archive"), "{}", stderr(&o));
    assert_eq!(leftovers(&root), Vec::<String>::new());
}

// ---------------------------------------------------------------- config.json

fn flags_image(root: &TestRoot) -> String {
    let rootfs = root.tmp.join("rootfs");
    busybox_rootfs(&rootfs);
    let mut img = OciImage::new(vec![tar_dir(&rootfs)]);
    img.config = json!({
        "Entrypoint": ["/bin/echo"],
        "Cmd": ["hello"],
        "Env": ["A=1", "PATH=/bin"],
        "WorkingDir": "/srv",
        "User": "1000",
        "Volumes": {"/vol/b": {}, "/vol/a/": {}},
        "Labels": {"l": "v"},
    });
    let dir = root.tmp.join("oci");
    img.write(&dir, "flags");
    format!("oci:{}:flags", dir.display())
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn config_json_from_image_and_flags() {
    let root = TestRoot::new("unpack-flags");
    let r = flags_image(&root);
    let spec = unpack_ok(&root, &[&r]);
    assert_eq!(spec["process"]["args"], json!(["/bin/echo", "hello"]));
    assert_eq!(spec["process"]["env"], json!(["A=1", "PATH=/bin"]));
    assert_eq!(spec["process"]["cwd"], "/srv");
    assert_eq!(spec["process"]["user"], json!({"uid": 0, "gid": 0}));
    assert_eq!(spec["annotations"]["org.rvol.user"], "1000");
    assert_eq!(
        spec["mounts"],
        json!([
            {"destination": "/vol/a", "type": "volume", "source": "", "options": []},
            {"destination": "/vol/b", "type": "volume", "source": "", "options": []},
        ])
    );
    let ns: Vec<&str> = spec["linux"]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(ns, ["pid", "mount", "ipc", "uts", "network"]);
    assert!(spec.get("hostname").is_none());
    assert_eq!(
        annotation(&spec, "org.rvol.hostconfig"),
        json!({"NetworkMode": "none"})
    );
    let cfg = annotation(&spec, "org.rvol.config");
    let keys: Vec<&String> = cfg.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "Hostname",
            "Domainname",
            "User",
            "Env",
            "Cmd",
            "Image",
            "Volumes",
            "WorkingDir",
            "Entrypoint",
            "Labels"
        ]
    );
    assert_eq!(cfg["Cmd"], json!(["hello"]));
    assert_eq!(cfg["Entrypoint"], json!(["/bin/echo"]));
    assert_eq!(cfg["Image"], r.as_str());
    assert_eq!(cfg["Volumes"], json!({"/vol/a": {}, "/vol/b": {}}));
    assert_eq!(cfg["Labels"], json!({"l": "v"}));
    // The printed spec is what oci-spec (the other tools) reads.
    let _: rvol_state::record::ImageRecord =
        serde_json::from_value(annotation(&spec, "org.rvol.image")).unwrap();

    // CMD after the image replaces Cmd; --entrypoint replaces both.
    let s = unpack_ok(&root, &[&r, "a", "b"]);
    assert_eq!(s["process"]["args"], json!(["/bin/echo", "a", "b"]));
    let s = unpack_ok(&root, &["--entrypoint", "/bin/sh", &r]);
    assert_eq!(s["process"]["args"], json!(["/bin/sh"]));
    assert_eq!(annotation(&s, "org.rvol.config")["Cmd"], Value::Null);
    let s = unpack_ok(&root, &["--entrypoint", "/bin/sh", &r, "-c", "x"]);
    assert_eq!(s["process"]["args"], json!(["/bin/sh", "-c", "x"]));

    // Environment: -e K=V overrides in place, -e K takes ours, unset K is
    // dropped, --env-file in order with comments and blanks skipped.
    let envf = root.tmp.join("env.list");
    std::fs::write(&envf, "# a comment\nC=4\n\n  FROMENV\nA=5\n").unwrap();
    let o = ok(root
        .tool("rvol-unpack")
        .env("FROMENV", "mine")
        .env_remove("RVOL_SURELY_UNSET")
        .args([
            "-e",
            "A=2",
            "--env",
            "B=3",
            "-e",
            "RVOL_SURELY_UNSET",
            "--env-file",
        ])
        .arg(&envf)
        .arg(&r));
    let s: Value = serde_json::from_str(&o).unwrap();
    assert_eq!(
        s["process"]["env"],
        json!(["A=5", "PATH=/bin", "B=3", "C=4", "FROMENV=mine"])
    );

    let s = unpack_ok(
        &root,
        &[
            "-w",
            "/tmp/./x/",
            "-u",
            "nobody:users",
            "--hostname",
            "h1",
            "--network",
            "host",
            &r,
        ],
    );
    assert_eq!(s["process"]["cwd"], "/tmp/x");
    assert_eq!(s["annotations"]["org.rvol.user"], "nobody:users");
    assert_eq!(s["hostname"], "h1");
    let ns: Vec<&str> = s["linux"]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        ns,
        ["pid", "mount", "ipc", "uts"],
        "no network namespace with --network host"
    );
    assert_eq!(
        annotation(&s, "org.rvol.hostconfig"),
        json!({"NetworkMode": "host"})
    );
    assert_eq!(annotation(&s, "org.rvol.config")["Hostname"], "h1");

    let o = unpack(&root, &["-w", "rel", &r]);
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o)
            .contains("the working directory 'rel' is invalid, it needs to be an absolute path"),
        "{}",
        stderr(&o)
    );
    let o = unpack(&root, &["--network", "bridge0", &r]);
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).contains("network bridge0 not found"),
        "{}",
        stderr(&o)
    );
    let o = unpack(&root, &["--bogus", &r]);
    assert_eq!(o.status.code(), Some(125));
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn an_image_without_a_command_needs_one() {
    let root = TestRoot::new("unpack-nocmd");
    let (_, file) = busybox_tar(&root.tmp);
    ok(root
        .tool("rvol-unpack")
        .arg("import")
        .arg(&file)
        .arg("bare"));
    let o = unpack(&root, &["bare"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).contains("No command specified"),
        "{}",
        stderr(&o)
    );
    let s = unpack_ok(&root, &["bare", "/bin/sh"]);
    assert_eq!(s["process"]["args"], json!(["/bin/sh"]));
    assert_eq!(annotation(&s, "org.rvol.config")["Env"], Value::Null);
}

// ---------------------------------------------------------------- docker

fn setcap_blob() -> Vec<u8> {
    // vfs_cap_data v2, effective, permitted = CAP_NET_RAW.
    let mut v = Vec::new();
    for w in [0x0200_0001u32, 1 << 13, 0, 0, 0] {
        v.extend_from_slice(&w.to_le_bytes());
    }
    v
}

fn set_xattr(p: &Path, k: &str, v: &[u8]) {
    use std::os::unix::ffi::OsStrExt;
    let pc = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    let kc = std::ffi::CString::new(k).unwrap();
    // SAFETY: valid C strings and buffer.
    let r = unsafe { libc::lsetxattr(pc.as_ptr(), kc.as_ptr(), v.as_ptr().cast(), v.len(), 0) };
    assert_eq!(
        r,
        0,
        "setxattr {k} on {}: {}",
        p.display(),
        std::io::Error::last_os_error()
    );
}

fn chown(p: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(p, Some(uid), Some(gid)).unwrap();
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Three layers that exercise what an unpack must keep: a deleted file, a
/// deleted and re-created directory (opaque), a deleted directory, a
/// hardlink, setuid/setgid files owned by others, a capability xattr, a
/// fifo, odd owners and modes, symlinks.
fn three_layers(tmp: &TempDir) -> Vec<Vec<u8>> {
    let l1 = tmp.join("l1");
    busybox_rootfs(&l1);
    for d in ["data/old", "dir1", "hl", "opt"] {
        std::fs::create_dir_all(l1.join(d)).unwrap();
    }
    std::fs::write(l1.join("data/keep.txt"), "v1\n").unwrap();
    std::fs::write(l1.join("data/old/a.txt"), "old\n").unwrap();
    std::fs::write(l1.join("del.txt"), "delete me\n").unwrap();
    std::fs::write(l1.join("dir1/x"), "x\n").unwrap();
    std::fs::write(l1.join("dir1/y"), "y\n").unwrap();
    std::fs::write(l1.join("hl/orig"), "linked\n").unwrap();
    std::fs::hard_link(l1.join("hl/orig"), l1.join("hl/link")).unwrap();
    std::fs::write(l1.join("opt/suid"), "#!/bin/sh\n").unwrap();
    chown(&l1.join("opt/suid"), 1000, 1000);
    chmod(&l1.join("opt/suid"), 0o4755);
    std::fs::write(l1.join("opt/cap"), "cap\n").unwrap();
    set_xattr(&l1.join("opt/cap"), "security.capability", &setcap_blob());
    let o = run(Command::new("mkfifo").arg(l1.join("opt/fifo")));
    assert!(o.status.success());
    std::fs::write(l1.join("opt/owned"), "owned\n").unwrap();
    chown(&l1.join("opt/owned"), 1234, 5678);
    chmod(&l1.join("opt/owned"), 0o640);
    std::os::unix::fs::symlink("data/keep.txt", l1.join("sym")).unwrap();
    let o = run(Command::new("mknod")
        .arg(l1.join("opt/null"))
        .args(["c", "1", "3"]));
    assert!(o.status.success());
    chmod(&l1.join("opt/null"), 0o666);
    std::fs::create_dir(l1.join("opt/private")).unwrap();
    chown(&l1.join("opt/private"), 999, 999);
    chmod(&l1.join("opt/private"), 0o750);

    let l2 = tmp.join("l2");
    std::fs::create_dir_all(l2.join("dir1")).unwrap();
    std::fs::create_dir_all(l2.join("data")).unwrap();
    std::fs::create_dir_all(l2.join("newdir/deep")).unwrap();
    std::fs::write(l2.join(".wh.del.txt"), "").unwrap();
    std::fs::write(l2.join("dir1/.wh..wh..opq"), "").unwrap();
    std::fs::write(l2.join("dir1/new.txt"), "new\n").unwrap();
    std::fs::write(l2.join("data/keep.txt"), "v2\n").unwrap();
    std::fs::write(l2.join("newdir/deep/file"), "deep\n").unwrap();

    let l3 = tmp.join("l3");
    std::fs::create_dir_all(l3.join("data")).unwrap();
    std::fs::create_dir_all(l3.join("opt")).unwrap();
    std::fs::write(l3.join("data/.wh.old"), "").unwrap();
    std::fs::write(l3.join("opt/sgid"), "sgid\n").unwrap();
    chown(&l3.join("opt/sgid"), 0, 100);
    chmod(&l3.join("opt/sgid"), 0o2755);
    // Directories only in this layer's path keep the lower's metadata in
    // docker too only if the tar lists them; list them as the lower has them.
    chmod(&l3.join("opt"), 0o755);
    vec![tar_dir(&l1), tar_dir(&l2), tar_dir(&l3)]
}

/// `docker save` layout written by hand: manifest.json, config, layer tars.
fn docker_archive(tmp: &TempDir, layers: &[Vec<u8>], tag: &str) -> PathBuf {
    let dir = tmp.join("darchive");
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = Vec::new();
    let mut diff_ids = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let d = format!("layer{i}");
        std::fs::create_dir_all(dir.join(&d)).unwrap();
        std::fs::write(dir.join(&d).join("layer.tar"), l).unwrap();
        paths.push(format!("{d}/layer.tar"));
        diff_ids.push(format!("sha256:{}", sha256_hex(l)));
    }
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": layers.iter().map(|_| json!({"created_by": "rvol-tests"})).collect::<Vec<_>>(),
    }))
    .unwrap();
    let cfg_name = format!("{}.json", sha256_hex(&config));
    std::fs::write(dir.join(&cfg_name), &config).unwrap();
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec(&json!([{"Config": cfg_name, "RepoTags": [tag], "Layers": paths}]))
            .unwrap(),
    )
    .unwrap();
    let file = tmp.join("darchive.tar");
    let o = run(Command::new("tar")
        .arg("-C")
        .arg(&dir)
        .arg("-cf")
        .arg(&file)
        .arg("."));
    assert!(o.status.success(), "{}", stderr(&o));
    file
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn overlay_of_layers_matches_docker_export() {
    let root = TestRoot::new("unpack-docker");
    let layers = three_layers(&root.tmp);
    let name = fresh("unpack-cmp");
    let tag = format!("{name}:latest");
    let archive = docker_archive(&root.tmp, &layers, &tag);
    let mut docker = DockerObjects::new();
    docker.images.push(tag.clone());
    docker.containers.push(name.clone());

    // Docker: load, create, export, extract as root keeping everything.
    let o = run(Command::new("docker").arg("load").arg("-i").arg(&archive));
    assert!(o.status.success(), "docker load: {}", stderr(&o));
    let o = run(Command::new("docker").args(["create", "--name", &name, &tag]));
    assert!(o.status.success(), "docker create: {}", stderr(&o));
    let exported = root.tmp.join("export.tar");
    let o = run(Command::new("docker")
        .args(["export", "-o"])
        .arg(&exported)
        .arg(&name));
    drop(docker);
    assert!(o.status.success(), "docker export: {}", stderr(&o));
    let dview = root.tmp.join("docker-view");
    std::fs::create_dir_all(&dview).unwrap();
    let o = run(Command::new("tar")
        .args(["--numeric-owner", "--xattrs", "--xattrs-include=*", "-xpf"])
        .arg(&exported)
        .arg("-C")
        .arg(&dview));
    assert!(o.status.success(), "tar -x export: {}", stderr(&o));

    // rvol: the same archive, its layer dirs stacked by overlayfs.
    let spec = unpack_ok(&root, &[&format!("docker-archive:{}", archive.display())]);
    let lowers = lower_dirs(&spec);
    assert_eq!(lowers.len(), 3);
    for l in &lowers {
        let t = hostile::tree(Path::new(l), &[]);
        assert!(
            t.keys()
                .all(|p| !p.rsplit('/').next().unwrap().starts_with(".wh.")),
            "no .wh. file in a layer dir: {t:?}"
        );
    }
    // Overlay form in the layer dirs themselves.
    let l2 = Path::new(&lowers[1]);
    let st = std::fs::symlink_metadata(l2.join("del.txt")).unwrap();
    assert!(
        std::os::unix::fs::FileTypeExt::is_char_device(&st.file_type()) && st.rdev() == 0,
        "whiteout is a 0/0 char device"
    );
    assert_eq!(
        hostile::xattr(&l2.join("dir1"), "trusted.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );

    let ov = Overlay::mount(&root.tmp, &lowers);
    // What docker adds to every container (not the image's).
    let skip = [
        ".dockerenv",
        "etc/hostname",
        "etc/hosts",
        "etc/resolv.conf",
        "etc/mtab",
        "dev",
        "proc",
        "sys",
    ];
    let rvol = hostile::tree(&ov.target, &skip);
    let docker = hostile::tree(&dview, &skip);
    let diff: Vec<String> = rvol
        .iter()
        .filter(|(k, v)| docker.get(*k) != Some(v))
        .map(|(k, v)| format!("rvol   {k}: {v} | docker: {:?}", docker.get(k)))
        .chain(
            docker
                .iter()
                .filter(|(k, _)| !rvol.contains_key(*k))
                .map(|(k, v)| format!("docker only {k}: {v}")),
        )
        .collect();
    assert!(
        diff.is_empty(),
        "rvol's overlay differs from docker export:\n{}",
        diff.join("\n")
    );
    // And the checks do look at what matters.
    assert!(
        !rvol.contains_key("del.txt")
            && !rvol.contains_key("data/old")
            && !rvol.contains_key("dir1/x")
    );
    assert_eq!(rvol["dir1/new.txt"].split(' ').next(), Some("file"));
    assert_eq!(rvol["hl/orig"], "hardlink -> hl/link");
    assert!(
        rvol["opt/suid"].starts_with("file 4755 1000:1000"),
        "{}",
        rvol["opt/suid"]
    );
    assert!(
        rvol["opt/sgid"].starts_with("file 2755 0:100"),
        "{}",
        rvol["opt/sgid"]
    );
    assert!(rvol["opt/cap"].contains("cap="), "{}", rvol["opt/cap"]);
    assert_eq!(rvol["opt/fifo"], "fifo 644 0:0");
    assert_eq!(
        rvol["opt/null"],
        format!("char 666 0:0 {}", libc::makedev(1, 3))
    );
    assert_eq!(rvol["opt/private"], "dir 750 999:999");
    assert!(rvol["data/keep.txt"].ends_with(&sha256_hex(b"v2\n")));
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn docker_save_skopeo_and_load() {
    let root = TestRoot::new("unpack-transports");
    // An image of docker's own making: `docker import` of a busybox rootfs.
    let (_, bb) = busybox_tar(&root.tmp);
    let image = format!("{}:latest", fresh("unpack-save"));
    let mut docker = DockerObjects::new();
    docker.images.push(image.clone());
    let o = run(Command::new("docker")
        .args(["import", "-c", "CMD [\"/bin/sh\"]"])
        .arg(&bb)
        .arg(&image));
    assert!(o.status.success(), "docker import: {}", stderr(&o));
    let saved = root.tmp.join("saved.tar");
    let o = run(Command::new("docker")
        .args(["save", "-o"])
        .arg(&saved)
        .arg(&image));
    let id = run(Command::new("docker").args(["image", "inspect", "-f", "{{.Id}}", &image]));
    drop(docker);
    assert!(o.status.success(), "docker save: {}", stderr(&o));
    let want_id = String::from_utf8(id.stdout).unwrap().trim().to_string();

    let s = unpack_ok(&root, &[&format!("docker-archive:{}", saved.display())]);
    let img = annotation(&s, "org.rvol.image");
    assert_eq!(img["Id"], want_id.as_str(), "the image id is docker's");
    assert_eq!(s["process"]["args"], json!(["/bin/sh"]));
    let diff_ids = img["DiffIds"].clone();
    let lowers = lower_dirs(&s);
    assert!(Path::new(&lowers[0]).join("bin/busybox").is_file());

    // docker load's twin: images under their own names.
    let out = ok(root.tool("rvol-unpack").args(["load", "-i"]).arg(&saved));
    assert_eq!(out, format!("Loaded image: {image}\n"));
    let s = unpack_ok(&root, &[&image]);
    assert_eq!(annotation(&s, "org.rvol.image")["Id"], want_id.as_str());
    assert_eq!(annotation(&s, "org.rvol.image")["Name"], image.as_str());

    // skopeo-made OCI layouts, gzip and zstd layers, and an OCI archive.
    for (fmt, media) in [("gzip", "tar+gzip"), ("zstd", "tar+zstd")] {
        let dir = root.tmp.join(format!("oci-{fmt}"));
        let o = run(Command::new("skopeo")
            .args(["copy", "--dest-compress", "--dest-compress-format", fmt])
            .arg(format!("docker-archive:{}", saved.display()))
            .arg(format!("oci:{}:bb", dir.display())));
        assert!(o.status.success(), "skopeo copy {fmt}: {}", stderr(&o));
        let index: Value =
            serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
        let md = index["manifests"][0]["digest"].as_str().unwrap();
        let man: Value = serde_json::from_slice(
            &std::fs::read(dir.join("blobs/sha256").join(&md[7..])).unwrap(),
        )
        .unwrap();
        assert!(
            man["layers"][0]["mediaType"]
                .as_str()
                .unwrap()
                .ends_with(media),
            "{man}"
        );
        let fresh = TestRoot::new(&format!("unpack-skopeo-{fmt}"));
        let s = unpack_ok(&fresh, &[&format!("oci:{}:bb", dir.display())]);
        assert_eq!(
            annotation(&s, "org.rvol.image")["DiffIds"],
            diff_ids,
            "{fmt}"
        );
        let l = lower_dirs(&s);
        assert_eq!(
            hostile::tree(Path::new(&l[0]), &[]),
            hostile::tree(Path::new(&lowers[0]), &[]),
            "{fmt}"
        );
    }
    let oa = root.tmp.join("bb.oci.tar");
    let o = run(Command::new("skopeo")
        .arg("copy")
        .arg(format!("docker-archive:{}", saved.display()))
        .arg(format!("oci-archive:{}:bb:arch", oa.display())));
    assert!(
        o.status.success(),
        "skopeo copy oci-archive: {}",
        stderr(&o)
    );
    let fresh = TestRoot::new("unpack-ociarchive");
    let s = unpack_ok(&fresh, &[&format!("oci-archive:{}:bb:arch", oa.display())]);
    assert_eq!(annotation(&s, "org.rvol.image")["DiffIds"], diff_ids);
    let out = ok(fresh.tool("rvol-unpack").args(["load", "-i"]).arg(&oa));
    assert_eq!(out, "Loaded image: bb:arch\n");
    unpack_ok(&fresh, &["bb:arch", "true"]);
    assert_eq!(leftovers(&fresh), Vec::<String>::new());
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn umoci_made_image() {
    let root = TestRoot::new("unpack-umoci");
    let layout = root.tmp.join("umoci");
    let bundle = root.tmp.join("bundle");
    let umoci = |args: &[&str]| {
        let o = run(Command::new("umoci").args(args));
        assert!(o.status.success(), "umoci {args:?}: {}", stderr(&o));
    };
    let l = layout.to_string_lossy().into_owned();
    let b = bundle.to_string_lossy().into_owned();
    umoci(&["init", "--layout", &l]);
    umoci(&["new", "--image", &format!("{l}:t")]);
    umoci(&["unpack", "--image", &format!("{l}:t"), &b]);
    busybox_rootfs(&bundle.join("rootfs"));
    std::fs::write(bundle.join("rootfs/etc/motd"), "umoci\n").unwrap();
    umoci(&["repack", "--image", &format!("{l}:t"), &b]);
    umoci(&[
        "config",
        "--image",
        &format!("{l}:t"),
        "--config.cmd",
        "/bin/sh",
        "--config.env",
        "X=1",
    ]);
    let s = unpack_ok(&root, &[&format!("oci:{l}:t")]);
    assert_eq!(s["process"]["args"], json!(["/bin/sh"]));
    assert!(s["process"]["env"]
        .as_array()
        .unwrap()
        .contains(&json!("X=1")));
    let lowers = lower_dirs(&s);
    let top = Path::new(&lowers[0]);
    assert_eq!(
        std::fs::read_to_string(top.join("etc/motd")).unwrap(),
        "umoci\n"
    );
    assert!(top.join("bin/busybox").is_file());
}

// ---------------------------------------------------------------- verification

/// Rewrite the manifest of an OCI layout's only image (and its index entry).
fn edit_manifest(dir: &Path, f: impl FnOnce(&mut Value)) {
    let ip = dir.join("index.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&ip).unwrap()).unwrap();
    let md = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let blobs = dir.join("blobs/sha256");
    let mut man: Value =
        serde_json::from_slice(&std::fs::read(blobs.join(&md[7..])).unwrap()).unwrap();
    f(&mut man);
    let bytes = serde_json::to_vec(&man).unwrap();
    let hex = sha256_hex(&bytes);
    std::fs::write(blobs.join(&hex), &bytes).unwrap();
    index["manifests"][0]["digest"] = json!(format!("sha256:{hex}"));
    index["manifests"][0]["size"] = json!(bytes.len());
    std::fs::write(&ip, serde_json::to_vec(&index).unwrap()).unwrap();
}

fn edit_config(dir: &Path, f: impl FnOnce(&mut Value)) {
    edit_manifest(dir, |man| {
        let blobs = dir.join("blobs/sha256");
        let cd = man["config"]["digest"].as_str().unwrap().to_string();
        let mut cfg: Value =
            serde_json::from_slice(&std::fs::read(blobs.join(&cd[7..])).unwrap()).unwrap();
        f(&mut cfg);
        let bytes = serde_json::to_vec(&cfg).unwrap();
        let hex = sha256_hex(&bytes);
        std::fs::write(blobs.join(&hex), &bytes).unwrap();
        man["config"]["digest"] = json!(format!("sha256:{hex}"));
        man["config"]["size"] = json!(bytes.len());
    });
}

fn layer_blob(dir: &Path) -> PathBuf {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let md = index["manifests"][0]["digest"].as_str().unwrap();
    let man: Value =
        serde_json::from_slice(&std::fs::read(dir.join("blobs/sha256").join(&md[7..])).unwrap())
            .unwrap();
    dir.join("blobs/sha256")
        .join(&man["layers"][0]["digest"].as_str().unwrap()[7..])
}

/// Replace the layer blob with `bytes`, fixing digest and size in the manifest.
fn replace_layer(dir: &Path, bytes: &[u8]) {
    let hex = sha256_hex(bytes);
    std::fs::write(dir.join("blobs/sha256").join(&hex), bytes).unwrap();
    edit_manifest(dir, |m| {
        m["layers"][0]["digest"] = json!(format!("sha256:{hex}"));
        m["layers"][0]["size"] = json!(bytes.len());
    });
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn bad_images_fail_cleanly() {
    let tmp = TempDir::new("unpack-bad-src");
    let rootfs = tmp.join("rootfs");
    busybox_rootfs(&rootfs);
    let raw = tar_dir(&rootfs);
    let fresh_layout = |name: &str, comp: Compression| -> PathBuf {
        let dir = tmp.join(name);
        let mut img = OciImage::new(vec![raw.clone()]);
        img.compression = comp;
        img.write(&dir, "t");
        dir
    };
    type Case = (&'static str, Box<dyn Fn(&Path)>, &'static str);
    let cases: Vec<Case> = vec![
        (
            "corrupted",
            Box::new(|d: &Path| {
                let p = layer_blob(d);
                let mut b = std::fs::read(&p).unwrap();
                let n = b.len() / 2;
                b[n] ^= 0xff;
                std::fs::write(&p, b).unwrap();
            }),
            "corrupted",
        ),
        (
            "wrong-diff-id",
            Box::new(|d: &Path| {
                edit_config(d, |c| {
                    c["rootfs"]["diff_ids"][0] = json!(format!("sha256:{}", "ab".repeat(32)))
                });
            }),
            "the image config says sha256:abab",
        ),
        (
            "truncated-gzip",
            Box::new(|d: &Path| {
                let b = std::fs::read(layer_blob(d)).unwrap();
                replace_layer(d, &b[..b.len() * 2 / 3]);
            }),
            "gunzip",
        ),
        (
            "missing-blob",
            Box::new(|d: &Path| std::fs::remove_file(layer_blob(d)).unwrap()),
            "No such file or directory",
        ),
        (
            "unknown-media-type",
            Box::new(|d: &Path| {
                edit_manifest(d, |m| {
                    m["layers"][0]["mediaType"] = json!("application/x-rvol-nonsense")
                })
            }),
            "unknown layer media type \"application/x-rvol-nonsense\"",
        ),
        (
            "magic-mismatch",
            Box::new(|d: &Path| {
                let raw_tar = {
                    let mut dec =
                        flate2::read::GzDecoder::new(std::fs::File::open(layer_blob(d)).unwrap());
                    let mut v = Vec::new();
                    std::io::Read::read_to_end(&mut dec, &mut v).unwrap();
                    v
                };
                replace_layer(d, &Compression::Zstd.compress(&raw_tar));
            }),
            "says gzip but the blob starts as zstd",
        ),
        (
            "wrong-size",
            Box::new(|d: &Path| {
                edit_manifest(d, |m| {
                    m["layers"][0]["size"] = json!(m["layers"][0]["size"].as_u64().unwrap() + 1)
                })
            }),
            "the manifest says",
        ),
    ];
    for (name, spoil, want) in cases {
        let dir = fresh_layout(name, Compression::Gzip);
        spoil(&dir);
        let root = TestRoot::new(&format!("unpack-bad-{name}"));
        let o = unpack(&root, &[&format!("oci:{}:t", dir.display()), "true"]);
        eprintln!("{name}: {}", stderr(&o).trim());
        assert_clean_failure(&root, &o, want);
    }

    // The same checks when the blob went bad inside the store itself: the
    // unpack (not the copy into the store) must catch it.
    for (name, want) in [
        ("store-corrupted", "corrupted"),
        ("store-truncated", "corrupted"),
    ] {
        let dir = fresh_layout(name, Compression::Gzip);
        let root = TestRoot::new(&format!("unpack-bad-{name}"));
        ok(root
            .tool("rvol-unpack")
            .arg(format!("oci:{}:t", dir.display()))
            .arg("true"));
        std::fs::remove_dir_all(root.path().join("layers")).unwrap();
        let blob = root
            .path()
            .join("images/blobs/sha256")
            .join(layer_blob(&dir).file_name().unwrap());
        let mut b = std::fs::read(&blob).unwrap();
        if name == "store-truncated" {
            b.truncate(b.len() / 2);
        } else {
            let n = b.len() / 2;
            b[n] ^= 0x55;
        }
        std::fs::write(&blob, b).unwrap();
        // Tag it in the store so it is run by name.
        let index: Value =
            serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
        let md = index["manifests"][0]["digest"].as_str().unwrap();
        let store = rvol_state::store::Store::at(&root.path().join("images"));
        store
            .tag(
                "spoiled",
                md,
                index["manifests"][0]["size"].as_u64().unwrap(),
            )
            .unwrap();
        let o = unpack(&root, &["spoiled", "true"]);
        eprintln!("{name}: {}", stderr(&o).trim());
        assert_clean_failure(&root, &o, want);
    }

    // Bad references.
    let root = TestRoot::new("unpack-bad-refs");
    for (r, want) in [
        ("Bad//Name", "invalid reference format"),
        ("nosuch", "Unable to find image 'nosuch:latest' locally"),
        ("oci:/nonexistent-rvol-dir", "not an OCI image layout"),
        (
            "docker-archive:/nonexistent-rvol.tar",
            "No such file or directory",
        ),
        ("docker://busybox", "transport docker: not supported"),
    ] {
        let o = unpack(&root, &[r, "true"]);
        assert_clean_failure(&root, &o, want);
    }
}

// ---------------------------------------------------------------- hostile layers

enum Expect {
    Refused(&'static str),
    /// Unpacked, and this holds of the layer dir.
    Contained(Box<dyn Fn(&Path)>),
}

fn no_overlay_xattrs(p: &Path) {
    for k in [
        "trusted.overlay.opaque",
        "trusted.overlay.redirect",
        "trusted.overlay.metacopy",
    ] {
        assert_eq!(hostile::xattr(p, k), None, "{k} on {}", p.display());
    }
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn hostile_layers_are_refused_or_contained() {
    let tmp = TempDir::new("unpack-hostile");
    let canary = tmp.join("canary");
    std::fs::create_dir_all(canary.join("sub")).unwrap();
    std::fs::write(canary.join("secret"), "canary\n").unwrap();
    chmod(&canary.join("secret"), 0o600);
    let c = canary.to_string_lossy().into_owned();
    let c_rel = c.trim_start_matches('/').to_string();
    let before = hostile::tree(&canary, &[]);
    let canary_mode = std::fs::metadata(&canary).unwrap().mode();

    let cases: Vec<(&str, Vec<Raw>, Expect)> = vec![
        (
            "dotdot-file",
            vec![Raw::file("../../escape", b"x")],
            Expect::Refused("escapes the layer"),
        ),
        (
            "dotdot-inner",
            vec![Raw::dir("a"), Raw::file("a/../../escape", b"x")],
            Expect::Refused("escapes the layer"),
        ),
        (
            "absolute-name",
            vec![Raw::file(&format!("{c}/pwned"), b"x")],
            Expect::Contained({
                let c_rel = c_rel.clone();
                Box::new(move |l: &Path| assert!(l.join(&c_rel).join("pwned").is_file()))
            }),
        ),
        (
            "symlink-then-write-through",
            vec![Raw::symlink("evil", &c), Raw::file("evil/pwned", b"x")],
            Expect::Refused("evil"),
        ),
        (
            "symlink-to-dotdot-then-write",
            vec![
                Raw::symlink("up", "../../../../../../../../.."),
                Raw::file(&format!("up/{c_rel}/pwned"), b"x"),
            ],
            Expect::Contained({
                let c_rel = c_rel.clone();
                Box::new(move |l: &Path| {
                    assert!(
                        l.join(&c_rel).join("pwned").is_file(),
                        "written inside the layer"
                    )
                })
            }),
        ),
        (
            "hardlink-dotdot",
            vec![Raw::hardlink("hl", "../../../etc/passwd")],
            Expect::Refused("escapes the layer"),
        ),
        (
            "hardlink-absolute-outside",
            vec![Raw::hardlink("hl", &format!("{c}/secret"))],
            Expect::Refused("is not in the layer"),
        ),
        (
            "hardlink-to-symlink-out",
            vec![
                Raw::symlink("s", &format!("{c}/secret")),
                Raw::hardlink("h", "s"),
            ],
            Expect::Contained(Box::new(|l: &Path| {
                assert!(
                    std::fs::symlink_metadata(l.join("h"))
                        .unwrap()
                        .file_type()
                        .is_symlink(),
                    "the link itself is linked"
                );
            })),
        ),
        (
            "file-over-symlink-out",
            vec![
                Raw::symlink("s", &format!("{c}/secret")),
                Raw::file("s", b"pwned"),
            ],
            Expect::Contained(Box::new(|l: &Path| {
                assert_eq!(std::fs::read(l.join("s")).unwrap(), b"pwned")
            })),
        ),
        (
            "chmod-dir-through-symlink",
            vec![Raw::symlink("d", &c), Raw::dir("d").with_mode(0o777)],
            Expect::Contained(Box::new(|l: &Path| {
                assert!(std::fs::symlink_metadata(l.join("d")).unwrap().is_dir())
            })),
        ),
        (
            "chown-symlink-out",
            vec![{
                let mut s = Raw::symlink("s", &format!("{c}/secret"));
                s.uid = 4242;
                s
            }],
            Expect::Contained(Box::new(|l: &Path| {
                assert_eq!(std::fs::symlink_metadata(l.join("s")).unwrap().uid(), 4242)
            })),
        ),
        (
            "whiteout-empty",
            vec![Raw::file(".wh.", b"")],
            Expect::Refused("names no file"),
        ),
        (
            "whiteout-dot",
            vec![Raw::file("a/.wh..", b"")],
            Expect::Refused("names no file"),
        ),
        (
            "whiteout-dotdot",
            vec![Raw::file("a/.wh...", b"")],
            Expect::Refused("names no file"),
        ),
        (
            "whiteout-escape",
            vec![Raw::file("../.wh.secret", b"")],
            Expect::Refused("escapes the layer"),
        ),
        (
            "whiteout-through-symlink",
            vec![Raw::symlink("w", &c), Raw::file("w/.wh.secret", b"")],
            Expect::Refused("w"),
        ),
        (
            "image-overlay-xattrs",
            vec![
                Raw::dir("o").with_pax("SCHILY.xattr.trusted.overlay.opaque", b"y"),
                Raw::file("r", b"r").with_pax("SCHILY.xattr.trusted.overlay.redirect", b"/etc"),
                Raw::file("m", b"m").with_pax("SCHILY.xattr.trusted.overlay.metacopy", b""),
            ],
            Expect::Contained(Box::new(|l: &Path| {
                no_overlay_xattrs(&l.join("o"));
                no_overlay_xattrs(&l.join("r"));
                no_overlay_xattrs(&l.join("m"));
            })),
        ),
        (
            "gnu-longname-dotdot",
            hostile::long_name("../../../longescape", Raw::file("x", b"x")),
            Expect::Refused("escapes the layer"),
        ),
        (
            "pax-path-dotdot",
            vec![Raw::file("fine", b"x").with_pax("path", b"../../paxescape")],
            Expect::Refused("escapes the layer"),
        ),
        (
            "root-as-file",
            vec![Raw::file("./", b"")],
            Expect::Refused("layer root is not a directory"),
        ),
        (
            "device-dotdot",
            vec![Raw::new(b'3', "../devescape")],
            Expect::Refused("escapes the layer"),
        ),
        (
            "symlink-loop",
            vec![
                Raw::symlink("a", "b"),
                Raw::symlink("b", "a"),
                Raw::file("a/x", b"x"),
            ],
            Expect::Refused("a"),
        ),
    ];
    assert!(cases.len() >= 12);
    for (name, entries, expect) in cases {
        let layout = tmp.join(format!("oci-{name}"));
        let mut img = OciImage::new(vec![hostile::tar(&entries)]);
        img.compression = Compression::None;
        img.write(&layout, "t");
        let root = TestRoot::new(&format!("hostile-{name}"));
        let o = unpack(&root, &[&format!("oci:{}:t", layout.display()), "true"]);
        match expect {
            Expect::Refused(want) => {
                eprintln!("{name}: {}", stderr(&o).trim());
                assert_clean_failure(&root, &o, want);
            }
            Expect::Contained(check) => {
                assert!(o.status.success(), "{name}: {}", stderr(&o));
                let s: Value = serde_json::from_slice(&o.stdout).unwrap();
                check(Path::new(&lower_dirs(&s)[0]));
            }
        }
        assert_eq!(
            hostile::tree(&canary, &[]),
            before,
            "{name}: the canary changed"
        );
        assert_eq!(
            std::fs::metadata(&canary).unwrap().mode(),
            canary_mode,
            "{name}: canary mode"
        );
        assert_eq!(std::fs::read(canary.join("secret")).unwrap(), b"canary\n");
        // Nothing appeared beside the layers or the state root either.
        let mut top: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        top.sort();
        assert!(
            top.iter().all(|n| n == "images" || n == "layers"),
            "{name}: {top:?}"
        );
        for e in std::fs::read_dir(root.path().join("layers")).unwrap() {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            let hex = n.strip_prefix(".lock-").unwrap_or(&n);
            assert!(rvol_tests::is_hex64(hex), "{name}: layers/{n}");
        }
        let mut parent: Vec<String> = std::fs::read_dir(&root.tmp.path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        parent.sort();
        assert_eq!(parent, ["root"], "{name}: beside the state root");
    }
}

// ---------------------------------------------------------------- caching and concurrency

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn second_run_unpacks_nothing_and_parallel_runs_share() {
    let root = TestRoot::new("unpack-twice");
    let layers = three_layers(&root.tmp);
    let dir = root.tmp.join("oci");
    OciImage::new(layers).write(&dir, "t");
    let r = format!("oci:{}:t", dir.display());

    // Several runs at once: one copy of each layer, no temp dir left.
    let kids: Vec<_> = (0..4)
        .map(|_| {
            root.tool("rvol-unpack")
                .arg(&r)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Output> = kids
        .into_iter()
        .map(|k| k.wait_with_output().unwrap())
        .collect();
    for o in &outs {
        assert!(o.status.success(), "{}", stderr(o));
        assert_eq!(o.stdout, outs[0].stdout);
    }
    assert_eq!(layer_dirs(&root).len(), 3);
    assert_eq!(leftovers(&root), Vec::<String>::new());

    let s: Value = serde_json::from_slice(&outs[0].stdout).unwrap();
    let lowers = lower_dirs(&s);
    let stamp = |lowers: &[String]| -> Vec<(u64, i64, i64)> {
        lowers
            .iter()
            .map(|l| {
                let m = std::fs::metadata(l).unwrap();
                (m.ino(), m.ctime(), m.ctime_nsec())
            })
            .collect()
    };
    // A file we put in a layer dir survives: nothing was unpacked again.
    std::fs::write(Path::new(&lowers[0]).join("rvol-marker"), "m").unwrap();
    let before = stamp(&lowers);
    let again = unpack_ok(&root, &[&r]);
    assert_eq!(again, s);
    assert!(Path::new(&lowers[0]).join("rvol-marker").exists());
    assert_eq!(stamp(&lowers), before, "layer dirs untouched");
    std::fs::remove_file(Path::new(&lowers[0]).join("rvol-marker")).unwrap();

    // A killed unpack leaves no layer; the next run sweeps its temp dir.
    let fresh = TestRoot::new("unpack-killed");
    let mut kid = fresh
        .tool("rvol-unpack")
        .arg(&r)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(30));
    let _ = kid.kill();
    let _ = kid.wait();
    for l in layer_dirs(&fresh) {
        // Whatever made it is complete: the same tree as the finished one.
        let done = lowers.iter().find(|d| d.ends_with(&l)).unwrap();
        assert_eq!(
            hostile::tree(&fresh.path().join("layers").join(&l), &[]),
            hostile::tree(Path::new(done), &["rvol-marker"])
        );
    }
    unpack_ok(&fresh, &[&r]);
    assert_eq!(layer_dirs(&fresh).len(), 3);
    assert_eq!(leftovers(&fresh), Vec::<String>::new());
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn whiteouts_hide_only_lower_layers() {
    let root = TestRoot::new("unpack-wh-same");
    let lower = hostile::tar(&[
        Raw::dir("d"),
        Raw::file("d/a", b"a"),
        Raw::file("f", b"lower"),
        Raw::file("g", b"gone"),
    ]);
    // Whiteout and entry of the same name in one layer: the entry stays,
    // and a directory made again hides the lower one's content (opaque).
    let upper = hostile::tar(&[
        Raw::file(".wh.d", b""),
        Raw::dir("d"),
        Raw::file("d/b", b"b"),
        Raw::file("f", b"upper"),
        Raw::file(".wh.f", b""),
        Raw::file(".wh.g", b""),
    ]);
    let dir = root.tmp.join("oci");
    OciImage::new(vec![lower, upper]).write(&dir, "t");
    let s = unpack_ok(&root, &[&format!("oci:{}:t", dir.display()), "true"]);
    let ov = Overlay::mount(&root.tmp, &lower_dirs(&s));
    let t = hostile::tree(&ov.target, &[]);
    let names: Vec<&String> = t.keys().collect();
    assert_eq!(names, ["d", "d/b", "f"], "{t:?}");
    assert_eq!(std::fs::read(ov.target.join("f")).unwrap(), b"upper");
}
