//! Progress on a terminal only, as docker: `rvol load` under a pty (util-
//! linux script(1)) draws docker's `ID: Loading layer [==>  ] DONE/SIZE`
//! lines on stderr; with stderr a pipe it prints only `Loaded image:`.

use std::process::Command;

use rvol_tests::{text, TestRoot};

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn load_shows_progress_on_a_terminal_only() {
    let r = TestRoot::new("progress");
    r.import_busybox("bb:1");
    let tar = r.tmp.join("bb.tar");
    r.rvol_ok(&["save", "-o", tar.to_str().unwrap(), "bb:1"]);
    let other = r.tmp.join("root2");
    std::fs::create_dir_all(&other).unwrap();
    let load = format!(
        "{} load -i {}",
        rvol_tests::repo().join("scripts/rvol").display(),
        tar.display()
    );
    // Under a pty: the bar (its last state reaches 100%), then the line.
    let o = rvol_tests::run(
        Command::new("script")
            .args(["-qec", &load, "/dev/null"])
            .env("RVOL_BIN_DIR", rvol_tests::bin_dir())
            .env("RVOL_ROOT", &other),
    );
    let tty = text(&o.stdout);
    assert!(o.status.success(), "{tty}");
    assert!(tty.contains(": Loading layer ["), "{tty:?}");
    assert!(
        tty.contains("==================================================]"),
        "{tty:?}"
    );
    assert!(tty.contains("Loaded image: bb:1"), "{tty:?}");
    // Without one: nothing but docker's line.
    std::fs::remove_dir_all(&other).unwrap();
    std::fs::create_dir_all(&other).unwrap();
    let o = rvol_tests::run(
        Command::new(rvol_tests::repo().join("scripts/rvol"))
            .args(["load", "-i", tar.to_str().unwrap()])
            .env("RVOL_BIN_DIR", rvol_tests::bin_dir())
            .env("RVOL_ROOT", &other),
    );
    assert!(o.status.success());
    assert_eq!(text(&o.stdout), "Loaded image: bb:1\n");
    assert_eq!(text(&o.stderr), "");
}
