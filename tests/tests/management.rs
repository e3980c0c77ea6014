//! Docker's management commands (`container`, `image`, `system`) against
//! their short forms and the real Docker: each `rvol container ls ...` gives
//! what `rvol ps ...` gives (its usage texts naming `rvol container ls`),
//! errors read as docker's; `container prune` and `system prune` print
//! docker's prompts, lists and totals for the same objects on both sides;
//! `info` and `version` have docker's shape and `--format` fields.
//! `image rm|tag|prune` (scripts/rvol-rmi, rvol-tag, rvol-image-prune,
//! another change's) are checked only when those verbs are installed.

use rvol_tests::docker::{docker, docker_ok, DockerObjects};
use rvol_tests::{text, unique, TestRoot};

const LONG: &str = "sleep 30";

/// Docker's daemon runs one prune at a time (`a prune operation is
/// already running` to a second): the tests that prune take turns.
static DOCKER_PRUNES: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn prune_turn() -> std::sync::MutexGuard<'static, ()> {
    DOCKER_PRUNES.lock().unwrap_or_else(|e| e.into_inner())
}

/// A root with busybox as `bb:1`, a created container `c1` and an exited
/// one `c2` that wrote 6 bytes ("hello\n").
fn populated(tag: &str) -> TestRoot {
    let r = TestRoot::new(tag);
    r.import_busybox("bb:1");
    r.rvol_ok(&["create", "--name", "c1", "bb:1", "true"]);
    r.rvol_ok(&["run", "--name", "c2", "bb:1", "sh", "-c", "echo hello > /f"]);
    r
}

fn verb_installed(verb: &str) -> bool {
    rvol_tests::repo()
        .join(format!("scripts/rvol-{verb}"))
        .exists()
}

/// Both forms, same stdout and status; stderr the same once the short
/// form's name is replaced by the management form's.
fn same(r: &TestRoot, long: &[&str], short: &[&str], short_name: &str, long_name: &str) {
    let l = r.rvol_run(long);
    let s = r.rvol_run(short);
    assert_eq!(l.status.code(), s.status.code(), "{long:?} vs {short:?}");
    assert_eq!(text(&l.stdout), text(&s.stdout), "{long:?} vs {short:?}");
    let want = text(&s.stderr).replace(&format!("rvol {short_name}"), &format!("rvol {long_name}"));
    assert_eq!(text(&l.stderr), want, "{long:?} vs {short:?}");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn management_forms_are_the_short_forms() {
    let r = populated("mgmt-same");
    let fmt = "{{.Names}} {{.Status}}";
    for ls in ["ls", "list", "ps"] {
        same(
            &r,
            &["container", ls, "-a", "--format", fmt],
            &["ps", "-a", "--format", fmt],
            "ps",
            "container ls",
        );
    }
    same(
        &r,
        &["container", "ls", "-aq"],
        &["ps", "-aq"],
        "ps",
        "container ls",
    );
    same(
        &r,
        &["container", "ls", "--bogus"],
        &["ps", "--bogus"],
        "ps",
        "container ls",
    );
    same(
        &r,
        &["container", "ls", "x"],
        &["ps", "x"],
        "ps",
        "container ls",
    );
    same(&r, &["image", "ls"], &["images"], "images", "image ls");
    same(
        &r,
        &["image", "list", "-q"],
        &["images", "-q"],
        "images",
        "image ls",
    );
    same(
        &r,
        &["image", "ls", "-Z"],
        &["images", "-Z"],
        "images",
        "image ls",
    );
    same(
        &r,
        &[
            "container",
            "inspect",
            "-f",
            "{{.Name}} {{.State.Status}}",
            "c1",
            "c2",
        ],
        &[
            "inspect",
            "--type",
            "container",
            "-f",
            "{{.Name}} {{.State.Status}}",
            "c1",
            "c2",
        ],
        "inspect",
        "container inspect",
    );
    same(
        &r,
        &["image", "inspect", "-f", "{{.Id}}", "bb:1"],
        &["inspect", "--type", "image", "-f", "{{.Id}}", "bb:1"],
        "inspect",
        "image inspect",
    );
    same(
        &r,
        &["container", "inspect", "nosuch"],
        &["inspect", "--type", "container", "nosuch"],
        "inspect",
        "container inspect",
    );
    same(
        &r,
        &["container", "logs", "c2"],
        &["logs", "c2"],
        "logs",
        "container logs",
    );
    same(
        &r,
        &["container", "wait", "c2"],
        &["wait", "c2"],
        "wait",
        "container wait",
    );
    for verb in [
        "rm", "start", "stop", "kill", "wait", "logs", "commit", "create", "run",
    ] {
        same(
            &r,
            &["container", verb],
            &[verb],
            verb,
            &format!("container {verb}"),
        );
        same(
            &r,
            &["container", verb, "--bogus"],
            &[verb, "--bogus"],
            verb,
            &format!("container {verb}"),
        );
    }
    same(
        &r,
        &["container", "stop", "-t", "abc", "x"],
        &["stop", "-t", "abc", "x"],
        "stop",
        "container stop",
    );
    same(
        &r,
        &["container", "rm", "nosuch"],
        &["rm", "nosuch"],
        "rm",
        "container rm",
    );
    for verb in ["import", "load", "save"] {
        same(
            &r,
            &["image", verb, "--bogus"],
            &[verb, "--bogus"],
            verb,
            &format!("image {verb}"),
        );
    }
    same(
        &r,
        &["image", "load", "x"],
        &["load", "x"],
        "load",
        "image load",
    );
    // --help: the verb's help, its Usage line naming the management form
    let h = r.rvol_ok(&["container", "rm", "--help"]);
    let short = r.rvol_ok(&["rm", "--help"]);
    assert_eq!(
        h,
        short.replacen("Usage:  rvol rm ", "Usage:  rvol container rm ", 1)
    );
    assert!(r
        .rvol_ok(&["container", "ls", "--help"])
        .starts_with("Usage:  rvol container ls [OPTIONS]\n"));
    assert!(r
        .rvol_ok(&["image", "ls", "--help"])
        .starts_with("Usage:  rvol image ls "));
    // the ones that change state: the same result
    let id = r.rvol_ok(&["container", "create", "--name", "c3", "bb:1", "true"]);
    assert_eq!(id.trim().len(), 64, "{id}");
    assert_eq!(r.rvol_ok(&["container", "start", "c3"]), "c3\n");
    assert_eq!(r.rvol_ok(&["container", "wait", "c3"]), "0\n");
    assert_eq!(
        r.rvol_ok(&["container", "run", "--rm", "bb:1", "echo", "hi"]),
        "hi\n"
    );
    let img = r.rvol_ok(&["container", "commit", "c2", "bb:c2"]);
    assert!(img.starts_with("sha256:"), "{img}");
    assert_eq!(r.rvol_ok(&["container", "rm", "c3"]), "c3\n");
    let names = r.rvol_ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert!(!names.contains("c3"), "{names}");
    let save = r.tmp.join("s.tar");
    r.rvol_ok(&["image", "save", "-o", save.to_str().unwrap(), "bb:1"]);
    assert!(save.exists());
    if verb_installed("tag") && verb_installed("rmi") {
        same(&r, &["image", "tag"], &["tag"], "tag", "image tag");
        same(&r, &["image", "rm"], &["rmi"], "rmi", "image rm");
        r.rvol_ok(&["image", "tag", "bb:1", "bb:two"]);
        let out = r.rvol_ok(&["image", "rm", "bb:two"]);
        assert_eq!(out, "Untagged: bb:two\n");
    } else {
        eprintln!("image tag/rm: scripts/rvol-tag or rvol-rmi not installed, not checked");
    }
    if verb_installed("image-prune") {
        let o = r.rvol_run(&["image", "prune", "--bogus"]);
        assert_eq!(o.status.code(), Some(125));
        assert!(
            text(&o.stderr).contains("Usage:  rvol image prune "),
            "{}",
            text(&o.stderr)
        );
    } else {
        eprintln!("image prune: scripts/rvol-image-prune not installed, not checked");
    }
}

/// docker's stderr with `docker` read as `rvol`, and its status.
fn like_docker(r: &TestRoot, args: &[&str]) {
    let d = docker(args);
    let o = r.rvol_run(args);
    assert_eq!(
        o.status.code(),
        d.status.code(),
        "{args:?}: {}",
        text(&o.stderr)
    );
    assert_eq!(
        text(&o.stderr),
        text(&d.stderr).replace("docker", "rvol"),
        "{args:?}"
    );
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn management_errors_read_as_dockers() {
    let _turn = prune_turn();
    let r = TestRoot::new("mgmt-errors");
    for args in [
        &["container", "bogus"][..],
        &["image", "bogus"],
        &["system", "bogus"],
        &["container", "--bogus"],
        &["image", "-x"],
        &["system", "-a"],
        &["container", "ls", "--bogus"],
        &["container", "rm"],
        &["container", "inspect"],
        &["image", "inspect"],
        &["container", "stop", "-t", "abc", "x"],
        &["container", "run", "--bogus", "x"],
        &["container", "prune", "--bogus"],
        &["container", "prune", "x"],
        &["container", "prune", "--filter", "bad"],
        &["container", "prune", "-f", "--filter", "label"],
        &["system", "prune", "--bogus"],
        &["system", "prune", "x"],
        &["system", "prune", "--filter", "bad"],
    ] {
        like_docker(&r, args);
    }
    // alone: the group's help on stderr, status 0
    for group in ["container", "image", "system"] {
        let d = docker(&[group]);
        let o = r.rvol_run(&[group]);
        assert_eq!(o.status.code(), d.status.code(), "{group}");
        assert_eq!(text(&o.stdout), text(&d.stdout), "{group}");
        let want = text(&d.stderr).replace("docker", "rvol");
        let got = text(&o.stderr);
        assert_eq!(got.lines().next(), want.lines().next(), "{group}: {got}");
        assert_eq!(got.lines().last(), want.lines().last(), "{group}: {got}");
    }
    // a filter the daemon refuses: its message, status 1
    for (args, want) in [
        (
            &["container", "prune", "-f", "--filter", "foo=bar"][..],
            "Invalid filter 'foo'",
        ),
        (
            &["container", "prune", "-f", "--filter", "until=bogus"],
            "failed to parse value as time or duration: \"bogus\"",
        ),
    ] {
        let d = docker(args);
        let o = r.rvol_run(args);
        assert_eq!(o.status.code(), d.status.code(), "{args:?}");
        assert!(text(&d.stderr).contains(want), "{}", text(&d.stderr));
        assert_eq!(text(&o.stderr), format!("Error: {want}\n"), "{args:?}");
    }
}

/// A prune's output with each 64-hex id as `<id>`.
fn ids_out(s: &str) -> String {
    s.lines()
        .map(|l| {
            if l.len() == 64 && l.bytes().all(|b| b.is_ascii_hexdigit()) {
                "<id>"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// docker side: the same three containers as [`populated`] plus one
/// running, each labelled with `label` (docker's prune is filtered on it:
/// the daemon is shared, only the test's own objects may go).
fn docker_side(junk: &mut DockerObjects, r: &TestRoot, label: &str) -> String {
    let bb = junk.import_busybox(&r.tmp);
    let l = format!("{label}=1");
    let c1 = docker_ok(&["create", "--label", &l, &bb, "true"]);
    junk.containers.push(c1.trim().to_string());
    let c2 = docker_ok(&["create", "--label", &l, &bb, "sh", "-c", "echo hello > /f"]);
    junk.containers.push(c2.trim().to_string());
    docker_ok(&["start", "-a", c2.trim()]);
    let c3 = docker_ok(&["run", "-d", "--label", &l, &bb, "sh", "-c", LONG]);
    junk.containers.push(c3.trim().to_string());
    bb
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn container_prune_like_docker() {
    let _turn = prune_turn();
    let r = populated("mgmt-cprune");
    let mut junk = DockerObjects::new();
    let label = unique("hmprune");
    docker_side(&mut junk, &r, &label);
    r.rvol_ok(&["run", "-d", "--name", "up", "bb:1", "sh", "-c", LONG]);
    let lf = format!("label={label}");
    // declined: the prompt, nothing removed
    let d = rvol_tests::sh(&format!("echo n | docker container prune --filter {lf}"));
    let mut c = r.rvol(&["container", "prune"]);
    let o = rvol_tests::run(c.stdin(std::fs::File::open("/dev/null").unwrap()));
    assert_eq!(text(&o.stdout), text(&d.stdout));
    assert_eq!(o.status.code(), d.status.code());
    assert_eq!(r.rvol_ok(&["ps", "-aq"]).lines().count(), 3);
    // filters that keep everything: until an hour ago, a label nobody has
    let d = docker_ok(&[
        "container",
        "prune",
        "-f",
        "--filter",
        &lf,
        "--filter",
        "until=1h",
    ]);
    assert_eq!(
        r.rvol_ok(&["container", "prune", "-f", "--filter", "until=1h"]),
        d
    );
    let other = format!("label={label}-none");
    let d = docker_ok(&["container", "prune", "-f", "--filter", &other]);
    assert_eq!(
        r.rvol_ok(&["container", "prune", "-f", "--filter", &other]),
        d
    );
    assert_eq!(d, "Total reclaimed space: 0B\n");
    // label!= one nobody has excludes nothing; then the real prune
    let d = docker_ok(&["container", "prune", "-f", "--filter", &lf]);
    let o = r.rvol_ok(&[
        "container",
        "prune",
        "-f",
        "--filter",
        "label!=nobody",
        "--filter",
        "until=2030-01-01T00:00:00Z",
    ]);
    assert_eq!(ids_out(&o), ids_out(&d), "rvol:\n{o}\ndocker:\n{d}");
    assert!(o.ends_with("\n\nTotal reclaimed space: 6B\n"), "{o}");
    // the running one stays, on both sides
    assert_eq!(r.rvol_ok(&["ps", "-a", "--format", "{{.Names}}"]), "up\n");
    assert_eq!(
        docker_ok(&["ps", "-aq", "--filter", &lf]).lines().count(),
        1
    );
    let d = docker_ok(&["container", "prune", "-f", "--filter", &lf]);
    assert_eq!(r.rvol_ok(&["container", "prune", "-f"]), d);
    r.rvol_ok(&["rm", "-f", "up"]);
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn system_prune_like_docker() {
    let _turn = prune_turn();
    let r = populated("mgmt-sprune");
    // the prompts, declined (nothing goes on either side)
    for flags in [
        "",
        "-a",
        "--volumes",
        "-a --volumes",
        "--filter label=x --filter until=1h",
    ] {
        let d = rvol_tests::sh(&format!("echo n | docker system prune {flags}"));
        let rv = rvol_tests::repo().join("scripts/rvol");
        let rv = rv.display();
        let mut c = std::process::Command::new("sh");
        c.arg("-c")
            .arg(format!("echo n | {rv} system prune {flags}"))
            .env("RVOL_BIN_DIR", rvol_tests::bin_dir())
            .env("RVOL_ROOT", r.path());
        let o = rvol_tests::run(&mut c);
        assert_eq!(text(&o.stdout), text(&d.stdout), "system prune {flags}");
        assert_eq!(o.status.code(), d.status.code(), "system prune {flags}");
    }
    assert_eq!(r.rvol_ok(&["ps", "-aq"]).lines().count(), 2);
    // forced, with the same objects (docker's filtered to the test's label)
    let mut junk = DockerObjects::new();
    let label = unique("hmsprune");
    docker_side(&mut junk, &r, &label);
    r.rvol_ok(&["run", "-d", "--name", "up", "bb:1", "sh", "-c", LONG]);
    let lf = format!("label={label}");
    let d = docker_ok(&["system", "prune", "-f", "--filter", &lf]);
    let o = r.rvol_ok(&["system", "prune", "-f"]);
    assert_eq!(ids_out(&o), ids_out(&d), "rvol:\n{o}\ndocker:\n{d}");
    // --volumes: an unused anonymous volume goes, listed after the containers
    r.rvol_ok(&["run", "--name", "vv", "-v", "/data", "bb:1", "true"]);
    let vol = r.rvol_ok(&["volume", "ls", "-q"]);
    let cid = r.rvol_ok(&["inspect", "-f", "{{.Id}}", "vv"]);
    let o = r.rvol_ok(&["system", "prune", "-f", "--volumes"]);
    let want =
        format!("Deleted Containers:\n{cid}\nDeleted Volumes:\n{vol}\nTotal reclaimed space: 0B\n");
    assert_eq!(o, want);
    assert_eq!(r.rvol_ok(&["ps", "-a", "--format", "{{.Names}}"]), "up\n");
    r.rvol_ok(&["rm", "-f", "up"]);
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn info_and_version_have_dockers_shape() {
    let r = populated("mgmt-info");
    r.rvol_ok(&["run", "-d", "--name", "up", "bb:1", "sh", "-c", LONG]);
    let fmt = "{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}} {{.Driver}} {{.DockerRootDir}}";
    let got = r.rvol_ok(&["info", "--format", fmt]);
    assert_eq!(got, format!("3 1 0 2 1 overlay2 {}\n", r.path().display()));
    // docker's fields, in docker's types
    let d = docker_ok(&[
        "info",
        "--format",
        "{{.Containers}} {{.Images}} {{.Driver}} {{.DockerRootDir}}",
    ]);
    let df: Vec<&str> = d.split_whitespace().collect();
    let rf: Vec<&str> = got.split_whitespace().collect();
    assert_eq!(df.len(), 4, "{d}");
    assert!(
        df[0].parse::<u64>().is_ok() && df[1].parse::<u64>().is_ok(),
        "{d}"
    );
    assert_eq!(rf[5], df[2]);
    assert_eq!(
        r.rvol_ok(&[
            "info",
            "--format",
            "{{.Containers}} {{.Images}} {{.Driver}} {{.DockerRootDir}}"
        ]),
        format!("3 1 overlay2 {}\n", r.path().display())
    );
    // the text: docker's section heads and counts lines, in docker's order
    let dt = docker_ok(&["info"]);
    let rt = r.rvol_ok(&["info"]);
    let keys = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
            .collect()
    };
    let rk = keys(&rt);
    let dk = keys(&dt);
    for k in [
        "Client",
        " Version",
        "Server",
        " Containers",
        "  Running",
        "  Paused",
        "  Stopped",
        " Images",
        " Storage Driver",
        " Docker Root Dir",
    ] {
        assert!(rk.contains(&k.to_string()), "rvol info lacks {k:?}:\n{rt}");
        assert!(
            dk.contains(&k.to_string()),
            "docker info lacks {k:?}:\n{dt}"
        );
    }
    // the keys both print come in the same order
    let common = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|k| b.contains(k)).cloned().collect()
    };
    let mut ro = common(&rk, &dk);
    let mut dord = common(&dk, &rk);
    ro.dedup();
    dord.dedup();
    assert_eq!(ro, dord);
    assert!(
        rt.contains(" Containers: 3\n  Running: 1\n  Paused: 0\n  Stopped: 2\n Images: 1\n"),
        "{rt}"
    );
    assert!(
        rt.contains(&format!(" Docker Root Dir: {}\n", r.path().display())),
        "{rt}"
    );
    assert!(r.rvol_ok(&["system", "info", "--format", "{{.Driver}}"]) == "overlay2\n");
    // version: docker's Client section; no server
    let v = r.rvol_ok(&["version"]);
    let dv = docker_ok(&["version"]);
    assert!(v.starts_with("Client:\n Version:  "), "{v}");
    assert!(dv.starts_with("Client:\n Version:  "), "{dv}");
    let arch = docker_ok(&["version", "--format", "{{.Client.Os}}/{{.Client.Arch}}"]);
    assert_eq!(
        r.rvol_ok(&["version", "--format", "{{.Client.Os}}/{{.Client.Arch}}"]),
        arch
    );
    assert_eq!(
        r.rvol_ok(&["version", "--format", "{{.Client.Version}}"]),
        format!("{}\n", env!("CARGO_PKG_VERSION"))
    );
    let o = r.rvol_run(&["version", "--format", "{{.Client.Version"]);
    let d = docker(&["version", "--format", "{{.Client.Version"]);
    assert_eq!(
        o.status.code().is_some_and(|c| c != 0),
        d.status.code().is_some_and(|c| c != 0)
    );
    let o = r.rvol_run(&["info", "x"]);
    assert_ne!(o.status.code(), Some(0));
    r.rvol_ok(&["rm", "-f", "up"]);
}
