//! The seed document's walkthrough (docs/walkthrough.md), step by step,
//! through the user's commands (`scripts/rvol VERB`) on real mounts and
//! namespaces: an image built (`rvol build`) from the walkthrough's own
//! Dockerfile `FROM busybox / VOLUME /opt/xxx / CMD /bin/sh`, its anonymous volume seen in the
//! container and in inspect, binds with missing directories on both sides,
//! changes seen across at once, `:ro`, `--volumes-from`, and the volume
//! outliving its container.

use std::path::Path;

use rvol_tests::{is_hex64, wait_until, TestRoot};
use serde_json::Value;

/// What the walkthrough adds to the shared driver.
trait Walkthrough {
    fn build_vol_v1(&self);
    fn inspect(&self, what: &str) -> Value;
}

impl Walkthrough for TestRoot {
    /// The seed's Dockerfile: FROM busybox, VOLUME /opt/xxx, CMD /bin/sh,
    /// built as `docker build -t vol:v1 .`.
    fn build_vol_v1(&self) {
        self.import_busybox("busybox:latest");
        let ctx = self.tmp.join("vol-v1");
        std::fs::create_dir_all(&ctx).unwrap();
        std::fs::write(
            ctx.join("Dockerfile"),
            "FROM busybox\nVOLUME /opt/xxx\nCMD /bin/sh\n",
        )
        .unwrap();
        self.rvol_ok(&["build", "-t", "vol:v1", ctx.to_str().unwrap()]);
        // the build left no container behind
        assert_eq!(self.rvol_ok(&["ps", "-aq"]), "");
    }
    fn inspect(&self, what: &str) -> Value {
        let out = self.rvol_ok(&["inspect", what]);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        v[0].clone()
    }
}

/// Wait until `p` has content: what a container wrote.
fn wait_for(p: &Path, what: &str) {
    wait_until(20.0, &format!("{what} ({})", p.display()), || {
        std::fs::metadata(p).is_ok_and(|m| m.len() > 0)
    });
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn image_volume_is_created_and_shown_in_inspect() {
    let r = TestRoot::new("walk-volume");
    r.build_vol_v1();

    // the image carries the VOLUME and CMD as a Dockerfile would write them
    let img = r.rvol_ok(&[
        "inspect",
        "--format",
        "{{json .Config.Volumes}} {{json .Config.Cmd}}",
        "vol:v1",
    ]);
    assert_eq!(img.trim(), r#"{"/opt/xxx":{}} ["/bin/sh","-c","/bin/sh"]"#);

    // $ docker run --name myvol -it vol:v1 ; / # ls /opt/  ->  xxx
    let out = r.rvol_ok(&["run", "--name", "myvol", "vol:v1", "ls", "/opt/"]);
    assert_eq!(out, "xxx\n");

    // $ docker inspect myvol: the Mounts entry of the seed
    let c = r.inspect("myvol");
    assert_eq!(c["Name"], "/myvol");
    assert_eq!(c["State"]["Status"], "exited");
    assert_eq!(c["State"]["ExitCode"], 0);
    let mounts = c["Mounts"].as_array().expect("Mounts array");
    assert_eq!(mounts.len(), 1, "{mounts:?}");
    let m = &mounts[0];
    let keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "Type",
            "Name",
            "Source",
            "Destination",
            "Driver",
            "Mode",
            "RW",
            "Propagation"
        ]
    );
    let name = m["Name"].as_str().unwrap();
    assert!(is_hex64(name), "anonymous volume name {name}");
    let source = r.path().join("volumes").join(name).join("_data");
    assert_eq!(m["Type"], "volume");
    assert_eq!(m["Source"], source.to_str().unwrap());
    assert_eq!(m["Destination"], "/opt/xxx");
    assert_eq!(m["Driver"], "local");
    assert_eq!(m["Mode"], "");
    assert_eq!(m["RW"], true);
    assert_eq!(m["Propagation"], "");
    assert!(source.is_dir());

    // the same through --format, as people read it
    let f = r.rvol_ok(&[
        "inspect",
        "--format",
        "{{range .Mounts}}{{.Name}} {{.Destination}}{{end}}",
        "myvol",
    ]);
    assert_eq!(f.trim(), format!("{name} /opt/xxx"));

    // --volumes-from: a second container writes into myvol's volume
    let out = r.rvol_ok(&[
        "run",
        "--rm",
        "--volumes-from",
        "myvol",
        "busybox",
        "sh",
        "-c",
        "echo shared > /opt/xxx/hello && ls /opt/xxx",
    ]);
    assert_eq!(out, "hello\n");
    assert_eq!(
        std::fs::read_to_string(source.join("hello")).unwrap(),
        "shared\n"
    );
    // and it sees the same volume in its own inspect
    r.rvol_ok(&[
        "create",
        "--name",
        "sharer",
        "--volumes-from",
        "myvol:ro",
        "busybox",
        "true",
    ]);
    let s = r.inspect("sharer");
    assert_eq!(s["Mounts"][0]["Name"], name);
    assert_eq!(s["Mounts"][0]["RW"], false);
    assert_eq!(s["Mounts"][0]["Mode"], "");
    r.rvol_ok(&["rm", "sharer"]);

    // the volume outlives its container
    assert_eq!(r.rvol_ok(&["rm", "myvol"]), "myvol\n");
    let gone = r.rvol_run(&["inspect", "myvol"]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("No such object: myvol"));
    let ls = r.rvol_ok(&["volume", "ls", "-q"]);
    assert!(ls.lines().any(|l| l == name), "volume ls: {ls}");
    assert_eq!(
        std::fs::read_to_string(source.join("hello")).unwrap(),
        "shared\n"
    );
    let vi: Value = serde_json::from_str(&r.rvol_ok(&["volume", "inspect", name])).unwrap();
    assert_eq!(vi[0]["Mountpoint"], source.to_str().unwrap());
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn bind_mount_makes_missing_dirs_and_shares_changes_both_ways() {
    let r = TestRoot::new("walk-bind");
    r.import_busybox("busybox:latest");

    // missing multi-level directories on both sides
    let host = r.host("a/b/c");
    assert!(!r.host("a").exists());
    let spec = format!("{}:/ctr/x/y", host.display());
    let out = r.rvol_ok(&[
        "run",
        "--rm",
        "-v",
        &spec,
        "busybox",
        "sh",
        "-c",
        "test -d /ctr/x/y && echo written-in-container > /ctr/x/y/from-ctr && echo ok",
    ]);
    assert_eq!(out, "ok\n");
    use std::os::unix::fs::PermissionsExt;
    for d in ["a", "a/b", "a/b/c"] {
        let mode = std::fs::metadata(r.host(d)).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o755, "{d}");
    }
    assert_eq!(
        std::fs::read_to_string(host.join("from-ctr")).unwrap(),
        "written-in-container\n"
    );
    // --rm took the container away
    assert_eq!(r.rvol_ok(&["ps", "-a", "-q"]), "");

    // a change on either side is seen on the other at once, while both live
    let live = r.host("live");
    let spec = format!("{}:/data", live.display());
    let id = r.rvol_ok(&[
        "run",
        "-d",
        "--name",
        "live",
        "-v",
        &spec,
        "busybox",
        "sh",
        "-c",
        "echo up > /data/ready; while [ ! -s /data/from-host ]; do sleep 0.05; done; cat /data/from-host > /data/from-ctr; echo done",
    ]);
    assert!(is_hex64(id.trim()), "run -d prints the id: {id}");
    wait_for(&live.join("ready"), "the container's write");
    let ps = r.rvol_ok(&["ps"]);
    assert!(
        ps.lines()
            .nth(1)
            .is_some_and(|l| l.contains("Up ") && l.ends_with("live")),
        "{ps}"
    );
    std::fs::write(live.join("from-host"), "ping\n").unwrap();
    wait_for(&live.join("from-ctr"), "the container's answer");
    assert_eq!(
        std::fs::read_to_string(live.join("from-ctr")).unwrap(),
        "ping\n"
    );
    assert_eq!(r.rvol_ok(&["wait", "live"]), "0\n");
    assert_eq!(r.rvol_ok(&["logs", "live"]), "done\n");
    r.rvol_ok(&["rm", "live"]);
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn read_only_bind_refuses_container_writes_not_host_writes() {
    let r = TestRoot::new("walk-ro");
    r.import_busybox("busybox:latest");
    let dir = r.host("ro");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("note"), "host-wrote\n").unwrap();
    let spec = format!("{}:/ro:ro", dir.display());
    let o = r.rvol_run(&[
        "run",
        "--rm",
        "-v",
        &spec,
        "busybox",
        "sh",
        "-c",
        "cat /ro/note; touch /ro/x",
    ]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "host-wrote\n");
    assert_eq!(o.status.code(), Some(1), "touch must fail");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Read-only file system"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!dir.join("x").exists());
    // the host side stays writable
    std::fs::write(dir.join("note"), "host-again\n").unwrap();
    let out = r.rvol_ok(&["run", "--rm", "-v", &spec, "busybox", "cat", "/ro/note"]);
    assert_eq!(out, "host-again\n");
    // and inspect says so, as docker does
    r.rvol_ok(&["create", "--name", "roc", "-v", &spec, "busybox", "true"]);
    let m = r.rvol_ok(&["inspect", "--format", "{{json .Mounts}}", "roc"]);
    let m: Value = serde_json::from_str(&m).unwrap();
    assert_eq!(
        m,
        serde_json::json!([{"Type": "bind", "Source": dir.to_str().unwrap(), "Destination": "/ro",
            "Mode": "ro", "RW": false, "Propagation": "rprivate"}])
    );
}
