//! The local driver beyond a directory (docs/docker-behaviour.md §14):
//! `volume create -o type= -o device= -o o=` (tmpfs, a bind, ext4 on a
//! loop device, nfs's error here: this kernel has no nfs), mounted on the
//! volume's `_data` only while a container uses it, counted across
//! containers, undone after a kill -9 by the next command; docker's texts
//! for bad options and failed mounts; labels, every `volume ls` filter and
//! `volume prune --filter`, each against the real daemon; then docker
//! 26's `volume-subpath` (its documented texts) and Podman's `:U`.

use std::path::PathBuf;
use std::process::{Command, Output};

use rvol_tests::docker::{docker, docker_error, docker_ok, volumes_dir, DockerObjects};
use rvol_tests::{fresh, mounts_under, text, unique, wait_until, TestRoot};

/// A root with busybox as `bb:1`.
fn root(tag: &str) -> TestRoot {
    let r = TestRoot::new(tag);
    r.import_busybox("bb:1");
    r
}

fn data(r: &TestRoot, v: &str) -> PathBuf {
    r.path().join("volumes").join(v).join("_data")
}

/// `_data` is a mount point in the host's mount table.
fn mounted(r: &TestRoot, v: &str) -> bool {
    mounts_under(&r.path().join("volumes")).contains(&data(r, v))
}

/// rvol's error with its tool prefix gone and its paths as docker's.
fn as_docker(r: &TestRoot, stderr: &[u8]) -> String {
    let s = text(stderr);
    let line = s.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let line = line
        .strip_prefix("rvol-mount: ")
        .or_else(|| line.strip_prefix("rvol: "))
        .unwrap_or(line);
    line.replace(
        &format!("{}/", r.path().join("volumes").display()),
        &volumes_dir(),
    )
}

fn both(r: &TestRoot, rvol: &[&str], dock: &[&str]) -> (Output, Output) {
    (r.rvol_run(rvol), docker(dock))
}

/// The same volume options on both sides: rvol's named `rv`, docker's `dv`.
fn create_both(r: &TestRoot, d: &mut DockerObjects, rv: &str, dv: &str, opts: &[&str]) {
    let mut a = vec!["volume", "create"];
    a.extend(opts);
    let mut ra = a.clone();
    ra.push(rv);
    r.rvol_ok(&ra);
    a.push(dv);
    docker_ok(&a);
    d.volumes.push(dv.to_string());
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn tmpfs_volume_as_docker() {
    let r = root("vd-tmpfs");
    let mut d = DockerObjects::new();
    let img = d.import_busybox(&r.tmp);
    let dv = fresh("vdt");
    let o = "o=size=1m,uid=1000,gid=1001,mode=0710";
    create_both(
        &r,
        &mut d,
        "t1",
        &dv,
        &[
            "-o",
            "type=tmpfs",
            "-o",
            "device=tmpfs",
            "-o",
            o,
            "--label",
            "k=v",
        ],
    );
    // Options and Labels as docker's inspect shows them; nothing mounted yet.
    let f = "{{json .Options}} {{json .Labels}}";
    assert_eq!(
        r.rvol_ok(&["volume", "inspect", "-f", f, "t1"]),
        docker_ok(&["volume", "inspect", "-f", f, &dv])
    );
    assert!(!mounted(&r, "t1"), "mounted at create");
    // Owner and mode from o=, the size enforced, a file written.
    let script = "stat -c '%u %g %a' /d; dd if=/dev/zero of=/d/big bs=1k count=2000 2>/dev/null; echo dd=$?; echo kept > /d/f 2>/dev/null; true";
    let (ro, dout) = both(
        &r,
        &["run", "--rm", "-v", "t1:/d", "bb:1", "sh", "-c", script],
        &[
            "run",
            "--rm",
            "-v",
            &format!("{dv}:/d"),
            &img,
            "sh",
            "-c",
            script,
        ],
    );
    assert_eq!(text(&ro.stdout), text(&dout.stdout));
    assert_eq!(text(&ro.stdout), "1000 1001 710\ndd=1\n");
    // After its last user: unmounted, and the next one finds it empty.
    assert!(!mounted(&r, "t1"), "still mounted after its last user");
    let (ro, dout) = both(
        &r,
        &["run", "--rm", "-v", "t1:/d", "bb:1", "ls", "-A", "/d"],
        &[
            "run",
            "--rm",
            "-v",
            &format!("{dv}:/d"),
            &img,
            "ls",
            "-A",
            "/d",
        ],
    );
    assert_eq!(text(&ro.stdout), text(&dout.stdout));
    assert_eq!(text(&ro.stdout), "");
    assert_eq!(std::fs::read_dir(data(&r, "t1")).unwrap().count(), 0);
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn bind_volume_writes_land_in_the_device_dir() {
    let r = root("vd-bind");
    let mut d = DockerObjects::new();
    let img = d.import_busybox(&r.tmp);
    let (rdev, ddev) = (r.host("rdev"), r.host("ddev"));
    std::fs::create_dir_all(&rdev).unwrap();
    std::fs::create_dir_all(&ddev).unwrap();
    std::fs::write(rdev.join("old"), "o\n").unwrap();
    std::fs::write(ddev.join("old"), "o\n").unwrap();
    let dv = fresh("vdb");
    let rd = format!("device={}", rdev.display());
    let dd = format!("device={}", ddev.display());
    r.rvol_ok(&[
        "volume",
        "create",
        "-o",
        "type=none",
        "-o",
        &rd,
        "-o",
        "o=bind",
        "b1",
    ]);
    docker_ok(&[
        "volume",
        "create",
        "-o",
        "type=none",
        "-o",
        &dd,
        "-o",
        "o=bind",
        &dv,
    ]);
    d.volumes.push(dv.clone());
    let script = "cat /d/old; echo new > /d/new";
    let (ro, dout) = both(
        &r,
        &["run", "--rm", "-v", "b1:/d", "bb:1", "sh", "-c", script],
        &[
            "run",
            "--rm",
            "-v",
            &format!("{dv}:/d"),
            &img,
            "sh",
            "-c",
            script,
        ],
    );
    assert_eq!(text(&ro.stdout), text(&dout.stdout));
    assert_eq!(std::fs::read_to_string(rdev.join("new")).unwrap(), "new\n");
    assert_eq!(std::fs::read_to_string(ddev.join("new")).unwrap(), "new\n");
    // The volume's own _data stayed empty, and is no mount now.
    assert!(!mounted(&r, "b1"));
    assert_eq!(std::fs::read_dir(data(&r, "b1")).unwrap().count(), 0);
    // Its removal leaves the device's files alone.
    r.rvol_ok(&["volume", "rm", "b1"]);
    assert!(rdev.join("new").exists());
    // Copy-up goes to the mounted volume, the device dir, as docker's.
    let (rdev2, ddev2) = (r.host("rdev2"), r.host("ddev2"));
    std::fs::create_dir_all(&rdev2).unwrap();
    std::fs::create_dir_all(&ddev2).unwrap();
    let dv2 = fresh("vdb");
    let rd = format!("device={}", rdev2.display());
    let dd = format!("device={}", ddev2.display());
    r.rvol_ok(&[
        "volume",
        "create",
        "-o",
        "type=none",
        "-o",
        &rd,
        "-o",
        "o=bind",
        "b2",
    ]);
    docker_ok(&[
        "volume",
        "create",
        "-o",
        "type=none",
        "-o",
        &dd,
        "-o",
        "o=bind",
        &dv2,
    ]);
    d.volumes.push(dv2.clone());
    r.rvol_ok(&["run", "--rm", "-v", "b2:/etc", "bb:1", "true"]);
    docker_ok(&["run", "--rm", "-v", &format!("{dv2}:/etc"), &img, "true"]);
    let names = |p: &std::path::Path| {
        let mut v: Vec<String> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    // Docker's init layer adds /etc/mtab (a link to /proc/mounts), which
    // rvol's does not make: not this change's.
    let mut want = names(&ddev2);
    want.retain(|n| n != "mtab");
    assert_eq!(names(&rdev2), want);
    assert!(rdev2.join("passwd").exists());
    assert_eq!(std::fs::read_dir(data(&r, "b2")).unwrap().count(), 0);
}

/// A loop device on a file of `r`'s scratch space, detached when dropped.
struct Loop(String);

impl Loop {
    fn ext4(r: &TestRoot, name: &str) -> Loop {
        let img = r.tmp.join(name);
        std::fs::File::create(&img)
            .unwrap()
            .set_len(16 << 20)
            .unwrap();
        rvol_tests::ok(Command::new("mkfs.ext4").arg("-q").arg(&img));
        let dev = rvol_tests::ok(Command::new("losetup").args(["-f", "--show"]).arg(&img));
        Loop(dev.trim().to_string())
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.0]).status();
    }
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn ext4_volume_on_a_loop_device() {
    let r = root("vd-ext4");
    let mut d = DockerObjects::new();
    let img = d.import_busybox(&r.tmp);
    let (rl, dl) = (Loop::ext4(&r, "r.img"), Loop::ext4(&r, "d.img"));
    let dv = fresh("vde");
    r.rvol_ok(&[
        "volume",
        "create",
        "-o",
        "type=ext4",
        "-o",
        &format!("device={}", rl.0),
        "e1",
    ]);
    docker_ok(&[
        "volume",
        "create",
        "-o",
        "type=ext4",
        "-o",
        &format!("device={}", dl.0),
        &dv,
    ]);
    d.volumes.push(dv.clone());
    let script = "grep ' /d ' /proc/self/mountinfo | sed 's/.* - \\([^ ]*\\) .*/\\1/'; ls -A /d; echo e > /d/e";
    let (ro, dout) = both(
        &r,
        &["run", "--rm", "-v", "e1:/d", "bb:1", "sh", "-c", script],
        &[
            "run",
            "--rm",
            "-v",
            &format!("{dv}:/d"),
            &img,
            "sh",
            "-c",
            script,
        ],
    );
    assert_eq!(text(&ro.stdout), text(&dout.stdout));
    assert_eq!(text(&ro.stdout), "ext4\nlost+found\n");
    assert!(!mounted(&r, "e1"), "still mounted after its last user");
    // The filesystem keeps what was written.
    let o = r.rvol_ok(&["run", "--rm", "-v", "e1:/d", "bb:1", "cat", "/d/e"]);
    assert_eq!(o, "e\n");
    r.rvol_ok(&["volume", "rm", "e1"]);
    let _ = docker(&["volume", "rm", &dv]);
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn option_errors_and_failed_mounts_read_as_dockers() {
    let r = root("vd-errors");
    let mut d = DockerObjects::new();
    let img = d.import_busybox(&r.tmp);
    for opts in [
        &["-o", "bogus=1"][..],
        &["-o", "size=1m"],
        &["-o", "type=tmpfs"],
        &["-o", "device=tmpfs"],
        &["-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "bogus=1"],
    ] {
        let dv = fresh("vdx");
        let mut a = vec!["volume", "create"];
        a.extend(opts);
        let mut ra = a.clone();
        ra.push("x1");
        a.push(&dv);
        let (o, dout) = (r.rvol_run(&ra), docker(&a));
        d.volumes.push(dv.clone());
        assert_eq!(o.status.code(), dout.status.code(), "{opts:?}");
        assert_eq!(o.status.code(), Some(1), "{opts:?}");
        assert_eq!(
            as_docker(&r, &o.stderr),
            docker_error(&dout.stderr).replace(&dv, "x1"),
            "{opts:?}"
        );
        assert!(!data(&r, "x1").exists(), "{opts:?}: made all the same");
    }
    // A mount that fails at start: docker's text and status, for run;
    // the container stays `created` with ExitCode 128 and the Error.
    let bad = [
        (
            &["-o", "type=ext4", "-o", "device=/dev/rvol-nonexistent"][..],
            127,
        ),
        (
            &[
                "-o",
                "type=tmpfs",
                "-o",
                "device=tmpfs",
                "-o",
                "o=size=1m,bogus",
            ],
            125,
        ),
        (
            &[
                "-o",
                "type=none",
                "-o",
                "device=/rvol-nonexistent",
                "-o",
                "o=bind",
            ],
            127,
        ),
        // this kernel has no nfs: the path testable here
        (
            &[
                "-o",
                "type=nfs",
                "-o",
                "device=:/export",
                "-o",
                "o=addr=127.0.0.1,rw",
            ],
            125,
        ),
    ];
    let mut bad0 = String::new();
    for (i, (opts, status)) in bad.iter().enumerate() {
        let rv = format!("bad{i}");
        let dv = fresh("vdm");
        create_both(&r, &mut d, &rv, &dv, opts);
        if i == 0 {
            bad0 = dv.clone();
        }
        let (o, dout) = both(
            &r,
            &["run", "--rm", "-v", &format!("{rv}:/d"), "bb:1", "true"],
            &["run", "--rm", "-v", &format!("{dv}:/d"), &img, "true"],
        );
        assert_eq!(o.status.code(), dout.status.code(), "{opts:?}");
        assert_eq!(o.status.code(), Some(*status), "{opts:?}");
        assert_eq!(
            as_docker(&r, &o.stderr),
            docker_error(&dout.stderr).replace(&dv, &rv),
            "{opts:?}"
        );
        assert!(!mounted(&r, &rv));
    }
    let name = unique("vdcb");
    r.rvol_ok(&["create", "--name", "cb", "-v", "bad0:/d", "bb:1", "true"]);
    let dv = bad0;
    docker_ok(&[
        "create",
        "--name",
        &name,
        "-v",
        &format!("{dv}:/d"),
        &img,
        "true",
    ]);
    d.containers.push(name.clone());
    let (o, dout) = both(&r, &["start", "cb"], &["start", &name]);
    assert_eq!(o.status.code(), dout.status.code());
    let f = "{{.State.Status}} {{.State.ExitCode}}";
    assert_eq!(
        r.rvol_ok(&["inspect", "-f", f, "cb"]),
        docker_ok(&["inspect", "-f", f, &name])
    );
    let e = |s: String| {
        s.replace(
            &format!("{}/", r.path().join("volumes").display()),
            &volumes_dir(),
        )
        .replace(&dv, "bad0")
    };
    assert_eq!(
        e(r.rvol_ok(&["inspect", "-f", "{{.State.Error}}", "cb"])),
        docker_ok(&["inspect", "-f", "{{.State.Error}}", &name]).replace(&dv, "bad0")
    );
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn labels_and_every_filter_as_docker() {
    let r = root("vd-filters");
    let mut d = DockerObjects::new();
    let img = d.import_busybox(&r.tmp);
    let p = unique("vdf");
    let names = ["a", "b", "c", "used"];
    let labels: [&[&str]; 4] = [
        &["--label", "x=1"],
        &["--label", "x=2", "--label", "y"],
        &[],
        &["--label", "x=1"],
    ];
    for (n, l) in names.iter().zip(labels) {
        create_both(&r, &mut d, &format!("{p}{n}"), &format!("{p}{n}"), l);
    }
    let used = format!("{p}used:/d");
    r.rvol_ok(&["create", "--name", "uu", "-v", &used, "bb:1", "true"]);
    let dc = unique("vdfc");
    docker_ok(&["create", "--name", &dc, "-v", &used, &img, "true"]);
    d.containers.push(dc);
    let pf = format!("name={p}");
    for filters in [
        &["label=x"][..],
        &["label=x=1"],
        &["label=y"],
        &["label=x=1", "label=x=2"],
        &["label=x=2", "label=y"],
        &["label=x="],
        &["name=NAME_a", "name=NAME_b"],
        &["label=y", "name=NAME_b"],
        &["dangling=true"],
        &["dangling=false"],
        &["dangling=1", "label=x"],
        &["driver=local"],
        &["driver=loc"],
    ] {
        // name= values are alternatives: with one of its own the
        // prefix filter would let the daemon's other volumes in.
        let own: Vec<String> = filters.iter().map(|f| f.replace("NAME_", &p)).collect();
        let mut a = vec!["volume", "ls", "-q"];
        if !filters.iter().any(|f| f.starts_with("name=")) {
            a.extend(["--filter", &pf]);
        }
        for f in &own {
            a.extend(["--filter", f.as_str()]);
        }
        let (o, dout) = (r.rvol_run(&a), docker(&a));
        assert_eq!(text(&o.stdout), text(&dout.stdout), "{filters:?}");
        assert_eq!(o.status.code(), Some(0));
    }
    let f = [
        "volume",
        "ls",
        "--filter",
        &pf,
        "--format",
        "{{.Name}} {{.Labels}}",
    ];
    // {{.Labels}} joins a Go map's entries: docker's order varies from run
    // to run, so each line's labels are compared sorted.
    let sorted = |out: String| -> String {
        out.lines()
            .map(|l| {
                let (name, labels) = l.split_once(' ').unwrap_or((l, ""));
                let mut v: Vec<&str> = labels.split(',').collect();
                v.sort();
                format!("{name} {}\n", v.join(","))
            })
            .collect()
    };
    assert_eq!(sorted(r.rvol_ok(&f)), sorted(docker_ok(&f)));
    for bad in ["bogus=1", "dangling=maybe", "label!=x"] {
        let a = ["volume", "ls", "--filter", bad];
        let (o, dout) = (r.rvol_run(&a), docker(&a));
        assert_eq!(o.status.code(), dout.status.code(), "{bad}");
        assert_eq!(o.status.code(), Some(1), "{bad}");
        let want = docker_error(&dout.stderr);
        assert_eq!(text(&o.stderr), format!("Error: {want}\n"), "{bad}");
    }
    r.rvol_ok(&["rm", "uu"]);
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn prune_with_filters_as_docker() {
    let r = root("vd-prune");
    let mut d = DockerObjects::new();
    let img = d.import_busybox(&r.tmp);
    // Every docker prune here carries this label: nothing else of the
    // daemon's can go.
    let mine = format!("label={}", unique("vdp"));
    let mark = mine.trim_start_matches("label=").to_string();
    let p = unique("vdp");
    let make = |r: &TestRoot, d: &mut DockerObjects| {
        for (n, l) in [("1", "k=1"), ("2", "k=2"), ("3", "j")] {
            let v = format!("{p}{n}");
            create_both(r, d, &v, &v, &["--label", &mark, "--label", l]);
        }
        r.rvol_ok(&[
            "run",
            "--rm",
            "-v",
            &format!("{p}3:/d"),
            "bb:1",
            "sh",
            "-c",
            "echo 12345 > /d/f",
        ]);
        docker_ok(&[
            "run",
            "--rm",
            "-v",
            &format!("{p}3:/d"),
            &img,
            "sh",
            "-c",
            "echo 12345 > /d/f",
        ]);
    };
    for filters in [
        &["label=k=1"][..],
        &["label!=k=1"],
        &["label!=k"],
        &["label!=k=1", "label!=k=2"],
        &["label=k", "label!=k=2"],
    ] {
        make(&r, &mut d);
        let mut a = vec!["volume", "prune", "-f", "--filter", &mine];
        for f in filters {
            a.extend(["--filter", f]);
        }
        let (o, dout) = (r.rvol_run(&a), docker(&a));
        assert_eq!(o.status.code(), dout.status.code(), "{filters:?}");
        let sorted = |s: String| {
            let mut l: Vec<String> = s.lines().map(String::from).collect();
            l.sort();
            l
        };
        assert_eq!(
            sorted(text(&o.stdout)),
            sorted(text(&dout.stdout)),
            "{filters:?}"
        );
        for n in ["1", "2", "3"] {
            let v = format!("{p}{n}");
            let _ = r.rvol_run(&["volume", "rm", &v]);
            let _ = docker(&["volume", "rm", &v]);
        }
    }
    let a = ["volume", "prune", "-f", "--filter", "until=1h"];
    let (o, dout) = (r.rvol_run(&a), docker(&a));
    assert_eq!(o.status.code(), dout.status.code());
    assert_eq!(as_docker(&r, &o.stderr), docker_error(&dout.stderr));
}

/// The pid in the volume's one user marker (the container's rvol-ns).
fn user_pid(r: &TestRoot, v: &str) -> i32 {
    let dir = r.path().join("volumes").join(v).join(".users");
    let e = std::fs::read_dir(dir).unwrap().next().unwrap().unwrap();
    std::fs::read_to_string(e.path())
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn two_containers_share_one_tmpfs_volume() {
    let r = root("vd-refcount");
    r.rvol_ok(&[
        "volume",
        "create",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "t1",
    ]);
    let w = r.host("go");
    std::fs::create_dir_all(&w).unwrap();
    let gate = format!("{}:/go", w.display());
    // The first writes and waits for the gate; the second reads what the
    // first wrote (one tmpfs), then waits too.
    let wait_gate = |f: &str| format!("while [ ! -e /go/{f} ]; do sleep 0.05; done");
    r.rvol_ok(&[
        "run",
        "-d",
        "--name",
        "c1",
        "-v",
        "t1:/d",
        "-v",
        &gate,
        "bb:1",
        "sh",
        "-c",
        &format!("echo shared > /d/f; {}", wait_gate("end1")),
    ]);
    r.rvol_ok(&[
        "run",
        "-d",
        "--name",
        "c2",
        "-v",
        "t1:/d",
        "-v",
        &gate,
        "bb:1",
        "sh",
        "-c",
        &format!(
            "while [ ! -s /d/f ]; do sleep 0.05; done; cat /d/f > /go/seen; {}",
            wait_gate("end2")
        ),
    ]);
    wait_until(10.0, "c2 read the file", || {
        std::fs::metadata(w.join("seen")).is_ok_and(|m| m.len() > 0)
    });
    assert_eq!(std::fs::read_to_string(w.join("seen")).unwrap(), "shared\n");
    assert!(mounted(&r, "t1"));
    // `volume rm` refuses while containers use it.
    let o = r.rvol_run(&["volume", "rm", "t1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("remove t1: volume is in use - ["),
        "{}",
        text(&o.stderr)
    );
    std::fs::write(w.join("end1"), "").unwrap();
    let status = |c: &str| r.rvol_ok(&["inspect", "-f", "{{.State.Status}}", c]);
    wait_until(10.0, "c1 ended", || status("c1") == "exited\n");
    assert!(mounted(&r, "t1"), "unmounted while c2 still uses it");
    assert_eq!(
        std::fs::read_to_string(data(&r, "t1").join("f")).unwrap(),
        "shared\n"
    );
    std::fs::write(w.join("end2"), "").unwrap();
    wait_until(10.0, "c2 ended", || status("c2") == "exited\n");
    wait_until(5.0, "unmounted after the last user", || !mounted(&r, "t1"));
    assert!(!data(&r, "t1").join("f").exists());
    r.rvol_ok(&["rm", "c1", "c2"]);
    // `rm -f` of a running user: unmounted when it returns.
    r.rvol_ok(&[
        "run", "-d", "--name", "c3", "-v", "t1:/d", "bb:1", "sleep", "30",
    ]);
    assert!(mounted(&r, "t1"));
    r.rvol_ok(&["rm", "-f", "c3"]);
    assert!(!mounted(&r, "t1"), "rm -f left the mount");
    r.rvol_ok(&["volume", "rm", "t1"]);
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn a_killed_container_leaves_no_stale_mount_after_the_next_command() {
    let r = root("vd-kill");
    r.rvol_ok(&[
        "volume",
        "create",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "t1",
    ]);
    for next in [
        &["volume", "ls", "-q"][..],
        &["volume", "inspect", "t1"],
        &["run", "--rm", "-v", "t1:/d", "bb:1", "ls", "-A", "/d"],
    ] {
        r.rvol_ok(&[
            "run",
            "-d",
            "--name",
            "kk",
            "-v",
            "t1:/d",
            "bb:1",
            "sh",
            "-c",
            "echo x > /d/f; sleep 30",
        ]);
        wait_until(10.0, "the file written", || {
            data(&r, "t1").join("f").exists()
        });
        let pid = user_pid(&r, "t1");
        assert!(std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap()
            .starts_with("rvol-ns"));
        // SAFETY: kill(2) of the container's rvol-ns, a child of this test's.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        wait_until(5.0, "rvol-ns gone", || !rvol_tests::wait::alive(pid));
        assert!(
            mounted(&r, "t1"),
            "the mount is left until a command touches it"
        );
        let out = r.rvol_ok(next);
        assert!(!mounted(&r, "t1"), "{next:?} left the stale mount");
        if next[0] == "run" {
            assert_eq!(out, "", "a fresh tmpfs for the new user");
        }
        r.rvol_ok(&["rm", "-f", "kk"]);
    }
    r.rvol_ok(&["volume", "rm", "t1"]);
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn volume_subpath_as_documented() {
    // Docker 26's texts (its documentation and integration tests): the
    // daemon here is older and has no volume-subpath.
    let r = root("vd-subpath");
    r.rvol_ok(&["volume", "create", "sp"]);
    let d = data(&r, "sp");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/hello.txt"), "hi\n").unwrap();
    std::os::unix::fs::symlink("/", d.join("out")).unwrap();
    std::os::unix::fs::symlink("sub", d.join("insub")).unwrap();
    let run = |sub: &str, src: &str| {
        r.rvol_run(&[
            "run",
            "--rm",
            "--mount",
            &format!("type=volume,src={src},dst=/v,volume-subpath={sub}"),
            "bb:1",
            "ls",
            "/v",
        ])
    };
    for ok in ["sub", "insub", "./sub/"] {
        let o = run(ok, "sp");
        assert_eq!(
            (o.status.code(), text(&o.stdout)),
            (Some(0), "hello.txt\n".into()),
            "{ok}: {}",
            text(&o.stderr)
        );
    }
    let fails = [
        ("nope", "sp", 127, format!("cannot access path {}/nope: no such file or directory", d.display())),
        ("out", "sp", 125, "path concatenation escapes the base directory".into()),
        ("/etc", "sp", 125, "invalid mount config for type \"volume\": subpath must be a relative path within the volume".into()),
        ("../x", "sp", 125, "invalid mount config for type \"volume\": subpath must be a relative path within the volume".into()),
        ("sub", "", 125, "invalid mount config for type \"volume\": must not set Subpath when using anonymous volumes".into()),
    ];
    for (sub, src, status, want) in fails {
        let o = run(sub, src);
        assert_eq!(o.status.code(), Some(status), "{sub}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains(&want),
            "{sub}: {}",
            text(&o.stderr)
        );
    }
    // A subpath of a volume with options: checked once it is mounted.
    r.rvol_ok(&[
        "volume",
        "create",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "tm",
    ]);
    let o = run("sub", "tm");
    assert_eq!(o.status.code(), Some(127), "{}", text(&o.stderr));
    assert!(!mounted(&r, "tm"));
    assert!(r.rvol_ok(&["ps", "-aq"]).is_empty(), "--rm containers stay");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn podman_u_chowns_the_source_to_the_container_user() {
    let r = root("vd-chown");
    r.rvol_ok(&["volume", "create", "cv"]);
    let d = data(&r, "cv");
    std::fs::create_dir_all(d.join("a/b")).unwrap();
    std::fs::write(d.join("a/b/f"), "f").unwrap();
    std::os::unix::fs::symlink("/", d.join("root-link")).unwrap();
    let stat = "stat -c '%u:%g %n' /v /v/a /v/a/b /v/a/b/f";
    let o = r.rvol_ok(&[
        "run",
        "--rm",
        "-u",
        "1234:5678",
        "-v",
        "cv:/v:U",
        "bb:1",
        "sh",
        "-c",
        stat,
    ]);
    assert_eq!(
        o,
        "1234:5678 /v\n1234:5678 /v/a\n1234:5678 /v/a/b\n1234:5678 /v/a/b/f\n"
    );
    // The link itself, never what it points to.
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::symlink_metadata(d.join("root-link"))
            .unwrap()
            .uid(),
        1234
    );
    assert_eq!(std::fs::metadata("/").unwrap().uid(), 0);
    // --mount U=true on a bind, a user by name from the image's passwd.
    let b = r.host("b");
    std::fs::create_dir_all(b.join("x")).unwrap();
    let m = format!("type=bind,src={},dst=/b,U=true", b.display());
    let o = r.rvol_ok(&[
        "run", "--rm", "-u", "nobody", "--mount", &m, "bb:1", "stat", "-c", "%u:%g", "/b", "/b/x",
    ]);
    assert_eq!(o, "65534:65534\n65534:65534\n");
    // A tmpfs volume: chowned after it is mounted, read-only bind too.
    r.rvol_ok(&[
        "volume",
        "create",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "tv",
    ]);
    let o = r.rvol_ok(&[
        "run",
        "--rm",
        "-u",
        "42",
        "-v",
        "tv:/t:ro,U",
        "bb:1",
        "stat",
        "-c",
        "%u:%g",
        "/t",
    ]);
    assert_eq!(o, "42:0\n");
    // Without U nothing changes owner.
    std::fs::create_dir_all(b.join("y")).unwrap();
    let m = format!("{}:/b", b.display());
    r.rvol_ok(&["run", "--rm", "-u", "7", "-v", &m, "bb:1", "true"]);
    assert_eq!(std::fs::metadata(b.join("y")).unwrap().uid(), 0);
}
