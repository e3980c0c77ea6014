//! `rvol exec` against `docker exec` (docs/docker-behaviour.md §12): the
//! same busybox rootfs run the same way on both sides (`-e FOO=bar -w
//! /tmp -u 1000:1000 -v DIR:/data ... sleep`), then the same exec on
//! each and what it showed compared: env (the container's, -e, --env-file),
//! user (the container's, -u), cwd (the container's, -w), the exec'd
//! process not PID 1, its capability sets those of the container's PID 1,
//! statuses (0, N, 126, 137), stdin with -i and without, a write through a
//! volume, -d, and the errors (unknown, created, stopped container; usage).
//! Then what must be left behind when things are killed: nothing.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use rvol_tests::docker::{docker, docker_ok, DockerObjects};
use rvol_tests::wait::alive;
use rvol_tests::{text, unique, wait_until, TestRoot};

/// An rvol container and a docker one, run alike, removed at the end.
struct Pair {
    r: TestRoot,
    rc: String,
    dc: String,
    /// Each side's container id (full), for the texts that name it.
    rid: String,
    did: String,
    rdata: PathBuf,
    ddata: PathBuf,
    /// Declared last: dropped after the rvol side is removed.
    _docker: DockerObjects,
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = self.r.rvol_run(&["rm", "-f", &self.rc]);
    }
}

const RUN_FLAGS: [&str; 6] = ["-e", "FOO=bar", "-w", "/tmp", "-u", "1000:1000"];

fn pair(tag: &str) -> Pair {
    let r = TestRoot::new(tag);
    r.import_busybox("busybox:local");
    let mut d = DockerObjects::new();
    let image = d.import_busybox(&r.tmp);
    let rdata = r.host("rdata");
    let ddata = r.host("ddata");
    std::fs::create_dir_all(&rdata).unwrap();
    std::fs::create_dir_all(&ddata).unwrap();
    let rc = unique(&format!("{tag}r"));
    let dc = unique(&format!("{tag}d"));
    let rv = format!("{}:/data", rdata.display());
    let dv = format!("{}:/data", ddata.display());
    let mut args = vec!["run", "-d", "--name", &rc, "-v", &rv];
    args.extend(RUN_FLAGS);
    args.extend(["busybox:local", "sleep", "1000"]);
    let rid = r.rvol_ok(&args).trim().to_string();
    d.containers.push(dc.clone());
    let mut args = vec!["run", "-d", "--network", "none", "--name", &dc, "-v", &dv];
    args.extend(RUN_FLAGS);
    args.extend([image.as_str(), "sleep", "1000"]);
    let did = docker_ok(&args).trim().to_string();
    Pair {
        r,
        rc,
        dc,
        rid,
        did,
        rdata,
        ddata,
        _docker: d,
    }
}

/// What a side showed, in a form both can give: ids and the hostname
/// (the id's first 12) as `<id>`, docker's daemon framing as rvol's
/// (`Error: ` for `Error response from daemon: `), its name as rvol's.
fn shown(s: &str, id: &str) -> String {
    s.replace(id, "<id>")
        .replace(&id[..12], "<id>")
        .replace("Error response from daemon: ", "Error: ")
        .replace("docker", "rvol")
}

struct Seen {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Pair {
    fn rvol(&self, flags: &[&str], cmd: &[&str]) -> Command {
        let mut c = self.r.rvol(&["exec"]);
        c.args(flags).arg(&self.rc).args(cmd);
        c
    }

    fn docker(&self, flags: &[&str], cmd: &[&str]) -> Command {
        let mut c = Command::new("docker");
        c.arg("exec").args(flags).arg(&self.dc).args(cmd);
        c
    }

    fn seen(&self, o: Output, id: &str) -> Seen {
        Seen {
            code: o.status.code(),
            stdout: shown(&text(&o.stdout), id),
            stderr: shown(&text(&o.stderr), id),
        }
    }

    /// The same exec on both sides, `prepare` applied to each command.
    fn both_with(
        &self,
        flags: &[&str],
        cmd: &[&str],
        prepare: impl Fn(&mut Command),
    ) -> (Seen, Seen) {
        let mut r = self.rvol(flags, cmd);
        let mut d = self.docker(flags, cmd);
        prepare(&mut r);
        prepare(&mut d);
        let r = self.seen(rvol_tests::run(&mut r), &self.rid);
        let d = self.seen(rvol_tests::run(&mut d), &self.did);
        (r, d)
    }

    /// The same exec on both sides: status, stdout and stderr equal.
    fn same(&self, flags: &[&str], cmd: &[&str]) -> Seen {
        self.same_with(flags, cmd, |_| ())
    }

    /// [`Pair::same`] for a start that fails, which docker prints on
    /// stdout with a CRLF (the daemon's text sent down the exec's
    /// stream): the same status and text, rvol's on stderr (a deliberate
    /// difference, docs/docker-behaviour.md §12).
    fn same_text(&self, flags: &[&str], cmd: &[&str]) -> Seen {
        let (r, d) = self.both_with(flags, cmd, |_| ());
        let what = format!("exec {flags:?} C {cmd:?}");
        assert_eq!(
            r.code, d.code,
            "{what}: status; rvol: {} docker: {}",
            r.stderr, d.stderr
        );
        assert_eq!(r.stdout, "", "{what}: stdout");
        assert_eq!(
            r.stderr,
            d.stdout.replace("\r\n", "\n") + &d.stderr,
            "{what}"
        );
        r
    }

    fn same_with(&self, flags: &[&str], cmd: &[&str], prepare: impl Fn(&mut Command)) -> Seen {
        let (r, d) = self.both_with(flags, cmd, prepare);
        let what = format!("exec {flags:?} C {cmd:?}");
        assert_eq!(
            r.code, d.code,
            "{what}: status; rvol: {} docker: {}",
            r.stderr, d.stderr
        );
        assert_eq!(r.stdout, d.stdout, "{what}: stdout");
        assert_eq!(r.stderr, d.stderr, "{what}: stderr");
        r
    }
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn exec_env_user_cwd_caps_statuses_as_docker() {
    let p = pair("exe");

    // env: the container's (PATH, HOSTNAME, its -e, HOME of a user
    // without a passwd entry), -e replacing in place and appending,
    // a bare -e K from the caller's environment, env files before -e.
    let env = p.same(&[], &["env"]);
    assert!(env.stdout.contains("FOO=bar\n"), "{}", env.stdout);
    assert!(env.stdout.contains("HOSTNAME=<id>\n"), "{}", env.stdout);
    p.same(&["-e", "A=1", "-e", "FOO=over", "-e", "HOME=/x"], &["env"]);
    p.same_with(&["-e", "NOVAL", "-e", "UNSET_RVOL_X"], &["env"], |c| {
        c.env("NOVAL", "from-the-caller");
    });
    let envfile = p.r.tmp.join("env.list");
    std::fs::write(&envfile, "# a comment\n\nA=1\nFOO=f\nNOVAL\n").unwrap();
    let ef = envfile.to_str().unwrap();
    let e = p.same_with(&["-e", "A=2", "--env-file", ef], &["env"], |c| {
        c.env("NOVAL", "v");
    });
    assert!(e.stdout.contains("FOO=f\nA=2\nNOVAL=v\n"), "{}", e.stdout);
    std::fs::write(&envfile, "=x\n").unwrap();
    p.same(&["--env-file", ef], &["true"]);
    p.same(&["--env-file", "/nonexistent-rvol-env"], &["true"]);

    // user: the container's, or -u, resolved in its /etc/passwd
    assert!(p.same(&[], &["id"]).stdout.starts_with("uid=1000(")); // the image has a user 1000
    p.same(&["-u", "root"], &["id"]);
    p.same(&["-u", "0:0"], &["sh", "-c", "id; echo $HOME"]);
    assert_eq!(
        p.same_text(&["-u", "nosuchuser"], &["true"]).code,
        Some(126)
    );
    p.same_text(&["-u", "1000:nosuchgroup"], &["true"]);

    // cwd: the container's WorkingDir, or -w; a missing one is not made
    assert_eq!(p.same(&[], &["pwd"]).stdout, "/tmp\n");
    p.same(&["-w", "/etc"], &["pwd"]);
    let missing = p.same_text(&["-u", "0", "-w", "/nonexistent"], &["pwd"]);
    assert_eq!(missing.code, Some(126));
    p.same_text(&["-w", "/etc/passwd"], &["pwd"]);
    p.same_text(&["-w", "relative"], &["pwd"]);
    p.same(&["-u", "0"], &["test", "!", "-e", "/nonexistent"]);

    // in the container's pid namespace, not its PID 1, parent outside it
    let pid = p.same(
        &[],
        &["sh", "-c", "test $$ != 1 && grep PPid /proc/self/status"],
    );
    assert_eq!(pid.stdout, "PPid:\t0\n");

    // capabilities: those of the container's PID 1 for the same user;
    // docker's set for root
    let caps = "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status; \
                grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/1/status";
    let c = p.same(&[], &["sh", "-c", caps]);
    let lines: Vec<&str> = c.stdout.lines().collect();
    assert_eq!(lines.len(), 10, "{}", c.stdout);
    assert_eq!(lines[..5], lines[5..], "exec's sets against PID 1's");
    let root = p.same(
        &["-u", "0"],
        &["grep", "-E", "^Cap(Eff|Bnd)", "/proc/self/status"],
    );
    assert_eq!(
        root.stdout,
        "CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\n"
    );

    // statuses: the command's own, 126 when it cannot be started
    assert_eq!(p.same(&[], &["true"]).code, Some(0));
    assert_eq!(p.same(&[], &["sh", "-c", "exit 3"]).code, Some(3));
    assert_eq!(p.same(&[], &["sh", "-c", "kill -9 $$"]).code, Some(137));
    let nf = p.same_text(&[], &["nosuchcmd"]);
    assert_eq!(nf.code, Some(126));
    assert_eq!(
        nf.stderr,
        "OCI runtime exec failed: exec failed: unable to start container process: \
         exec: \"nosuchcmd\": executable file not found in $PATH: unknown\n"
    );
    p.same_text(&[], &["/nonexistent"]);
    p.same_text(&[], &["/etc"]);
    p.same_text(&[], &["/etc/passwd"]);

    // stdin: the caller's with -i, /dev/null without
    let fed = |mut c: Command| {
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"hi\n").unwrap();
        let o = child.wait_with_output().unwrap();
        (o.status.code(), text(&o.stdout))
    };
    assert_eq!(fed(p.rvol(&["-i"], &["cat"])), (Some(0), "hi\n".into()));
    assert_eq!(fed(p.docker(&["-i"], &["cat"])), (Some(0), "hi\n".into()));
    assert_eq!(fed(p.rvol(&[], &["cat"])), fed(p.docker(&[], &["cat"])));

    // a write through exec lands in the host directory behind the volume
    p.same(&["-u", "0"], &["sh", "-c", "echo through-exec > /data/f"]);
    assert_eq!(
        std::fs::read_to_string(p.rdata.join("f")).unwrap(),
        "through-exec\n"
    );
    assert_eq!(
        std::fs::read_to_string(p.ddata.join("f")).unwrap(),
        "through-exec\n"
    );

    // -d: back at once, nothing printed, the command runs on
    let t0 = std::time::Instant::now();
    p.same(
        &["-d", "-u", "0"],
        &["sh", "-c", "sleep 1; echo later > /data/d"],
    );
    assert!(t0.elapsed().as_secs_f64() < 6.0);
    assert!(!p.rdata.join("d").exists(), "-d waited for its command");
    wait_until(20.0, "the -d command's write", || {
        std::fs::read_to_string(p.rdata.join("d")).is_ok_and(|s| s == "later\n")
            && std::fs::read_to_string(p.ddata.join("d")).is_ok_and(|s| s == "later\n")
    });
    // ... and a start that fails is still reported (status 1)
    let df = p.same(&["-d"], &["nosuchcmd"]);
    assert_eq!(df.code, Some(1));
    p.same(&["-d", "-w", "/nonexistent"], &["true"]);

    // usage
    let usage = p.same(&[], &[]);
    assert_eq!(usage.code, Some(1));
    let o = p.r.rvol_run(&["exec", "--bogus", &p.rc, "true"]);
    let d = docker(&["exec", "--bogus", &p.dc, "true"]);
    assert_eq!(o.status.code(), d.status.code());
    assert_eq!(text(&o.stderr), shown(&text(&d.stderr), &p.did));
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn exec_into_a_container_not_running_or_unknown_as_docker() {
    let r = TestRoot::new("exn");
    r.import_busybox("busybox:local");
    let mut d = DockerObjects::new();
    let image = d.import_busybox(&r.tmp);
    let (rc, dc) = (unique("exnr"), unique("exnd"));
    d.containers.push(dc.clone());
    let rid = r.rvol_ok(&["create", "--name", &rc, "busybox:local", "true"]);
    let did = docker_ok(&["create", "--network", "none", "--name", &dc, &image, "true"]);
    let check = |what: &str| {
        let o = r.rvol_run(&["exec", &rc, "true"]);
        let g = docker(&["exec", &dc, "true"]);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", text(&o.stderr));
        assert_eq!(g.status.code(), Some(1), "{what}");
        assert_eq!(
            shown(&text(&o.stderr), rid.trim()),
            shown(&text(&g.stderr), did.trim()),
            "{what}"
        );
        assert_eq!(
            shown(&text(&o.stderr), rid.trim()),
            "Error: Container <id> is not running\n"
        );
    };
    check("created");
    r.rvol_ok(&["start", &rc]);
    docker_ok(&["start", &dc]);
    r.rvol_ok(&["wait", &rc]);
    docker_ok(&["wait", &dc]);
    check("exited");
    let o = r.rvol_run(&["exec", "nosuch-rvol-exec", "true"]);
    let g = docker(&["exec", "nosuch-rvol-exec", "true"]);
    assert_eq!(o.status.code(), g.status.code());
    assert_eq!(
        text(&o.stderr),
        shown(&text(&g.stderr), "x".repeat(64).as_str())
    );
    r.rvol_ok(&["rm", &rc]);
}

/// Removes an rvol container when the test ends, passed or not.
struct Rm<'a>(&'a TestRoot, &'a str);

impl Drop for Rm<'_> {
    fn drop(&mut self) {
        let _ = self.0.rvol_run(&["rm", "-f", self.1]);
    }
}

/// The host pid of the process `parent` forked (rvol-ns' child: the
/// exec'd command), once it is past the chain.
fn exec_child(parent: u32, cmd: &str) -> i32 {
    let mut pid = 0;
    wait_until(20.0, "the exec'd command", || {
        let kids = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
            .unwrap_or_default();
        pid = kids
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        pid != 0
            && std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split('\0').next() == Some(cmd))
    });
    pid
}

/// The processes of the container's pid namespace, on the host.
fn in_pid_ns(pid1: i32) -> Vec<i32> {
    let ns = std::fs::read_link(format!("/proc/{pid1}/ns/pid")).unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|p| std::fs::read_link(format!("/proc/{p}/ns/pid")).is_ok_and(|n| n == ns))
        .filter(|p| alive(*p))
        .collect()
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn killed_exec_or_container_leaves_nothing() {
    let r = TestRoot::new("exk");
    r.import_busybox("busybox:local");
    let name = unique("exk");
    r.rvol_ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "busybox:local",
        "sleep",
        "1000",
    ]);
    let _rm = Rm(&r, &name);
    let pid1: i32 = r
        .rvol_ok(&["inspect", "-f", "{{.State.Pid}}", &name])
        .trim()
        .parse()
        .unwrap();

    // kill -9 of the exec's host side (the verb became rvol-ns): its
    // command goes too, the container stays
    let mut host = r
        .rvol(&["exec", &name, "sleep", "100"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let cmd = exec_child(host.id(), "sleep");
    assert_eq!(in_pid_ns(pid1).len(), 2);
    // SAFETY: kill(2) of the child we spawned.
    unsafe { libc::kill(host.id() as i32, libc::SIGKILL) };
    let _ = host.wait();
    wait_until(10.0, "the exec'd command to end with its host side", || {
        !alive(cmd)
    });
    assert_eq!(in_pid_ns(pid1), vec![pid1]);
    assert_eq!(
        r.rvol_ok(&["inspect", "-f", "{{.State.Status}}", &name]),
        "running\n"
    );

    // a signal to the host side reaches the command: its status
    let host = r
        .rvol(&["exec", &name, "sleep", "100"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    exec_child(host.id(), "sleep");
    // SAFETY: kill(2) of the child we spawned.
    unsafe { libc::kill(host.id() as i32, libc::SIGTERM) };
    let o = host.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143));

    // the container ending under a running exec ends it: 137, as docker's
    let host = r
        .rvol(&["exec", &name, "sleep", "100"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let cmd = exec_child(host.id(), "sleep");
    r.rvol_ok(&["kill", &name]);
    let o = host.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(137));
    assert!(!alive(cmd));
    wait_until(10.0, "the container's PID 1 to go", || !alive(pid1));
}

/// `exec -it C sh` typed into a terminal: tty, TERM, the size before and
/// after a resize, ctrl-c, `exit 3`, the terminal's mode afterwards.
fn exec_session(t: &rvol_tests::tmux::Tmux) -> String {
    let end = |s: &str| {
        let s = s.to_string();
        move |screen: &str| screen.ends_with(s.trim_end())
    };
    t.line("S=$(stty -g)");
    t.wait_for("prompt", end("$"));
    t.line("R exec -it $C sh");
    t.wait_for("the container's shell", end("\n/ #"));
    t.line("tty; echo $TERM; stty size");
    t.wait_for("tty", end("24 80\n/ #"));
    t.line("sleep 100");
    t.wait_for("sleep", end("/ # sleep 100"));
    // The line echoed is not yet sleep running: busybox's line editing
    // gives the terminal back (ISIG on) just before it forks, and a ctrl-c
    // typed before that is a plain byte in its queue.
    std::thread::sleep(std::time::Duration::from_millis(500));
    t.keys(&["C-c"]);
    t.wait_for("ctrl-c", end("^C\n/ #"));
    t.line("echo rc=$?");
    t.wait_for("rc", end("rc=130\n/ #"));
    t.resize(100, 30);
    t.line("stty size");
    t.wait_for("resized", end("30 100\n/ #"));
    t.line("exit 3");
    t.wait_for("exit", end("exit 3\n$"));
    t.line("echo outer=$?");
    t.wait_for("status", end("outer=3\n$"));
    t.line("[ \"$(stty -g)\" = \"$S\" ] && echo mode-restored");
    t.wait_for("mode", end("mode-restored\n$"));
    // ctrl-p ctrl-q: docker exec's error and status, the command runs on
    t.line("R exec -it $C sleep 100; echo rc=$?");
    t.wait_for("exec of sleep", end("sleep 100; echo rc=$?"));
    std::thread::sleep(std::time::Duration::from_millis(500));
    t.keys(&["C-p", "C-q"]);
    t.wait_for("detached", end("rc=1\n$"))
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn exec_it_gives_a_terminal_as_docker_does() {
    let r = TestRoot::new("ext");
    r.import_busybox("busybox:local");
    let mut d = DockerObjects::new();
    let image = d.import_busybox(&r.tmp);
    let (rc, dc) = (unique("extr"), unique("extd"));
    d.containers.push(dc.clone());
    r.rvol_ok(&["run", "-d", "--name", &rc, "busybox:local", "sleep", "1000"]);
    let _rm = Rm(&r, &rc);
    docker_ok(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        &dc,
        &image,
        "sleep",
        "1000",
    ]);

    let rc_of = |tool, c| rvol_tests::tmux::shell_rc(&r, tool, tool, &[("C", c)]);
    let t = rvol_tests::tmux::Tmux::new(&rc_of("rvol", &rc), 80, 24);
    let ours = exec_session(&t);
    drop(t);
    let t = rvol_tests::tmux::Tmux::new(&rc_of("docker", &dc), 80, 24);
    let theirs = exec_session(&t);
    drop(t);
    assert!(ours.contains("/dev/pts/0\nxterm\n24 80"), "{ours}");
    assert!(ours.ends_with("read escape sequence\nrc=1\n$"), "{ours}");
    assert_eq!(
        ours, theirs,
        "rvol's screen, then docker's, in the same terminal"
    );
    // the container runs on
    assert_eq!(
        r.rvol_ok(&["inspect", "-f", "{{.State.Status}}", &rc]),
        "running\n"
    );
    let pid1: i32 = r
        .rvol_ok(&["inspect", "-f", "{{.State.Pid}}", &rc])
        .trim()
        .parse()
        .unwrap();
    // the shell's exec gone, the detached one still there
    rvol_tests::wait_until(10.0, "the shell's exec to go", || {
        in_pid_ns(pid1).len() == 2
    });
}
