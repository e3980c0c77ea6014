//! `rvol logs` of every container (foreground, `-t`, `-d`), compared with
//! `docker logs` of the same runs: the streams, `--tail`, `-t`, `--since`,
//! `--until`, and docker's texts (docs/docker-behaviour.md §11).

use std::process::Output;

use rvol_tests::docker::{docker, DockerObjects};
use rvol_tests::{fresh, stderr, stdout, TestRoot};

// A pause between the writes: two streams read apart are logged in the
// order they come, which without one is a race, in docker as here.
const SCRIPT: &str =
    "echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; sleep 0.1; echo four >&2; sleep 0.1; printf partial";

/// `logs ARGS C` on both sides.
fn both(r: &TestRoot, ours: &str, theirs: &str, args: &[&str]) -> (Output, Output) {
    let mut a = vec!["logs"];
    a.extend_from_slice(args);
    let mut ra = a.clone();
    ra.push(ours);
    let mut da = a;
    da.push(theirs);
    (r.rvol_run(&ra), docker(&da))
}

fn same(r: &TestRoot, ours: &str, theirs: &str, args: &[&str]) -> Output {
    let (o, d) = both(r, ours, theirs, args);
    assert_eq!(o.status.code(), d.status.code(), "logs {args:?}");
    assert_eq!(stdout(&o), stdout(&d), "logs {args:?}: stdout");
    assert_eq!(
        stderr(&o).replace(ours, "C"),
        stderr(&d).replace(theirs, "C"),
        "logs {args:?}: stderr"
    );
    o
}

/// `-t`'s prefix: docker's RFC 3339 with nine digits, then a space.
fn split_stamp(line: &str) -> (&str, &str) {
    let (t, rest) = line.split_once(' ').expect("a timestamp");
    let b = t.as_bytes();
    assert!(
        t.len() == 30 && b[4] == b'-' && b[10] == b'T' && b[19] == b'.' && t.ends_with('Z'),
        "{t:?}"
    );
    (t, rest)
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn logs_of_a_foreground_run_as_docker() {
    let r = TestRoot::new("logs-fg");
    r.import_busybox("bb:logs");
    let mut d = DockerObjects::new();
    let dimg = d.import_busybox(&r.tmp);
    let ours = fresh("logs");
    let theirs = fresh("logs");
    d.containers.push(theirs.clone());

    let o = r.rvol_run(&["run", "--name", &ours, "bb:logs", "sh", "-c", SCRIPT]);
    let od = docker(&["run", "--name", &theirs, &dimg, "sh", "-c", SCRIPT]);
    // attached: the run's own output is the same, and is logged
    assert_eq!(stdout(&o), stdout(&od));
    assert_eq!(stderr(&o), stderr(&od));
    assert_eq!(stdout(&o), "one\nthree\npartial");

    for args in [
        &[][..],
        &["--tail", "1"],
        &["--tail", "2"],
        &["-n", "3"],
        &["--tail", "0"],
        &["--tail", "all"],
        &["--tail", "x"],
        &["--tail", "-3"],
        &["--since", "1h"],
        &["--since", "2999-01-01"],
        &["--until", "1h"],
        &["--until", "2999-01-01T00:00:00Z"],
        &["--since", "0"],
        &["--since", "foo"],
        &["--until", "2020-13-01"],
        &["--since", "2021-02-29"],
        &["--since", "2020-01-01T25"],
        &["-f"],
    ] {
        same(&r, &ours, &theirs, args);
    }

    // -t: the entries each with its time; the same lines past it
    let (o, od) = both(&r, &ours, &theirs, &["-t"]);
    let strip =
        |s: String| -> Vec<String> { s.lines().map(|l| split_stamp(l).1.to_string()).collect() };
    assert_eq!(strip(stdout(&o)), strip(stdout(&od)));
    assert_eq!(strip(stderr(&o)), strip(stderr(&od)));

    // --since / --until at an entry's own time: inclusive, as docker's
    let out = stdout(&o);
    let three = out.lines().nth(1).unwrap();
    let (t3, _) = split_stamp(three);
    let o = r.rvol_run(&["logs", "--since", t3, &ours]);
    assert_eq!(stdout(&o), "three\npartial");
    assert_eq!(stderr(&o), "four\n");
    let o = r.rvol_run(&["logs", "--until", t3, &ours]);
    assert_eq!(stdout(&o), "one\nthree\n");
    assert_eq!(stderr(&o), "two\n");

    // a missing container: docker's text and status
    let o = r.rvol_run(&["logs", "nosuch-logs"]);
    let od = docker(&["logs", "nosuch-logs"]);
    assert_eq!(o.status.code(), od.status.code());
    assert_eq!(stderr(&o), stderr(&od));
    r.rvol_ok(&["rm", &ours]);
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn logs_of_a_terminal_and_of_a_detached_run_as_docker() {
    let r = TestRoot::new("logs-tty");
    r.import_busybox("bb:logs");
    let mut d = DockerObjects::new();
    let dimg = d.import_busybox(&r.tmp);

    // -t: one stream, the tty's \r\n kept
    let ours = fresh("logst");
    let theirs = fresh("logst");
    d.containers.push(theirs.clone());
    let null = || std::fs::File::open("/dev/null").unwrap();
    let mut c = r.rvol(&["run", "-t", "--name", &ours, "bb:logs", "sh", "-c", SCRIPT]);
    rvol_tests::ok(c.stdin(null()));
    let mut dc = std::process::Command::new("docker");
    dc.args(["run", "-t", "--name", &theirs, &dimg, "sh", "-c", SCRIPT]);
    rvol_tests::ok(dc.stdin(null()));
    let o = same(&r, &ours, &theirs, &[]);
    assert_eq!(stdout(&o), "one\r\ntwo\r\nthree\r\nfour\r\npartial");
    same(&r, &ours, &theirs, &["--tail", "2"]);
    r.rvol_ok(&["rm", &ours]);

    // -d: logged while it runs; -f follows until it ends
    let ours = fresh("logsd");
    let theirs = fresh("logsd");
    d.containers.push(theirs.clone());
    let script = "echo start; sleep 1; echo end >&2";
    r.rvol_ok(&["run", "-d", "--name", &ours, "bb:logs", "sh", "-c", script]);
    docker(&["run", "-d", "--name", &theirs, &dimg, "sh", "-c", script]);
    let (o, od) = both(&r, &ours, &theirs, &["-f"]);
    assert_eq!(stdout(&o), "start\n");
    assert_eq!(stderr(&o), "end\n");
    assert_eq!((stdout(&o), stderr(&o)), (stdout(&od), stderr(&od)));
    r.rvol_ok(&["rm", "-f", &ours]);
}
