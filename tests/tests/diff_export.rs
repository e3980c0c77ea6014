//! `rvol diff` and `rvol export` against docker's, on an image with
//! files the container deletes, a directory it replaces (an opaque
//! directory in the upper dir), a volume and a bind: the same A/C/D lines
//! (as sets: docker's order is Go's map order, different at each run) and
//! the same tar tree, the image's files under a volume, never its content.

use std::collections::BTreeSet;
use std::process::Command;

use rvol_tests::docker::{docker_ok, DockerObjects};
use rvol_tests::image::{busybox_rootfs, tar_dir};
use rvol_tests::{fresh, text, TestRoot};

/// What the container does: deletions (a file, a tree), a replaced
/// directory, a new file, a touched one, a write into its volume, a new
/// mount point (the bind's).
const SCRIPT: &str = "rm -rf /srv/old /etc/gone; echo new > /etc/new; rm -rf /opq; \
    mkdir -p /opq/fresh; echo z > /opq/z; echo v > /data/vfile; touch /etc/passwd";

/// docker's init layer, which rvol has no counterpart of.
const DOCKER_INIT: [&str; 5] = [
    ".dockerenv",
    "dev/console",
    "dev/pts",
    "dev/shm",
    "etc/mtab",
];

fn tar_names(bytes: &[u8]) -> BTreeSet<String> {
    let mut a = tar::Archive::new(bytes);
    a.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            let n = String::from_utf8_lossy(&e.path_bytes())
                .trim_end_matches('/')
                .to_string();
            format!(
                "{n} {:?} {:o} {}",
                h.entry_type(),
                h.mode().unwrap() & 0o7777,
                h.size().unwrap()
            )
        })
        .filter(|l| !DOCKER_INIT.iter().any(|d| l.split(' ').next() == Some(*d)))
        .collect()
}

fn lines(s: &str) -> BTreeSet<String> {
    s.lines().map(String::from).collect()
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn diff_and_export_match_docker() {
    let r = TestRoot::new("diffexp");
    let rootfs = r.tmp.join("rootfs");
    busybox_rootfs(&rootfs);
    for d in ["srv/old/deep", "data/keep", "opq/sub"] {
        std::fs::create_dir_all(rootfs.join(d)).unwrap();
    }
    std::fs::write(rootfs.join("srv/old/deep/f"), "old\n").unwrap();
    std::fs::write(rootfs.join("data/keep/a"), "a\n").unwrap();
    std::fs::write(rootfs.join("opq/sub/x"), "x\n").unwrap();
    std::fs::write(rootfs.join("opq/y"), "y\n").unwrap();
    std::fs::write(rootfs.join("etc/gone"), "gone\n").unwrap();
    let tarball = r.tmp.join("img.tar");
    std::fs::write(&tarball, tar_dir(&rootfs)).unwrap();
    r.rvol_ok(&["import", tarball.to_str().unwrap(), "dx:1"]);
    let mut junk = DockerObjects::new();
    let tag = format!("{}:local", fresh("dx"));
    rvol_tests::ok(Command::new("docker").arg("import").arg(&tarball).arg(&tag));
    junk.images.push(tag.clone());
    let rb = r.host("rbind");
    let db = r.host("dbind");
    std::fs::create_dir_all(&rb).unwrap();
    std::fs::create_dir_all(&db).unwrap();
    let dc = fresh("dxd");
    let rbind = format!("{}:/newbind/deep", rb.display());
    let dbind = format!("{}:/newbind/deep", db.display());
    r.rvol_ok(&[
        "run", "--name", "dx1", "-v", "/data", "-v", "/newvol", "-v", &rbind, "dx:1", "sh", "-c",
        SCRIPT,
    ]);
    docker_ok(&[
        "run", "--name", &dc, "-v", "/data", "-v", "/newvol", "-v", &dbind, &tag, "sh", "-c",
        SCRIPT,
    ]);
    junk.containers.push(dc.clone());

    let rd = lines(&r.rvol_ok(&["diff", "dx1"]));
    let dd = lines(&docker_ok(&["diff", &dc]));
    assert_eq!(rd, dd);
    // The cases the issue names are there.
    for l in [
        "D /srv/old",
        "D /etc/gone",
        "C /opq",
        "D /opq/y",
        "A /opq/z",
        "A /newvol",
        "A /newbind/deep",
    ] {
        assert!(rd.contains(l), "{l} missing: {rd:?}");
    }

    let re = rvol_tests::run(&mut r.rvol(&["export", "dx1"]));
    assert!(re.status.success(), "{}", text(&re.stderr));
    let de = rvol_tests::run(Command::new("docker").args(["export", &dc]));
    let (rn, dn) = (tar_names(&re.stdout), tar_names(&de.stdout));
    assert_eq!(
        rn.symmetric_difference(&dn).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "export trees differ"
    );
    // The image's files under the volume, not the volume's.
    assert!(rn.iter().any(|l| l.starts_with("data/keep/a ")));
    assert!(!rn.iter().any(|l| l.starts_with("data/vfile")));
    // -o FILE writes the same.
    let out = r.tmp.join("exp.tar");
    r.rvol_ok(&["export", "-o", out.to_str().unwrap(), "dx1"]);
    assert_eq!(tar_names(&std::fs::read(&out).unwrap()), rn);

    // A running container: its diff, without disturbing it.
    r.rvol_ok(&[
        "run",
        "-d",
        "--name",
        "dx2",
        "dx:1",
        "sh",
        "-c",
        "echo hi > /hi; sleep 100",
    ]);
    rvol_tests::wait_until(5.0, "the container wrote /hi", || {
        r.rvol_ok(&["diff", "dx2"]).contains("A /hi")
    });
    assert_eq!(r.rvol_ok(&["diff", "dx2"]), "A /hi\n");
    r.rvol_ok(&["rm", "-f", "dx2"]);
    // Unknown container: docker's text and status.
    let o = rvol_tests::run(&mut r.rvol(&["diff", "nosuch"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("No such container: nosuch"));
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&r.path().display().to_string()));
}
