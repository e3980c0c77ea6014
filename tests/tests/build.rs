//! `rvol build` against `docker build` (the daemon's classic builder) on the
//! same contexts: what the images' containers print, their files' modes
//! and owners, their Config as inspect shows it, the builder's lines, the
//! cache, both VOLUME rules, the failures and what they leave behind.
//! Each side builds FROM its own import of the same busybox tar (the
//! Dockerfiles name `@BASE@`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rvol_tests::docker::{docker, docker_ok, DockerObjects};
use rvol_tests::{eventually, fresh, text, TestRoot};

/// A build context: files (path, content), written under `dir`, with
/// `@BASE@` in the Dockerfile replaced by `base`.
fn context(dir: &Path, dockerfile: &str, base: &str, files: &[(&str, &str)]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("Dockerfile"), dockerfile.replace("@BASE@", base)).unwrap();
    for (p, c) in files {
        let f = dir.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, c).unwrap();
    }
    dir.to_path_buf()
}

struct Both {
    r: TestRoot,
    junk: DockerObjects,
    rbase: String,
    dbase: String,
    /// On every image docker builds here: a rebuild's old images (no
    /// longer tagged) are found by it and go when the test ends.
    label: String,
    /// Every ` ---> <id>` docker printed (a first stage's last image
    /// carries no label), removed last first when the test ends.
    built: Vec<String>,
}

impl Drop for Both {
    fn drop(&mut self) {
        let ids = docker(&["images", "-q", "--filter", &format!("label={}", self.label)]);
        for id in text(&ids.stdout).split_whitespace() {
            let _ = docker(&["rmi", "-f", id]);
        }
        for id in self.built.iter().rev() {
            let _ = docker(&["rmi", "-f", id]);
        }
    }
}

impl Both {
    fn new(tag: &str) -> Both {
        let r = TestRoot::new(tag);
        r.import_busybox("bb:1");
        let mut junk = DockerObjects::new();
        let dbase = junk.import_busybox(&r.tmp);
        Both {
            r,
            junk,
            rbase: "bb:1".into(),
            dbase,
            label: fresh("rvoltest-build"),
            built: Vec::new(),
        }
    }

    /// The same context for each side: (rvol's, docker's).
    fn contexts(&self, name: &str, dockerfile: &str, files: &[(&str, &str)]) -> (PathBuf, PathBuf) {
        (
            context(
                &self.r.tmp.join(format!("r-{name}")),
                dockerfile,
                &self.rbase,
                files,
            ),
            context(
                &self.r.tmp.join(format!("d-{name}")),
                dockerfile,
                &self.dbase,
                files,
            ),
        )
    }

    /// With the label docker's side gets (a step of its own on both).
    fn rvol_build(&self, args: &[&str], ctx: &Path) -> Output {
        let label = format!("{}=1", self.label);
        let mut a: Vec<&str> = vec!["build", "--label", &label];
        a.extend(args);
        a.push(ctx.to_str().unwrap());
        self.r.rvol_run(&a)
    }

    /// The classic builder, as the daemon here has it; the image is
    /// removed with the test's other docker objects.
    fn docker_build(&mut self, args: &[&str], ctx: &Path) -> Output {
        for w in args.windows(2) {
            if w[0] == "-t" {
                self.junk.images.push(w[1].to_string());
            }
        }
        let mut c = Command::new("docker");
        // --force-rm: a failed step's container goes too (rvol's always does).
        c.env("DOCKER_BUILDKIT", "0")
            .args([
                "build",
                "--force-rm",
                "--label",
                &format!("{}=1", self.label),
            ])
            .args(args)
            .arg(ctx);
        let out = rvol_tests::run(&mut c);
        for l in text(&out.stdout).lines() {
            if let Some(id) = l.strip_prefix(" ---> ").filter(|i| i.len() == 12) {
                self.built.push(id.to_string());
            }
        }
        out
    }
}

/// The last line of stderr that says something.
fn last(o: &Output) -> String {
    let e = text(&o.stderr);
    e.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string()
}

/// `Step N/M : ...` lines, in order.
fn steps(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.starts_with("Step "))
        .map(str::to_string)
        .collect()
}

/// `ls -lnR` without the times (columns 6-8): owners, modes, sizes, names.
const TREE: &str =
    "ls -lnR \"$@\" | awk '{ if (NF >= 9) { $6 = $7 = $8 = \"\"; print } else print }'";

fn inspect_config(out: &str) -> serde_json::Value {
    serde_json::from_str(out.trim()).unwrap()
}

const CONFIG_FIELDS: &[&str] = &[
    "Env",
    "Cmd",
    "Entrypoint",
    "WorkingDir",
    "User",
    "ExposedPorts",
    "Volumes",
    "Labels",
    "StopSignal",
    "Healthcheck",
    "OnBuild",
    "Shell",
];

/// Config fields as docker prints them; an absent one is null.
fn fields(v: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    CONFIG_FIELDS
        .iter()
        .map(|f| {
            let x = v.get(*f).cloned().unwrap_or(serde_json::Value::Null);
            // docker leaves empty strings and lists out of the JSON.
            let x = match &x {
                serde_json::Value::String(s) if s.is_empty() => serde_json::Value::Null,
                serde_json::Value::Array(a) if a.is_empty() => serde_json::Value::Null,
                _ => x,
            };
            (f.to_string(), x)
        })
        .collect()
}

const EVERY: &str = r#"# escape=\
ARG BASE=@BASE@
FROM $BASE AS build
ARG V=dflt
ENV E1=e1 \
    E2="two words"
WORKDIR /w
RUN echo "v=$V e1=$E1" > made.txt && mkdir -p /out && cp made.txt /out/
RUN ["/bin/sh", "-c", "echo exec-form > /w/exec.txt"]
COPY --chown=7:8 src/ /copied/
COPY src/*.txt /glob/
COPY one.txt /w/renamed.txt
ADD arch.tar /unpacked/
FROM $BASE
LABEL a=b "c d"=e
EXPOSE 80 53/udp 8000-8001
USER 1:2
COPY --from=build /out/made.txt /final/
COPY --from=build /w /fromw
COPY --from=build /copied /copied
COPY --from=build /glob /glob
COPY --from=build /unpacked /unpacked
VOLUME ["/vol"]
VOLUME /vol2 /vol3
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --retries=2 CMD true
SHELL ["/bin/sh", "-c"]
ONBUILD RUN echo triggered
ENTRYPOINT echo entry
CMD ["hi"]
"#;

fn every_files(dir_tar: &Path) -> Vec<(&'static str, String)> {
    let _ = dir_tar;
    vec![
        ("src/a.txt", "one\n".into()),
        ("src/sub/b.txt", "two\n".into()),
        ("src/skip.log", "skip\n".into()),
        ("one.txt", "renamed\n".into()),
        (".dockerignore", "src/*.log\n".into()),
    ]
}

/// A tar (made with tar(1), owners 0:0 and 5:6) for ADD to unpack.
fn write_archive(ctx: &Path) {
    let d = ctx.join("archsrc");
    std::fs::create_dir_all(d.join("in")).unwrap();
    std::fs::write(d.join("in/x"), "x\n").unwrap();
    std::fs::write(d.join("top"), "t\n").unwrap();
    rvol_tests::ok(Command::new("chown").args(["5:6"]).arg(d.join("top")));
    rvol_tests::ok(
        Command::new("tar")
            .arg("-C")
            .arg(&d)
            .args(["-cf"])
            .arg(ctx.join("arch.tar"))
            .arg("."),
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn every_instruction_like_docker() {
    let mut b = Both::new("build-every");
    let files = every_files(Path::new(""));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
    let (rc, dc) = b.contexts("every", EVERY, &files);
    write_archive(&rc);
    write_archive(&dc);
    let rtag = format!("{}:1", fresh("every"));
    let ro = b.rvol_build(&["-t", &rtag, "--build-arg", "V=given"], &rc);
    assert!(
        ro.status.success(),
        "{}{}",
        text(&ro.stdout),
        text(&ro.stderr)
    );
    let dout = b.docker_build(&["-t", &rtag, "--build-arg", "V=given"], &dc);
    assert!(dout.status.success(), "{}", text(&dout.stderr));
    let rsteps = steps(&text(&ro.stdout));
    let dsteps = steps(&text(&dout.stdout));
    assert_eq!(rsteps.len(), dsteps.len(), "{rsteps:?}\n{dsteps:?}");
    // The same lines but for the FROM that names each side's base.
    for (r, d) in rsteps.iter().zip(&dsteps) {
        if !r.contains("ARG BASE=") {
            assert_eq!(r, d);
        }
    }
    assert!(text(&ro.stdout).contains(&format!("Successfully tagged {rtag}")));

    // What the containers print and hold.
    let script = format!(
        "id; echo \"$E1/$E2\"; cat /final/made.txt /fromw/exec.txt /fromw/renamed.txt; {TREE}"
    );
    let paths = ["/final", "/fromw", "/copied", "/glob", "/unpacked"];
    let mut rargs = vec![
        "run",
        "--rm",
        "--entrypoint",
        "",
        &rtag,
        "sh",
        "-c",
        &script,
        "sh",
    ];
    rargs.extend(paths);
    let dargs = rargs.clone();
    let rrun = b.r.rvol_ok(&rargs);
    let drun = docker_ok(&dargs);
    assert_eq!(rrun, drun);
    assert!(rrun.contains("v=given e1=e1"), "{rrun}");
    assert!(!rrun.contains("skip.log"), ".dockerignore: {rrun}");
    // The image's own command: ENTRYPOINT's shell form ignores CMD.
    assert_eq!(
        b.r.rvol_ok(&["run", "--rm", &rtag]),
        docker_ok(&["run", "--rm", &rtag])
    );

    let rcfg = inspect_config(&b.r.rvol_ok(&["inspect", "-f", "{{json .Config}}", &rtag]));
    let dcfg = inspect_config(&docker_ok(&["inspect", "-f", "{{json .Config}}", &rtag]));
    assert_eq!(fields(&rcfg), fields(&dcfg));
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn cache_like_docker() {
    let mut b = Both::new("build-cache");
    let df =
        "FROM @BASE@\nENV A=1\nRUN echo run > /r\nCOPY f /f\nRUN cat /f\nCMD [\"cat\", \"/f\"]\n";
    let (rc, dc) = b.contexts("cache", df, &[("f", "first\n")]);
    let tag = format!("{}:1", fresh("cache"));
    let count = |o: &Output| text(&o.stdout).matches(" ---> Using cache").count();
    let first = b.rvol_build(&["-t", &tag], &rc);
    let dfirst = b.docker_build(&["-t", &tag], &dc);
    assert_eq!(count(&first), 0);
    assert_eq!(count(&dfirst), 0);
    let id1 = b.r.rvol_ok(&["inspect", "-f", "{{.Id}}", &tag]);
    // Nothing changed: every step from the cache, the same image.
    let again = b.rvol_build(&["-t", &tag], &rc);
    let dagain = b.docker_build(&["-t", &tag], &dc);
    assert_eq!(count(&again), 6, "{}", text(&again.stdout));
    assert_eq!(count(&again), count(&dagain));
    assert!(!text(&again.stdout).contains("Running in"));
    assert_eq!(b.r.rvol_ok(&["inspect", "-f", "{{.Id}}", &tag]), id1);
    let q = b.rvol_build(&["-q", "-t", &tag], &rc);
    assert_eq!(text(&q.stdout).trim(), id1.trim());
    // A changed file: the steps from its COPY on run again.
    std::fs::write(rc.join("f"), "second\n").unwrap();
    std::fs::write(dc.join("f"), "second\n").unwrap();
    let changed = b.rvol_build(&["-t", &tag], &rc);
    let dchanged = b.docker_build(&["-t", &tag], &dc);
    assert_eq!(count(&changed), 2, "{}", text(&changed.stdout));
    assert_eq!(count(&changed), count(&dchanged));
    assert_eq!(b.r.rvol_ok(&["run", "--rm", &tag]), "second\n");
    // --no-cache: every step runs.
    let none = b.rvol_build(&["--no-cache", "-t", &tag], &rc);
    assert_eq!(count(&none), 0);
    assert_eq!(text(&none.stdout).matches("Running in").count(), 2);
    assert_ne!(b.r.rvol_ok(&["inspect", "-f", "{{.Id}}", &tag]), id1);
    // `-f` another file, whose ARG --build-arg sets.
    std::fs::write(
        rc.join("Other"),
        "FROM bb:1\nARG X=no\nRUN echo $X > /x\nCMD [\"cat\", \"/x\"]\n",
    )
    .unwrap();
    let other = b.rvol_build(
        &[
            "-q",
            "-f",
            rc.join("Other").to_str().unwrap(),
            "--build-arg",
            "X=yes",
            "-t",
            "other:1",
        ],
        &rc,
    );
    assert!(other.status.success(), "{}", text(&other.stderr));
    assert_eq!(b.r.rvol_ok(&["run", "--rm", "other:1"]), "yes\n");
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn volume_rules() {
    let mut b = Both::new("build-volume");
    let df = "FROM @BASE@\nVOLUME /v\nRUN mkdir -p /v && echo kept > /v/f\nCMD [\"sh\", \"-c\", \"cat /v/f 2>/dev/null || echo gone\"]\n";
    let (rc, dc) = b.contexts("vol", df, &[]);
    let tag = format!("{}:1", fresh("vol"));
    // BuildKit's rule, rvol's default: the write stays in the image.
    assert!(b.rvol_build(&["-q", "-t", &tag], &rc).status.success());
    assert_eq!(b.r.rvol_ok(&["run", "--rm", &tag]), "kept\n");
    // The classic builder's, as the daemon here: lost.
    assert!(b
        .rvol_build(&["-q", "--compat-volumes", "-t", &tag], &rc)
        .status
        .success());
    assert!(b.docker_build(&["-q", "-t", &tag], &dc).status.success());
    assert_eq!(b.r.rvol_ok(&["run", "--rm", &tag]), "gone\n");
    assert_eq!(docker_ok(&["run", "--rm", &tag]), "gone\n");
    // The step's anonymous volume went with its container.
    assert_eq!(b.r.rvol_ok(&["volume", "ls", "-q"]), "");
    assert_eq!(b.r.rvol_ok(&["ps", "-aq"]), "");
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn onbuild_and_scratch() {
    let mut b = Both::new("build-onbuild");
    let parent = format!("{}:1", fresh("parent"));
    let child = format!("{}:1", fresh("child"));
    let (rp, dp) = b.contexts("p", "FROM @BASE@\nONBUILD RUN echo triggered > /t\n", &[]);
    assert!(b.rvol_build(&["-q", "-t", &parent], &rp).status.success());
    assert!(b.docker_build(&["-q", "-t", &parent], &dp).status.success());
    let df = format!("FROM {parent}\nCMD [\"cat\", \"/t\"]\n");
    let (rcx, dcx) = b.contexts("c", &df, &[]);
    let ro = b.rvol_build(&["-t", &child], &rcx);
    let dout = b.docker_build(&["-t", &child], &dcx);
    assert!(
        text(&ro.stdout).contains("# Executing 1 build trigger"),
        "{}",
        text(&ro.stdout)
    );
    assert!(text(&dout.stdout).contains("# Executing 1 build trigger"));
    assert_eq!(b.r.rvol_ok(&["run", "--rm", &child]), "triggered\n");
    assert_eq!(docker_ok(&["run", "--rm", &child]), "triggered\n");
    // rvol's built image, saved, loaded and run by docker.
    let moved = format!("{}:1", fresh("moved"));
    b.r.rvol_ok(&["tag", &child, &moved]);
    let tar = b.r.tmp.join("child.tar");
    b.r.rvol_ok(&["save", "-o", tar.to_str().unwrap(), &moved]);
    b.junk.images.push(moved.clone());
    docker_ok(&["load", "-i", tar.to_str().unwrap()]);
    assert_eq!(docker_ok(&["run", "--rm", &moved]), "triggered\n");
    // The trigger does not pass on to the child's children.
    assert_eq!(
        b.r.rvol_ok(&["inspect", "-f", "{{json .Config.OnBuild}}", &child])
            .trim(),
        "null"
    );
    // FROM scratch: only what is copied.
    let (rs, _) = b.contexts("s", "FROM scratch\nCOPY f /f\n", &[("f", "only\n")]);
    let s = b.rvol_build(&["-q", "-t", "scratchy:1"], &rs);
    assert!(s.status.success(), "{}", text(&s.stderr));
    let saved = b.r.tmp.join("s.tar");
    b.r.rvol_ok(&["save", "-o", saved.to_str().unwrap(), "scratchy:1"]);
    // The built image in docker: `rvol save`, `docker load`, a file of it.
    b.junk.images.push("scratchy:1".into());
    docker_ok(&["load", "-i", saved.to_str().unwrap()]);
    let c = fresh("scratchy");
    b.junk.containers.push(c.clone());
    docker_ok(&["create", "--name", &c, "scratchy:1", "x"]);
    let got = b.r.tmp.join("got");
    docker_ok(&["cp", &format!("{c}:/f"), got.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(got).unwrap(), "only\n");
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn failures_like_docker_leave_nothing() {
    let mut b = Both::new("build-fail");
    let tag = format!("{}:1", fresh("fail"));
    let cases: &[(&str, &str)] = &[
        ("run", "FROM @BASE@\nRUN exit 3\n"),
        ("unknown", "FROM @BASE@\nRUN echo never\nfrobnicate x\n"),
        ("copy", "FROM @BASE@\nCOPY missing.txt /x\n"),
        ("first", "RUN true\n"),
        ("flag", "FROM @BASE@\nCOPY --bogus=1 a b\n"),
    ];
    for (name, df) in cases {
        let (rc, dc) = b.contexts(name, df, &[]);
        let r = b.rvol_build(&["-t", &tag], &rc);
        let d = b.docker_build(&["-t", &tag], &dc);
        assert_eq!(
            r.status.code(),
            d.status.code(),
            "{name}: {}",
            text(&r.stderr)
        );
        assert_eq!(last(&r), last(&d), "{name}");
        // Nothing ran before a parse error.
        if *name == "unknown" {
            assert!(!text(&r.stdout).contains("Step"), "{}", text(&r.stdout));
        }
        assert_eq!(
            b.r.rvol_ok(&["ps", "-aq"]),
            "",
            "{name}: a container stayed"
        );
        assert_eq!(b.r.rvol_ok(&["images", "-q", &tag]), "", "{name}: tagged");
    }
    // A missing context and an empty Dockerfile.
    let gone = b.r.tmp.join("no-such-dir");
    let r = b.rvol_build(&[], &gone);
    let d = b.docker_build(&[], &gone);
    assert_eq!(r.status.code(), d.status.code());
    assert_eq!(last(&r), last(&d));
    let empty = b.r.tmp.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let r = b.rvol_build(&[], &empty);
    let d = b.docker_build(&[], &empty);
    assert_eq!(r.status.code(), d.status.code());
    assert_eq!(last(&r), last(&d));
    // Killed in a RUN: its container goes too.
    let (rk, _) = b.contexts("kill", "FROM @BASE@\nRUN sleep 30\n", &[]);
    let mut child =
        b.r.rvol(&["build", "-t", &tag, rk.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
    assert!(
        eventually(30.0, || { b.r.rvol_ok(&["ps", "-q"]).trim().len() == 12 }),
        "the step's container runs"
    );
    rvol_tests::ok(Command::new("pkill").args([
        "-9",
        "-f",
        &format!("rvol-commit build -t {tag}"),
    ]));
    let _ = child.wait();
    assert!(
        eventually(10.0, || { b.r.rvol_ok(&["ps", "-aq"]).is_empty() }),
        "the step's container is gone"
    );
    assert_eq!(b.r.rvol_ok(&["images", "-q", &tag]), "");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !mounts.contains(b.r.path().to_str().unwrap()),
        "a mount stayed"
    );
    let _ = docker(&["rmi", "-f", &tag]);
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn intermediates_go_with_the_image() {
    let r = TestRoot::new("build-rmi");
    r.import_busybox("bb:1");
    let ctx = context(
        &r.tmp.join("c"),
        "FROM bb:1\nENV A=1\nRUN echo x > /x\nCOPY f /f\n",
        "",
        &[("f", "f\n")],
    );
    let mut c = r.rvol(&["build", "-q", "-t", "built:1", ctx.to_str().unwrap()]);
    let id = rvol_tests::ok(&mut c);
    // docker's images hides the steps' images; -a shows them.
    assert_eq!(r.rvol_ok(&["images", "-q"]).lines().count(), 2);
    assert_eq!(r.rvol_ok(&["images", "-aq"]).lines().count(), 4);
    assert_eq!(
        r.rvol_ok(&["inspect", "-f", "{{.Parent}}", "built:1"])
            .trim()
            .len(),
        71
    );
    // image prune takes no step image of a named one.
    r.rvol_ok(&["image", "prune", "-f"]);
    assert_eq!(r.rvol_ok(&["images", "-aq"]).lines().count(), 4);
    let out = r.rvol_ok(&["rmi", "built:1"]);
    assert!(out.contains(&format!("Deleted: {}", id.trim())), "{out}");
    assert_eq!(r.rvol_ok(&["images", "-aq"]).lines().count(), 1, "{out}");
    // --chmod (BuildKit's; the classic builder refuses it).
    let ctx = context(
        &r.tmp.join("m"),
        "FROM bb:1\nCOPY --chmod=640 --chown=3:4 f /m/\n",
        "",
        &[("f", "f\n")],
    );
    rvol_tests::ok(&mut r.rvol(&["build", "-q", "-t", "m:1", ctx.to_str().unwrap()]));
    assert_eq!(
        r.rvol_ok(&["run", "--rm", "m:1", "stat", "-c", "%a %u:%g", "/m/f"]),
        "640 3:4\n"
    );
}
