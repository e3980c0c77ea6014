//! A container's rights compared with docker's (docs/docker-behaviour.md
//! §13): the default seccomp profile (filter mode 2, the syscalls it
//! refuses and the capabilities that open them), `--security-opt
//! seccomp=unconfined|FILE` and `no-new-privileges`, `--cap-add` /
//! `--cap-drop`, the errors, and what inspect records. Every case runs
//! the same busybox rootfs under both and compares status, stdout and the
//! error text.

use std::process::Output;

use rvol_tests::docker::{docker, docker_error, docker_ok, DockerObjects};
use rvol_tests::{stderr, stdout, TestRoot};

/// One test's two sides: an rvol root and a docker image of the same rootfs.
struct Both {
    r: TestRoot,
    junk: DockerObjects,
    image: String,
}

impl Both {
    fn new(tag: &str) -> Both {
        let r = TestRoot::new(tag);
        let mut junk = DockerObjects::new();
        let image = junk.import_busybox(&r.tmp);
        r.import_busybox(&image);
        Both { r, junk, image }
    }

    /// `run --rm --network none FLAGS IMAGE CMD...` on both: (docker, rvol).
    fn run(&self, flags: &[&str], cmd: &[&str]) -> (Output, Output) {
        let mut args = vec!["run", "--rm", "--network", "none"];
        args.extend_from_slice(flags);
        args.push(&self.image);
        args.extend_from_slice(cmd);
        (docker(&args), self.r.rvol_run(&args))
    }

    /// The same status and stdout, and the same error text (docker's CLI
    /// and rvol's tool prefixes taken off).
    fn same(&self, flags: &[&str], cmd: &[&str]) -> String {
        let (d, v) = self.run(flags, cmd);
        let what = format!("{flags:?} {cmd:?}");
        assert_eq!(
            v.status.code(),
            d.status.code(),
            "{what}: status; docker said {:?}, rvol {:?}",
            stderr(&d),
            stderr(&v)
        );
        assert_eq!(stdout(&v), stdout(&d), "{what}: stdout");
        assert_eq!(
            rvol_error(&v),
            docker_error(&d.stderr),
            "{what}: stderr; docker's whole text: {:?}",
            stderr(&d)
        );
        stdout(&v)
    }
}

/// rvol's first stderr line without its `rvol-TOOL: ` prefix.
fn rvol_error(o: &Output) -> String {
    let s = stderr(o);
    let line = s.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    match line.split_once(": ") {
        Some((tool, rest)) if tool.starts_with("rvol") && !tool.contains(' ') => rest.into(),
        _ => line.into(),
    }
}

const STATUS: &str =
    r#"grep -E "^(Seccomp|NoNewPrivs|CapPrm|CapEff|CapBnd|CapInh|CapAmb):" /proc/self/status"#;

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn the_default_profile_refuses_what_dockers_does() {
    let b = Both::new("sec-default");
    let out = b.same(&[], &["sh", "-c", STATUS]);
    assert!(out.contains("Seccomp:\t2"), "{out}");
    assert!(out.contains("NoNewPrivs:\t0"), "{out}");
    // unshare(CLONE_NEWUSER) needs no capability: only the filter refuses it
    b.same(&[], &["unshare", "-U", "true"]);
    b.same(&[], &["sh", "-c", "unshare -m true; echo $?"]);
    let (_, v) = b.run(&[], &["unshare", "-U", "true"]);
    assert_eq!(v.status.code(), Some(1));
    assert!(
        stderr(&v).contains("Operation not permitted"),
        "{}",
        stderr(&v)
    );
    // i386 personality is allowed by an argument rule (PER_LINUX32)
    b.same(&[], &["linux32", "true"]);
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn unconfined_and_capabilities_open_syscalls() {
    let b = Both::new("sec-open");
    let out = b.same(
        &["--security-opt", "seccomp=unconfined"],
        &["sh", "-c", STATUS],
    );
    assert!(out.contains("Seccomp:\t0"), "{out}");
    let out = b.same(
        &["--security-opt", "seccomp:unconfined"],
        &["unshare", "-U", "echo", "in"],
    );
    assert_eq!(out, "in\n");
    // CAP_SYS_ADMIN opens unshare and mount by the profile's rules
    let out = b.same(
        &["--cap-add", "SYS_ADMIN"],
        &[
            "sh",
            "-c",
            "unshare -m true; echo u=$?; mount -t tmpfs none /tmp; echo m=$?",
        ],
    );
    assert_eq!(out, "u=0\nm=0\n");
    b.same(
        &["--cap-drop", "ALL", "--cap-add", "sys_admin"],
        &["sh", "-c", &format!("{STATUS}; unshare -U true; echo u=$?")],
    );
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn capability_sets_as_docker() {
    let b = Both::new("sec-caps");
    let cases: &[&[&str]] = &[
        &[],
        &["--cap-drop", "ALL"],
        &["--cap-drop", "CHOWN", "--cap-drop", "cap_kill"],
        &["--cap-add", "NET_ADMIN", "--cap-drop", "ALL"],
        &["--cap-add", "chown", "--cap-drop", "CHOWN"],
        &["--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE"],
        &["--cap-add", "Cap_Net_Admin"],
        &["-u", "1000", "--cap-add", "NET_ADMIN"],
    ];
    for flags in cases {
        b.same(flags, &["sh", "-c", STATUS]);
    }
    // Everything: docker's set stops at CAP_AUDIT_READ. Where the host
    // lacks one (this kind of machine has no CAP_SYS_RESOURCE), both fail
    // to start: only the status is compared, runc's text names its own
    // steps.
    let (d, v) = b.run(&["--cap-add", "ALL"], &["sh", "-c", STATUS]);
    assert_eq!(v.status.code(), d.status.code(), "{}", stderr(&v));
    assert_eq!(stdout(&v), stdout(&d));
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn no_new_privileges_forms() {
    let b = Both::new("sec-nnp");
    for opt in [
        "no-new-privileges",
        "no-new-privileges=true",
        "no-new-privileges:true",
        "no-new-privileges=false",
    ] {
        let out = b.same(&["--security-opt", opt], &["sh", "-c", STATUS]);
        let want = if opt.ends_with("false") { "0" } else { "1" };
        assert!(
            out.contains(&format!("NoNewPrivs:\t{want}")),
            "{opt}: {out}"
        );
        assert!(out.contains("Seccomp:\t2"), "{opt}: {out}");
    }
    // the filter still refuses with no-new-privileges (loaded last)
    b.same(
        &["--security-opt", "no-new-privileges", "-u", "1000"],
        &["unshare", "-U", "true"],
    );
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn a_profile_of_ones_own() {
    let b = Both::new("sec-profile");
    let p = b.r.tmp.join("p.json");
    std::fs::write(
        &p,
        r#"{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
  ]
}"#,
    )
    .unwrap();
    let opt = format!("seccomp={}", p.display());
    let cmd = "mkdir /x; echo m=$?; rmdir /tmp; echo r=$?; unshare -U true; echo u=$?";
    let out = b.same(&["--security-opt", &opt], &["sh", "-c", cmd]);
    assert_eq!(out, "m=1\nr=1\nu=0\n");
    let (_, v) = b.run(&["--security-opt", &opt], &["sh", "-c", cmd]);
    assert!(stderr(&v).contains("Permission denied"), "{}", stderr(&v));
    b.same(&["--security-opt", &opt], &["sh", "-c", STATUS]);
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn the_errors_are_dockers() {
    let b = Both::new("sec-errors");
    let cases: &[&[&str]] = &[
        &["--security-opt", "bogus"],
        &["--security-opt", "seccomp"],
        &["--security-opt", "seccomp="],
        &["--security-opt", "seccomp=/nonexistent/profile.json"],
        &["--security-opt", "no-new-privileges=maybe"],
        &["--security-opt", "foo=bar"],
        &["--cap-add", "NOT_A_CAP"],
        &["--cap-add", "perfmon"],
        &["--cap-drop", "bogus"],
    ];
    for flags in cases {
        b.same(flags, &["true"]);
        let (d, _) = b.run(flags, &["true"]);
        assert_eq!(d.status.code(), Some(125), "{flags:?}");
    }
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn inspect_records_the_flags_as_docker() {
    let mut b = Both::new("sec-inspect");
    let p = b.r.tmp.join("p.json");
    std::fs::write(
        &p,
        "{ \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [] }\n",
    )
    .unwrap();
    let opt = format!("seccomp={}", p.display());
    let fmt =
        "{{json .HostConfig.CapAdd}} {{json .HostConfig.CapDrop}} {{json .HostConfig.SecurityOpt}}";
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec![
            "--cap-add",
            "net_admin",
            "--cap-add",
            "all",
            "--cap-drop",
            "CAP_chown",
            "--security-opt",
            &opt,
            "--security-opt",
            "no-new-privileges:true",
        ],
        vec!["--security-opt", "seccomp=unconfined"],
    ];
    for flags in cases {
        let mut args = vec!["create", "--network", "none"];
        args.extend_from_slice(&flags);
        args.extend([b.image.as_str(), "true"]);
        let d = docker_ok(&args).trim().to_string();
        b.junk.containers.push(d.clone());
        let v = b.r.rvol_ok(&args).trim().to_string();
        assert_eq!(
            b.r.rvol_ok(&["inspect", "-f", fmt, &v]),
            docker_ok(&["inspect", "-f", fmt, &d]),
            "{flags:?}"
        );
    }
}
