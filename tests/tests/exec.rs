//! rvol-ns + rvol-exec: real containers (a busybox rootfs, real namespaces)
//! and what the process sees from inside, checked fact by fact, and
//! against docker running the same probe on the same rootfs.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use rvol_tests::docker::DockerObjects;
use rvol_tests::probe::{self, bundle, chain, facts, probe_rvol, PROBE};
use rvol_tests::wait::{alive, running_pid};
use rvol_tests::{bin, eventually, run, stderr, TempDir, TestRoot};
use serde_json::json;

fn probe_ok(tmp: &TempDir, name: &str, patch: serde_json::Value) -> BTreeMap<String, String> {
    let o = probe_rvol(tmp, name, patch);
    assert!(
        o.status.success(),
        "probe failed: {}\n{}",
        o.status,
        stderr(&o)
    );
    facts(&o.stdout)
}

fn user(u: &str) -> serde_json::Value {
    json!({"annotations": {"org.rvol.user": serde_json::to_string(u).unwrap()}})
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn the_container_environment() {
    let tmp = TempDir::new("exec-env");
    let f = probe_ok(&tmp, "c", json!({}));
    assert_eq!(f["pid"], "1", "the command is PID 1");
    assert_eq!(f["hostname"], "rvoltest");
    assert_eq!(f["net"].trim(), "lo", "only lo in a new net namespace");
    assert_eq!(f["lo_flags"], "0x9", "lo is up");
    for k in ["CapPrm", "CapEff", "CapBnd"] {
        assert_eq!(f[k], "00000000a80425fb", "{k}");
    }
    assert_eq!(f["CapInh"], "0000000000000000");
    assert_eq!(f["CapAmb"], "0000000000000000");
    assert_eq!(
        f["SigIgn"], "0000000000000000",
        "no signal ignored (Rust's SIGPIPE)"
    );
    assert_eq!(f["SigBlk"], "0000000000000000");
    assert_eq!(f["uid"], "0");
    assert_eq!(f["groups"], "0");
    assert_eq!(f["cwd"], "/");
    assert_eq!(f["umask"], "0022");
    assert_eq!(
        f["env"],
        format!("HOME=/root;HOSTNAME=rvoltest;PATH={};", probe::DEFAULT_PATH)
    );
    let dev: Vec<&str> = f["dev"].split(';').filter(|s| !s.is_empty()).collect();
    assert_eq!(
        dev,
        [
            "/dev/fd lrwxrwxrwx 0:0 0:0",
            "/dev/full crw-rw-rw- 0:0 1:7",
            "/dev/mqueue drwxrwxrwt 0:0 0:0",
            "/dev/null crw-rw-rw- 0:0 1:3",
            "/dev/ptmx lrwxrwxrwx 0:0 0:0",
            "/dev/pts drwxr-xr-x 0:0 0:0",
            "/dev/random crw-rw-rw- 0:0 1:8",
            "/dev/shm drwxrwxrwt 0:0 0:0",
            "/dev/stderr lrwxrwxrwx 0:0 0:0",
            "/dev/stdin lrwxrwxrwx 0:0 0:0",
            "/dev/stdout lrwxrwxrwx 0:0 0:0",
            "/dev/tty crw-rw-rw- 0:0 5:0",
            "/dev/urandom crw-rw-rw- 0:0 1:9",
            "/dev/zero crw-rw-rw- 0:0 1:5",
        ]
    );
    assert_eq!(
        f["dev_links"].trim(),
        "fd->/proc/self/fd stdin->/proc/self/fd/0 stdout->/proc/self/fd/1 stderr->/proc/self/fd/2 ptmx->pts/ptmx"
    );
    let mounts: Vec<&str> = f["mounts"].split(';').filter(|s| !s.is_empty()).collect();
    for want in [
        "proc /proc proc rw,nosuid,nodev,noexec,relatime",
        "tmpfs /dev tmpfs rw,nosuid,size=65536k,mode=755",
        "devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=666",
        "shm /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k",
        "mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec,relatime",
        "sysfs /sys sysfs ro,nosuid,nodev,noexec,relatime",
        "proc /proc/sys proc ro,nosuid,nodev,noexec,relatime",
        "proc /proc/irq proc ro,nosuid,nodev,noexec,relatime",
    ] {
        assert!(
            mounts.contains(&want),
            "missing mount {want:?} in {mounts:#?}"
        );
    }
    // Masked paths, where this kernel has them: a directory gets a
    // read-only tmpfs, a file /dev/null (a bind from the /dev tmpfs).
    if Path::new("/proc/keys").exists() {
        assert!(
            mounts.contains(&"tmpfs /proc/keys tmpfs rw,nosuid,size=65536k,mode=755"),
            "{mounts:#?}"
        );
    }
    if Path::new("/proc/acpi").is_dir() {
        assert!(
            mounts.contains(&"tmpfs /proc/acpi tmpfs ro,relatime"),
            "{mounts:#?}"
        );
    }
    if Path::new("/sys/firmware").is_dir() {
        assert!(
            mounts.contains(&"tmpfs /sys/firmware tmpfs ro,relatime"),
            "{mounts:#?}"
        );
    }
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn users_groups_and_home() {
    let tmp = TempDir::new("exec-user");
    let f = probe_ok(&tmp, "u1000", user("1000:1000"));
    assert_eq!(
        (f["uid"].as_str(), f["gid"].as_str(), f["groups"].as_str()),
        ("1000", "1000", "1000")
    );
    assert_eq!(
        f["CapEff"], "0000000000000000",
        "no effective capabilities as a user"
    );
    assert_eq!(f["CapPrm"], "0000000000000000");
    assert_eq!(f["CapBnd"], "00000000a80425fb");
    assert!(f["env"].contains("HOME=/home/user;"), "{}", f["env"]);

    let f = probe_ok(&tmp, "nobody", user("nobody"));
    assert_eq!(
        (f["uid"].as_str(), f["gid"].as_str(), f["groups"].as_str()),
        ("65534", "65534", "65534")
    );
    assert!(f["env"].contains("HOME=/nonexistent;"), "{}", f["env"]);

    // By name, no group: the primary group plus those listing the user.
    let f = probe_ok(&tmp, "user", user("user"));
    assert_eq!((f["uid"].as_str(), f["gid"].as_str()), ("1000", "1000"));
    assert_eq!(f["Groups"], "100 1000");

    // A uid that /etc/passwd does not know: gid 0, HOME /.
    let f = probe_ok(&tmp, "u1234", user("1234"));
    assert_eq!((f["uid"].as_str(), f["gid"].as_str()), ("1234", "0"));
    assert!(f["env"].contains("HOME=/;"), "{}", f["env"]);

    let f = probe_ok(&tmp, "rootgrp", user("root:nogroup"));
    assert_eq!(
        (f["uid"].as_str(), f["gid"].as_str(), f["Groups"].as_str()),
        ("0", "65534", "65534")
    );
    assert_eq!(f["CapEff"], "00000000a80425fb");

    // A cwd the user may not enter: entered while still root, as runc does.
    let mut patch = user("1000");
    patch["process"] = json!({"cwd": "/root"});
    let b = bundle(&tmp.join("rootcwd"), patch);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        b.join("rootfs/root"),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    let o = run(&mut chain(&b, &["sh", "-c", "pwd; ls . 2>&1; id -u"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("/root\n") && out.contains("Permission denied") && out.ends_with("1000\n"),
        "{out}"
    );

    let b = bundle(&tmp.join("nouser"), user("nouser"));
    let o = run(&mut chain(&b, &["true"]));
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).contains("unable to find user nouser: no matching entries in passwd file"),
        "{}",
        stderr(&o)
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn cwd_env_and_hostname() {
    let tmp = TempDir::new("exec-cwd");
    let f = probe_ok(
        &tmp,
        "c",
        json!({"process": {"cwd": "/work/new", "env": ["FOO=bar baz", "HOME=/custom"]}}),
    );
    assert_eq!(f["cwd"], "/work/new", "a missing cwd is created");
    assert_eq!(
        f["env"],
        format!(
            "FOO=bar baz;HOME=/custom;HOSTNAME=rvoltest;PATH={};",
            probe::DEFAULT_PATH
        ),
        "PATH defaulted, HOME kept, HOSTNAME added"
    );
    assert!(tmp.join("c/rootfs/work/new").is_dir());

    // No hostname in the spec, bundle named by a container id: its first 12 hex.
    let id = "0123456789abcdef".repeat(4);
    let b = bundle(&tmp.join(&id), json!({"hostname": null}));
    let o = run(&mut chain(&b, &["hostname"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "0123456789ab");

    // Without a uts namespace of its own the hostname is left alone (it
    // would be the host's). Tried inside a throwaway uts namespace whose
    // PID 1 shares it, so that a regression cannot rename the machine.
    let host_name = String::from_utf8_lossy(&run(&mut Command::new("hostname")).stdout)
        .trim()
        .to_owned();
    let inner = "\"$0\" --mount --pid -- \"$1\" --bundle \"$2\" -- hostname; hostname";
    let o = run(Command::new("unshare")
        .args([
            "--uts",
            "--mount",
            "--pid",
            "--fork",
            "--mount-proc",
            "sh",
            "-c",
            inner,
        ])
        .arg(bin("rvol-ns"))
        .arg(bin("rvol-exec"))
        .arg(&b));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("{host_name}\n{host_name}\n"),
        "hostname set in a uts namespace that was not the container's"
    );

    // A cwd that is a file: docker's words, 125.
    let b = bundle(
        &tmp.join("badcwd"),
        json!({"process": {"cwd": "/etc/passwd"}}),
    );
    let o = run(&mut chain(&b, &["true"]));
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).contains("Cannot mkdir: /etc/passwd is not a directory"),
        "{}",
        stderr(&o)
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn exit_statuses() {
    let tmp = TempDir::new("exec-status");
    let b = bundle(&tmp.join("c"), json!({}));
    let status = |cmd: &[&str]| {
        let o = run(&mut chain(&b, cmd));
        (o.status.code(), stderr(&o))
    };
    assert_eq!(status(&["true"]).0, Some(0));
    assert_eq!(status(&["sh", "-c", "exit 3"]).0, Some(3));
    let (code, err) = status(&["nonexist"]);
    assert_eq!(code, Some(127));
    assert_eq!(
        err.trim(),
        r#"rvol-exec: exec: "nonexist": executable file not found in $PATH"#
    );
    let (code, err) = status(&["/nonexist"]);
    assert_eq!(code, Some(127));
    assert!(
        err.contains(r#"exec: "/nonexist": stat /nonexist: no such file or directory"#),
        "{err}"
    );
    let (code, err) = status(&["/etc"]);
    assert_eq!(code, Some(126));
    assert!(err.contains(r#"exec: "/etc": permission denied"#), "{err}");
    let (code, _) = status(&["/etc/passwd"]);
    assert_eq!(code, Some(126));

    // A command that never started leaves the container `created`, with
    // the exit status and docker's error text, as docker inspect shows it.
    let fresh = bundle(&tmp.join("fresh"), json!({}));
    let o = run(&mut chain(&fresh, &["nonexist"]));
    assert_eq!(o.status.code(), Some(127));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fresh.join("state.json")).unwrap()).unwrap();
    assert_eq!(state["Status"], "created", "{state}");
    assert_eq!(state["ExitCode"], 127);
    assert_eq!(state["Pid"], 0);
    assert_eq!(
        state["Error"],
        r#"exec: "nonexist": executable file not found in $PATH"#
    );
    assert_eq!(state["StartedAt"], "0001-01-01T00:00:00Z");
    // ... and a command that ran and failed is `exited`, without an error.
    let o = run(&mut chain(&fresh, &["sh", "-c", "exit 127"]));
    assert_eq!(o.status.code(), Some(127));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fresh.join("state.json")).unwrap()).unwrap();
    assert_eq!(
        (state["Status"].as_str(), state["Error"].as_str()),
        (Some("exited"), Some(""))
    );
    assert_ne!(state["StartedAt"], "0001-01-01T00:00:00Z");

    // Our own failure: a rootfs that is not there.
    let bad = bundle(
        &tmp.join("bad"),
        json!({"root": {"path": "/nonexistent-rootfs"}}),
    );
    let o = run(&mut chain(&bad, &["true"]));
    assert_eq!(o.status.code(), Some(125), "{}", stderr(&o));
    assert!(stderr(&o).contains("/nonexistent-rootfs"), "{}", stderr(&o));

    // 128+N: a command killed by SIGINT (not PID 1 here: PID 1 of a pid
    // namespace cannot be killed by a signal it has no handler for).
    let rootfs = tmp.join("c/rootfs");
    let o = run(Command::new(bin("rvol-ns"))
        .args(["--mount", "--uts", "--ipc", "--net", "--"])
        .arg(bin("rvol-exec"))
        .arg(&rootfs)
        .args(["--", "sh", "-c", "kill -INT $$"]));
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.join("c/state.json")).unwrap()).unwrap();
    assert_eq!(state["Status"], "exited");
    assert_eq!(
        state["ExitCode"], 126,
        "the last run through the bundle: /etc/passwd"
    );
}

fn wait_ready(child: &mut std::process::Child) {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn signals_are_forwarded_and_killed_containers_report_137() {
    let tmp = TempDir::new("exec-sig");
    let b = bundle(&tmp.join("c"), json!({}));
    let script = r#"trap 'echo got TERM; exit 7' TERM; trap 'exit 130' INT; echo ready; while :; do sleep 0.05; done"#;
    for (sig, code) in [(libc_sig::TERM, 7), (libc_sig::INT, 130)] {
        let mut child = chain(&b, &["sh", "-c", script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        wait_ready(&mut child);
        assert!(run(Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(child.id().to_string()))
        .status
        .success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(code), "after SIG{sig}");
        if sig == libc_sig::TERM {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "got TERM");
        }
    }

    // kill -9 of the container's PID 1 from the host: 128+9.
    let mut child = chain(&b, &["sleep", "1000"]).spawn().unwrap();
    let pid = running_pid(&tmp.join("c/state.json"), 10.0);
    assert!(alive(pid));
    assert!(run(Command::new("kill").arg("-9").arg(pid.to_string()))
        .status
        .success());
    assert_eq!(child.wait().unwrap().code(), Some(137));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.join("c/state.json")).unwrap()).unwrap();
    assert_eq!(
        (
            state["Status"].as_str(),
            state["ExitCode"].as_i64(),
            state["Pid"].as_i64()
        ),
        (Some("exited"), Some(137), Some(0))
    );
}

mod libc_sig {
    pub const TERM: &str = "TERM";
    pub const INT: &str = "INT";
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn killing_rvol_ns_kills_the_container_and_leaves_no_mount() {
    let tmp = TempDir::new("exec-kill9");
    let b = bundle(&tmp.join("c"), json!({}));
    let mut child = chain(&b, &["sleep", "1000"]).spawn().unwrap();
    let pid = running_pid(&tmp.join("c/state.json"), 10.0);
    assert!(alive(pid));
    child.kill().unwrap(); // SIGKILL to rvol-ns itself
    child.wait().unwrap();
    assert!(
        eventually(5.0, || !alive(pid)),
        "the container outlived rvol-ns"
    );
    assert!(
        rvol_tests::mounts_under(&tmp.path).is_empty(),
        "mounts left on the host"
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn read_only_binds_and_root_cannot_be_remounted() {
    let tmp = TempDir::new("exec-ro");
    let host = tmp.join("hostdir");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("f"), "data\n").unwrap();
    let b = bundle(&tmp.join("c"), json!({"root": {"readonly": true}}));
    std::fs::create_dir_all(b.join("rootfs/data")).unwrap();
    // What rvol-mount apply does for `-v HOSTDIR:/data:ro`, done by the
    // host's mount(8) inside the container's mount namespace.
    let apply = format!(
        "mount --rbind {h} {r}/data && mount -o remount,bind,ro {r}/data && exec \"$@\"",
        h = host.display(),
        r = b.join("rootfs").display()
    );
    let inside = r#"
        cat /data/f
        mount -o remount,rw /data 2>/dev/null && echo REMOUNTED-DATA
        touch /data/x 2>/dev/null && echo WROTE-DATA
        mount -o remount,rw / 2>/dev/null && echo REMOUNTED-ROOT
        touch /newfile 2>&1
        touch /dev/shm/ok && echo shm-ok
        grep -c ' / .* ro,' /proc/mounts
    "#;
    let o = run(Command::new(bin("rvol-ns"))
        .arg("--bundle")
        .arg(&b)
        .args(["--", "sh", "-c", &apply, "apply"])
        .arg(bin("rvol-exec"))
        .arg("--bundle")
        .arg(&b)
        .args(["--", "sh", "-c", inside]));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}\n{out}", stderr(&o));
    assert!(out.starts_with("data\n"), "{out}");
    assert!(
        !out.contains("REMOUNTED") && !out.contains("WROTE"),
        "{out}"
    );
    assert!(out.contains("Read-only file system"), "{out}");
    assert!(out.contains("shm-ok"), "{out}");
    assert!(!host.join("x").exists());
    assert!(!b.join("rootfs/newfile").exists());
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn bare_rootfs_and_refusals() {
    let tmp = TempDir::new("exec-bare");
    let b = bundle(&tmp.join("c"), json!({}));
    // ROOTFS form inside flags-only namespaces.
    let o = run(Command::new(bin("rvol-ns"))
        .args(["--mount", "--pid", "--uts", "--ipc", "--net", "--"])
        .arg(bin("rvol-exec"))
        .arg(b.join("rootfs"))
        .args(["--", "sh", "-c", "echo $$ $HOME; ls /sys/class/net"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "1 /root\nlo\n");
    // A descriptor left open by the caller does not reach the command.
    let o = run(Command::new("sh")
        .args(["-c", "exec 7</dev/null; exec \"$@\"", "sh"])
        .arg(bin("rvol-ns"))
        .arg("--bundle")
        .arg(&b)
        .arg("--")
        .arg(bin("rvol-exec"))
        .arg("--bundle")
        .arg(&b)
        .args(["--", "ls", "/proc/self/fd"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let fds: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        fds,
        ["0", "1", "2", "3"],
        "only stdio (and ls's own directory fd)"
    );
    // Refused where the mount namespace is its ancestors' (the host's):
    // pivot_root there would move every process's root. Tried inside a
    // throwaway namespace whose PID 1 shares it, so that a regression
    // cannot hurt the machine.
    let o = run(Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "--pid",
            "--fork",
            "--mount-proc",
            "sh",
            "-c",
        ])
        .arg("\"$0\" \"$1\" -- true; echo status=$?")
        .arg(bin("rvol-exec"))
        .arg(b.join("rootfs")));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "status=125",
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("not in a mount namespace of its own"),
        "{}",
        stderr(&o)
    );
    // No command at all.
    let nocmd = bundle(&tmp.join("nocmd"), json!({"process": {"args": []}}));
    let o = run(&mut chain(&nocmd, &[]));
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).contains("no command specified"),
        "{}",
        stderr(&o)
    );
    // rvol-ns usage errors are ours: 125.
    let o = run(Command::new(bin("rvol-ns")).arg("--bogus"));
    assert_eq!(o.status.code(), Some(125));
    let o = run(Command::new(bin("rvol-ns")).args(["--pid", "--", "nonexist-cmd"]));
    assert_eq!(o.status.code(), Some(127));
}

/// The same probe under docker and under rvol, on the same busybox rootfs,
/// with the same user, cwd, env and hostname: every fact must agree.
#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn same_facts_as_docker() {
    let tmp = TempDir::new("exec-docker");
    let mut docker = DockerObjects::new();
    let image = docker.import_busybox(&tmp);
    for (i, u) in ["", "1000:1000", "nobody", "user"].iter().enumerate() {
        let mut d = Command::new("docker");
        d.args([
            "run",
            "--rm",
            "--network",
            "none",
            "--hostname",
            "rvoltest",
            "-w",
            "/work/dir",
            "-e",
            "FOO=bar",
        ]);
        if !u.is_empty() {
            d.args(["-u", u]);
        }
        d.args([image.as_str(), "sh", "-c", PROBE]);
        let o = run(&mut d);
        assert!(o.status.success(), "docker: {}", stderr(&o));
        let theirs = facts(&o.stdout);
        let mut patch = json!({"process": {"cwd": "/work/dir", "env": [format!("PATH={}", probe::DEFAULT_PATH), "FOO=bar"]}});
        if !u.is_empty() {
            patch["annotations"] = json!({"org.rvol.user": serde_json::to_string(u).unwrap()});
        }
        let ours = probe_ok(&tmp, &format!("c{i}"), patch);
        let mut diff = String::new();
        for k in theirs
            .keys()
            .chain(ours.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let (t, o) = (theirs.get(k), ours.get(k));
            if t != o {
                diff += &format!("{k}:\n  docker: {t:?}\n  rvol:   {o:?}\n");
            }
        }
        assert!(
            diff.is_empty(),
            "user {u:?}: rvol differs from docker:\n{diff}"
        );
    }
}

/// A user mount below /dev (made before rvol-exec, as apply does) is not
/// hidden by rvol-exec's own /dev; a user /dev/shm replaces the default.
#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn user_mounts_under_dev_stay_visible() {
    let tmp = TempDir::new("exec-devmnt");
    let host = tmp.join("log");
    std::fs::write(&host, "host file\n").unwrap();
    let b = bundle(
        &tmp.join("c"),
        json!({"mounts": [
            {"destination": "/dev/shm", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
            {"destination": "/dev/log", "type": "bind", "source": host, "options": ["rbind"]},
        ]}),
    );
    let r = b.join("rootfs");
    std::fs::create_dir_all(r.join("dev/shm")).unwrap();
    std::fs::write(r.join("dev/log"), "").unwrap();
    let apply = format!(
        "mount -t tmpfs -o size=1m tmpfs {r}/dev/shm && mount --bind {h} {r}/dev/log && exec \"$@\"",
        h = host.display(),
        r = r.display()
    );
    let o = run(Command::new(bin("rvol-ns"))
        .arg("--bundle")
        .arg(&b)
        .args(["--", "sh", "-c", &apply, "apply"])
        .arg(bin("rvol-exec"))
        .arg("--bundle")
        .arg(&b)
        .args([
            "--",
            "sh",
            "-c",
            "cat /dev/log; grep ' /dev/shm ' /proc/mounts; ls /dev/null",
        ]));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}\n{out}", stderr(&o));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "host file");
    assert_eq!(lines.len(), 3, "one /dev/shm mount only: {out}");
    assert!(
        lines[1].starts_with("tmpfs /dev/shm tmpfs rw,relatime,size=1024k"),
        "{out}"
    );
    assert_eq!(lines[2], "/dev/null");
}

/// The whole chain (rvol-unpack, rvol-mount create, rvol-ns, apply,
/// rvol-exec) against `docker run` with the same flags on the same rootfs:
/// `-v HOST:/data:ro --tmpfs /run --read-only -u 1000:1000 -w -e --hostname`.
#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn full_chain_same_facts_as_docker() {
    let env = TestRoot::new("exec-chain");
    let mut docker = DockerObjects::new();
    let image = docker.import_busybox(&env.tmp);
    let host = env.tmp.join("hostdata");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("f"), "host data").unwrap();
    let vol = format!("{}:/data:ro", host.display());
    let probe = format!("{PROBE}{}", probe::PROBE_MOUNTS);
    let proc_flags = [
        "-u",
        "1000:1000",
        "-w",
        "/work/dir",
        "-e",
        "FOO=bar",
        "--hostname",
        "rvoltest",
    ];
    let mount_flags = ["-v", vol.as_str(), "--tmpfs", "/run", "--read-only"];

    let mut d = Command::new("docker");
    d.args(["run", "--rm", "--network", "none"])
        .args(proc_flags)
        .args(mount_flags);
    d.args([image.as_str(), "sh", "-c", probe.as_str()]);
    let o = run(&mut d);
    assert!(o.status.success(), "docker: {}", stderr(&o));
    let mut theirs = facts(&o.stdout);
    // Rootless, what the kernel does differently in a user namespace.
    rvol_tests::rootless::docker_facts_rootless(&mut theirs);

    let img = env.image("bb", json!({}), |_| {});
    let mut unpack = env.tool("rvol-unpack");
    unpack
        .args(proc_flags)
        .arg(&img)
        .args(["sh", "-c", probe.as_str()]);
    let spec = rvol_tests::ok(&mut unpack);
    let b = env.create_ok(spec.as_bytes(), &mount_flags);
    let o = run(&mut env.chain(&b, &[]));
    assert!(o.status.success(), "rvol: {}", stderr(&o));
    let ours = facts(&o.stdout);

    // The facts that matter most, checked outright as well as against docker.
    assert_eq!(ours["data_read"], "host data", "{ours:#?}");
    assert_eq!(
        ours["remount_data"], "1",
        "a :ro volume cannot be remounted rw"
    );
    assert_eq!(ours["remount_root"], "1");
    assert!(
        ours["write_data"].contains("Read-only file system"),
        "{ours:#?}"
    );
    assert!(
        ours["write_root"].contains("Read-only file system"),
        "{ours:#?}"
    );
    assert_eq!(
        ours["write_run"], "0",
        "a tmpfs stays writable under --read-only"
    );
    assert_eq!(ours["root_mode"], "ro");
    assert_eq!(ours["etc_hostname"], "rvoltest");
    assert_eq!(
        (ours["uid"].as_str(), ours["cwd"].as_str()),
        ("1000", "/work/dir")
    );
    let mut diff = String::new();
    for k in theirs
        .keys()
        .chain(ours.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (t, o) = (theirs.get(k), ours.get(k));
        if t != o {
            diff += &format!("{k}:\n  docker: {t:?}\n  rvol:   {o:?}\n");
        }
    }
    assert!(diff.is_empty(), "rvol differs from docker:\n{diff}");
    assert!(!host.join("probe").exists());
}

/// The whole chain ends with nothing mounted, however it ends: a normal
/// exit, a signal to the container, `kill -9` of rvol-ns. Afterwards the
/// bundle's overlay can be mounted again (nothing holds it).
#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn full_chain_leaves_nothing_mounted() {
    let env = TestRoot::new("exec-chain-kill");
    let host = env.tmp.join("hostdata");
    std::fs::create_dir_all(&host).unwrap();
    let img = env.image("bb", json!({}), |_| {});
    let spec = env.spec(&img, &["sleep", "1000"]);
    let vol = format!("{}:/data", host.display());
    let b = env.create_ok(&spec, &["-v", &vol, "--tmpfs", "/run"]);
    let state = b.join("state.json");
    let top = env.tmp.path.clone();

    // Normal exit.
    assert_eq!(env.sh(&b, "touch /data/ok").status.code(), Some(0));
    assert!(host.join("ok").exists());
    assert!(rvol_tests::mounts_under(&top).is_empty());

    // A signal to the container's PID 1 from the host.
    let mut child = env.chain(&b, &[]).spawn().unwrap();
    let pid = running_pid(&state, 10.0);
    assert!(run(Command::new("kill").arg("-KILL").arg(pid.to_string()))
        .status
        .success());
    assert_eq!(child.wait().unwrap().code(), Some(137));
    assert!(rvol_tests::mounts_under(&top).is_empty());

    // kill -9 of rvol-ns: the container goes too.
    let mut child = env.chain(&b, &[]).spawn().unwrap();
    let pid = running_pid(&state, 10.0);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        eventually(5.0, || !alive(pid)),
        "the container outlived rvol-ns"
    );
    assert!(rvol_tests::mounts_under(&top).is_empty());

    // And it starts again on the same bundle.
    assert_eq!(env.sh(&b, "ls /data").status.code(), Some(0));
}
