//! Volumes as docker keeps them: `rvol-mount volume create|rm|prune`,
//! `rvol-mount rm [-v]` (anonymous volumes go with `-v`, named ones
//! stay), docker's texts for a volume in use or unknown, and copy-up
//! under concurrent creates sharing one volume.

use std::path::Path;
use std::process::Output;

use rvol_tests::mounts::Env;
use rvol_tests::{have_docker, have_root, run};
use serde_json::json;

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn mount(env: &Env, args: &[&str]) -> Output {
    run(env.root.cmd("rvol-mount").args(args))
}

fn busybox(env: &Env) -> Vec<u8> {
    let img = env.image("bb", json!({}), |_| {});
    env.spec(&img, &[])
}

fn id_of(bundle: &Path) -> String {
    bundle.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn volume_create_and_rm_as_docker() {
    if !have_root() {
        return;
    }
    let env = Env::new("vol-create");
    let o = mount(
        &env,
        &["volume", "create", "--label", "a=b", "--label", "c", "vol1"],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "vol1\n");
    let rec: serde_json::Value = serde_json::from_slice(
        &std::fs::read(env.root.path().join("volumes/vol1/volume.json")).unwrap(),
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
    assert_eq!((o.status.code(), out(&o).as_str()), (Some(0), "vol1\n"));
    assert!(env.volume_data("vol1").join("keep").exists());
    // Without a name: an anonymous 64-hex volume.
    let o = mount(&env, &["volume", "create"]);
    let anon = out(&o).trim().to_string();
    assert!(
        anon.len() == 64 && anon.bytes().all(|b| b.is_ascii_hexdigit()),
        "{anon}"
    );
    // Bad names, docker's words.
    let o = mount(&env, &["volume", "create", "bad@x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains(
            "create bad@x: \"bad@x\" includes invalid characters for a local volume name"
        ),
        "{}",
        err(&o)
    );
    let o = mount(&env, &["volume", "create", "x"]);
    assert!(err(&o).contains(
        "create x: volume name is too short, names should be at least two alphanumeric characters"
    ));

    // rm: unknown, in use (even by a stopped container), then free.
    let o = mount(&env, &["volume", "rm", "nosuch"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "rvol-mount: get nosuch: no such volume\n");
    let spec = busybox(&env);
    let b = env.create_ok(&spec, &["-v", "vol1:/v"]);
    let o = mount(&env, &["volume", "rm", "vol1", "nosuch"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err(&o),
        format!("rvol-mount: remove vol1: volume is in use - [{}]\nrvol-mount: get nosuch: no such volume\n", id_of(&b))
    );
    assert!(env.volume_data("vol1").is_dir());
    let o = mount(&env, &["rm", id_of(&b).as_str()]);
    assert_eq!(out(&o), format!("{}\n", id_of(&b)));
    assert!(!b.exists());
    let o = mount(&env, &["volume", "rm", "vol1"]);
    assert_eq!((o.status.code(), out(&o).as_str()), (Some(0), "vol1\n"));
    assert!(!env.root.path().join("volumes/vol1").exists());
    // -f: an unknown volume is not an error.
    let o = mount(&env, &["volume", "rm", "-f", "nosuch"]);
    assert_eq!((o.status.code(), out(&o).as_str()), (Some(0), "nosuch\n"));
}

#[test]
fn volume_errors_match_docker() {
    if !have_root() || !have_docker() {
        return;
    }
    let env = Env::new("vol-docker");
    let o = std::process::Command::new("docker")
        .args(["volume", "rm", "rvol-nosuch-vol"])
        .output()
        .unwrap();
    let d = rvol_tests::mounts::docker_error(&o.stderr);
    let r = mount(&env, &["volume", "rm", "rvol-nosuch-vol"]);
    assert_eq!(rvol_tests::mounts::rvol_error(&r.stderr), d);
    assert_eq!(o.status.code(), r.status.code());
}

#[test]
fn rm_v_takes_anonymous_volumes_and_keeps_named_ones() {
    if !have_root() {
        return;
    }
    let env = Env::new("vol-rmv");
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
    assert_eq!(out(&o), "one\n");
    assert!(!b1.exists());
    assert!(
        !env.root.path().join("names/one").exists(),
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
    assert!(o.status.success(), "{}", err(&o));
    for v in &anon2 {
        assert!(
            !env.root.path().join("volumes").join(v).exists(),
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
    assert_eq!(err(&o), "rvol-mount: No such container: nosuch\n");
}

#[test]
fn prune_takes_every_unused_volume_as_the_reference_daemon() {
    if !have_root() {
        return;
    }
    let env = Env::new("vol-prune");
    let spec = busybox(&env);
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
        .root
        .cmd("rvol-mount")
        .args(["volume", "prune"])
        .stdin(std::process::Stdio::null()));
    assert_eq!(
        out(&o),
        "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] "
    );
    assert!(env.volume_data(&free_anon).is_dir());

    // As the reference daemon (API 1.41): every unused volume, named too.
    let o = mount(&env, &["volume", "prune", "-f"]);
    assert_eq!(
        out(&o),
        format!("Deleted Volumes:\n{free_anon}\nnamed-free\n\nTotal reclaimed space: 5B\n")
    );
    assert!(!env.root.path().join("volumes").join(&free_anon).exists());
    assert!(!env.root.path().join("volumes/named-free").exists());
    for v in [&used_anon, "named-used"] {
        assert!(env.volume_data(v).is_dir(), "{v} is in use");
    }
    let o = mount(&env, &["volume", "prune", "-a", "-f"]);
    assert_eq!(out(&o), "Total reclaimed space: 0B\n");
}

#[test]
fn concurrent_creates_copy_up_once_into_a_shared_volume() {
    if !have_root() {
        return;
    }
    let env = Env::new("vol-race");
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
        assert!(o.status.success(), "{}", err(o));
    }
    let data = env.volume_data("shared");
    assert_eq!(
        rvol_tests::hostile::tree(&data, &[]),
        rvol_tests::hostile::tree(&env.path("img-many-rootfs/opt/app"), &[])
    );
    let names: Vec<String> = std::fs::read_dir(env.root.path().join("volumes/shared"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "only _data and volume.json: {names:?}");
}

#[test]
fn rm_refuses_a_running_container_unless_forced() {
    if !have_root() {
        return;
    }
    let env = Env::new("vol-rmrunning");
    let spec = busybox(&env);
    let b = env.create_ok(&spec, &["--name", "busy", "-v", "/anon"]);
    let anon = env.mounts_of(&b)[0]["Name"].as_str().unwrap().to_string();
    let mut child = env
        .chain(&b, &["sleep", "60"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    loop {
        let st = std::fs::read_to_string(b.join("state.json")).unwrap_or_default();
        if st.contains("\"running\"") {
            break;
        }
        assert!(t0.elapsed().as_secs() < 20, "never running: {st}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let o = mount(&env, &["rm", "-v", "busy"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err(&o),
        format!(
            "rvol-mount: You cannot remove a running container {}. Stop the container before attempting removal or force remove\n",
            id_of(&b)
        )
    );
    assert!(b.exists());
    let o = mount(&env, &["rm", "-v", "-f", "busy"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "busy\n");
    let _ = child.wait();
    assert!(!b.exists());
    assert!(!env.root.path().join("volumes").join(&anon).exists());
    assert!(rvol_tests::mounts_under(&env.root.tmp.path).is_empty());
}
