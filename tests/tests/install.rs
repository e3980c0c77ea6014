//! `scripts/install PREFIX` and the installed layout: `rvol` found on PATH,
//! called by its full path with a PATH that has none of its binaries, and
//! through a symlink of the user's, from a directory that is not the repo;
//! each runs a container of its own (an `--rm` one removes itself through
//! the installed rvol-mount) and `save` works through the symlink.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use rvol_tests::{ok, run, TestRoot};

/// The installed `rvol ARGS...` with only this root: no RVOL_BIN_DIR (it
/// must find the binaries installed beside it), cwd `dir`, PATH `path`.
fn installed(root: &TestRoot, rvol: &Path, dir: &Path, path: &str, args: &[&str]) -> Command {
    let mut c = Command::new(rvol);
    c.env_remove("RVOL_BIN_DIR")
        .env("RVOL_ROOT", root.path())
        .env("PATH", path)
        .current_dir(dir)
        .args(args);
    c
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn an_installed_rvol_runs_from_path_by_full_path_and_through_a_symlink() {
    let r = TestRoot::new("install");
    let prefix = r.tmp.join("prefix");
    let mut inst = Command::new(rvol_tests::repo().join("scripts/install"));
    inst.env("RVOL_BIN_DIR", rvol_tests::bin_dir()).arg(&prefix);
    ok(&mut inst);
    for f in [
        "bin/rvol-unpack",
        "bin/rvol-mount",
        "bin/rvol-ns",
        "bin/rvol-exec",
        "bin/rvol-inspect",
        "bin/rvol-commit",
        "lib/rvol/rvol-run",
        "lib/rvol/rvol-lib.sh",
    ] {
        assert!(prefix.join(f).is_file(), "{f} is not installed");
    }
    let front = prefix.join("bin/rvol");
    assert_eq!(
        std::fs::read_link(&front).unwrap(),
        Path::new("../lib/rvol/rvol")
    );

    let elsewhere = r.tmp.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let sys = "/usr/sbin:/usr/bin:/sbin:/bin";
    let on_path = format!("{}:{sys}", prefix.join("bin").display());
    let tar = rvol_tests::image::busybox_tar(&r.tmp);

    // By its full path, with none of its binaries on PATH.
    ok(&mut installed(
        &r,
        &front,
        &elsewhere,
        sys,
        &["import", tar.to_str().unwrap(), "busybox:latest"],
    ));
    let out = ok(&mut installed(
        &r,
        &front,
        &elsewhere,
        sys,
        &["run", "--rm", "busybox", "echo", "hi"],
    ));
    assert_eq!(out, "hi\n");

    // Found on PATH, as a user types it.
    let out = ok(&mut installed(
        &r,
        Path::new("rvol"),
        &elsewhere,
        &on_path,
        &[
            "run",
            "--rm",
            "-v",
            "/data",
            "busybox",
            "sh",
            "-c",
            "echo hi > /data/f && cat /data/f",
        ],
    ));
    assert_eq!(out, "hi\n");

    // Through a symlink of the user's (a relative call, from its directory).
    symlink(&front, elsewhere.join("myrvol")).unwrap();
    let out = ok(&mut installed(
        &r,
        Path::new("./myrvol"),
        &elsewhere,
        sys,
        &["run", "--rm", "busybox", "echo", "via-link"],
    ));
    assert_eq!(out, "via-link\n");
    let saved = elsewhere.join("saved.tar");
    ok(&mut installed(
        &r,
        Path::new("./myrvol"),
        &elsewhere,
        sys,
        &["save", "-o", saved.to_str().unwrap(), "busybox"],
    ));
    let listing = ok(Command::new("tar").arg("-tf").arg(&saved));
    assert!(
        listing.lines().any(|l| l == "manifest.json"),
        "not a docker-archive: {listing}"
    );

    // Every --rm container removed itself through the installed rvol-mount
    // (its poststop hook, run before `run` returns).
    let ps = ok(&mut installed(
        &r,
        &front,
        &elsewhere,
        sys,
        &["ps", "-a", "-q"],
    ));
    assert_eq!(ps, "", "--rm containers left");

    // A verb that is not installed is docker's unknown command (1).
    let o = run(&mut installed(&r, &front, &elsewhere, sys, &["frobnicate"]));
    assert_eq!(o.status.code(), Some(1));
}
