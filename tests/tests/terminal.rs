//! `run -it`, `-t`, detach and `attach` in real terminals (tmux, a fixed
//! size), each scenario typed the same way into a window running rvol and
//! one running docker, and the two screens compared
//! (docs/docker-behaviour.md §11). The typed lines are the same on both
//! sides: `R` is `rvol` or `docker`, `$IMG` and `$N` the side's image
//! and container name, so the screens can be equal to the byte.

use std::path::PathBuf;

use rvol_tests::docker::{docker, DockerObjects};
use rvol_tests::tmux::Tmux;
use rvol_tests::{fresh, stderr, TestRoot};

struct Side {
    rc: PathBuf,
    name: String,
}

/// The rc file of one side's shell.
fn side(r: &TestRoot, which: &str, image: &str) -> Side {
    let name = fresh(&format!("tty{which}"));
    let tool = match which {
        "rvol" => "rvol",
        _ => "docker",
    };
    let rc = rvol_tests::tmux::shell_rc(
        r,
        &format!("{which}-{name}"),
        tool,
        &[("IMG", image), ("N", &name)],
    );
    Side { rc, name }
}

/// Wait until the screen ends with `end` (its trailing blanks dropped,
/// as the screen's are).
fn wait_end(t: &Tmux, end: &str) -> String {
    t.wait_for(&format!("the screen to end with {end:?}"), |s| {
        s.ends_with(end.trim_end())
    })
}

/// The shell session of the issue: tty, TERM, the size before and after a
/// resize, ctrl-c, job control, `exit 3`, and the outer terminal's mode
/// afterwards. The screen at the end.
fn shell_session(t: &Tmux) -> String {
    t.line("S=$(stty -g)");
    wait_end(t, "$");
    t.line("R run -it --rm --name $N $IMG sh");
    wait_end(t, "\n/ #");
    t.line("tty; echo $TERM; stty size");
    wait_end(t, "24 80\n/ #");
    t.line("sleep 100");
    wait_end(t, "/ # sleep 100");
    // The line echoed is not yet sleep running: busybox's line editing
    // gives the terminal back (ISIG on) just before it forks, and a ctrl-c
    // typed before that is a plain byte in its queue.
    std::thread::sleep(std::time::Duration::from_millis(500));
    t.keys(&["C-c"]);
    wait_end(t, "^C\n/ #");
    t.line("echo rc=$?");
    wait_end(t, "rc=130\n/ #");
    t.resize(100, 30);
    // The new size reaches the container by a SIGWINCH relayed through the
    // front and the supervisor (docker's: through its CLI and daemon): not
    // at once.
    std::thread::sleep(std::time::Duration::from_millis(500));
    t.line("stty size");
    wait_end(t, "30 100\n/ #");
    t.line("sleep 100 &");
    wait_end(t, "sleep 100 &\n/ #");
    t.line("jobs");
    t.wait_for("jobs", |s| s.contains("Running") && s.ends_with("/ #"));
    t.line("kill %1; sleep 0.2; jobs");
    t.wait_for("the job killed", |s| {
        s.contains("Terminated") && s.ends_with("/ #")
    });
    t.line("exit 3");
    wait_end(t, "exit 3\n$");
    t.line("echo outer=$?");
    wait_end(t, "outer=3\n$");
    t.line("[ \"$(stty -g)\" = \"$S\" ] && echo mode-restored");
    wait_end(t, "mode-restored\n$")
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn run_it_gives_a_terminal_as_docker_does() {
    let r = TestRoot::new("tty-shell");
    r.import_busybox("bb:tty");
    // Its layer unpacked now: a first unpack on a terminal draws its
    // progress (as docker's pull would), which is not what is compared.
    r.rvol_ok(&["run", "--rm", "bb:tty", "true"]);
    let mut d = DockerObjects::new();
    let dimg = d.import_busybox(&r.tmp);

    let ours = side(&r, "rvol", "bb:tty");
    let t = Tmux::new(&ours.rc, 80, 24);
    let rvol_screen = shell_session(&t);
    drop(t);
    let theirs = side(&r, "docker", &dimg);
    // Removed if the test fails with it running (its --rm needs its CLI).
    d.containers.push(theirs.name.clone());
    let t = Tmux::new(&theirs.rc, 80, 24);
    let docker_screen = shell_session(&t);
    drop(t);

    for want in ["/dev/pts/0\nxterm\n24 80", "rc=130", "30 100", "outer=3"] {
        assert!(rvol_screen.contains(want), "{want:?} in:\n{rvol_screen}");
    }
    assert_eq!(
        rvol_screen, docker_screen,
        "rvol's screen, then docker's, in the same terminal"
    );
    // --rm: gone once run returned
    assert_eq!(r.rvol_ok(&["ps", "-a", "-q"]), "");
}

/// Removes a container on both sides when the test ends, passed or not.
struct Gone<'a>(&'a TestRoot, String, String);

impl Drop for Gone<'_> {
    fn drop(&mut self) {
        let _ = self.0.rvol_run(&["rm", "-f", &self.1]);
        let _ = docker(&["rm", "-f", &self.2]);
    }
}

fn detach_session(t: &Tmux) -> String {
    t.line("R run -it --name $N $IMG sh");
    wait_end(t, "\n/ #");
    t.line("echo hi");
    wait_end(t, "hi\n/ #");
    t.keys(&["C-p", "C-q"]);
    wait_end(t, "/ # $");
    t.line("echo detached=$?; R inspect -f '{{.State.Status}}' $N");
    wait_end(t, "detached=0\nrunning\n$");
    t.line("R attach $N");
    // attach nudges the size: the shell redraws its prompt
    wait_end(t, "R attach $N\n/ #");
    t.line("echo back");
    wait_end(t, "back\n/ #");
    // ctrl-p and another key: both go on (the shell's ctrl-p: the last
    // line again, then the x)
    t.keys(&["C-p", "x"]);
    t.line("");
    wait_end(t, "backx\n/ #");
    t.line("exit 4");
    wait_end(t, "exit 4\n$");
    t.line("echo attach=$?");
    wait_end(t, "attach=4\n$")
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn ctrl_p_ctrl_q_detaches_and_attach_comes_back_as_docker() {
    let r = TestRoot::new("tty-detach");
    r.import_busybox("bb:tty");
    // Its layer unpacked now: a first unpack on a terminal draws its
    // progress (as docker's pull would), which is not what is compared.
    r.rvol_ok(&["run", "--rm", "bb:tty", "true"]);
    let mut d = DockerObjects::new();
    let dimg = d.import_busybox(&r.tmp);
    let ours = side(&r, "rvol", "bb:tty");
    let theirs = side(&r, "docker", &dimg);
    let _gone = Gone(&r, ours.name.clone(), theirs.name.clone());

    let t = Tmux::new(&ours.rc, 80, 24);
    let rvol_screen = detach_session(&t);
    drop(t);
    let t = Tmux::new(&theirs.rc, 80, 24);
    let docker_screen = detach_session(&t);
    drop(t);
    assert_eq!(
        rvol_screen, docker_screen,
        "rvol's screen, then docker's, in the same terminal"
    );
    assert_eq!(
        r.rvol_ok(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.ExitCode}}",
            &ours.name
        ]),
        "exited 4\n"
    );
    // what the session printed is in its log, the tty's \r\n kept
    let log = r.rvol_ok(&["logs", &ours.name]);
    assert!(
        log.contains("hi\r\n") && log.contains("back\r\n"),
        "{log:?}"
    );

    // attach to a stopped or missing container: docker's texts and status
    for (c, what) in [(ours.name.as_str(), "stopped"), ("nosuch-tty", "missing")] {
        let o = r.rvol_run(&["attach", c]);
        let dc = if c == ours.name { &theirs.name } else { c };
        let od = docker(&["attach", dc]);
        assert_eq!(o.status.code(), od.status.code(), "{what}");
        assert_eq!(
            stderr(&o).replace(&ours.name, "C"),
            stderr(&od).replace(&theirs.name, "C"),
            "{what}"
        );
    }
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn it_without_a_terminal_and_t_alone_as_docker() {
    let r = TestRoot::new("tty-flags");
    r.import_busybox("bb:tty");
    // Its layer unpacked now: a first unpack on a terminal draws its
    // progress (as docker's pull would), which is not what is compared.
    r.rvol_ok(&["run", "--rm", "bb:tty", "true"]);
    let mut d = DockerObjects::new();
    let dimg = d.import_busybox(&r.tmp);
    let null = || std::fs::File::open("/dev/null").unwrap();

    // -it on a stdin that is no terminal: refused before anything is made
    let mut c = r.rvol(&["run", "-it", "--rm", "bb:tty", "true"]);
    let o = rvol_tests::run(c.stdin(null()));
    let mut dc = std::process::Command::new("docker");
    dc.args(["run", "-it", "--rm", &dimg, "true"]);
    let od = rvol_tests::run(dc.stdin(null()));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(o.status.code(), od.status.code());
    assert_eq!(stderr(&o), stderr(&od));
    assert_eq!(r.rvol_ok(&["ps", "-a", "-q"]), "");

    // -t alone runs: a terminal of the container's own, TERM=xterm, the
    // output with the tty's \r\n; an image's or -e's TERM wins
    for extra in [&[][..], &["-e", "TERM=vt100"][..]] {
        let script = "tty; echo $TERM; ls -l /dev/console | cut -c1-10";
        let mut a = vec!["run", "--rm", "-t"];
        a.extend_from_slice(extra);
        let mut ra = a.clone();
        ra.extend_from_slice(&["bb:tty", "sh", "-c", script]);
        let mut c = r.rvol(&ra);
        let o = rvol_tests::ok(c.stdin(null()));
        let mut da = a.clone();
        da.extend_from_slice(&[&dimg, "sh", "-c", script]);
        let mut dc = std::process::Command::new("docker");
        let od = rvol_tests::ok(dc.args(&da).stdin(null()));
        assert_eq!(o, od, "-t {extra:?}");
    }
    assert!(r
        .rvol_ok(&["run", "--rm", "-t", "bb:tty", "tty"])
        .starts_with("/dev/pts/0\r\n"));

    // -i alone: stdin passed, no terminal
    let mut c = r.rvol(&["run", "--rm", "-i", "bb:tty", "tty"]);
    let o = rvol_tests::run(c.stdin(null()));
    let mut dc = std::process::Command::new("docker");
    let od = rvol_tests::run(dc.args(["run", "--rm", "-i", &dimg, "tty"]).stdin(null()));
    assert_eq!(o.status.code(), od.status.code());
    assert_eq!(o.stdout, od.stdout);
}
