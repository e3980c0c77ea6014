//! Volumes as docker keeps them: `rvol-mount volume create|rm|prune`,
//! `rvol-mount rm [-v]` (anonymous volumes go with `-v`, named ones
//! stay), docker's texts for a volume in use or unknown, and copy-up
//! under concurrent creates sharing one volume.

use std::path::Path;
use std::process::Output;

use rvol_tests::chain::rvol_error;
use rvol_tests::docker::{docker, docker_error};
use rvol_tests::wait::running_pid;
use rvol_tests::{run, stderr, stdout, TestRoot};
use serde_json::json;

fn mount(env: &TestRoot, args: &[&str]) -> Output {
    run(env.tool("rvol-mount").args(args))
}

fn id_of(bundle: &Path) -> String {
    bundle.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn volume_create_and_rm_as_docker() {
    let env = TestRoot::new("vol-create");
    let o = mount(
        &env,
        &["volume", "create", "--label", "a=b", "--label", "c", "vol1"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "vol1\n");
    let rec: serde_json::Value = serde_json::from_slice(
        &std::fs::read(env.path().join("volumes/vol1/volume.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(rec["Labels"], json!({"a": "b", "c": ""}));
    assert_eq!(rec["Anonymous"], false);
    let created = rec["CreatedAt"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 20, "{created}");
    assert!(env.volume_data("vol1").is_dir());
    // Again: not an error, the volume is left as it is.
    std::fs::write(env.volume_data("vol1").join("keep"), "k").unwrap();
    let o = mount(&env, &["volume", "create", "vol1"]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "vol1\n"));
    assert!(env.volume_data("vol1").join("keep").exists());
    // Without a name: an anonymous 64-hex volume.
    let o = mount(&env, &["volume", "create"]);
    let anon = stdout(&o).trim().to_string();
    assert!(rvol_tests::is_hex64(&anon), "{anon}");
    // Bad names, docker's words.
    let o = mount(&env, &["volume", "create", "bad@x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "create bad@x: \"bad@x\" includes invalid characters for a local volume name"
        ),
        "{}",
        stderr(&o)
    );
    let o = mount(&env, &["volume", "create", "x"]);
    assert!(stderr(&o).contains(
        "create x: volume name is too short, names should be at least two alphanumeric characters"
    ));

    // rm: unknown, in use (even by a stopped container), then free.
    let o = mount(&env, &["volume", "rm", "nosuch"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "rvol-mount: get nosuch: no such volume\n");
    let spec = env.busybox_spec();
    let b = env.create_ok(&spec, &["-v", "vol1:/v"]);
    let o = mount(&env, &["volume", "rm", "vol1", "nosuch"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!("rvol-mount: remove vol1: volume is in use - [{}]\nrvol-mount: get nosuch: no such volume\n", id_of(&b))
    );
    assert!(env.volume_data("vol1").is_dir());
    let o = mount(&env, &["rm", id_of(&b).as_str()]);
    assert_eq!(stdout(&o), format!("{}\n", id_of(&b)));
    assert!(!b.exists());
    let o = mount(&env, &["volume", "rm", "vol1"]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "vol1\n"));
    assert!(!env.path().join("volumes/vol1").exists());
    // -f: an unknown volume is not an error.
    let o = mount(&env, &["volume", "rm", "-f", "nosuch"]);
    assert_eq!(
        (o.status.code(), stdout(&o).as_str()),
        (Some(0), "nosuch\n")
    );
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn volume_errors_match_docker() {
    let env = TestRoot::new("vol-docker");
    let o = docker(&["volume", "rm", "rvol-nosuch-vol"]);
    let d = docker_error(&o.stderr);
    let r = mount(&env, &["volume", "rm", "rvol-nosuch-vol"]);
    assert_eq!(rvol_error(&r.stderr), d);
    assert_eq!(o.status.code(), r.status.code());
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn rm_v_takes_anonymous_volumes_and_keeps_named_ones() {
    let env = TestRoot::new("vol-rmv");
    let img = env.image("vol", json!({"Volumes": {"/opt/xxx": {}}}), |r| {
        std::fs::create_dir_all(r.join("opt/xxx")).unwrap();
    });
    let spec = env.spec(&img, &[]);
    let anon_of = |b: &Path| -> Vec<String> {
        env.mounts_of(b)
            .iter()
            .filter_map(|m| m["Name"].as_str().map(String::from))
            .filter(|n| n.len() == 64)
            .collect()
    };
    // Plain rm: every volume stays.
    let b1 = env.create_ok(
        &spec,
        &["--name", "one", "-v", "keepme:/k", "-v", "/scratch"],
    );
    let anon1 = anon_of(&b1);
    assert_eq!(anon1.len(), 2);
    let o = mount(&env, &["rm", "one"]);
    assert_eq!(stdout(&o), "one\n");
    assert!(!b1.exists());
    assert!(
        !env.path().join("names/one").exists(),
        "the name is free again"
    );
    for v in anon1.iter().chain(["keepme".to_string()].iter()) {
        assert!(env.volume_data(v).is_dir(), "{v} kept by rm");
    }
    // rm -v: the anonymous ones go, the named one stays.
    let b2 = env.create_ok(
        &spec,
        &["--name", "two", "-v", "keepme:/k", "-v", "/scratch"],
    );
    let anon2 = anon_of(&b2);
    let o = mount(&env, &["rm", "-v", "two"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for v in &anon2 {
        assert!(
            !env.path().join("volumes").join(v).exists(),
            "{v} removed by rm -v"
        );
    }
    assert!(env.volume_data("keepme").is_dir());
    // An anonymous volume another container still uses stays.
    let b3 = env.create_ok(&spec, &["--name", "three"]);
    let shared = anon_of(&b3);
    env.create_ok(&spec, &["--name", "four", "--volumes-from", "three"]);
    mount(&env, &["rm", "-v", "three"]);
    assert!(env.volume_data(&shared[0]).is_dir(), "still used by four");
    // Unknown container: docker's text, exit 1.
    let o = mount(&env, &["rm", "nosuch"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "rvol-mount: No such container: nosuch\n");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn prune_takes_every_unused_volume_as_the_reference_daemon() {
    let env = TestRoot::new("vol-prune");
    let spec = env.busybox_spec();
    let used = env.create_ok(&spec, &["-v", "/inuse", "-v", "named-used:/n"]);
    let used_anon = env
        .mounts_of(&used)
        .iter()
        .find(|m| m["Destination"] == "/inuse")
        .and_then(|m| m["Name"].as_str())
        .unwrap()
        .to_string();
    assert_eq!(used_anon.len(), 64);
    let free = env.create_ok(&spec, &["--name", "gone", "-v", "/free"]);
    let free_anon = env.mounts_of(&free)[0]["Name"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(env.volume_data(&free_anon).join("f"), "12345").unwrap();
    mount(&env, &["rm", "gone"]);
    mount(&env, &["volume", "create", "named-free"]);

    // Without -f it asks, and "n" keeps everything.
    let o = run(env
        .tool("rvol-mount")
        .args(["volume", "prune"])
        .stdin(std::process::Stdio::null()));
    assert_eq!(
        stdout(&o),
        "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] "
    );
    assert!(env.volume_data(&free_anon).is_dir());

    // As the reference daemon (API 1.41): every unused volume, named too.
    let o = mount(&env, &["volume", "prune", "-f"]);
    assert_eq!(
        stdout(&o),
        format!("Deleted Volumes:\n{free_anon}\nnamed-free\n\nTotal reclaimed space: 5B\n")
    );
    assert!(!env.path().join("volumes").join(&free_anon).exists());
    assert!(!env.path().join("volumes/named-free").exists());
    for v in [&used_anon, "named-used"] {
        assert!(env.volume_data(v).is_dir(), "{v} is in use");
    }
    let o = mount(&env, &["volume", "prune", "-a", "-f"]);
    assert_eq!(stdout(&o), "Total reclaimed space: 0B\n");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn concurrent_creates_copy_up_once_into_a_shared_volume() {
    let env = TestRoot::new("vol-race");
    let img = env.image("many", json!({}), |r| {
        for i in 0..300 {
            let d = r.join(format!("opt/app/d{}", i % 10));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("f{i}")), format!("{i}\n")).unwrap();
        }
    });
    let spec = env.spec(&img, &[]);
    let bundles: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| env.create(&spec, &["-v", "shared:/opt/app"])))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for o in &bundles {
        assert!(o.status.success(), "{}", stderr(o));
    }
    let data = env.volume_data("shared");
    assert_eq!(
        rvol_tests::hostile::tree(&data, &[]),
        rvol_tests::hostile::tree(&env.tmp.join("img-many-rootfs/opt/app"), &[])
    );
    let names: Vec<String> = std::fs::read_dir(env.path().join("volumes/shared"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "only _data and volume.json: {names:?}");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn rm_refuses_a_running_container_unless_forced() {
    let env = TestRoot::new("vol-rmrunning");
    let spec = env.busybox_spec();
    let b = env.create_ok(&spec, &["--name", "busy", "-v", "/anon"]);
    let anon = env.mounts_of(&b)[0]["Name"].as_str().unwrap().to_string();
    let mut child = env
        .chain(&b, &["sleep", "60"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    running_pid(&b.join("state.json"), 20.0);
    let o = mount(&env, &["rm", "-v", "busy"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "rvol-mount: You cannot remove a running container {}. Stop the container before attempting removal or force remove\n",
            id_of(&b)
        )
    );
    assert!(b.exists());
    let o = mount(&env, &["rm", "-v", "-f", "busy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "busy\n");
    let _ = child.wait();
    assert!(!b.exists());
    assert!(!env.path().join("volumes").join(&anon).exists());
    assert!(rvol_tests::mounts_under(&env.tmp.path).is_empty());
}
