//! `rvol volume export` then `rvol volume import` into a new volume: the
//! same tree (owners, modes, every xattr, hard links, symlinks, devices,
//! fifos), through a file and through a pipe; import is refused while a
//! container uses the volume, and a link in the archive never leads out
//! of the volume.

use std::os::unix::fs::{symlink, MetadataExt};
use std::path::Path;
use std::process::Stdio;

use rvol_tests::hostile::{tree, xattr, Raw};
use rvol_tests::{text, TestRoot};

fn setxattr(p: &Path, k: &str, v: &[u8]) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    let k = std::ffi::CString::new(k).unwrap();
    // SAFETY: NUL-terminated strings and a buffer of the given length.
    let r = unsafe { libc::lsetxattr(c.as_ptr(), k.as_ptr(), v.as_ptr().cast(), v.len(), 0) };
    assert_eq!(r, 0, "setxattr {}", p.display());
}

fn fill(d: &Path) {
    std::fs::create_dir_all(d.join("dir/deep")).unwrap();
    std::fs::write(d.join("dir/deep/f"), "deep\n").unwrap();
    std::fs::write(d.join("a"), "a\n").unwrap();
    std::fs::hard_link(d.join("a"), d.join("dir/a-link")).unwrap();
    symlink("../a", d.join("dir/sym")).unwrap();
    std::os::unix::fs::chown(d.join("dir/deep/f"), Some(1234), Some(4321)).unwrap();
    std::os::unix::fs::chown(d.join("dir"), Some(7), Some(8)).unwrap();
    std::fs::set_permissions(
        d.join("a"),
        std::os::unix::fs::PermissionsExt::from_mode(0o4750),
    )
    .unwrap();
    std::fs::set_permissions(
        d.join("dir/deep"),
        std::os::unix::fs::PermissionsExt::from_mode(0o1770),
    )
    .unwrap();
    setxattr(&d.join("a"), "user.color", b"blue");
    setxattr(&d.join("dir"), "user.dir", b"yes");
    setxattr(&d.join("dir/deep/f"), "trusted.t", b"tv");
    let fifo = std::ffi::CString::new(d.join("fifo").as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o640) }, 0);
    let dev = std::ffi::CString::new(d.join("null").as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: as above.
    assert_eq!(
        unsafe { libc::mknod(dev.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) },
        0
    );
}

fn xattrs_of(d: &Path) -> Vec<Option<Vec<u8>>> {
    vec![
        xattr(&d.join("a"), "user.color"),
        xattr(&d.join("dir"), "user.dir"),
        xattr(&d.join("dir/deep/f"), "trusted.t"),
    ]
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn export_then_import_is_the_same_tree() {
    let r = TestRoot::new("volxfer");
    r.rvol_ok(&["volume", "create", "src"]);
    let src = r.path().join("volumes/src/_data");
    fill(&src);
    let want = tree(&src, &[]);
    assert!(want["dir/a-link"].starts_with("hardlink"), "{want:?}");
    // Through a file.
    let file = r.tmp.join("v.tar");
    r.rvol_ok(&["volume", "export", "-o", file.to_str().unwrap(), "src"]);
    r.rvol_ok(&["volume", "create", "dst1"]);
    r.rvol_ok(&["volume", "import", "dst1", file.to_str().unwrap()]);
    let d1 = r.path().join("volumes/dst1/_data");
    assert_eq!(tree(&d1, &[]), want);
    assert_eq!(xattrs_of(&d1), xattrs_of(&src));
    assert_eq!(xattrs_of(&d1)[0].as_deref(), Some(&b"blue"[..]));
    assert_eq!(
        std::fs::metadata(d1.join("a")).unwrap().ino(),
        std::fs::metadata(d1.join("dir/a-link")).unwrap().ino()
    );
    // Through a pipe, as Podman's example: export | import -.
    r.rvol_ok(&["volume", "create", "dst2"]);
    let mut exp = r.rvol(&["volume", "export", "src"]);
    let mut e = exp.stdout(Stdio::piped()).spawn().unwrap();
    let mut imp = r.rvol(&["volume", "import", "dst2", "-"]);
    let o = imp.stdin(e.stdout.take().unwrap()).output().unwrap();
    assert!(e.wait().unwrap().success());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(tree(&r.path().join("volumes/dst2/_data"), &[]), want);
    // Import merges: what the volume had stays, the archive's entries win.
    r.rvol_ok(&["volume", "create", "dst3"]);
    let d3 = r.path().join("volumes/dst3/_data");
    std::fs::write(d3.join("mine"), "mine\n").unwrap();
    std::fs::write(d3.join("a"), "old\n").unwrap();
    r.rvol_ok(&["volume", "import", "dst3", file.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(d3.join("mine")).unwrap(), "mine\n");
    assert_eq!(std::fs::read_to_string(d3.join("a")).unwrap(), "a\n");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn import_refused_in_use_and_kept_inside() {
    let r = TestRoot::new("volxfer-use");
    r.import_busybox("bb:1");
    r.rvol_ok(&["volume", "create", "busy"]);
    r.rvol_ok(&[
        "create",
        "--name",
        "user1",
        "-v",
        "busy:/data",
        "bb:1",
        "true",
    ]);
    let tar = rvol_tests::hostile::tar(&[Raw::file("x", b"x\n")]);
    let file = r.tmp.join("x.tar");
    std::fs::write(&file, &tar).unwrap();
    let o = rvol_tests::run(&mut r.rvol(&["volume", "import", "busy", file.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("volume import busy: volume is in use - ["),
        "{err}"
    );
    assert!(!r.path().join("volumes/busy/_data/x").exists());
    // Unknown volume.
    let o = rvol_tests::run(&mut r.rvol(&["volume", "import", "nosuch", file.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("No such volume: nosuch"));
    // Links in the archive stay inside the volume.
    let outside = r.host("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let od = outside.display().to_string();
    r.rvol_ok(&["volume", "create", "free"]);
    let evil = rvol_tests::hostile::tar(&[
        Raw::symlink("l", &od),
        Raw::file("l/escaped", b"E\n"),
        Raw::file("../../../escaped2", b"E\n"),
    ]);
    let f2 = r.tmp.join("evil.tar");
    std::fs::write(&f2, &evil).unwrap();
    let _ = rvol_tests::run(&mut r.rvol(&["volume", "import", "free", f2.to_str().unwrap()]));
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "wrote outside the volume"
    );
}
