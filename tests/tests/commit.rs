//! rvol-commit: a container's changes as a new image, and the image out of
//! the store for docker and skopeo.
//!
//! Two ways to get a container with changes:
//! - by hand (`hand_container`): a bundle laid out as rvol-mount create
//!   lays it out, and the changes made by a shell chrooted into a real
//!   overlay mount of the image's rootfs with the bundle's upper/work, so the
//!   kernel makes the whiteouts and opaque dirs;
//! - the real chain (rvol-unpack | rvol-mount create, rvol-ns, rvol-mount
//!   apply, rvol-exec), for the issue's end-to-end test.
//!
//! The result is checked in Docker itself: `rvol-commit save` + `docker
//! load`, then `docker export` of a container of it must show the same file
//! tree as the overlay view of the rvol container.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use rvol_tests::docker::DockerObjects;
use rvol_tests::image::{busybox_rootfs, sha256_hex, tar_dir, OciImage, Written};
use rvol_tests::{eventually, fresh, is_hex64, ok, rootless, run, TestRoot};
use serde_json::{json, Value};

/// The name the test image has in the store.
const IMAGE: &str = "bb:latest";

struct Setup {
    root: TestRoot,
    /// The image's rootfs, used as the overlay's lowerdir by hand.
    rootfs: PathBuf,
    image: Written,
}

fn setup(tag: &str) -> Setup {
    let root = TestRoot::new(tag);
    let rootfs = root.tmp.join("rootfs");
    busybox_rootfs(&rootfs);
    // Content that the tests change: a dir to remove, a dir to make opaque.
    std::fs::create_dir_all(rootfs.join("srv/old/deep")).unwrap();
    std::fs::write(rootfs.join("srv/old/deep/f"), "old\n").unwrap();
    std::fs::create_dir_all(rootfs.join("data/keep")).unwrap();
    std::fs::write(rootfs.join("data/keep/a"), "a\n").unwrap();
    std::fs::write(rootfs.join("etc/motd"), "hello\n").unwrap();
    let image = OciImage::new(vec![tar_dir(&rootfs)]).write(&root.path().join("images"), IMAGE);
    root.adopt(&root.path().join("images"));
    // The hand containers' lowerdir, in place of an unpacked layer: the
    // user's in a replay, as rvol-unpack's are.
    root.adopt(&rootfs);
    Setup {
        root,
        rootfs,
        image,
    }
}

/// A container bundle as rvol-mount create makes it, with the image
/// record and the container's Config that rvol-unpack annotates.
fn hand_container(s: &Setup, name: &str, cmd: &[&str]) -> PathBuf {
    let id = format!("{:0>64}", sha256_hex(name.as_bytes()));
    let bundle = s.root.path().join("containers").join(&id);
    for d in ["upper", "work", "rootfs"] {
        std::fs::create_dir_all(bundle.join(d)).unwrap();
    }
    let rec = json!({
        "Reference": IMAGE, "Name": IMAGE, "Id": s.image.config_digest,
        "ManifestDigest": s.image.manifest_digest, "DiffIds": s.image.diff_ids,
        "LowerDirs": [s.rootfs],
    });
    let config = json!({
        "Hostname": &id[..12], "Domainname": "", "User": "",
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "Cmd": cmd, "Image": IMAGE, "Volumes": null, "WorkingDir": "",
        "Entrypoint": null, "Labels": {},
    });
    let spec = json!({
        "ociVersion": "1.0.2",
        "root": {"path": bundle.join("rootfs")},
        "process": {"args": cmd, "cwd": "/"},
        "annotations": {
            "org.rvol.image": rec.to_string(),
            "org.rvol.config": config.to_string(),
            "org.rvol.id": id,
            "org.rvol.name": name,
        },
    });
    std::fs::write(bundle.join("config.json"), spec.to_string()).unwrap();
    write_state(&bundle, false, 0);
    let names = s.root.path().join("names");
    std::fs::create_dir_all(&names).unwrap();
    std::os::unix::fs::symlink(&id, names.join(name)).unwrap();
    s.root.adopt(&bundle);
    s.root.adopt(&names);
    bundle
}

fn write_state(bundle: &Path, running: bool, pid: i32) {
    let state = json!({
        "Status": if running { "running" } else { "exited" }, "Running": running,
        "Paused": false, "Restarting": false, "OOMKilled": false, "Dead": false,
        "Pid": pid, "ExitCode": 0, "Error": "",
        "StartedAt": "0001-01-01T00:00:00Z", "FinishedAt": "0001-01-01T00:00:00Z",
    });
    std::fs::write(bundle.join("state.json"), state.to_string()).unwrap();
}

/// The overlay options of the container's root: in a replay with
/// `userxattr`, as rootless rvol mounts it (its opaque marks are
/// `user.overlay.*`: rvol_state::rootless).
fn overlay_options(s: &Setup, bundle: &Path) -> String {
    format!(
        "{}lowerdir={},upperdir={},workdir={}",
        if rootless::replay() { "userxattr," } else { "" },
        s.rootfs.display(),
        bundle.join("upper").display(),
        bundle.join("work").display()
    )
}

/// The container's root as an overlay mount at `bundle/rootfs`.
fn mount_overlay(s: &Setup, bundle: &Path) {
    let opts = overlay_options(s, bundle);
    ok(Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o", &opts])
        .arg(bundle.join("rootfs")));
}

fn umount(bundle: &Path) {
    ok(Command::new("umount").arg(bundle.join("rootfs")));
}

/// Run a busybox shell script chrooted in the container's overlay root.
/// In a replay the user does it, in a user namespace of rvol's map (as a
/// rootless container writes its upper: owners mapped, opaque marks in
/// `user.overlay.*`).
fn in_container(s: &Setup, bundle: &Path, script: &str) {
    if rootless::replay() {
        let u = rootless::user();
        let (start, count) = u.subids.expect("the replay's user has a range");
        let range = format!("{start},1,{count}");
        let mut c = Command::new("unshare");
        c.args(["--map-root-user", "--mount"])
            .arg(format!("--map-users={range}"))
            .arg(format!("--map-groups={range}"))
            .args([
                "sh",
                "-c",
                r#"mount -t overlay overlay -o "$1" "$2" && exec chroot "$2" /bin/sh -c "$3""#,
                "sh",
            ])
            .arg(overlay_options(s, bundle))
            .arg(bundle.join("rootfs"))
            .arg(script);
        u.command(&mut c);
        let o = run(&mut c);
        assert!(
            o.status.success(),
            "script failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        return;
    }
    mount_overlay(s, bundle);
    let o = run(Command::new("chroot")
        .arg(bundle.join("rootfs"))
        .args(["/bin/sh", "-c", script]));
    let tree_ok = o.status.success();
    umount(bundle);
    assert!(
        tree_ok,
        "script failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Adds, changes, deletes files, removes a directory, replaces one
/// (opaque), hard links, symlinks, an owner and a mode change, a fifo.
const CHANGES: &str = r#"
set -e
echo added > /added
echo changed >> /etc/motd
rm /etc/group
rm -rf /srv/old
rm -rf /data && mkdir -p /data/new && echo n > /data/new/n
ln /added /added.link
ln -s ../added /usr/added.sym
mkdir -p /opt/app && echo app > /opt/app/run && chmod 4751 /opt/app/run && chown 1000:100 /opt/app/run
mkfifo /opt/app/fifo
touch -d '2001-02-03 04:05:06' /opt/app/run
"#;

fn commit(root: &TestRoot, args: &[&str]) -> String {
    let out = ok(root.tool("rvol-commit").args(args));
    let id = out.trim().to_string();
    assert!(
        id.starts_with("sha256:") && id.len() == 71,
        "rvol-commit printed {out:?}"
    );
    id
}

/// The store's manifest for a name, as JSON.
fn manifest_of(root: &TestRoot, name: &str) -> Value {
    let images = root.path().join("images");
    let index: Value =
        serde_json::from_slice(&std::fs::read(images.join("index.json")).unwrap()).unwrap();
    let d = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {index}"))["digest"]
        .as_str()
        .unwrap()
        .to_string();
    blob_json(root, &d)
}

fn blob_json(root: &TestRoot, digest: &str) -> Value {
    let p = root
        .path()
        .join("images/blobs/sha256")
        .join(digest.strip_prefix("sha256:").unwrap());
    let bytes = std::fs::read(&p).unwrap();
    assert_eq!(
        format!("sha256:{}", sha256_hex(&bytes)),
        digest,
        "blob digest"
    );
    serde_json::from_slice(&bytes).unwrap()
}

fn blob_bytes(root: &TestRoot, digest: &str) -> Vec<u8> {
    std::fs::read(
        root.path()
            .join("images/blobs/sha256")
            .join(digest.strip_prefix("sha256:").unwrap()),
    )
    .unwrap()
}

/// Names in a (gzip or zstd) layer blob, in order.
fn layer_names(blob: &[u8]) -> Vec<String> {
    let raw = decompress(blob);
    let mut a = tar::Archive::new(&raw[..]);
    a.entries()
        .unwrap()
        .map(|e| String::from_utf8_lossy(&e.unwrap().path_bytes()).into_owned())
        .collect()
}

fn decompress(blob: &[u8]) -> Vec<u8> {
    let mut raw = Vec::new();
    if blob.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(blob)
            .read_to_end(&mut raw)
            .unwrap();
    } else if blob.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        raw = zstd::decode_all(blob).unwrap();
    } else {
        raw = blob.to_vec();
    }
    raw
}

/// Paths docker or the runtime put in every container, not image content.
fn runtime_path(p: &str) -> bool {
    let top = p.split('/').next().unwrap_or("");
    matches!(top, "dev" | "proc" | "sys" | ".dockerenv")
        || matches!(
            p,
            "etc/hostname" | "etc/hosts" | "etc/resolv.conf" | "etc/mtab"
        )
}

/// path -> "kind mode uid:gid [size sha | -> target] [mtime]".
type Tree = BTreeMap<String, String>;

fn tree_of_dir(dir: &Path) -> Tree {
    fn walk(base: &Path, rel: &str, out: &mut Tree) {
        let mut names: Vec<_> = std::fs::read_dir(base.join(rel))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for n in names {
            let r = if rel.is_empty() {
                n
            } else {
                format!("{rel}/{n}")
            };
            if runtime_path(&r) {
                continue;
            }
            let p = base.join(&r);
            let md = std::fs::symlink_metadata(&p).unwrap();
            let perm = md.mode() & 0o7777;
            // The owners the container sees (a replay's are mapped).
            let (uid, gid) = rootless::seen_inside(md.uid(), md.gid());
            let own = format!("{uid}:{gid}");
            let ft = md.file_type();
            let desc = if ft.is_dir() {
                format!("dir {perm:o} {own}")
            } else if ft.is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                format!("sym {perm:o} {own} -> {} {}", t.display(), md.mtime())
            } else if ft.is_file() {
                let data = std::fs::read(&p).unwrap();
                format!(
                    "file {perm:o} {own} {} {} {}",
                    data.len(),
                    sha256_hex(&data),
                    md.mtime()
                )
            } else {
                format!("other {perm:o} {own} {}", md.mtime())
            };
            out.insert(r.clone(), desc);
            if ft.is_dir() {
                walk(base, &r, out);
            }
        }
    }
    let mut t = Tree::new();
    walk(dir, "", &mut t);
    t
}

fn tree_of_tar(raw: &[u8]) -> Tree {
    let mut t = Tree::new();
    let mut a = tar::Archive::new(raw);
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let name = name
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        if name.is_empty() || runtime_path(&name) {
            continue;
        }
        let h = e.header().clone();
        let perm = h.mode().unwrap() & 0o7777;
        let own = format!("{}:{}", h.uid().unwrap(), h.gid().unwrap());
        let mtime = h.mtime().unwrap();
        let desc = match h.entry_type() {
            tar::EntryType::Directory => format!("dir {perm:o} {own}"),
            tar::EntryType::Symlink => format!(
                "sym {perm:o} {own} -> {} {mtime}",
                String::from_utf8_lossy(&e.link_name_bytes().unwrap())
            ),
            tar::EntryType::Regular => {
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                format!(
                    "file {perm:o} {own} {} {} {mtime}",
                    data.len(),
                    sha256_hex(&data),
                )
            }
            tar::EntryType::Link => {
                let target = String::from_utf8_lossy(&e.link_name_bytes().unwrap())
                    .trim_start_matches("./")
                    .to_string();
                t.get(&target)
                    .unwrap_or_else(|| panic!("hard link {name} -> {target} before its target"))
                    .clone()
            }
            _ => format!("other {perm:o} {own} {mtime}"),
        };
        t.insert(name, desc);
    }
    t
}

fn diff_trees(a: &Tree, b: &Tree) -> String {
    let mut out = String::new();
    for (k, v) in a {
        match b.get(k) {
            None => out.push_str(&format!("- {k}: {v}\n")),
            Some(w) if w != v => out.push_str(&format!("~ {k}: {v}  !=  {w}\n")),
            _ => {}
        }
    }
    for (k, v) in b {
        if !a.contains_key(k) {
            out.push_str(&format!("+ {k}: {v}\n"));
        }
    }
    out
}

/// The container's view (image + upper) as a tree, through a fresh overlay.
fn rvol_tree(s: &Setup, bundle: &Path) -> Tree {
    mount_overlay(s, bundle);
    let t = tree_of_dir(&bundle.join("rootfs"));
    umount(bundle);
    t
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn commit_then_docker_loads_runs_and_inspects_it() {
    let s = setup("commit-docker");
    let bundle = hand_container(&s, "c1", &["sh", "-c", "make changes"]);
    in_container(&s, &bundle, CHANGES);
    let expected = rvol_tree(&s, &bundle);
    assert!(expected.contains_key("added") && !expected.contains_key("etc/group"));

    let name = fresh("commit-b");
    let tagged = format!("{name}:v1");
    let mut cleanup = DockerObjects::new();
    cleanup.images.push(tagged.clone());
    let id = commit(
        &s.root,
        &[
            "--change",
            "VOLUME /opt/xxx",
            "--change",
            r#"CMD ["/bin/sh"]"#,
            "-m",
            "the message",
            "-a",
            "Some One <one@example.com>",
            "c1",
            &tagged,
        ],
    );

    // The layer holds the whiteouts docker's overlay2 driver would write.
    let m = manifest_of(&s.root, &tagged);
    let layers = m["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2, "{m}");
    assert_eq!(layers[0]["digest"], json!(s.image.layer_digests[0]));
    let names = layer_names(&blob_bytes(&s.root, layers[1]["digest"].as_str().unwrap()));
    for want in [
        "etc/.wh.group",
        "srv/.wh.old",
        "data/",
        "data/.wh..wh..opq",
        "data/new/n",
        "added",
        "added.link",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.starts_with("data/keep")),
        "{names:?}"
    );
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "entries in byte order");

    // The config: parent + history + diff_id + the changes.
    let config = blob_json(&s.root, m["config"]["digest"].as_str().unwrap());
    assert_eq!(m["config"]["digest"], json!(id));
    assert_eq!(config["config"]["Volumes"], json!({"/opt/xxx": {}}));
    assert_eq!(config["config"]["Cmd"], json!(["/bin/sh"]));
    assert_eq!(config["author"], json!("Some One <one@example.com>"));
    let hist = config["history"].as_array().unwrap();
    assert_eq!(hist.len(), 2);
    assert_eq!(hist[1]["comment"], json!("the message"));
    assert_eq!(hist[1]["created_by"], json!("sh -c make changes"));
    assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);

    // (b) docker load of `rvol-commit save`, then docker's file tree.
    let archive = s.root.tmp.join("saved.tar");
    ok(s.root
        .tool("rvol-commit")
        .args(["save", "-o"])
        .arg(&archive)
        .arg(&tagged));
    let loaded = ok(Command::new("docker").arg("load").arg("-i").arg(&archive));
    assert!(loaded.contains(&tagged), "{loaded}");
    // Docker computes the same image id from the same config.
    let docker_id = ok(Command::new("docker").args(["inspect", "-f", "{{.Id}}", &tagged]));
    assert_eq!(docker_id.trim(), id);

    // (c) docker inspect shows the VOLUME and the CMD.
    let inspect = ok(Command::new("docker").args([
        "inspect",
        "-f",
        "{{json .Config.Volumes}} {{json .Config.Cmd}}",
        &tagged,
    ]));
    assert_eq!(inspect.trim(), r#"{"/opt/xxx":{}} ["/bin/sh"]"#);

    let cname = fresh("commit-b-run");
    cleanup.containers.push(cname.clone());
    let out = ok(Command::new("docker").args([
        "run",
        "--name",
        &cname,
        "--network",
        "none",
        &tagged,
        "sh",
        "-c",
        "cat /added /etc/motd; ls /etc/group /srv/old 2>&1; grep -c ' /opt/xxx ' /proc/mounts",
    ]));
    assert!(out.contains("added\nhello\nchanged\n"), "{out}");
    assert!(out.contains("No such file"), "{out}");
    assert!(
        out.trim_end().ends_with('1'),
        "VOLUME /opt/xxx mounted: {out}"
    );
    let export = run(Command::new("docker").args(["export", &cname]));
    assert!(export.status.success());
    let mut docker_tree = tree_of_tar(&export.stdout);
    // Docker made the VOLUME's mount point; rvol's bundle had none.
    assert!(docker_tree.remove("opt/xxx").is_some());
    let d = diff_trees(&expected, &docker_tree);
    assert!(d.is_empty(), "rvol vs docker export:\n{d}");
    drop(cleanup);
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn same_container_twice_gives_same_layer_digest() {
    let s = setup("commit-twice");
    let bundle = hand_container(&s, "twice", &["sh"]);
    in_container(&s, &bundle, CHANGES);
    for compress in ["gzip", "zstd"] {
        let a = commit(&s.root, &["--compress", compress, "twice", "twice:a"]);
        let b = commit(&s.root, &["--compress", compress, "twice", "twice:b"]);
        // Different configs (the time of the commit), one layer.
        assert_ne!(a, b);
        let la = manifest_of(&s.root, "twice:a")["layers"][1].clone();
        let lb = manifest_of(&s.root, "twice:b")["layers"][1].clone();
        assert_eq!(la, lb, "{compress}");
        let ca = blob_json(&s.root, &a);
        let cb = blob_json(&s.root, &b);
        assert_eq!(ca["rootfs"], cb["rootfs"]);
        let media = la["mediaType"].as_str().unwrap();
        assert!(media.ends_with(compress), "{media}");
    }
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn oci_export_is_taken_by_skopeo_and_docker() {
    let s = setup("commit-oci");
    let bundle = hand_container(&s, "oci1", &["sh"]);
    in_container(&s, &bundle, CHANGES);
    let name = fresh("commit-oci");
    commit(&s.root, &["oci1", "exp:1"]);
    let dir = s.root.tmp.join("layout");
    ok(s.root
        .tool("rvol-commit")
        .args(["save"])
        .arg("-o")
        .arg(format!("oci:{}:t1", dir.display()))
        .arg("exp:1"));
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    assert_eq!(
        index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        json!("t1")
    );
    // skopeo reads it (and checks every digest), docker runs the result.
    let archive = s.root.tmp.join("sk.tar");
    let tagged = format!("{name}:sk");
    let tagged_z = format!("{name}:zstd");
    commit(&s.root, &["--compress", "zstd", "oci1", &tagged_z]);
    let mut cleanup = DockerObjects::new();
    cleanup.images.extend([tagged.clone(), tagged_z.clone()]);
    ok(Command::new("skopeo")
        .arg("copy")
        .arg(format!("oci:{}:t1", dir.display()))
        .arg(format!("docker-archive:{}:{tagged}", archive.display())));
    ok(Command::new("docker").arg("load").arg("-i").arg(&archive));
    let out = ok(Command::new("docker").args([
        "run",
        "--rm",
        "--network",
        "none",
        &tagged,
        "cat",
        "/added",
        "/data/new/n",
    ]));
    assert_eq!(out, "added\nn\n");

    // zstd layers: skopeo takes the layout (to another layout: it refuses
    // zstd in any docker format); our docker-archive has them as plain tar.
    ok(s.root
        .tool("rvol-commit")
        .args(["save"])
        .arg("-o")
        .arg(format!("oci:{}:z", dir.display()))
        .arg(&tagged_z));
    ok(Command::new("skopeo")
        .arg("copy")
        .arg(format!("oci:{}:z", dir.display()))
        .arg(format!("oci:{}:z", s.root.tmp.join("copy").display())));
    let zarchive = s.root.tmp.join("z.tar");
    ok(s.root
        .tool("rvol-commit")
        .args(["save", "-o"])
        .arg(&zarchive)
        .arg(&tagged_z));
    ok(Command::new("docker").arg("load").arg("-i").arg(&zarchive));
    let out = ok(Command::new("docker").args([
        "run",
        "--rm",
        "--network",
        "none",
        &tagged_z,
        "cat",
        "/added",
    ]));
    assert_eq!(out, "added\n");

    // --format oci -o DIR: the tag part of the name.
    let dir2 = s.root.tmp.join("layout2");
    ok(s.root
        .tool("rvol-commit")
        .args(["save", "--format", "oci", "-o"])
        .arg(&dir2)
        .arg("exp:1"));
    let out = ok(Command::new("skopeo")
        .arg("inspect")
        .arg(format!("oci:{}:1", dir2.display())));
    assert!(out.contains("\"Layers\""), "{out}");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn bad_input_is_refused_and_leaves_nothing() {
    let s = setup("commit-bad");
    let bundle = hand_container(&s, "bad", &["sh"]);
    in_container(&s, &bundle, "echo x > /x");
    let blobs = s.root.path().join("images/blobs/sha256");
    let count = || std::fs::read_dir(&blobs).unwrap().count();
    let before = count();
    let index_before = std::fs::read(s.root.path().join("images/index.json")).unwrap();
    for (args, want) in [
        (vec!["nosuch"], "No such container: nosuch"),
        (
            vec!["-c", "RUN ls", "bad"],
            "run is not a valid change command",
        ),
        (vec!["-c", "EXPOSE x", "bad"], "Invalid containerPort: x"),
        (vec!["bad", "Bad:Name"], "invalid reference format"),
        (vec![], "requires at least 1"),
    ] {
        let o = run(s.root.tool("rvol-commit").args(&args));
        assert_eq!(o.status.code(), Some(125), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.starts_with("rvol-commit: "), "{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    assert_eq!(count(), before, "no blob written");
    assert_eq!(
        std::fs::read(s.root.path().join("images/index.json")).unwrap(),
        index_before
    );
    let o = run(s
        .root
        .tool("rvol-commit")
        .args(["save", "-o"])
        .arg(s.root.tmp.join("x.tar"))
        .arg("nosuch:1"));
    assert_eq!(o.status.code(), Some(125));
    assert!(!s.root.tmp.join("x.tar").exists());
    // An untagged commit is still reachable by its id.
    let id = commit(&s.root, &["bad"]);
    ok(s.root
        .tool("rvol-commit")
        .args(["save", "-o"])
        .arg(s.root.tmp.join("byid.tar"))
        .arg(&id));
}

/// rvol-unpack IMAGE CMD | rvol-mount create [flags], then rvol-ns --
/// rvol-mount apply -- rvol-exec: the chain scripts/rvol-run runs. Returns
/// the bundle and the container's output.
fn run_chain(root: &TestRoot, image: &str, flags: &[&str], cmd: &[&str]) -> (PathBuf, String) {
    let (bundle, o) = run_chain_raw(root, image, flags, cmd);
    assert!(
        o.status.success(),
        "container {cmd:?} failed ({}): {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    (bundle, String::from_utf8_lossy(&o.stdout).into_owned())
}

fn create_chain(root: &TestRoot, image: &str, flags: &[&str], cmd: &[&str]) -> PathBuf {
    root.create_ok(&root.spec(image, cmd), flags)
}

fn run_chain_raw(
    root: &TestRoot,
    image: &str,
    flags: &[&str],
    cmd: &[&str],
) -> (PathBuf, std::process::Output) {
    let bundle = create_chain(root, image, flags, cmd);
    let o = run(&mut root.chain(&bundle, &[]));
    (bundle, o)
}

/// Done-when (b): the committed image, saved and loaded into Docker, shows
/// in `docker export` the same file tree as a run of it under rvol (read
/// from inside the rvol container with tar).
#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn chain_commit_matches_between_rvol_and_docker() {
    // A short tag: rvol-mount passes all lowerdirs in one fsconfig string,
    // which the kernel caps at 256 bytes (reported).
    let s = setup("cm-dk");
    run_chain(&s.root, IMAGE, &["--name", "c1"], &["sh", "-c", CHANGES]);
    let name = fresh("commit-chain");
    let tagged = format!("{name}:v1");
    let mut cleanup = DockerObjects::new();
    cleanup.images.push(tagged.clone());
    let id = commit(
        &s.root,
        &[
            "-c",
            "VOLUME /opt/xxx",
            "-c",
            r#"CMD ["/bin/sh"]"#,
            "c1",
            &tagged,
        ],
    );
    let tar_root = "cd / && exec tar cf - $(ls -A / | grep -vxE 'proc|sys|dev')";
    let (_, o) = run_chain_raw(&s.root, &tagged, &[], &["sh", "-c", tar_root]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rvol_tree = tree_of_tar(&o.stdout);
    assert!(rvol_tree.contains_key("added") && rvol_tree.contains_key("opt/xxx"));
    assert!(!rvol_tree.contains_key("etc/group") && !rvol_tree.contains_key("srv/old"));

    let archive = s.root.tmp.join("saved.tar");
    ok(s.root
        .tool("rvol-commit")
        .args(["save", "-o"])
        .arg(&archive)
        .arg(&tagged));
    ok(Command::new("docker").arg("load").arg("-i").arg(&archive));
    let docker_id = ok(Command::new("docker").args(["inspect", "-f", "{{.Id}}", &tagged]));
    assert_eq!(docker_id.trim(), id);
    let inspect = ok(Command::new("docker").args([
        "inspect",
        "-f",
        "{{json .Config.Volumes}} {{json .Config.Cmd}}",
        &tagged,
    ]));
    assert_eq!(inspect.trim(), r#"{"/opt/xxx":{}} ["/bin/sh"]"#);
    let cname = fresh("commit-chain-run");
    cleanup.containers.push(cname.clone());
    let out = ok(Command::new("docker").args([
        "run",
        "--name",
        &cname,
        "--network",
        "none",
        &tagged,
        "cat",
        "/added",
    ]));
    assert_eq!(out, "added\n");
    let export = run(Command::new("docker").args(["export", &cname]));
    assert!(export.status.success());
    let docker_tree = tree_of_tar(&export.stdout);
    let d = diff_trees(&rvol_tree, &docker_tree);
    assert!(d.is_empty(), "rvol run vs docker export:\n{d}");
    drop(cleanup);
}

/// The issue's test: a container run by the real chain adds, changes and
/// deletes files, removes a directory and writes into a volume; committed
/// with VOLUME and CMD, a run of the new image shows the changes, a fresh
/// anonymous volume at /opt/xxx, and not the volume's files.
#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn chain_run_commit_run_shows_changes_and_volume() {
    let s = setup("commit-chain");
    let script = format!("{CHANGES}\necho in-volume > /vol/file\n");
    let (bundle, _) = run_chain(
        &s.root,
        IMAGE,
        &["--name", "c1", "-v", "keep:/vol"],
        &["sh", "-c", &script],
    );
    assert!(bundle.join("upper/added").exists());
    commit(
        &s.root,
        &[
            "--change",
            "VOLUME /opt/xxx",
            "--change",
            r#"CMD ["/bin/sh"]"#,
            "c1",
            "bb:committed",
        ],
    );
    // The volume's file is in the volume, not in the image; a named
    // volume is no VOLUME of the image (docker: only `-v /p` ones are).
    let m = manifest_of(&s.root, "bb:committed");
    let config = blob_json(&s.root, m["config"]["digest"].as_str().unwrap());
    assert_eq!(config["config"]["Volumes"], json!({"/opt/xxx": {}}));
    let names = layer_names(&blob_bytes(
        &s.root,
        m["layers"][1]["digest"].as_str().unwrap(),
    ));
    assert!(names.iter().any(|n| n == "added"), "{names:?}");
    assert!(!names.iter().any(|n| n == "vol/file"), "{names:?}");
    assert_eq!(
        std::fs::read_to_string(s.root.path().join("volumes/keep/_data/file")).unwrap(),
        "in-volume\n"
    );

    let (bundle2, out) = run_chain(
        &s.root,
        "bb:committed",
        &["--name", "c2"],
        &[
            "sh",
            "-c",
            "cat /added /added.link /etc/motd; ls /etc/group /srv/old /data/keep 2>&1 | wc -l; \
             ls /data/new; ls -A /vol; grep -c ' /opt/xxx ' /proc/mounts",
        ],
    );
    assert_eq!(
        out, "added\nadded\nhello\nchanged\n3\nn\n1\n",
        "run of the committed image"
    );
    let spec: Value =
        serde_json::from_slice(&std::fs::read(bundle2.join("config.json")).unwrap()).unwrap();
    let mounts: Value =
        serde_json::from_str(spec["annotations"]["org.rvol.mounts"].as_str().unwrap()).unwrap();
    let vol = mounts
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Destination"] == "/opt/xxx")
        .unwrap_or_else(|| panic!("no mount at /opt/xxx: {mounts}"));
    let name = vol["Name"].as_str().unwrap();
    assert!(is_hex64(name), "anonymous volume: {vol}");
    assert_eq!(vol["Type"], "volume");
}

/// A container running under the real chain is committed while it writes:
/// its processes are stopped for the commit (SIGSTOP on its pid
/// namespace), the layer holds a consistent state, and it runs on after.
#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn chain_running_container_is_paused_for_the_commit() {
    paused_commit("cm-run", &[], "");
}

/// The same for a container of a user who is not root (`-u 1000`, writing
/// in /tmp): rootless, its processes have a uid that is not ours, which
/// only the container's own user namespace may stop.
#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn chain_running_container_of_a_user_is_paused_for_the_commit() {
    paused_commit("cm-run-u", &["-u", "1000"], "tmp/");
}

/// A busy container run with rvol-unpack's `user` flags, writing in `dir`
/// (`""` for /, else `"tmp/"`), committed three times while it runs.
fn paused_commit(tag: &str, user: &[&str], dir: &str) {
    let s = setup(tag);
    // Two files replaced in turn (write + rename) with the same counter: a
    // snapshot taken between syscalls has them equal or `a` one ahead. The
    // 16 MB in m/, read between `a` and `z`, give an unpaused commit time
    // to see them apart.
    let script = format!(
        "cd /{dir} && mkdir m; for n in $(seq 16); do dd if=/dev/urandom of=m/$n bs=1M count=1 2>/dev/null; done; \
         i=0; while :; do i=$((i+1)); echo $i > t; mv t a; echo $i > t; mv t z; done"
    );
    let spec = ok(s
        .root
        .tool("rvol-unpack")
        .args(user)
        .args([IMAGE, "sh", "-c", &script]));
    let bundle = s.root.create_ok(spec.as_bytes(), &["--name", "busy"]);
    let mut child = s
        .root
        .chain(&bundle, &[])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let state_of = || -> Value {
        serde_json::from_slice(&std::fs::read(bundle.join("state.json")).unwrap()).unwrap()
    };
    let upper_z = bundle.join("upper").join(dir).join("z");
    let mut pid = 0;
    eventually(5.0, || {
        let st = state_of();
        let up = st["Running"] == json!(true) && upper_z.exists();
        if up {
            pid = st["Pid"].as_i64().unwrap();
        }
        up
    });
    let r = std::panic::catch_unwind(|| {
        assert!(pid > 0, "container never ran: {}", state_of());
        for n in 0..3 {
            let tag = format!("busy:{n}");
            commit(&s.root, &["--compress", "none", "busy", &tag]);
            let m = manifest_of(&s.root, &tag);
            let raw = decompress(&blob_bytes(
                &s.root,
                m["layers"][1]["digest"].as_str().unwrap(),
            ));
            let t = tree_of_files(&raw);
            let a: u64 = t[&format!("{dir}a")].trim().parse().unwrap();
            let z: u64 = t[&format!("{dir}z")].trim().parse().unwrap();
            assert!(a == z || a == z + 1, "inconsistent snapshot a={a} z={z}");
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let st = stat
            .rsplit(')')
            .next()
            .unwrap()
            .trim()
            .chars()
            .next()
            .unwrap();
        assert_ne!(st, 'T', "still stopped after the commit");
        // It runs on: the counter moves. Within 5 s, not a fixed 200 ms:
        // each turn makes an inode, and on this kind of VM's ext4 a busy
        // disk can hold inode allocation up for longer than that (seen in
        // a CI run under load: the same value 200 ms apart).
        let before = std::fs::read_to_string(&upper_z).unwrap();
        let moved = eventually(5.0, || {
            std::fs::read_to_string(&upper_z).is_ok_and(|now| now != before)
        });
        assert!(moved, "the container runs on: /{dir}z stays {before:?}");
    });
    let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    let _ = child.wait();
    r.unwrap();
}

/// Regular files' contents in a plain layer tar, by name.
fn tree_of_files(raw: &[u8]) -> BTreeMap<String, String> {
    let mut a = tar::Archive::new(raw);
    let mut out = BTreeMap::new();
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if e.header().entry_type() == tar::EntryType::Regular {
            let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            out.insert(name, String::from_utf8_lossy(&data).into_owned());
        }
    }
    out
}

/// A container that changed nothing, run through the real chain: its layer
/// is empty (the /etc files rvol bound over are mount points, not changes,
/// as in docker's init layer), and committing it twice gives one digest.
#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn chain_unchanged_container_gives_empty_layer_twice() {
    let s = setup("cm-idle");
    let (bundle, _) = run_chain(&s.root, IMAGE, &["--name", "idle"], &["true"]);
    // The /etc mount points (the image has none) come from the shared init
    // layer, as docker's from its init layer: nothing of them in upper/.
    assert!(!bundle.join("upper/etc/hostname").exists());
    commit(&s.root, &["idle", "idle:1"]);
    commit(&s.root, &["idle", "idle:2"]);
    let l1 = manifest_of(&s.root, "idle:1")["layers"][1].clone();
    let l2 = manifest_of(&s.root, "idle:2")["layers"][1].clone();
    assert_eq!(l1, l2);
    let names = layer_names(&blob_bytes(&s.root, l1["digest"].as_str().unwrap()));
    assert!(names.is_empty(), "{names:?}");
}

/// `--change` as docker applies it: the same image (saved by rvol, loaded
/// into docker), a container of it on each side, committed with the same
/// instructions; the resulting Config fields must be docker's.
#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn change_instructions_match_docker() {
    let s = setup("cm-chg");
    let name = fresh("commit-chg");
    let base = format!("{name}:base");
    let mut cleanup = DockerObjects::new();
    cleanup.images.push(base.clone());
    // The test image under a docker-unique name in the rvol store too, so
    // that nothing of another name is loaded into docker.
    OciImage::new(vec![tar_dir(&s.rootfs)]).write(&s.root.path().join("images"), &base);
    s.root.adopt(&s.root.path().join("images"));
    let archive = s.root.tmp.join("base.tar");
    ok(s.root
        .tool("rvol-commit")
        .args(["save", "-o"])
        .arg(&archive)
        .arg(&base));
    ok(Command::new("docker").arg("load").arg("-i").arg(&archive));
    let cname = fresh("commit-chg-c");
    cleanup.containers.push(cname.clone());
    ok(Command::new("docker").args(["run", "--name", &cname, "--network", "none", &base, "true"]));
    run_chain(&s.root, IMAGE, &["--name", "chg"], &["true"]);

    let sets: [&[&str]; 3] = [
        &[
            r#"ENV A=1 B="two words" C=$A"#,
            "ENV D legacy value",
            r#"LABEL "com.x"=y z='a b'"#,
            "EXPOSE 80 53/udp 8000-8001",
            "USER 1000:100",
            "WORKDIR /w",
            "WORKDIR sub/../x",
            "VOLUME /v1 /v2",
            r#"VOLUME ["/v3"]"#,
            r#"ENTRYPOINT ["/bin/sh", "-c"]"#,
            "CMD echo hi",
        ],
        &[r#"CMD ["a"]"#, "ENTRYPOINT top"],
        &["ENTRYPOINT top", "ENV P=${PATH}:/x", "USER $P"],
    ];
    for (n, set) in sets.iter().enumerate() {
        let mut dargs = vec!["commit".to_string()];
        let mut rargs = Vec::new();
        for c in set.iter() {
            dargs.extend(["-c".to_string(), c.to_string()]);
            rargs.extend(["-c", c]);
        }
        let dtag = format!("{name}:d{n}");
        cleanup.images.push(dtag.clone());
        dargs.extend([cname.clone(), dtag.clone()]);
        ok(Command::new("docker").args(&dargs));
        let rtag = format!("chg:r{n}");
        rargs.extend(["chg", &rtag]);
        let id = commit(&s.root, &rargs);
        let ours = blob_json(&s.root, &id)["config"].clone();
        let theirs: Value = serde_json::from_str(&ok(Command::new("docker").args([
            "inspect",
            "-f",
            "{{json .Config}}",
            &dtag,
        ])))
        .unwrap();
        for k in [
            "Cmd",
            "Entrypoint",
            "Env",
            "ExposedPorts",
            "Labels",
            "User",
            "Volumes",
            "WorkingDir",
        ] {
            let norm = |v: &Value| match v {
                Value::Object(m) if m.is_empty() => Value::Null,
                Value::String(s) if s.is_empty() => Value::Null,
                v => v.clone(),
            };
            assert_eq!(
                norm(&ours[k]),
                norm(&theirs[k]),
                "set {n}, {k}: rvol {ours} docker {theirs}"
            );
        }
    }
    drop(cleanup);
}
