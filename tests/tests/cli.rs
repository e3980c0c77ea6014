//! The command line against the real Docker: the same scenarios through
//! `docker` and through `scripts/rvol`, compared. `inspect --format '{{json
//! .Mounts}}'` as a set (anonymous names, volume roots normalized);
//! `volume inspect`, `volume ls`, `ps -a` in docker's shape; `--help` on
//! every verb; a wrong flag or an unknown container gives docker's text and
//! status. A test that compares imports the tests' busybox rootfs (one tar)
//! into docker and into rvol under one tag of its own, and removes it after.

use rvol_tests::docker::{docker, docker_ok, volumes_dir, DockerObjects};
use rvol_tests::{is_hex64, text, unique, wait_until, TestRoot};
use serde_json::Value;

/// One Mounts entry with what legitimately differs taken out: an anonymous
/// volume's random name, and the volume store's root.
fn normalize_mount(m: &Value, rvol_root: &str, docker_volumes: &str) -> String {
    let mut m = m.clone();
    let anon = m["Name"].as_str().filter(|n| is_hex64(n)).map(String::from);
    if let Some(n) = &anon {
        m["Name"] = "<anon>".into();
        let s = m["Source"].as_str().unwrap().replace(n, "<anon>");
        m["Source"] = s.into();
    }
    let s = m["Source"]
        .as_str()
        .unwrap()
        .replace(docker_volumes, "<volumes>/")
        .replace(&format!("{rvol_root}/volumes/"), "<volumes>/");
    m["Source"] = s.into();
    serde_json::to_string(&m).unwrap()
}

fn mounts_set(json: &str, rvol_root: &str, docker_volumes: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let mut out: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|m| normalize_mount(m, rvol_root, docker_volumes))
        .collect();
    out.sort();
    out
}

/// The image of the seed (`FROM busybox / VOLUME /opt/xxx / CMD /bin/sh`)
/// on both sides: docker build, and rvol commit --change.
fn seed_images(r: &TestRoot, junk: &mut DockerObjects, bb: &str) -> (String, String) {
    let ctx = r.tmp.join("build");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {bb}\nVOLUME /opt/xxx\nCMD /bin/sh\n"),
    )
    .unwrap();
    let dimg = format!("{}:v1", unique("vol"));
    docker_ok(&["build", "-q", "-t", &dimg, ctx.to_str().unwrap()]);
    junk.images.push(dimg.clone());
    r.rvol_ok(&["create", "--name", "vol-build", bb, "true"]);
    r.rvol_ok(&[
        "commit",
        "--change",
        "VOLUME /opt/xxx",
        "--change",
        "CMD /bin/sh",
        "vol-build",
        "vol:v1",
    ]);
    r.rvol_ok(&["rm", "vol-build"]);
    (dimg, "vol:v1".to_string())
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn mounts_match_docker_for_every_kind_of_mount() {
    let r = TestRoot::new("cli-mounts");
    let mut junk = DockerObjects::new();
    let bb: &str = &junk.import_busybox(&r.tmp);
    r.import_busybox(bb);
    let (dimg, rimg) = seed_images(&r, &mut junk, bb);
    let host = r.tmp.join("host");
    std::fs::create_dir_all(host.join("b3")).unwrap();
    let h = host.to_str().unwrap();
    let n1 = unique("n1");
    let n2 = unique("n2");
    junk.volumes.extend([n1.clone(), n2.clone()]);
    let flags: Vec<String> = vec![
        "--network".into(),
        "none".into(),
        "-v".into(),
        format!("{h}/b1:/a"),
        "-v".into(),
        format!("{h}/b2:/b:ro"),
        "-v".into(),
        format!("{n1}:/c"),
        "-v".into(),
        "/d".into(),
        "--mount".into(),
        format!("type=bind,src={h}/b3,dst=/e,readonly"),
        "--mount".into(),
        format!("type=volume,src={n2},dst=/f"),
        "--tmpfs".into(),
        "/t:size=1m".into(),
    ];
    let fmt = "{{json .Mounts}}";
    // Binds: one line, compared as a set (the daemon's order varies)
    let others = "{{json .HostConfig.Binds}}\n{{json .HostConfig.Tmpfs}} {{json .Config.Volumes}} {{json .HostConfig.VolumesFrom}} {{.HostConfig.ReadonlyRootfs}}";
    let binds_set = |s: &str| -> (Vec<String>, String) {
        let (b, rest) = s.split_once('\n').unwrap();
        let mut b: Vec<String> = serde_json::from_str::<Option<Vec<String>>>(b)
            .unwrap()
            .unwrap_or_default();
        b.sort();
        (b, rest.to_string())
    };
    let root = r.path();
    let root = root.to_str().unwrap();
    let docker_volumes = volumes_dir();

    let mut compare = |name: &str, flags: &[String], dimage: &str, rimage: &str| {
        let dname = unique(name);
        junk.containers.push(dname.clone());
        let mut dargs = vec!["create", "--name", &dname];
        // a container named in a flag (--volumes-from) has the docker-side name there
        let dflags: Vec<String> = flags
            .iter()
            .map(|f| match f.split_once(':') {
                Some(("every", mode)) => format!("{}:{mode}", unique("every")),
                _ => f.clone(),
            })
            .collect();
        dargs.extend(dflags.iter().map(String::as_str));
        dargs.extend([dimage, "true"]);
        docker_ok(&dargs);
        let mut rargs = vec!["create", "--name", name];
        rargs.extend(flags.iter().map(String::as_str));
        rargs.extend([rimage, "true"]);
        r.rvol_ok(&rargs);
        let d = mounts_set(
            &docker_ok(&["inspect", "--format", fmt, &dname]),
            root,
            &docker_volumes,
        );
        let v = mounts_set(
            &r.rvol_ok(&["inspect", "--format", fmt, name]),
            root,
            &docker_volumes,
        );
        assert_eq!(v, d, "{name}: Mounts differ (rvol left, docker right)");
        let d = docker_ok(&["inspect", "--format", others, &dname]).replace(&unique(""), "");
        let v = r
            .rvol_ok(&["inspect", "--format", others, name])
            .replace(&unique(""), "");
        assert_eq!(
            binds_set(&v),
            binds_set(&d),
            "{name}: Binds Tmpfs Volumes VolumesFrom ReadonlyRootfs"
        );
    };
    compare("every", &flags, &dimg, &rimg);
    // --volumes-from copies all of them; :ro makes each read-only
    compare(
        "from",
        &["--volumes-from".to_string(), "every:ro".to_string()],
        bb,
        bb,
    );
    // --read-only, and an image VOLUME alone
    compare("ro", &["--read-only".to_string()], &dimg, &rimg);
}

/// Cells of a docker table, cut at the header's column starts.
fn table_cells(t: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = t.lines();
    let header = lines.next().unwrap_or("").to_string();
    let mut starts = vec![0];
    let b: Vec<char> = header.chars().collect();
    for i in 1..b.len() {
        if b[i] != ' ' && i >= 2 && b[i - 1] == ' ' && b[i - 2] == ' ' {
            starts.push(i);
        }
    }
    let cut = |l: &str| -> Vec<String> {
        let c: Vec<char> = l.chars().collect();
        starts
            .iter()
            .enumerate()
            .map(|(k, &s)| {
                let e = starts.get(k + 1).copied().unwrap_or(c.len()).min(c.len());
                c[s.min(c.len())..e]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_string()
            })
            .collect()
    };
    let titles = cut(&header);
    (titles, lines.map(cut).collect())
}

fn normalize_ps_row(mut row: Vec<String>, prefix: &str) -> Vec<String> {
    assert!(
        row[0].len() == 12 && row[0].bytes().all(|b| b.is_ascii_hexdigit()),
        "CONTAINER ID {}",
        row[0]
    );
    row[0] = "<id>".into();
    let ago = |s: &str| {
        let re_units = [
            "Less than a second",
            "About a minute",
            "About an hour",
            " second",
            " seconds",
            " minutes",
        ];
        assert!(
            re_units.iter().any(|u| s.contains(u)),
            "not a docker duration: {s}"
        );
        "<duration>".to_string()
    };
    row[3] = format!("{} ago", ago(row[3].trim_end_matches(" ago")));
    if let Some(rest) = row[4].strip_prefix("Exited (") {
        let (code, t) = rest.split_once(") ").unwrap();
        row[4] = format!("Exited ({code}) {} ago", ago(t.trim_end_matches(" ago")));
    }
    row[6] = row[6].trim_start_matches(prefix).to_string();
    row
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn ps_volume_ls_and_volume_inspect_have_dockers_shape() {
    let r = TestRoot::new("cli-shape");
    let mut junk = DockerObjects::new();
    let bb: &str = &junk.import_busybox(&r.tmp);
    r.import_busybox(bb);
    let prefix = unique("");
    let steps: [&[&str]; 3] = [
        &[
            "run",
            "--network",
            "none",
            "--name",
            "P2",
            bb,
            "sh",
            "-c",
            "exit 3",
        ],
        &[
            "create",
            "--network",
            "none",
            "--name",
            "P1",
            bb,
            "echo",
            "hello",
            "a b",
        ],
        &[
            "create",
            "--network",
            "none",
            "--name",
            "P3",
            bb,
            "echo",
            "1234567890123456789012345",
        ],
    ];
    for s in steps {
        let mut d: Vec<String> = s.iter().map(|x| x.to_string()).collect();
        let i = d.iter().position(|x| x == "--name").unwrap() + 1;
        d[i] = format!("{prefix}{}", d[i]);
        junk.containers.push(d[i].clone());
        let dargs: Vec<&str> = d.iter().map(String::as_str).collect();
        let o = docker(&dargs);
        let v = r.rvol_run(s);
        assert_eq!(
            v.status.code(),
            o.status.code(),
            "{s:?}: {}",
            text(&v.stderr)
        );
        // keep creation times apart: ps sorts by them
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let filter = format!("name={prefix}");
    let (dt, drows) = table_cells(&docker_ok(&["ps", "-a", "--filter", &filter]));
    let rps = r.rvol_ok(&["ps", "-a"]);
    let (vt, vrows) = table_cells(&rps);
    assert_eq!(
        rps.lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        [
            "CONTAINER",
            "ID",
            "IMAGE",
            "COMMAND",
            "CREATED",
            "STATUS",
            "PORTS",
            "NAMES"
        ]
    );
    assert_eq!(vt, dt, "ps -a columns");
    let norm = |rows: Vec<Vec<String>>, p: &str| -> Vec<Vec<String>> {
        rows.into_iter()
            .map(|row| normalize_ps_row(row, p))
            .collect()
    };
    assert_eq!(
        norm(vrows, ""),
        norm(drows, &prefix),
        "ps -a rows (rvol left)"
    );
    let q = r.rvol_ok(&["ps", "-a", "-q"]);
    assert_eq!(q.lines().count(), 3);
    assert!(q.lines().all(|l| l.len() == 12));

    // volume create / ls / inspect
    let v = unique("shape");
    junk.volumes.push(v.clone());
    docker_ok(&["volume", "create", "--label", "a=b", &v]);
    assert_eq!(
        r.rvol_ok(&["volume", "create", "--label", "a=b", &v]),
        format!("{v}\n")
    );
    let dls = docker_ok(&["volume", "ls", "--filter", &format!("name={v}")]);
    assert_eq!(r.rvol_ok(&["volume", "ls"]), dls);
    assert_eq!(r.rvol_ok(&["volume", "ls", "-q"]), format!("{v}\n"));
    let di = docker_ok(&["volume", "inspect", &v]);
    let vi = r.rvol_ok(&["volume", "inspect", &v]);
    let blank_time = |s: &str| -> String {
        s.lines()
            .map(|l| {
                if l.trim_start().starts_with("\"CreatedAt\"") {
                    "<created>".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let root = r.path();
    let vi = vi.replace(&format!("{}/volumes/", root.display()), &volumes_dir());
    assert_eq!(
        blank_time(&vi),
        blank_time(&di),
        "volume inspect (rvol left)"
    );
    let created: Value = serde_json::from_str(&r.rvol_ok(&["volume", "inspect", &v])).unwrap();
    let c = created[0]["CreatedAt"].as_str().unwrap();
    assert!(
        c.len() == 20 && c.ends_with('Z') && c.as_bytes()[10] == b'T',
        "{c}"
    );

    // unknown volume: docker's [] on stdout, status 1
    let d = docker(&["volume", "inspect", "nosuch-rvol-cli"]);
    let o = r.rvol_run(&["volume", "inspect", "nosuch-rvol-cli"]);
    assert_eq!(o.status.code(), d.status.code());
    assert_eq!(text(&o.stdout), text(&d.stdout));
    assert!(text(&o.stderr).contains("get nosuch-rvol-cli: no such volume"));
}

const VERBS: &[&str] = &[
    "run",
    "create",
    "start",
    "rm",
    "ps",
    "logs",
    "wait",
    "stop",
    "kill",
    "inspect",
    "images",
    "import",
    "load",
    "commit",
    "volume create",
    "volume ls",
    "volume inspect",
    "volume rm",
    "volume prune",
];

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn every_verb_answers_help() {
    let r = TestRoot::new("cli-help");
    for verb in VERBS.iter().chain(&["volume"]) {
        let mut args: Vec<&str> = verb.split(' ').collect();
        args.push("--help");
        let o = r.rvol_run(&args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "rvol {verb} --help: {}",
            text(&o.stderr)
        );
        let out = text(&o.stdout);
        assert!(
            out.starts_with(&format!("Usage:  rvol {verb}")),
            "rvol {verb} --help:\n{out}"
        );
    }
    let o = r.rvol_run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    for verb in VERBS.iter().filter(|v| !v.contains(' ')) {
        assert!(
            text(&o.stdout).contains(&format!("\n  {verb} ")),
            "rvol --help lists {verb}"
        );
    }
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn wrong_flag_gives_dockers_text_and_125() {
    let r = TestRoot::new("cli-flags");
    // The usage line as the current docker CLI prints it (older CLIs print
    // `See 'docker VERB --help'.` instead): compared in full when the live
    // CLI has this shape, by the message line otherwise.
    for verb in VERBS {
        for bad in ["--bogus", "-Z"] {
            let mut args: Vec<&str> = verb.split(' ').collect();
            args.push(bad);
            let d = docker(&args);
            let o = r.rvol_run(&args);
            assert_eq!(o.status.code(), Some(125), "rvol {verb} {bad}");
            assert_eq!(o.status.code(), d.status.code(), "rvol {verb} {bad}");
            let want = text(&d.stderr).replace("docker", "rvol");
            let got = text(&o.stderr);
            assert_eq!(got.lines().next(), want.lines().next(), "rvol {verb} {bad}");
            let rest: Vec<&str> = got.lines().skip(1).collect();
            assert_eq!(rest.len(), 4, "rvol {verb} {bad}: {got}");
            assert!(
                rest[1].starts_with(&format!("Usage:  rvol {verb} "))
                    || rest[1] == format!("Usage:  rvol {verb}"),
                "{got}"
            );
            assert_eq!(
                rest[3],
                format!("Run 'rvol {verb} --help' for more information")
            );
            // rvol needs a name for an import (no untagged images): its
            // synopsis says so
            if want.contains("\nUsage:  ") && *verb != "import" {
                assert_eq!(got, want, "rvol {verb} {bad}");
            }
        }
    }
    // a flag without its value
    let d = docker(&["run", "--name"]);
    let o = r.rvol_run(&["run", "--name"]);
    assert_eq!(o.status.code(), d.status.code());
    assert_eq!(
        text(&o.stderr).lines().next(),
        text(&d.stderr).replace("docker", "rvol").lines().next()
    );
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn unknown_container_gives_dockers_text_and_status() {
    let r = TestRoot::new("cli-unknown");
    let name = "nosuch-rvol-cli";
    for verb in [
        "start", "rm", "logs", "wait", "stop", "kill", "commit", "inspect",
    ] {
        let d = docker(&[verb, name]);
        let o = r.rvol_run(&[verb, name]);
        assert_eq!(
            o.status.code(),
            d.status.code(),
            "rvol {verb} {name}: {}",
            text(&o.stderr)
        );
        // docker's message, less the "Error response from daemon: " rvol has no daemon for
        let want = if verb == "inspect" {
            format!("No such object: {name}")
        } else {
            format!("No such container: {name}")
        };
        assert!(
            text(&d.stderr).contains(&want),
            "docker {verb}: {}",
            text(&d.stderr)
        );
        assert!(
            text(&o.stderr).contains(&want),
            "rvol {verb}: {}",
            text(&o.stderr)
        );
        assert_eq!(text(&o.stdout), text(&d.stdout), "rvol {verb} stdout");
    }
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn background_containers_stop_start_kill_wait_logs() {
    let r = TestRoot::new("cli-life");
    r.import_busybox("busybox:local");
    let id = r.rvol_ok(&[
        "run",
        "-d",
        "--name",
        "bg",
        "busybox:local",
        "sh",
        "-c",
        "echo started; trap 'exit 7' USR1; while :; do sleep 0.1; done",
    ]);
    let id = id.trim();
    assert!(is_hex64(id), "{id}");
    let ps = r.rvol_ok(&["ps"]);
    assert!(ps.lines().nth(1).unwrap().starts_with(&id[..12]), "{ps}");
    assert!(ps.contains("   Up "), "{ps}");
    wait_until(20.0, "log line", || {
        r.rvol_ok(&["logs", "bg"]) == "started\n"
    });
    // PID 1 without a handler ignores SIGTERM: stop waits -t seconds, then SIGKILL
    let t0 = std::time::Instant::now();
    assert_eq!(r.rvol_ok(&["stop", "-t", "1", "bg"]), "bg\n");
    assert!(t0.elapsed().as_millis() >= 900);
    assert_eq!(
        r.rvol_ok(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.ExitCode}}",
            "bg"
        ]),
        "exited 137\n"
    );
    assert!(r.rvol_ok(&["ps", "-a"]).contains("Exited (137) "));
    assert_eq!(r.rvol_ok(&["ps", "-q"]), "");
    // started again: the same container, by a prefix of its id
    assert_eq!(r.rvol_ok(&["start", &id[..8]]), format!("{}\n", &id[..8]));
    assert_eq!(
        r.rvol_ok(&["inspect", "-f", "{{.State.Running}}", "bg"]),
        "true\n"
    );
    assert_eq!(r.rvol_ok(&["kill", "-s", "USR1", "bg"]), "bg\n");
    // the signal reaches PID 1's handler
    assert_eq!(r.rvol_ok(&["wait", "bg"]), "7\n");
    wait_until(20.0, "log of both runs", || {
        r.rvol_ok(&["logs", "bg"]) == "started\nstarted\n"
    });
    // a running container is not removed without -f
    r.rvol_ok(&["start", "bg"]);
    let o = r.rvol_run(&["rm", "bg"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("You cannot remove a running container"));
    assert_eq!(r.rvol_ok(&["rm", "-f", "bg"]), "bg\n");
    assert_eq!(r.rvol_ok(&["ps", "-a", "-q"]), "");
    let o = r.rvol_run(&["kill", "bg"]);
    assert_eq!(o.status.code(), Some(1));

    // run -d --rm: gone with its anonymous volume once it ends
    r.rvol_ok(&[
        "run",
        "-d",
        "--rm",
        "--name",
        "gone",
        "-v",
        "/anon",
        "busybox:local",
        "true",
    ]);
    // the container goes first, then its anonymous volume
    wait_until(20.0, "run -d --rm cleanup", || {
        r.rvol_ok(&["ps", "-a", "-q"]).is_empty() && r.rvol_ok(&["volume", "ls", "-q"]).is_empty()
    });
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn run_rm_exit_status_stdin_and_tty() {
    let r = TestRoot::new("cli-run");
    r.import_busybox("busybox:local");
    // the command's status; --rm cleans up also when the command fails
    let o = r.rvol_run(&[
        "run",
        "--rm",
        "-v",
        "/anon",
        "-v",
        "keep:/k",
        "busybox:local",
        "sh",
        "-c",
        "exit 3",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let o = r.rvol_run(&["run", "--rm", "-v", "/anon", "busybox:local", "nonexist"]);
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(r.rvol_ok(&["ps", "-a", "-q"]), "");
    assert_eq!(
        r.rvol_ok(&["volume", "ls", "-q"]),
        "keep\n",
        "named stays, anonymous go"
    );
    // without -i the container reads nothing; with -i our stdin
    let mut c = r.rvol(&["run", "--rm", "busybox:local", "cat"]);
    c.stdin(std::fs::File::open("/etc/hostname").unwrap());
    assert_eq!(rvol_tests::ok(&mut c), "");
    let mut c = r.rvol(&["run", "--rm", "-i", "busybox:local", "cat"]);
    c.stdin(std::fs::File::open("/etc/hostname").unwrap());
    assert_eq!(
        rvol_tests::ok(&mut c),
        std::fs::read_to_string("/etc/hostname").unwrap()
    );
    // -t: the container's stdin and stdout are a terminal (the tty turns \n into \r\n)
    let out = r.rvol_ok(&[
        "run",
        "--rm",
        "-t",
        "busybox:local",
        "sh",
        "-c",
        "test -t 0 && test -t 1 && echo tty",
    ]);
    assert_eq!(out, "tty\r\n");
    let out = r.rvol_ok(&[
        "run",
        "--rm",
        "busybox:local",
        "sh",
        "-c",
        "test -t 1 && echo tty || echo notty",
    ]);
    assert_eq!(out, "notty\n");
    // process flags reach the container
    let out = r.rvol_ok(&[
        "run",
        "--rm",
        "-e",
        "A=1",
        "-w",
        "/tmp/wd",
        "-u",
        "1000:1000",
        "--hostname",
        "hh",
        "--entrypoint",
        "/bin/sh",
        "busybox:local",
        "-c",
        "echo $A $(pwd) $(id -u):$(id -g) $(hostname)",
    ]);
    assert_eq!(out, "1 /tmp/wd 1000:1000 hh\n");
    // --env-file: comments and blank lines skipped, KEY alone taken from ours
    let envf = r.tmp.join("env");
    std::fs::write(&envf, "# c\nA=1\n  B=two words\nFROM_US\n\nUNSET_HERE\n").unwrap();
    let mut c = r.rvol(&[
        "run",
        "--rm",
        "--env-file",
        envf.to_str().unwrap(),
        "busybox:local",
        "sh",
        "-c",
        "echo \"$A|$B|$FROM_US|${UNSET_HERE-unset}\"",
    ]);
    c.env("FROM_US", "ours").env_remove("UNSET_HERE");
    assert_eq!(rvol_tests::ok(&mut c), "1|two words|ours|unset\n");
}

/// Every key rvol prints at `path` is one docker prints there, in docker's
/// order, with the same JSON type (null aside).
fn same_shape(path: &str, rvol: &Value, docker: &Value, errs: &mut Vec<String>) {
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    match (rvol, docker) {
        (Value::Object(r), Value::Object(d)) => {
            let dkeys: Vec<&String> = d.keys().collect();
            let mut last = None;
            for (k, rv) in r {
                match dkeys.iter().position(|x| *x == k) {
                    None => errs.push(format!("{path}.{k}: docker has no such key")),
                    Some(i) => {
                        if last.is_some_and(|l| i < l) {
                            errs.push(format!("{path}.{k}: out of docker's order"));
                        }
                        last = Some(i);
                        same_shape(&format!("{path}.{k}"), rv, &d[k], errs);
                    }
                }
            }
        }
        (Value::Array(r), Value::Array(d)) => {
            if let (Some(r0), Some(d0)) = (r.first(), d.first()) {
                same_shape(&format!("{path}[0]"), r0, d0, errs);
            }
        }
        (Value::Null, _) | (_, Value::Null) => {}
        (r, d) if kind(r) != kind(d) => {
            errs.push(format!("{path}: rvol {} docker {}", kind(r), kind(d)))
        }
        _ => {}
    }
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn inspect_has_dockers_keys_order_and_types() {
    let r = TestRoot::new("cli-inspect");
    let mut junk = DockerObjects::new();
    let bb: &str = &junk.import_busybox(&r.tmp);
    r.import_busybox(bb);
    let host = r.tmp.join("host");
    let spec = format!("{}:/a:ro", host.display());
    let name = unique("insp");
    junk.containers.push(name.clone());
    let flags = [
        "--network",
        "none",
        "-v",
        &spec,
        "--tmpfs",
        "/t",
        "-e",
        "A=1",
    ];
    let mut d = vec!["create", "--name", &name];
    d.extend(flags);
    d.extend([bb, "echo", "hi"]);
    docker_ok(&d);
    let mut v = vec!["create", "--name", "insp"];
    v.extend(flags);
    v.extend([bb, "echo", "hi"]);
    let id = r.rvol_ok(&v);
    let dj: Value = serde_json::from_str(&docker_ok(&["inspect", &name])).unwrap();
    let vj: Value = serde_json::from_str(&r.rvol_ok(&["inspect", "insp"])).unwrap();
    let mut errs = Vec::new();
    same_shape("", &vj, &dj, &mut errs);
    assert!(errs.is_empty(), "{}", errs.join("\n"));
    let c = &vj[0];
    assert_eq!(c["Id"], id.trim());
    assert_eq!(c["Config"]["Hostname"], &id.trim()[..12]);
    for key in [
        "Id",
        "Created",
        "Name",
        "State",
        "Image",
        "Config",
        "HostConfig",
        "Mounts",
        "GraphDriver",
    ] {
        assert!(!c[key].is_null(), "{key}");
    }
    for key in ["LowerDir", "MergedDir", "UpperDir", "WorkDir"] {
        assert!(
            c["GraphDriver"]["Data"][key].is_string(),
            "GraphDriver.Data.{key}"
        );
    }
    let upper = c["GraphDriver"]["Data"]["UpperDir"].as_str().unwrap();
    assert!(std::path::Path::new(upper).is_dir());

    // the same --format templates print the same text
    let templates = [
        "{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}",
        "{{.HostConfig.Tmpfs}} {{.HostConfig.Binds}} {{.Config.Volumes}} {{.HostConfig.VolumesFrom}}",
        "{{.Mounts}}",
        "{{json .Mounts}}",
        "{{range .Mounts}}{{.Type}}:{{.Source}}:{{.Destination}}:{{.RW}}{{\"\\n\"}}{{end}}",
        "{{range $i, $m := .Mounts}}{{$i}} {{$m.Mode}} {{$.Path}}{{end}}",
        "{{index .Config.Labels \"nope\"}}|{{len .Mounts}}|{{.Config.Labels}}",
        "{{if .HostConfig.ReadonlyRootfs}}ro{{else if .Mounts}}mounts{{else}}none{{end}}",
        "{{printf \"%s=%v %q\" .Config.Cmd .State.Running .Path}}",
        "{{join .Config.Cmd \",\"}} {{.Config.Cmd}} {{.Path}} {{.Args}} {{.Config.Entrypoint}}",
        "{{upper .State.Status}} {{.GraphDriver.Name}} {{.HostConfig.NetworkMode}}",
        "{{with .State}}{{.Status}}{{end}} {{println \"x\"}}",
        "{{- range .Mounts }} {{ .Destination -}} {{ end }}",
        "{{json .HostConfig.Tmpfs}} {{json .Config.Env}} {{json .State.Running}}",
        "{{eq .State.Status \"created\"}} {{ne (len .Mounts) 0}} {{not .State.Running}}",
    ];
    for t in templates {
        let d = docker(&["inspect", "--format", t, &name]);
        let o = r.rvol_run(&["inspect", "--format", t, "insp"]);
        assert_eq!(text(&o.stdout), text(&d.stdout), "--format {t}");
        assert_eq!(o.status.code(), d.status.code(), "--format {t}");
    }
    // template errors: docker's text and status
    for t in ["{{.Foo}}", "{{.State.Foo}}", "{{.Foo", "{{range .Mounts}}"] {
        let d = docker(&["inspect", "--format", t, &name]);
        let o = r.rvol_run(&["inspect", "--format", t, "insp"]);
        assert_eq!(o.status.code(), d.status.code(), "--format {t}");
        // older docker CLIs capitalize "Template parsing error"
        assert_eq!(
            text(&o.stderr).to_lowercase(),
            text(&d.stderr).to_lowercase(),
            "--format {t}"
        );
    }
    // --format json: the same array, compact on one line, as docker's CLI
    let line = r.rvol_ok(&["inspect", "--format", "json", "insp"]);
    assert_eq!(line.lines().count(), 1, "{line}");
    let again: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(again[0]["Id"], c["Id"]);
    assert_eq!(again[0]["Mounts"], c["Mounts"]);
    assert_eq!(
        docker_ok(&["inspect", "--format", "json", &name])
            .lines()
            .count(),
        1
    );
    // an image, in docker image inspect's shape
    let dj: Value = serde_json::from_str(&docker_ok(&["inspect", "--type", "image", bb])).unwrap();
    let vj: Value = serde_json::from_str(&r.rvol_ok(&["inspect", "--type", "image", bb])).unwrap();
    let mut errs = Vec::new();
    same_shape("", &vj, &dj, &mut errs);
    assert!(errs.is_empty(), "{}", errs.join("\n"));
    assert_eq!(vj[0]["RepoTags"], serde_json::json!([bb]));
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn run_passes_sigterm_on_to_the_container() {
    let r = TestRoot::new("cli-sig");
    r.import_busybox("busybox:local");
    for rm in [true, false] {
        let name = if rm { "sig-rm" } else { "sig-keep" };
        let mut args = vec!["run", "--name", name];
        if rm {
            args.push("--rm");
        }
        args.extend([
            "busybox:local",
            "sh",
            "-c",
            "trap 'echo got TERM; exit 9' TERM; echo up; while :; do sleep 0.1; done",
        ]);
        let child = r
            .rvol(&args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        wait_until(20.0, "container running", || {
            r.rvol_run(&["inspect", "-f", "{{.State.Running}}", name])
                .stdout
                == b"true\n"
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        // SAFETY: kill(2) on our own child.
        assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(9), "rm={rm}");
        assert_eq!(text(&out.stdout), "up\ngot TERM\n", "rm={rm}");
        let left = r.rvol_ok(&["ps", "-a", "-q"]);
        assert_eq!(left.is_empty(), rm, "rm={rm}: {left}");
        if !rm {
            r.rvol_ok(&["rm", name]);
        }
    }
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn load_takes_docker_save_and_images_shows_dockers_id() {
    let r = TestRoot::new("cli-load");
    let mut junk = DockerObjects::new();
    let bb: &str = &junk.import_busybox(&r.tmp);
    let archive = r.tmp.join("busybox-local.tar");
    docker_ok(&["save", "-o", archive.to_str().unwrap(), bb]);
    let out = r.rvol_ok(&["load", "-i", archive.to_str().unwrap()]);
    assert_eq!(out, format!("Loaded image: {bb}\n"));
    let did = docker_ok(&["images", "-q", bb]);
    let rid = r.rvol_ok(&["images", "-q", bb]);
    assert_eq!(rid, did.lines().next().unwrap().to_string() + "\n");
    let (titles, rows) = table_cells(&r.rvol_ok(&["images"]));
    assert_eq!(titles, ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]);
    let (repo, tag) = bb.split_once(':').unwrap();
    assert_eq!(rows[0][..3], [repo, tag, rid.trim()]);
    let id = r.rvol_ok(&["inspect", "--format", "{{.Id}}", bb]);
    assert_eq!(id, docker_ok(&["inspect", "--format", "{{.Id}}", bb]));
    assert_eq!(r.rvol_ok(&["run", "--rm", bb, "echo", "ok"]), "ok\n");
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn list_formats_and_filters_follow_docker() {
    let r = TestRoot::new("cli-listfmt");
    let mut junk = DockerObjects::new();
    let bb: &str = &junk.import_busybox(&r.tmp);
    r.import_busybox(bb);
    let host = r.tmp.join("host");
    let bind = format!("{}:/a", host.display());
    let vol = unique("fv");
    let name = unique("f");
    junk.containers.push(name.clone());
    junk.volumes.push(vol.clone());
    let flags = ["--network", "none", "-v", &bind, "-v"];
    let named = format!("{vol}:/b");
    let mut d = vec!["create", "--name", &name];
    d.extend(flags);
    d.extend([named.as_str(), bb, "true"]);
    docker_ok(&d);
    let mut v = vec!["create", "--name", &name];
    v.extend(flags);
    v.extend([named.as_str(), bb, "true"]);
    r.rvol_ok(&v);
    let filt = format!("name={name}");
    let same_lines = |args: &[&str]| {
        let mut dargs = args.to_vec();
        dargs.extend(["--filter", &filt]);
        let d = docker_ok(&dargs);
        let o = r.rvol_ok(&dargs);
        (o, d)
    };
    // fields that do not depend on time or on the root
    let (o, d) = same_lines(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}}|{{.Image}}|{{.Command}}|{{.Status}}|{{.State}}|{{.Networks}}|{{.LocalVolumes}}|{{.Ports}}|{{.Labels}}",
    ]);
    assert_eq!(o, d);
    let (o, d) = same_lines(&[
        "ps",
        "-a",
        "--format",
        "table {{.Names}}\t{{.Status}}\t{{.LocalVolumes}}",
    ]);
    assert_eq!(o, d);
    let (o, d) = same_lines(&["ps", "-a", "--format", "json"]);
    let keys = |s: &str| -> Vec<String> {
        let v: Value = serde_json::from_str(s.lines().next().unwrap()).unwrap();
        v.as_object().unwrap().keys().cloned().collect()
    };
    assert_eq!(keys(&o), keys(&d), "ps --format json keys");
    let (o, d) = same_lines(&[
        "ps",
        "-a",
        "--filter",
        "status=created",
        "--format",
        "{{.Names}}",
    ]);
    assert_eq!(o, d);
    let (o, d) = same_lines(&[
        "ps",
        "-a",
        "--filter",
        "status=exited",
        "--format",
        "{{.Names}}",
    ]);
    assert_eq!((o.as_str(), d.as_str()), ("", ""));
    let o = r.rvol_run(&["ps", "--filter", "bogus=1"]);
    let d = docker(&["ps", "--filter", "bogus=1"]);
    assert_eq!(o.status.code(), d.status.code());
    assert!(
        text(&o.stderr).contains("Invalid filter 'bogus'"),
        "{}",
        text(&o.stderr)
    );

    let vfilt = format!("name={vol}");
    let d = docker_ok(&[
        "volume",
        "ls",
        "--filter",
        &vfilt,
        "--format",
        "{{.Name}} {{.Driver}} {{.Labels}} {{.Scope}}",
    ]);
    let o = r.rvol_ok(&[
        "volume",
        "ls",
        "--filter",
        &vfilt,
        "--format",
        "{{.Name}} {{.Driver}} {{.Labels}} {{.Scope}}",
    ]);
    assert_eq!(o, d);
    let d = docker_ok(&["volume", "ls", "--filter", &vfilt, "--format", "json"]);
    let o = r.rvol_ok(&["volume", "ls", "--filter", &vfilt, "--format", "json"]);
    assert_eq!(keys(&o), keys(&d), "volume ls --format json keys");
    // in use by the container: not dangling
    let o = r.rvol_ok(&["volume", "ls", "-q", "--filter", "dangling=false"]);
    assert!(o.lines().any(|l| l == vol), "{o}");
    assert!(!r
        .rvol_ok(&["volume", "ls", "-q", "--filter", "dangling=true"])
        .contains(&vol));

    let d = docker_ok(&[
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}} {{.Digest}}",
        bb,
    ]);
    let o = r.rvol_ok(&[
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}} {{.Digest}}",
        bb,
    ]);
    assert_eq!(o, d);
    let d = docker_ok(&["images", "--format", "json", bb]);
    let o = r.rvol_ok(&["images", "--format", "json", bb]);
    assert_eq!(keys(&o), keys(&d), "images --format json keys");
}
