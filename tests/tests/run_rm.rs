//! `--rm` containers (`rvol-mount create --rm`): a volatile root overlay,
//! the container removing itself when it ends (its poststop hook, the
//! files deleted in the background, nothing left holding its mounts), a
//! bundle that still runs twice, and a kept container's overlay durable.

use rvol_tests::{eventually, mounts_under, TestRoot};

/// Linux shows `volatile` (5.10) or `fsync=volatile` (6.5).
fn is_volatile(opts: &str) -> bool {
    opts.split(',')
        .any(|o| o == "volatile" || o == "fsync=volatile")
}

/// The options of the overlay mounted at the container's `/`.
fn root_overlay_options(env: &TestRoot, bundle: &std::path::Path) -> String {
    let out = env.sh_ok(bundle, "grep '^overlay / ' /proc/mounts");
    let line = out.lines().next().unwrap_or_default().to_string();
    assert!(!line.is_empty(), "no overlay at / in /proc/mounts: {out}");
    line.split(' ').nth(3).unwrap_or_default().to_string()
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn rm_container_is_volatile_and_removes_itself_in_the_background() {
    let env = TestRoot::new("rm-volatile");
    let spec = env.busybox_spec();

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
    let containers = env.path().join("containers");
    let listing = || -> Vec<String> {
        std::fs::read_dir(&containers)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert!(
        eventually(10.0, || listing().is_empty()),
        "left in containers/: {:?}",
        listing()
    );
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
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn rm_bundle_runs_twice_and_a_kept_container_is_durable() {
    let env = TestRoot::new("rm-twice");
    let spec = env.busybox_spec();

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
    assert!(mounts_under(&env.tmp.path).is_empty());

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
