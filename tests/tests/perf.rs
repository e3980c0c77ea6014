//! What the speed-ups of the run path (scripts/bench-run) must not change:
//! an --rm container's volatile overlay still runs (twice, too), and the
//! container removes itself (its poststop hook), a kept
//! container's stays durable, and create without an image view still
//! refuses a missing layer and leaves nothing behind.

use rvol_tests::have_root;
use rvol_tests::mounts::Env;
use serde_json::json;

/// Linux shows `volatile` (5.10) or `fsync=volatile` (6.5).
fn is_volatile(opts: &str) -> bool {
    opts.split(',')
        .any(|o| o == "volatile" || o == "fsync=volatile")
}

/// The options of the overlay mounted at the container's `/`.
fn root_overlay_options(env: &Env, bundle: &std::path::Path) -> String {
    let out = env.sh_ok(bundle, "grep '^overlay / ' /proc/mounts");
    let line = out.lines().next().unwrap_or_default().to_string();
    assert!(!line.is_empty(), "no overlay at / in /proc/mounts: {out}");
    line.split(' ').nth(3).unwrap_or_default().to_string()
}

#[test]
fn rm_container_overlay_is_volatile_and_mounts_again() {
    if !have_root() {
        return;
    }
    let env = Env::new("perf-volatile");
    let img = env.image("bb", json!({}), |_| {});
    let spec = env.spec(&img, &[]);

    let b = env.create_ok(&spec, &["--rm"]);
    let opts = root_overlay_options(&env, &b);
    assert!(
        is_volatile(&opts),
        "--rm: root overlay not volatile: {opts}"
    );
    // Its poststop hook (rvol-mount rm --background, run by rvol-ns) took
    // it away at once; its files go in the background, soon.
    assert!(
        !b.exists(),
        "--rm bundle left after its run: {}",
        b.display()
    );
    let containers = env.root.path().join("containers");
    let listing = || -> Vec<String> {
        std::fs::read_dir(&containers)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let t0 = std::time::Instant::now();
    while !listing().is_empty() && t0.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(listing().is_empty(), "left in containers/: {:?}", listing());
    // rvol-ns held the container's mount namespace past its end and handed
    // it to the hook, whose deleter let it go: no process anywhere still
    // sees the container's overlay.
    let bundle = b.display().to_string();
    let holders: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let info = std::fs::read_to_string(e.path().join("mountinfo")).ok()?;
            info.contains(&bundle)
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    assert!(
        holders.is_empty(),
        "processes still holding the container's mounts: {holders:?}"
    );
    // What a deleter that died left (no one holds its lock) is swept by
    // the next create.
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
        env.root
            .cmd("rvol-mount")
            .args(["rm", "-f"])
            .arg(k.file_name().unwrap()),
    );

    // An --rm bundle can still run twice (its supervisor killed before the
    // hook, then started again): here without its hook. The marker a
    // volatile mount leaves in work/ does not stop the next start of the
    // same bundle; the upper dir is the same.
    let b = env.create_ok(&spec, &["--rm"]);
    let cfg_path = b.join("config.json");
    let mut cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cfg_path).unwrap()).unwrap();
    assert!(
        cfg["hooks"]["poststop"][0]["args"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "rm")),
        "--rm: no rm poststop hook: {cfg}"
    );
    cfg.as_object_mut().unwrap().remove("hooks");
    std::fs::write(&cfg_path, serde_json::to_vec(&cfg).unwrap()).unwrap();
    assert!(is_volatile(&root_overlay_options(&env, &b)));
    env.sh_ok(&b, "echo one > /written");
    assert_eq!(env.sh_ok(&b, "cat /written"), "one\n");
    // rvol-ns replaces state.json by exchange + unlink: the record is the
    // last one, and no old one is left beside it.
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.join("state.json")).unwrap()).unwrap();
    assert_eq!(state["Status"], "exited", "{state}");
    let left: Vec<String> = std::fs::read_dir(&b)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "temp records left in the bundle: {left:?}");
    assert!(rvol_tests::mounts_under(&env.root.tmp.path).is_empty());

    let k = env.create_ok(&spec, &[]);
    let opts = root_overlay_options(&env, &k);
    assert!(
        !is_volatile(&opts),
        "kept container: root overlay is volatile: {opts}"
    );
    env.sh_ok(&k, "echo kept > /written");
    assert_eq!(env.sh_ok(&k, "cat /written"), "kept\n");
    assert!(!k.join("work/work/incompat").exists());
}

#[test]
fn create_without_image_view_refuses_a_missing_layer() {
    if !have_root() {
        return;
    }
    let env = Env::new("perf-nolayer");
    let img = env.image("bb", json!({}), |_| {});
    let spec = env.spec(&img, &["true"]);
    let parsed: serde_json::Value = serde_json::from_slice(&spec).unwrap();
    let image: serde_json::Value =
        serde_json::from_str(parsed["annotations"]["org.rvol.image"].as_str().unwrap()).unwrap();
    let layer = image["LowerDirs"][0].as_str().unwrap().to_string();
    let moved = format!("{layer}.away");
    std::fs::rename(&layer, &moved).unwrap();

    let before = env.snapshot();
    let host = env.path("hostdir");
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
fn the_etc_mount_points_come_from_one_shared_init_layer() {
    use std::os::unix::fs::MetadataExt;
    if !have_root() {
        return;
    }
    let env = Env::new("perf-init");
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
