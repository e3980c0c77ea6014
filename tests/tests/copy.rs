//! `rvol cp` against `docker cp`: each path rule of docker's copy in both
//! directions, into and out of the container's layer, an anonymous volume
//! and a bind, for created, running and stopped containers; `-a`, `-L`,
//! tar streams and the error texts. Then what docker itself got wrong
//! once: a symlink in the container (or one swapped in while copies run,
//! CVE-2018-15664) must never lead a copy outside the container, and a
//! copy never runs anything of the container's (CVE-2019-14271). And a
//! copy killed with -9 leaves no half file under its final name.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use rvol_tests::docker::{docker, docker_error, docker_ok, DockerObjects};
use rvol_tests::hostile::tree;
use rvol_tests::{fresh, text, TestRoot};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum St {
    Created,
    Running,
    Stopped,
}

/// One container on each side, the same image, content and mounts.
struct Pair {
    r: TestRoot,
    /// Removed after the rvol side (Drop order: fields after `drop`).
    _junk: DockerObjects,
    rc: String,
    dc: String,
    src: PathBuf,
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = rvol_tests::run(&mut self.r.rvol(&["rm", "-f", "-v", &self.rc]));
    }
}

/// The content both containers get through `cp -`: a file, a dir, links.
fn content_tar(dir: &Path) -> Vec<u8> {
    let d = dir.join("content");
    std::fs::create_dir_all(d.join("data/dir/sub")).unwrap();
    std::fs::write(d.join("data/dir/a"), "a\n").unwrap();
    std::fs::write(d.join("data/dir/sub/b"), "b\n").unwrap();
    std::fs::write(d.join("data/file"), "file\n").unwrap();
    symlink("dir", d.join("data/link")).unwrap();
    symlink("/data/dir", d.join("data/abs")).unwrap();
    symlink("file", d.join("data/flink")).unwrap();
    let o = rvol_tests::run(
        Command::new("tar")
            .args(["--numeric-owner", "-C"])
            .arg(&d)
            .args(["-cf", "-", "data"]),
    );
    assert!(o.status.success());
    o.stdout
}

fn host_source(dir: &Path) -> PathBuf {
    let s = dir.join("src");
    std::fs::create_dir_all(s.join("tree/deep")).unwrap();
    std::fs::write(s.join("tree/x"), "x\n").unwrap();
    std::fs::write(s.join("tree/deep/y"), "y\n").unwrap();
    std::fs::write(s.join("one"), "one\n").unwrap();
    std::fs::write(s.join("owned"), "owned\n").unwrap();
    std::os::unix::fs::chown(s.join("owned"), Some(1234), Some(4321)).unwrap();
    std::fs::set_permissions(
        s.join("one"),
        std::os::unix::fs::PermissionsExt::from_mode(0o640),
    )
    .unwrap();
    symlink("tree", s.join("tlink")).unwrap();
    s
}

fn pair(tag: &str, state: St) -> Pair {
    let r = TestRoot::new(tag);
    r.import_busybox("bb:1");
    let mut junk = DockerObjects::new();
    let bb = junk.import_busybox(&r.tmp);
    let rbind = r.host("rbind");
    let dbind = r.host("dbind");
    for b in [&rbind, &dbind] {
        std::fs::create_dir_all(b).unwrap();
        std::fs::write(b.join("b1"), "bind\n").unwrap();
    }
    let rc = fresh("cpr");
    let dc = fresh("cpd");
    let cmd: &[&str] = match state {
        St::Running => &["sleep", "1000"],
        _ => &["true"],
    };
    let rb = format!("{}:/bind", rbind.display());
    let db = format!("{}:/bind", dbind.display());
    let mut ra = vec!["--name", &rc, "-v", "/vol", "-v", &rb, "bb:1"];
    let mut da = vec!["--name", &dc, "-v", "/vol", "-v", &db, &bb];
    ra.extend(cmd);
    da.extend(cmd);
    let mut rcreate = vec!["create"];
    rcreate.extend(&ra);
    let mut dcreate = vec!["create"];
    dcreate.extend(&da);
    r.rvol_ok(&rcreate);
    docker_ok(&dcreate);
    junk.containers.push(dc.clone());
    let p = Pair {
        src: host_source(&r.tmp.join("h")),
        r,
        _junk: junk,
        rc,
        dc,
    };
    let tar = content_tar(&p.r.tmp.join("h"));
    for (o, who) in [
        (
            feed(p.r.rvol(&["cp", "-", &format!("{}:/", p.rc)]), &tar),
            "rvol",
        ),
        (
            feed(docker_cmd(&["cp", "-", &format!("{}:/", p.dc)]), &tar),
            "docker",
        ),
    ] {
        assert!(o.status.success(), "{who} cp - : {}", text(&o.stderr));
    }
    for (o, who) in [
        (
            feed(
                p.r.rvol(&["cp", "-", &format!("{}:/vol", p.rc)]),
                &vol_tar(&p.r.tmp.join("v")),
            ),
            "rvol",
        ),
        (
            feed(
                docker_cmd(&["cp", "-", &format!("{}:/vol", p.dc)]),
                &vol_tar(&p.r.tmp.join("v")),
            ),
            "docker",
        ),
    ] {
        assert!(o.status.success(), "{who} cp - vol: {}", text(&o.stderr));
    }
    match state {
        St::Created => {}
        St::Running => {
            p.r.rvol_ok(&["start", &p.rc]);
            docker_ok(&["start", &p.dc]);
        }
        St::Stopped => {
            p.r.rvol_ok(&["start", "-a", &p.rc]);
            docker_ok(&["start", "-a", &p.dc]);
        }
    }
    p
}

fn vol_tar(dir: &Path) -> Vec<u8> {
    let d = dir.join("volcontent");
    std::fs::create_dir_all(d.join("vd")).unwrap();
    std::fs::write(d.join("v1"), "vol\n").unwrap();
    std::fs::write(d.join("vd/v2"), "vol2\n").unwrap();
    let o = rvol_tests::run(
        Command::new("tar")
            .arg("-C")
            .arg(&d)
            .args(["-cf", "-", "."]),
    );
    o.stdout
}

fn docker_cmd(args: &[&str]) -> Command {
    let mut c = Command::new("docker");
    c.args(args);
    c
}

fn feed(mut c: Command, input: &[u8]) -> Output {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A copy refused before it reads (`must be a directory`) closes its
    // stdin: a broken pipe here is its answer, not a failure.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

/// docker's error text, without the CLI's own log lines (a tar writer
/// that lost its reader when the copy was refused).
fn docker_err(o: &Output) -> String {
    let s = text(&o.stderr);
    let kept: String = s
        .lines()
        .filter(|l| !l.starts_with("time="))
        .collect::<Vec<_>>()
        .join("\n");
    docker_error(kept.as_bytes())
}

/// Our error text without the `rvol-commit: ` prefix.
fn rvol_err(o: &Output) -> String {
    let s = text(&o.stderr);
    let l = s.lines().next().unwrap_or("").to_string();
    l.strip_prefix("rvol-commit: ").unwrap_or(&l).to_string()
}

/// A tar stream as (name -> type, mode, owner, size, content, link);
/// names without a trailing `/`.
fn tar_listing(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut a = tar::Archive::new(bytes);
    let mut out = BTreeMap::new();
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let h = e.header().clone();
        let name = String::from_utf8_lossy(&e.path_bytes())
            .trim_end_matches('/')
            .to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        let link = e
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default();
        out.insert(
            name,
            format!(
                "{:?} {:o} {}:{} {} {:?} {link}",
                h.entry_type(),
                h.mode().unwrap() & 0o7777,
                h.uid().unwrap(),
                h.gid().unwrap(),
                h.size().unwrap(),
                String::from_utf8_lossy(&data)
            ),
        );
    }
    out
}

/// Both sides' outcome of one copy out of the container into DEST (a
/// name under a fresh host dir per side, prepared by `prep`).
fn out_case(p: &Pair, n: usize, flags: &[&str], src: &str, dest: &str, prep: &dyn Fn(&Path)) {
    let mut res = Vec::new();
    for (side, c) in [("rvol", &p.rc), ("docker", &p.dc)] {
        let base = p.r.tmp.join(format!("out{n}-{side}"));
        std::fs::create_dir_all(&base).unwrap();
        prep(&base);
        let d = if dest == "-" {
            "-".to_string()
        } else {
            format!("{}/{dest}", base.display())
        };
        let mut args = vec!["cp"];
        args.extend(flags);
        let s = format!("{c}:{src}");
        args.push(&s);
        args.push(&d);
        let o = if side == "rvol" {
            rvol_tests::run(&mut p.r.rvol(&args))
        } else {
            docker(&args)
        };
        let err = if side == "rvol" {
            rvol_err(&o)
        } else {
            docker_err(&o)
        };
        let err = err
            .replace(c, "C")
            .replace(&base.display().to_string(), "BASE");
        let got = if dest == "-" {
            tar_listing(&o.stdout)
        } else {
            tree(&base, &[])
        };
        res.push((o.status.code(), err, got));
    }
    assert!(
        res[0] == res[1],
        "case {n}: cp {flags:?} C:{src} {dest}\nrvol:   {:?} {:?}\ndocker: {:?} {:?}\n{}",
        res[0].0,
        res[0].1,
        res[1].0,
        res[1].1,
        map_diff(&res[0].2, &res[1].2)
    );
}

/// Both sides' outcome of one copy into the container: status, error and
/// then what the container holds at `check` (read back by the side's own
/// `cp C:check -`).
fn in_case(p: &Pair, n: usize, flags: &[&str], src: &str, dest: &str, check: &str) {
    let mut res = Vec::new();
    for (side, c) in [("rvol", &p.rc), ("docker", &p.dc)] {
        let s = if src == "-" {
            "-".to_string()
        } else {
            format!("{}/{src}", p.src.display())
        };
        let d = format!("{c}:{dest}");
        let mut args = vec!["cp"];
        args.extend(flags);
        args.push(&s);
        args.push(&d);
        let run = |args: &[&str]| {
            if side == "rvol" {
                rvol_tests::run(&mut p.r.rvol(args))
            } else {
                docker(args)
            }
        };
        let o = if src == "-" {
            let tar = vol_tar(&p.r.tmp.join(format!("in{n}")));
            if side == "rvol" {
                feed(p.r.rvol(&args), &tar)
            } else {
                feed(docker_cmd(&args), &tar)
            }
        } else {
            run(&args)
        };
        let err = if side == "rvol" {
            rvol_err(&o)
        } else {
            docker_err(&o)
        };
        let err = err
            .replace(c.as_str(), "C")
            .replace(&p.src.display().to_string(), "SRC");
        let back = run(&["cp", &format!("{c}:{check}"), "-"]);
        assert!(
            back.status.success(),
            "{side}: cp {c}:{check} -: {}",
            text(&back.stderr)
        );
        res.push((o.status.code(), err, tar_listing(&back.stdout)));
    }
    assert!(
        res[0] == res[1],
        "case {n}: cp {flags:?} {src} C:{dest}\nrvol:   {:?} {:?}\ndocker: {:?} {:?}\n{}",
        res[0].0,
        res[0].1,
        res[1].0,
        res[1].1,
        map_diff(&res[0].2, &res[1].2)
    );
}

/// The entries two listings disagree on.
fn map_diff(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for k in a
        .keys()
        .chain(b.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        if a.get(k) != b.get(k) {
            out += &format!("  {k}: rvol {:?} docker {:?}\n", a.get(k), b.get(k));
        }
    }
    out
}

fn mkdir(d: &str) -> impl Fn(&Path) + '_ {
    move |b: &Path| std::fs::create_dir_all(b.join(d)).unwrap()
}

fn mkfile(f: &str) -> impl Fn(&Path) + '_ {
    move |b: &Path| std::fs::write(b.join(f), "old\n").unwrap()
}

fn nothing(_: &Path) {}

fn rules(state: St) {
    let p = pair(&format!("cp-{state:?}"), state);
    // Out of the container.
    type Prep = Box<dyn Fn(&Path)>;
    let cases: Vec<(&[&str], &str, &str, Prep)> = vec![
        (&[], "/data/file", "new", Box::new(nothing)),
        (&[], "/data/file", "d", Box::new(mkdir("d"))),
        (&[], "/data/file", "f", Box::new(mkfile("f"))),
        (&[], "/data/file", "new/", Box::new(nothing)),
        (&[], "/data/dir", "new", Box::new(nothing)),
        (&[], "/data/dir", "d", Box::new(mkdir("d"))),
        (&[], "/data/dir/", "d", Box::new(mkdir("d"))),
        (&[], "/data/dir/.", "d", Box::new(mkdir("d"))),
        (&[], "/data/dir/.", "new", Box::new(nothing)),
        (&[], "/data/dir", "f", Box::new(mkfile("f"))),
        (&[], "/data/link", "new", Box::new(nothing)),
        (&[], "/data/link/", "new", Box::new(nothing)),
        (&["-L"], "/data/link", "new", Box::new(nothing)),
        (&["-L"], "/data/abs", "d", Box::new(mkdir("d"))),
        (&["-L"], "/data/flink", "d", Box::new(mkdir("d"))),
        (&[], "/data/flink", "d", Box::new(mkdir("d"))),
        (&[], "/vol", "new", Box::new(nothing)),
        (&[], "/vol/v1", "d", Box::new(mkdir("d"))),
        (&[], "/vol/.", "d", Box::new(mkdir("d"))),
        (&[], "/bind/.", "d", Box::new(mkdir("d"))),
        (&[], "/bind/b1", "new", Box::new(nothing)),
        (&[], "/no/such", "new", Box::new(nothing)),
        (&[], "no/such", "new", Box::new(nothing)),
        (&[], "/data/file", "nodir/x", Box::new(nothing)),
        (&[], "/data/file", "-", Box::new(nothing)),
        (&[], "/data/dir", "-", Box::new(nothing)),
        (&[], "/data/dir/.", "-", Box::new(nothing)),
        (&[], "/data/link", "-", Box::new(nothing)),
        (&["-L"], "/data/link", "-", Box::new(nothing)),
        (&[], "/vol", "-", Box::new(nothing)),
        (&[], "/bind", "-", Box::new(nothing)),
    ];
    for (n, (flags, src, dest, prep)) in cases.iter().enumerate() {
        out_case(&p, n, flags, src, dest, prep.as_ref());
    }
    // Into the container.
    let cases: &[(&[&str], &str, &str, &str)] = &[
        (&[], "one", "/data", "/data"),
        (&[], "one", "/data/newname", "/data"),
        (&[], "one", "/data/file", "/data"),
        (&[], "tree", "/data/newdir", "/data"),
        (&[], "tree", "/data/dir", "/data"),
        (&[], "tree/.", "/data/newdir2", "/data"),
        (&[], "tree/", "/data/newdir3", "/data"),
        (&[], "one", "/data/nodir/", "/data"),
        (&[], "tree", "/data/file", "/data"),
        (&[], "one", "/no/such/x", "/data"),
        (&[], "one", "/data/link", "/data"),
        (&[], "one", "/data/flink", "/data"),
        (&[], "tlink", "/data/", "/data"),
        (&["-L"], "tlink", "/data/tl2", "/data"),
        (&[], "owned", "/data/o1", "/data"),
        (&["-a"], "owned", "/data/o2", "/data"),
        (&[], "-", "/data/fromtar", "/data"),
        (&[], "-", "/data", "/data"),
        (&[], "-", "/data/file", "/data"),
        (&[], "one", "/vol/", "/vol"),
        (&[], "tree", "/vol/t", "/vol"),
        (&[], "one", "/bind/", "/bind"),
        (&[], "nosuch", "/data", "/data"),
        (&[], "one/", "/data", "/data"),
    ];
    for (n, (flags, src, dest, check)) in cases.iter().enumerate() {
        in_case(&p, n, flags, src, dest, check);
    }
    // A bind's writes reach the host directory.
    let b = p.r.host("rbind");
    assert_eq!(std::fs::read_to_string(b.join("one")).unwrap(), "one\n");
    assert_eq!(std::fs::metadata(b.join("one")).unwrap().uid(), 0);
    // Unknown containers, both directions.
    let d = p.r.tmp.join("x");
    for args in [
        vec![
            "cp".to_string(),
            "nosuchcontainer:/etc".into(),
            d.display().to_string(),
        ],
        vec![
            "cp".to_string(),
            p.src.join("one").display().to_string(),
            "nosuchcontainer:/x".into(),
        ],
        vec!["cp".to_string(), "a".into(), "b".into()],
        vec![
            "cp".to_string(),
            format!("{}:/a", p.rc),
            format!("{}:/b", p.rc),
        ],
    ] {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = rvol_tests::run(&mut p.r.rvol(&a));
        let dk = docker(&a);
        assert_eq!(o.status.code(), dk.status.code(), "{a:?}");
        assert_eq!(rvol_err(&o), docker_err(&dk), "{a:?}");
    }
    // Nothing of ours stays mounted on the host.
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&p.r.path().display().to_string()));
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn cp_rules_created() {
    rules(St::Created);
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn cp_rules_running() {
    rules(St::Running);
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn cp_rules_stopped() {
    rules(St::Stopped);
}

/// A container with links that point out of it: absolute to a host
/// directory holding a secret, and relative ones climbing past its root.
/// No copy in either direction reads or writes the host directory.
#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn symlinks_stay_inside() {
    let r = TestRoot::new("cp-esc");
    r.import_busybox("bb:1");
    let hostdir = r.host("secretdir");
    std::fs::create_dir_all(&hostdir).unwrap();
    std::fs::write(hostdir.join("secret"), "HOSTSECRET\n").unwrap();
    let before = tree(&hostdir, &[]);
    let hd = hostdir.display().to_string();
    let script = format!(
        "mkdir -p /data {hd} && ln -s {hd} /data/esc && ln -s ../../../../../../../..{hd} /data/up && ln -s / /data/root"
    );
    r.rvol_ok(&["run", "--name", "c1", "bb:1", "sh", "-c", &script]);
    let out = r.tmp.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let o = |args: &[&str]| rvol_tests::run(&mut r.rvol(args));
    for src in [
        "c1:/data/esc/secret",
        "c1:/data/up/secret",
        "c1:/data/root", /* its own root */
    ] {
        let res = o(&["cp", "-L", src, out.join("x").to_str().unwrap()]);
        if src.ends_with("secret") {
            assert_eq!(res.status.code(), Some(1), "{src}");
            assert!(
                rvol_err(&res).starts_with("Could not find the file"),
                "{src}: {}",
                rvol_err(&res)
            );
        }
    }
    // Whatever came out is the container's, not the host's secret.
    let found = rvol_tests::sh(&format!("grep -rl HOSTSECRET {} || true", out.display()));
    assert_eq!(text(&found.stdout), "");
    // Into the links: nothing lands in the host directory.
    let f = r.tmp.join("evil");
    std::fs::write(&f, "EVIL\n").unwrap();
    for dst in [
        "c1:/data/esc",
        "c1:/data/esc/",
        "c1:/data/up/",
        "c1:/data/up/new",
    ] {
        let _ = o(&["cp", f.to_str().unwrap(), dst]);
    }
    // A tar stream through the links, and one climbing out with `..`.
    let raw = |entries: &[rvol_tests::hostile::Raw]| rvol_tests::hostile::tar(entries);
    use rvol_tests::hostile::Raw;
    let through = raw(&[
        Raw::file("esc/t1", b"EVIL\n"),
        Raw::symlink("l", &hd),
        Raw::file("l/t2", b"EVIL\n"),
    ]);
    let climb = raw(&[Raw::file(
        "../../../../../../..".to_string().as_str(),
        b"EVIL\n",
    )]);
    let dotdot = raw(&[Raw::file(
        &format!("../../../../../../..{hd}/t3"),
        b"EVIL\n",
    )]);
    for t in [&through, &climb, &dotdot] {
        let _ = feed(r.rvol(&["cp", "-", "c1:/data"]), t);
    }
    assert_eq!(tree(&hostdir, &[]), before, "the host directory changed");
    // The writes that were allowed went into the container.
    let upper = r.rvol_ok(&["inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", "c1"]);
    let upper = PathBuf::from(upper.trim());
    if upper.is_dir() {
        let inside = upper.join(hd.trim_start_matches('/'));
        assert!(
            inside.join("t1").is_file() || inside.join("evil").is_file(),
            "{}",
            inside.display()
        );
    }
}

/// CVE-2018-15664: the container swaps a directory for a symlink to a
/// host path while copies run, in both directions. Every copy reads the
/// container's file or fails; none reads or writes the host's.
#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn symlink_swapped_during_copies() {
    let r = TestRoot::new("cp-swap");
    r.import_busybox("bb:1");
    let hostdir = r.host("target");
    std::fs::create_dir_all(&hostdir).unwrap();
    std::fs::write(hostdir.join("secret"), "HOSTSECRET\n").unwrap();
    let before = tree(&hostdir, &[]);
    let hd = hostdir.display().to_string();
    let script = format!(
        "mkdir -p /w/dir && echo INSIDE > /w/dir/secret && ln -s {hd} /w/sym && \
         while :; do mv /w/dir /w/x; mv /w/sym /w/dir; mv /w/dir /w/sym; mv /w/x /w/dir; done"
    );
    r.rvol_ok(&["run", "-d", "--name", "sw", "bb:1", "sh", "-c", &script]);
    struct Gone<'a>(&'a TestRoot);
    impl Drop for Gone<'_> {
        fn drop(&mut self) {
            let _ = rvol_tests::run(&mut self.0.rvol(&["rm", "-f", "sw"]));
        }
    }
    let _gone = Gone(&r);
    let out = r.tmp.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let f = r.tmp.join("payload");
    std::fs::write(&f, "EVIL\n").unwrap();
    let (mut read_ok, mut inside) = (0, 0);
    for n in 0..60 {
        let dst = out.join(format!("s{n}"));
        let o = rvol_tests::run(&mut r.rvol(&["cp", "sw:/w/dir/secret", dst.to_str().unwrap()]));
        if o.status.success() {
            read_ok += 1;
            let got = std::fs::read_to_string(&dst).unwrap_or_default();
            assert_ne!(got, "HOSTSECRET\n", "copy {n} read the host's file");
            inside += (got == "INSIDE\n") as i32;
        }
        let d = out.join(format!("d{n}"));
        let _ = rvol_tests::run(&mut r.rvol(&["cp", "sw:/w/dir", d.to_str().unwrap()]));
        let _ = rvol_tests::run(&mut r.rvol(&["cp", f.to_str().unwrap(), "sw:/w/dir/"]));
        let _ = rvol_tests::run(&mut r.rvol(&["cp", f.to_str().unwrap(), "sw:/w/dir/p"]));
    }
    let found = rvol_tests::sh(&format!("grep -rl HOSTSECRET {} || true", out.display()));
    assert_eq!(text(&found.stdout), "", "a copy out read the host's file");
    assert_eq!(
        tree(&hostdir, &[]),
        before,
        "a copy in wrote into the host directory"
    );
    assert!(
        read_ok > 0 && inside > 0,
        "the race was never lost by the swapper: {read_ok} {inside}"
    );
}

/// CVE-2019-14271: docker's copy loaded the container's libnss. rvol's
/// copy is a static binary that runs nothing: programs and libraries the
/// container plants where a copier might look never run.
#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn copies_run_nothing_of_the_container() {
    let r = TestRoot::new("cp-nss");
    r.import_busybox("bb:1");
    let marker = r.host("ran");
    let m = marker.display().to_string();
    let plant = format!(
        "for p in /bin/tar /usr/bin/tar /lib/x86_64-linux-gnu/libnss_files.so.2 /lib/libnss_files.so.2 /usr/lib/libnss_files.so.2; do \
         mkdir -p ${{p%/*}}; rm -f $p; printf '#!/bin/sh\\ntouch {m}\\n' > $p; chmod 755 $p; done; \
         echo 'passwd: files' > /etc/nsswitch.conf; mkdir -p /data; echo d > /data/f"
    );
    r.rvol_ok(&["run", "--name", "c1", "bb:1", "sh", "-c", &plant]);
    let out = r.tmp.join("out");
    r.rvol_ok(&["cp", "c1:/data", out.to_str().unwrap()]);
    r.rvol_ok(&["cp", out.to_str().unwrap(), "c1:/data2"]);
    let o = r.rvol_ok(&["cp", "-a", "c1:/data/f", "-"]);
    assert!(!o.is_empty());
    r.rvol_ok(&["start", "-a", "c1"]);
    assert!(!marker.exists() || text(&rvol_tests::sh(&format!("ls {m}")).stdout).is_empty());
    // The planted programs did run when the container itself ran them
    // (the plant works), but never from a copy: the host marker is absent.
    assert!(!marker.exists(), "a copy ran a program of the container");
}

/// A copy killed with -9 leaves no half file under its final name: the
/// file is whole or absent (its temporary name may stay).
#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn killed_copy_leaves_no_half_file() {
    let r = TestRoot::new("cp-kill");
    r.import_busybox("bb:1");
    r.rvol_ok(&["create", "--name", "c1", "-v", "kv:/vol", "bb:1", "true"]);
    let big = r.tmp.join("big");
    let size = 48u64 << 20;
    {
        let mut f = std::fs::File::create(&big).unwrap();
        let chunk: Vec<u8> = (0..1 << 20).map(|i| (i * 7 % 251) as u8).collect();
        for _ in 0..(size >> 20) {
            f.write_all(&chunk).unwrap();
        }
    }
    let data = r.path().join("volumes/kv/_data");
    let mut hits = 0;
    for delay in rvol_tests::hardening::delays(12, Duration::from_millis(400)) {
        let _ = std::fs::remove_file(data.join("big"));
        let (hit, _) = rvol_tests::hardening::kill_after(
            &mut r.rvol(&["cp", big.to_str().unwrap(), "c1:/vol/big"]),
            delay,
        );
        hits += hit as i32;
        if let Ok(m) = std::fs::metadata(data.join("big")) {
            assert_eq!(
                m.len(),
                size,
                "a half file under its final name (kill after {delay:?})"
            );
        }
    }
    assert!(hits > 0, "no kill came while a copy ran");
}

/// Into a --read-only container's root, or a read-only bind: docker's
/// refusals; a writable volume of the same container takes the copy.
#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn read_only_targets_refused_as_docker() {
    let r = TestRoot::new("cp-ro");
    r.import_busybox("bb:1");
    let mut junk = DockerObjects::new();
    let bb = junk.import_busybox(&r.tmp);
    let b = r.host("robind");
    std::fs::create_dir_all(&b).unwrap();
    let bind = format!("{}:/robind:ro", b.display());
    let dc = fresh("cpro");
    r.rvol_ok(&[
        "create",
        "--name",
        "ro1",
        "--read-only",
        "-v",
        &bind,
        "-v",
        "/rwvol",
        "bb:1",
        "true",
    ]);
    docker_ok(&[
        "create",
        "--name",
        &dc,
        "--read-only",
        "-v",
        &bind,
        "-v",
        "/rwvol",
        &bb,
        "true",
    ]);
    junk.containers.push(dc.clone());
    let f = r.tmp.join("f");
    std::fs::write(&f, "f\n").unwrap();
    for d in ["/tmp/", "/robind/", "/rwvol/"] {
        let o = rvol_tests::run(&mut r.rvol(&["cp", f.to_str().unwrap(), &format!("ro1:{d}")]));
        let k = docker(&["cp", f.to_str().unwrap(), &format!("{dc}:{d}")]);
        assert_eq!(o.status.code(), k.status.code(), "{d}");
        assert_eq!(rvol_err(&o), docker_err(&k), "{d}");
    }
    assert_eq!(std::fs::read_dir(&b).unwrap().count(), 0);
}
