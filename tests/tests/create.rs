//! What `rvol-mount create` does besides the mounts: it sweeps what a
//! killed removal or create left in containers/, refuses a spec whose image
//! layer is gone (leaving nothing), and makes the /etc mount points in one
//! init layer that every container of an image shares.

use rvol_tests::TestRoot;
use serde_json::json;

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn create_sweeps_what_a_dead_removal_or_create_left() {
    let env = TestRoot::new("create-sweep");
    let spec = env.busybox_spec();

    // What a deleter that died left (no one holds its lock) is swept by
    // the next create.
    let containers = env.path().join("containers");
    let dead = containers.join(".rm-0123");
    std::fs::create_dir_all(dead.join("upper/etc")).unwrap();
    // So is a bundle a create made and was killed before it locked it
    // (`.new-<id>-<pid>`, its pid gone), while a live one's stays.
    let dead_new = containers.join(".new-0123-999999999");
    let live_new = containers.join(format!(".new-0456-{}", std::process::id()));
    std::fs::create_dir_all(&dead_new).unwrap();
    std::fs::create_dir_all(&live_new).unwrap();
    let k = env.create_ok(&spec, &[]);
    assert!(!dead.exists(), "a dead removal's leftovers were not swept");
    assert!(!dead_new.exists(), "a killed create's .new-* was not swept");
    assert!(live_new.exists(), "a live create's .new-* was swept");
    std::fs::remove_dir(&live_new).unwrap();
    rvol_tests::ok(
        env.tool("rvol-mount")
            .args(["rm", "-f"])
            .arg(k.file_name().unwrap()),
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn create_without_image_view_refuses_a_missing_layer() {
    let env = TestRoot::new("create-nolayer");
    let img = env.image("bb", json!({}), |_| {});
    let spec = env.spec(&img, &["true"]);
    let parsed: serde_json::Value = serde_json::from_slice(&spec).unwrap();
    let image: serde_json::Value =
        serde_json::from_str(parsed["annotations"]["org.rvol.image"].as_str().unwrap()).unwrap();
    let layer = image["LowerDirs"][0].as_str().unwrap().to_string();
    let moved = format!("{layer}.away");
    std::fs::rename(&layer, &moved).unwrap();

    let before = env.snapshot();
    let host = env.tmp.join("hostdir");
    let o = env.create(&spec, &["-v", &format!("{}:/data", host.display())]);
    std::fs::rename(&moved, &layer).unwrap();
    assert_eq!(o.status.code(), Some(125), "create with a missing layer");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&layer) && err.contains("No such file"),
        "error names the layer: {err}"
    );
    assert_eq!(env.snapshot(), before, "a refused create left something");
    assert!(!host.exists(), "a refused create made the host dir");

    // With the layer back, the same create and run work.
    let b = env.create_ok(&spec, &["--rm", "-v", &format!("{}:/data", host.display())]);
    env.sh_ok(&b, "touch /data/ok");
    assert!(host.join("ok").exists());
}

/// The annotation create writes for the shared init layer, if any.
fn init_layer(bundle: &std::path::Path) -> Option<String> {
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    cfg["annotations"]["org.rvol.initlayer"]
        .as_str()
        .map(String::from)
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn the_etc_mount_points_come_from_one_shared_init_layer() {
    use std::os::unix::fs::MetadataExt;
    let env = TestRoot::new("create-init");
    // An image whose /etc has no hosts, hostname or resolv.conf, and odd
    // attributes the container must still see.
    let img = env.image("bb", json!({}), |r| {
        for f in ["hosts", "hostname", "resolv.conf"] {
            let _ = std::fs::remove_file(r.join("etc").join(f));
        }
        std::os::unix::fs::chown(r.join("etc"), Some(7), Some(8)).unwrap();
        std::fs::set_permissions(
            r.join("etc"),
            std::os::unix::fs::PermissionsExt::from_mode(0o750),
        )
        .unwrap();
    });
    let spec = env.spec(&img, &[]);
    let a = env.create_ok(&spec, &[]);
    let b = env.create_ok(&spec, &[]);
    let init = init_layer(&a).expect("no init layer for an image without /etc/hosts");
    assert_eq!(
        init_layer(&b).as_deref(),
        Some(init.as_str()),
        "one layer, shared"
    );
    let md = std::fs::metadata(format!("{init}/etc")).unwrap();
    assert_eq!((md.uid(), md.gid(), md.mode() & 0o7777), (7, 8, 0o750));

    // In the container: the image's /etc attributes, the container's own
    // files bound over the init layer's empty ones, and nothing of it
    // copied up into the container's upper dir.
    let out = env.sh_ok(
        &a,
        "stat -c '%u %g %a' /etc; cat /etc/hostname; grep -c localhost /etc/hosts",
    );
    let hostname = std::fs::read_to_string(a.join("hostname")).unwrap();
    assert_eq!(out, format!("7 8 750\n{hostname}2\n"));
    assert!(
        !a.join("upper/etc").exists(),
        "/etc copied up into the container"
    );

    // An image whose /etc is a symlink gets no init layer: apply makes the
    // mount points inside the rootfs, as before.
    let img2 = env.image("link", json!({}), |r| {
        std::fs::rename(r.join("etc"), r.join("etc.real")).unwrap();
        std::os::unix::fs::symlink("etc.real", r.join("etc")).unwrap();
    });
    let c = env.create_ok(&env.spec(&img2, &[]), &[]);
    assert_eq!(init_layer(&c), None);
    assert_eq!(
        env.sh_ok(&c, "cat /etc/hostname"),
        std::fs::read_to_string(c.join("hostname")).unwrap()
    );
}
