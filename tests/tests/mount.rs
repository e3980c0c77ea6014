//! rvol-mount on real mounts: docker's -v, --mount, --tmpfs,
//! --volumes-from, --read-only and image VOLUMEs (docs/docker-behaviour.md §1-§5, §7),
//! each checked from inside a container run through the real chain
//! (rvol-ns -- rvol-mount apply -- rvol-exec), every error text checked
//! (and compared with the live docker daemon), and after every failure
//! nothing left behind.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use rvol_tests::chain::{holder_of, rvol_error};
use rvol_tests::docker::{docker_error, DockerObjects};
use rvol_tests::{mounts_under, rootless, stderr, TestRoot};
use serde_json::json;

/// Every refused flag: exit 125, docker's text, nothing made.
const REFUSED: &[(&[&str], &str, bool)] = &[
    (&["-v", "/a:/b:ro:x"], "invalid spec: /a:/b:ro:x: too many colons", true),
    (&["-v", "/x:ro"], "invalid volume specification: '/x:ro'", true),
    (&["-v", "/tmp:/b:foo"], "invalid mode: foo", true),
    (&["-v", "/tmp:/x:ro,rw"], "invalid mode: ro,rw", true),
    (&["-v", "/tmp:rel"], "invalid volume specification: '/tmp:rel': invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute", true),
    (&["-v", "/tmp:/"], "invalid volume specification: '/tmp:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'", true),
    (&["-v", "/tmp:/x", "-v", "/var:/x"], "Duplicate mount point: /x", true),
    (&["-v", "bad@name:/x"], "create bad@name: \"bad@name\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", true),
    (&["-v", "1:/x"], "create 1: volume name is too short, names should be at least two alphanumeric characters", true),
    (&["-v", "vol:/x:shared"], "invalid volume specification: 'vol:/x:shared': invalid mount config for type \"volume\": field BindOptions must not be specified", true),
    (&["-v", "/tmp:/x:nocopy"], "invalid volume specification: '/tmp:/x:nocopy': invalid mount config for type \"bind\": field VolumeOptions must not be specified", true),
    (&["-v", ""], "invalid empty volume spec", true),
    (&["-v", ":/x"], "invalid spec: :/x: empty section between colons", true),
    (&["--mount", "type=bind,src=/nonexist-rvol-test,dst=/y"], "invalid mount config for type \"bind\": bind source path does not exist: /nonexist-rvol-test", true),
    (&["--mount", "type=bind,src=/tmp,dst=/y,foo=bar"], "invalid argument \"type=bind,src=/tmp,dst=/y,foo=bar\" for \"--mount\" flag: unexpected key 'foo' in 'foo=bar'", true),
    (&["--mount", "type=bind,src=/tmp,dst=/y,readonly=maybe"], "invalid argument \"type=bind,src=/tmp,dst=/y,readonly=maybe\" for \"--mount\" flag: invalid value for readonly: maybe", true),
    (&["--mount", "type=bind,src=/tmp,dst=/y,volume-nocopy"], "invalid argument \"type=bind,src=/tmp,dst=/y,volume-nocopy\" for \"--mount\" flag: cannot mix 'volume-*' options with mount type 'bind'", true),
    (&["--mount", "type=volume,src=/tmp,dst=/y"], "create /tmp: \"/tmp\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", true),
    (&["--mount", "type=bind,dst=/y"], "invalid mount config for type \"bind\": field Source must not be empty", true),
    (&["--mount", "type=bind,src=/tmp"], "invalid argument \"type=bind,src=/tmp\" for \"--mount\" flag: target is required", true),
    (&["--mount", "type=tmpfs,src=x,dst=/y"], "invalid mount config for type \"tmpfs\": field Source must not be specified", true),
    (&["--mount", "type=foo,dst=/y"], "invalid mount config for type \"foo\": mount type unknown", true),
    (&["--mount", "type=bind,src=/tmp,dst=rel"], "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute", true),
    (&["--mount", "dst"], "invalid argument \"dst\" for \"--mount\" flag: invalid field 'dst' must be a key=value pair", true),
    (&["--mount", "ro,dst=/y"], "invalid mount config for type \"volume\": must not set ReadOnly mode when using anonymous volumes", true),
    (&["--mount", "type=tmpfs,dst=/y,tmpfs-size=abc"], "invalid argument \"type=tmpfs,dst=/y,tmpfs-size=abc\" for \"--mount\" flag: invalid value for tmpfs-size: abc", true),
    (&["-v", "/tmp:/t", "--mount", "type=bind,src=/tmp,dst=/t"], "Duplicate mount point: /t", true),
    (&["--tmpfs", "/t", "-v", "/tmp:/t"], "Duplicate mount point: /t", true),
    (&["--tmpfs", "rel"], "invalid mount path: 'rel' mount path must be absolute", true),
    (&["--tmpfs", "/"], "invalid specification: destination can't be '/'", true),
    // docker takes this at create and refuses it at start; we refuse at once.
    (&["--tmpfs", "/t:foo=bar"], "invalid tmpfs option [\"foo\" \"bar\"]", false),
    (&["--volumes-from", "nosuch-rvol-test"], "No such container: nosuch-rvol-test", true),
    (&["--volumes-from", "nosuch-rvol-test:xx"], "invalid mode: xx", true),
    (&["--name", "bad@"], "Invalid container name (bad@), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", true),
];

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn refused_flags_give_dockers_text_and_leave_nothing() {
    let env = TestRoot::new("mount-refused");
    let spec = env.busybox_spec();
    // One volume and one container exist already: nothing may change.
    env.create_ok(&spec, &["--name", "keep", "-v", "kept:/k"]);
    let before = env.snapshot();
    for (args, want, _) in REFUSED {
        let o = env.create(&spec, args);
        assert_eq!(o.status.code(), Some(125), "{args:?}: {}", stderr(&o));
        assert_eq!(rvol_error(&o.stderr), *want, "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?} printed {:?}", o.stdout);
        assert_eq!(env.snapshot(), before, "{args:?} left something");
    }
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn refused_flags_match_the_docker_daemon() {
    let env = TestRoot::new("mount-refused-docker");
    let mut docker = DockerObjects::new();
    let img = docker.import_busybox(&env.tmp);
    for (args, want, compare) in REFUSED.iter().filter(|c| c.2) {
        let _ = compare;
        let o = Command::new("docker")
            .args(["create", "--network", "none"])
            .args(*args)
            .args([img.as_str(), "true"])
            .output()
            .unwrap();
        if o.status.success() {
            let id = String::from_utf8_lossy(&o.stdout).trim().to_string();
            let _ = Command::new("docker").args(["rm", "-v", &id]).output();
            panic!("docker took {args:?}");
        }
        assert_eq!(docker_error(&o.stderr), *want, "docker {args:?}");
    }
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn container_name_conflict_is_dockers() {
    let env = TestRoot::new("mount-name");
    let spec = env.busybox_spec();
    let b = env.create_ok(&spec, &["--name", "web"]);
    let id = b.file_name().unwrap().to_string_lossy().into_owned();
    let before = env.snapshot();
    let o = env.create(&spec, &["--name", "web", "-v", "newvol:/n"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        rvol_error(&o.stderr),
        format!("Conflict. The container name \"/web\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name.")
    );
    assert_eq!(env.snapshot(), before, "no bundle, no volume newvol");
    // Without --name a docker-like random name is taken.
    let b2 = env.create_ok(&spec, &[]);
    let name = env.annotation_str(&b2, "org.rvol.name");
    assert!(name.contains('_'), "{name}");
    assert!(env.path().join("names").join(&name).is_symlink());
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn bind_creates_missing_host_dirs_and_shares_writes() {
    let env = TestRoot::new("mount-bind");
    let spec = env.busybox_spec();
    let host = env.tmp.join("host/a/b/c");
    let arg = format!("{}:/data/deep", host.display());
    let b = env.create_ok(&spec, &["-v", &arg]);
    for d in [
        env.tmp.join("host"),
        env.tmp.join("host/a"),
        env.tmp.join("host/a/b"),
        host.clone(),
    ] {
        let md = std::fs::metadata(&d).unwrap();
        assert!(md.is_dir());
        assert_eq!(md.permissions().mode() & 0o7777, 0o755, "{}", d.display());
    }
    std::fs::write(host.join("from-host"), "h\n").unwrap();
    let out = env.sh_ok(
        &b,
        "cat /data/deep/from-host; echo c > /data/deep/from-container",
    );
    assert_eq!(out, "h\n");
    assert_eq!(
        std::fs::read_to_string(host.join("from-container")).unwrap(),
        "c\n"
    );
    // The Mounts entry and HostConfig.Binds are docker's.
    let m = env.mounts_of(&b);
    assert_eq!(
        m,
        [
            json!({"Type": "bind", "Source": host, "Destination": "/data/deep", "Mode": "", "RW": true, "Propagation": "rprivate"})
        ]
    );
    let hc = env.annotation(&b, "org.rvol.hostconfig");
    assert_eq!(hc["Binds"], json!([arg]));
    assert!(
        mounts_under(&env.tmp.path).is_empty(),
        "nothing mounted on the host"
    );
}

/// An image dir with owners, modes, times, a hardlink, a symlink, an
/// xattr, a fifo and a nested dir.
fn app_tree(rootfs: &Path) {
    let app = rootfs.join("opt/app");
    std::fs::create_dir_all(app.join("sub/deeper")).unwrap();
    std::fs::write(app.join("file"), "content\n").unwrap();
    std::fs::write(app.join("sub/deeper/x"), "x\n").unwrap();
    std::fs::write(app.join("setuid"), "s\n").unwrap();
    std::fs::hard_link(app.join("file"), app.join("hardlink")).unwrap();
    std::os::unix::fs::symlink("file", app.join("symlink")).unwrap();
    let sh = |s: &str| assert!(rvol_tests::sh(s).status.success(), "{s}");
    let a = app.display();
    sh(&format!(
        "mkfifo {a}/fifo && chown -R 999:999 {a} && chown 1000:100 {a}/sub/deeper/x && chmod 750 {a} && chmod 4755 {a}/setuid && chmod 0700 {a}/sub && touch -h -d 2001-02-03T04:05:06 {a}/file {a}/symlink {a}/sub && mkdir {a}/rootdir && echo r > {a}/rootdir/r && chmod 640 {a}/rootdir/r && chmod 2555 {a}/rootdir && echo g > {a}/sgid && chmod 2711 {a}/sgid"
    ));
    set_xattr(&app.join("file"), "user.rvol", b"yes");
}

fn set_xattr(p: &Path, k: &str, v: &[u8]) {
    use std::os::unix::ffi::OsStrExt;
    let p = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    let k = std::ffi::CString::new(k).unwrap();
    // SAFETY: valid C strings and buffer.
    let r = unsafe { libc::lsetxattr(p.as_ptr(), k.as_ptr(), v.as_ptr().cast(), v.len(), 0) };
    assert_eq!(r, 0, "setxattr: {}", std::io::Error::last_os_error());
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn copy_up_into_an_empty_named_volume_and_never_into_a_full_one() {
    let env = TestRoot::new("mount-copyup");
    let img = env.image("app", json!({}), app_tree);
    let spec = env.spec(&img, &[]);
    let b = env.create_ok(&spec, &["-v", "appdata:/opt/app"]);
    let data = env.volume_data("appdata");
    let image_dir = env.tmp.join("img-app-rootfs/opt/app");
    // Same tree: types, modes, owners, content, link targets, hardlinks.
    assert_eq!(
        rvol_tests::hostile::tree(&data, &[]),
        rvol_tests::hostile::tree(&image_dir, &[])
    );
    // The volume root takes the image dir's mode and owner (rootless: on
    // the host, the user's subordinate id for 999).
    let (uid, gid) = rootless::host_owner(999, 999);
    let root_md = std::fs::metadata(&data).unwrap();
    assert_eq!(
        (root_md.mode() & 0o7777, root_md.uid(), root_md.gid()),
        (0o750, uid, gid)
    );
    let f = std::fs::symlink_metadata(data.join("file")).unwrap();
    let img_f = std::fs::symlink_metadata(image_dir.join("file")).unwrap();
    assert_eq!(f.mtime(), img_f.mtime(), "mtime kept");
    assert_eq!(f.mtime_nsec(), img_f.mtime_nsec(), "mtime kept to the ns");
    assert_eq!(
        std::fs::symlink_metadata(data.join("symlink"))
            .unwrap()
            .mtime(),
        std::fs::symlink_metadata(image_dir.join("symlink"))
            .unwrap()
            .mtime(),
        "symlink mtime kept"
    );
    assert_eq!(
        f.ino(),
        std::fs::metadata(data.join("hardlink")).unwrap().ino(),
        "hardlink kept"
    );
    assert_eq!(
        std::fs::metadata(data.join("setuid")).unwrap().mode() & 0o7777,
        0o4755
    );
    assert_eq!(
        rvol_tests::hostile::xattr(&data.join("file"), "user.rvol").as_deref(),
        Some(&b"yes"[..])
    );
    // From inside: the same content, owned as in the image.
    let out = env.sh_ok(
        &b,
        "stat -c '%a %u:%g' /opt/app /opt/app/sub/deeper/x; cat /opt/app/file",
    );
    assert_eq!(out, "750 999:999\n644 1000:100\ncontent\n");
    // No leftovers of the copy next to _data.
    let names: Vec<String> = std::fs::read_dir(env.path().join("volumes/appdata"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["_data", "volume.json"]);

    // A volume with content is left as it is: no copy, no chown.
    std::fs::remove_dir_all(data.join("sub")).unwrap();
    std::fs::write(data.join("mine"), "kept\n").unwrap();
    let other = env.image("other", json!({}), |r| {
        std::fs::create_dir_all(r.join("opt/app")).unwrap();
        std::fs::write(r.join("opt/app/new-in-image"), "n\n").unwrap();
        std::fs::set_permissions(r.join("opt/app"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
    });
    let spec2 = env.spec(&other, &[]);
    let b2 = env.create_ok(&spec2, &["-v", "appdata:/opt/app"]);
    assert!(
        !data.join("new-in-image").exists(),
        "copied into a volume that had content"
    );
    assert!(!data.join("sub").exists());
    let md = std::fs::metadata(&data).unwrap();
    assert_eq!(
        (md.mode() & 0o7777, md.uid()),
        (0o750, uid),
        "root left as it was"
    );
    assert_eq!(
        env.sh_ok(&b2, "cat /opt/app/mine; ls /opt/app | wc -l")
            .trim(),
        "kept\n8"
    );

    // nocopy: an empty volume stays empty.
    let b3 = env.create_ok(&spec, &["-v", "empty1:/opt/app:nocopy"]);
    assert_eq!(
        std::fs::read_dir(env.volume_data("empty1"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(env.mounts_of(&b3)[0]["Mode"], "nocopy");
    // --mount volume-nocopy too; a plain --mount volume copies.
    env.create_ok(&spec, &["--mount", "src=empty2,dst=/opt/app,volume-nocopy"]);
    assert_eq!(
        std::fs::read_dir(env.volume_data("empty2"))
            .unwrap()
            .count(),
        0
    );
    env.create_ok(&spec, &["--mount", "type=volume,src=full3,dst=/opt/app"]);
    assert!(env.volume_data("full3").join("file").exists());
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn a_stale_half_copy_is_not_taken_for_a_populated_volume() {
    let env = TestRoot::new("mount-halfcopy");
    let img = env.image("app", json!({}), app_tree);
    let spec = env.spec(&img, &[]);
    // A copy-up killed half way left its temp dir; _data is still empty.
    env.create_ok(&spec, &["-v", "cut:/opt/app:nocopy"]);
    let stale = env.path().join("volumes/cut/.copyup-99999999");
    std::fs::create_dir_all(stale.join("half")).unwrap();
    // Left by the user's own rvol-mount in a replay.
    env.adopt(&stale);
    env.create_ok(&spec, &["-v", "cut:/opt/app"]);
    assert!(
        env.volume_data("cut").join("sub/deeper/x").exists(),
        "copied in full"
    );
    assert!(!stale.exists(), "the stale copy is swept");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn image_volumes_and_dash_v_path_get_anonymous_volumes() {
    let env = TestRoot::new("mount-anon");
    let img = env.image("vol", json!({"Volumes": {"/opt/xxx": {}}}), |r| {
        std::fs::create_dir_all(r.join("opt/xxx")).unwrap();
        std::fs::write(r.join("opt/xxx/seed"), "from image\n").unwrap();
    });
    let spec = env.spec(&img, &[]);
    let b = env.create_ok(&spec, &["-v", "/scratch/"]);
    let m = env.mounts_of(&b);
    assert_eq!(m.len(), 2, "{m:?}");
    for (mount, dst) in m.iter().zip(["/scratch", "/opt/xxx"]) {
        let name = mount["Name"].as_str().unwrap();
        assert!(rvol_tests::is_hex64(name), "{name}");
        let src = env.volume_data(name);
        assert_eq!(
            *mount,
            json!({"Type": "volume", "Name": name, "Source": src, "Destination": dst, "Driver": "local", "Mode": "", "RW": true, "Propagation": ""})
        );
        let rec: serde_json::Value = serde_json::from_slice(
            &std::fs::read(env.path().join("volumes").join(name).join("volume.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(rec["Anonymous"], true);
    }
    let cfg = env.annotation(&b, "org.rvol.config");
    assert_eq!(cfg["Volumes"], json!({"/scratch/": {}, "/opt/xxx": {}}));
    assert_eq!(
        env.sh_ok(&b, "cat /opt/xxx/seed; touch /scratch/w && echo ok"),
        "from image\nok\n"
    );

    // A named volume, a bind or a tmpfs at the VOLUME path wins over it.
    let b2 = env.create_ok(&spec, &["-v", "named:/opt/xxx"]);
    let m2 = env.mounts_of(&b2);
    assert_eq!(m2.len(), 1);
    assert_eq!(m2[0]["Name"], "named");
    assert_eq!(m2[0]["Mode"], "z");
    assert!(
        env.volume_data("named").join("seed").exists(),
        "named volume copied up"
    );
    let b3 = env.create_ok(&spec, &["--tmpfs", "/opt/xxx"]);
    assert!(
        env.mounts_of(&b3).is_empty(),
        "tmpfs beats the image VOLUME"
    );
    assert_eq!(
        env.annotation(&b3, "org.rvol.hostconfig")["Tmpfs"],
        json!({"/opt/xxx": ""})
    );
    assert_eq!(
        env.sh_ok(
            &b3,
            "ls /opt/xxx | wc -l; grep ' /opt/xxx ' /proc/mounts | cut -d' ' -f3"
        )
        .trim(),
        "0\ntmpfs"
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn volume_over_an_image_file_fails_and_leaves_nothing() {
    let env = TestRoot::new("mount-overfile");
    let add = |r: &Path| std::fs::write(r.join("etc/somefile"), "file\n").unwrap();
    let img = env.image("volfile", json!({"Volumes": {"/etc/somefile": {}}}), add);
    let spec = env.spec(&img, &[]);
    let plain = env.image("plain", json!({}), add);
    let plain_spec = env.spec(&plain, &[]);
    let before = env.snapshot();
    let cases: [(&[u8], &[&str], &str, &str); 4] = [
        (
            &spec,
            &[],
            "cannot mount volume over existing file, file exists ",
            "/rootfs/etc/somefile",
        ),
        (
            &plain_spec,
            &["-v", "/etc/passwd"],
            "cannot mount volume over existing file, file exists ",
            "/rootfs/etc/passwd",
        ),
        (
            &plain_spec,
            &["-v", "newvol:/etc/somefile"],
            "source ",
            "/rootfs/etc/somefile is not directory",
        ),
        (
            &plain_spec,
            &["--mount", "dst=/etc/somefile"],
            "source ",
            "/rootfs/etc/somefile is not directory",
        ),
    ];
    for (s, args, head, tail) in cases {
        let o = env.create(s, args);
        assert_eq!(o.status.code(), Some(125), "{args:?}");
        let e = rvol_error(&o.stderr);
        assert!(e.starts_with(head) && e.ends_with(tail), "{args:?}: {e}");
        assert!(
            e.contains(&env.path().join("containers").display().to_string()),
            "{e}"
        );
        assert_eq!(env.snapshot(), before, "{args:?} left something");
    }
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn volume_over_a_file_matches_docker() {
    let env = TestRoot::new("mount-overfile-docker");
    let mut docker = DockerObjects::new();
    let img = docker.import_busybox(&env.tmp);
    let o = Command::new("docker")
        .args([
            "create",
            "--network",
            "none",
            "-v",
            "/etc/passwd",
            &img,
            "true",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = docker_error(&o.stderr);
    assert!(
        e.starts_with("cannot mount volume over existing file, file exists /"),
        "{e}"
    );
    assert!(e.ends_with("/merged/etc/passwd"), "{e}");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn nested_mounts_land_on_top_of_each_other() {
    let env = TestRoot::new("mount-nested");
    let spec = env.busybox_spec();
    let inner = env.tmp.join("inner");
    std::fs::create_dir_all(&inner).unwrap();
    std::fs::write(inner.join("in"), "inner\n").unwrap();
    // Given deepest first: apply still mounts /n before /n/inner.
    let b = env.create_ok(
        &spec,
        &[
            "-v",
            &format!("{}:/n/inner", inner.display()),
            "-v",
            "outer:/n",
        ],
    );
    let out = env.sh_ok(
        &b,
        "cat /n/inner/in; grep -E ' /n(/inner)? ' /proc/mounts | cut -d' ' -f2",
    );
    assert_eq!(out, "inner\n/n\n/n/inner\n");
    // The mount point was made inside the volume.
    assert!(env.volume_data("outer").join("inner").is_dir());
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn a_file_bind_mount_and_a_dir_over_a_file() {
    let env = TestRoot::new("mount-file");
    let spec = env.busybox_spec();
    let conf = env.tmp.join("app.conf");
    std::fs::write(&conf, "key=value\n").unwrap();
    let b = env.create_ok(
        &spec,
        &["-v", &format!("{}:/etc/app/app.conf:ro", conf.display())],
    );
    let out = env.sh_ok(&b, "cat /etc/app/app.conf; test -f /etc/app/app.conf && echo file; echo x > /etc/app/app.conf || echo refused");
    assert_eq!(out, "key=value\nfile\nrefused\n");

    // A directory over a file: create takes it (as docker), apply fails
    // with runc's words, and leaves no mount on the host.
    let dir = env.tmp.join("adir");
    std::fs::create_dir_all(&dir).unwrap();
    let b2 = env.create_ok(&spec, &["-v", &format!("{}:/etc/passwd", dir.display())]);
    let o = env.sh(&b2, "echo ran");
    assert_eq!(o.status.code(), Some(125), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "the command must not run");
    let e = stderr(&o);
    assert!(
        e.contains(&format!(
            "error mounting \"{}\" to rootfs at \"/etc/passwd\"",
            dir.display()
        )),
        "{e}"
    );
    assert!(e.contains("not a directory: Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type"), "{e}");
    // The container stays `created`, the error in its state (docker's).
    let st: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b2.join("state.json")).unwrap()).unwrap();
    assert_eq!(st["Status"], "created", "{st}");
    assert!(
        st["Error"]
            .as_str()
            .unwrap_or("")
            .contains("Are you trying to mount a directory onto a file"),
        "{st}"
    );
    // tmpfs over a file too.
    let b3 = env.create_ok(&spec, &["--tmpfs", "/etc/group"]);
    let o = env.sh(&b3, "echo ran");
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).contains("Are you trying to mount a directory onto a file"),
        "{}",
        stderr(&o)
    );
    assert!(
        mounts_under(&env.tmp.path).is_empty(),
        "a failed apply left a mount"
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn ro_means_read_only() {
    let env = TestRoot::new("mount-ro");
    let spec = env.busybox_spec();
    let h = env.tmp.join("h");
    std::fs::create_dir_all(&h).unwrap();
    std::fs::write(h.join("f"), "f\n").unwrap();
    let b = env.create_ok(
        &spec,
        &[
            "-v",
            &format!("{}:/ro:ro", h.display()),
            "-v",
            "rov:/rov:ro",
            "--mount",
            &format!("type=bind,src={},dst=/mro,readonly", h.display()),
        ],
    );
    let out = env.sh_ok(
        &b,
        "cat /ro/f; for d in /ro /rov /mro; do touch $d/x 2>&1 | sed 's/.*: //'; done; grep -E ' /(ro|rov|mro) ' /proc/mounts | cut -d' ' -f2,4 | cut -d, -f1",
    );
    assert_eq!(
        out,
        "f\nRead-only file system\nRead-only file system\nRead-only file system\n/ro ro\n/rov ro\n/mro ro\n"
    );
    assert!(!h.join("x").exists());
    let m = env.mounts_of(&b);
    assert_eq!(
        (m[0]["Mode"].as_str(), m[0]["RW"].as_bool()),
        (Some("ro"), Some(false))
    );
    assert_eq!(
        (m[1]["Mode"].as_str(), m[1]["RW"].as_bool()),
        (Some("ro"), Some(false))
    );
    assert_eq!(
        (m[2]["Mode"].as_str(), m[2]["RW"].as_bool()),
        (Some(""), Some(false))
    );
    // The container cannot undo it: no CAP_SYS_ADMIN.
    let o = env.sh(&b, "mount -o remount,rw /ro");
    assert!(!o.status.success());
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn read_only_root_with_a_writable_volume() {
    let env = TestRoot::new("mount-readonly");
    let spec = env.busybox_spec();
    let b = env.create_ok(&spec, &["--read-only", "-v", "/w", "--tmpfs", "/t"]);
    let out = env.sh_ok(
        &b,
        "echo ok > /w/f && cat /w/f; echo ok > /t/f && cat /t/f; touch /x 2>&1 | sed 's/.*: //'; grep ' / ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1; grep ' /etc/hostname ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1",
    );
    assert_eq!(out, "ok\nok\nRead-only file system\nro\nro\n");
    let hc = env.annotation(&b, "org.rvol.hostconfig");
    assert_eq!(hc["ReadonlyRootfs"], true);
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn tmpfs_options_as_docker_shows_them() {
    let env = TestRoot::new("mount-tmpfs");
    let spec = env.busybox_spec();
    let b = env.create_ok(
        &spec,
        &[
            "--tmpfs",
            "/t",
            "--tmpfs",
            "/u:size=64k,mode=700,exec",
            "--mount",
            "type=tmpfs,dst=/w,tmpfs-size=1m,tmpfs-mode=1770",
            "--mount",
            "type=tmpfs,dst=/w2,tmpfs-size=1000",
        ],
    );
    let out = env.sh_ok(
        &b,
        "grep -E ' /(t|u|w|w2) ' /proc/mounts | sort -k2; stat -c '%a' /u /w",
    );
    // What `docker run` shows for the same flags (checked); rootless,
    // the kernel adds the tmpfs' owner in host ids (a user namespace's
    // tmpfs is never host root's: rootless::tmpfs_owner_options).
    let o = rootless::tmpfs_owner_options();
    assert_eq!(
        out,
        format!(
            "tmpfs /t tmpfs rw,nosuid,nodev,noexec,relatime{o} 0 0\n\
             tmpfs /u tmpfs rw,nosuid,nodev,relatime,size=64k,mode=700{o} 0 0\n\
             tmpfs /w tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=1770{o} 0 0\n\
             tmpfs /w2 tmpfs rw,nosuid,nodev,noexec,relatime,size=4k{o} 0 0\n\
             700\n1770\n"
        )
    );
    assert_eq!(
        env.annotation(&b, "org.rvol.hostconfig")["Tmpfs"],
        json!({"/t": "", "/u": "size=64k,mode=700,exec"})
    );
    // --tmpfs is not in Mounts; --mount type=tmpfs is.
    let m = env.mounts_of(&b);
    assert_eq!(
        m,
        [
            json!({"Type": "tmpfs", "Source": "", "Destination": "/w", "Mode": "", "RW": true, "Propagation": ""}),
            json!({"Type": "tmpfs", "Source": "", "Destination": "/w2", "Mode": "", "RW": true, "Propagation": ""}),
        ]
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn volumes_from_with_ro_and_rw() {
    let env = TestRoot::new("mount-vfrom");
    let spec = env.busybox_spec();
    let h = env.tmp.join("h");
    std::fs::create_dir_all(&h).unwrap();
    let src = env.create_ok(
        &spec,
        &[
            "--name",
            "data",
            "-v",
            "vf1:/data",
            "-v",
            &format!("{}:/h", h.display()),
            "-v",
            "/anon",
        ],
    );
    let src_id = src.file_name().unwrap().to_string_lossy().into_owned();
    let ro = env.create_ok(&spec, &["--volumes-from", "data:ro"]);
    let out = env.sh_ok(
        &ro,
        "for d in /data /h /anon; do touch $d/x 2>&1 | sed 's/.*: //'; done",
    );
    assert_eq!(
        out,
        "Read-only file system\nRead-only file system\nRead-only file system\n"
    );
    let m = env.mounts_of(&ro);
    assert_eq!(m.len(), 3);
    for x in &m {
        assert_eq!(
            (x["Mode"].as_str(), x["RW"].as_bool()),
            (Some(""), Some(false)),
            "{x}"
        );
    }
    // :rw (by id prefix) writes through to the same volume, no copy-up.
    let rw = env.create_ok(&spec, &["--volumes-from", &src_id[..12]]);
    env.sh_ok(&rw, "echo shared > /data/f; echo host > /h/f");
    assert_eq!(
        std::fs::read_to_string(env.volume_data("vf1").join("f")).unwrap(),
        "shared\n"
    );
    assert_eq!(std::fs::read_to_string(h.join("f")).unwrap(), "host\n");
    assert_eq!(env.sh_ok(&src, "cat /data/f"), "shared\n");
    let m = env.mounts_of(&rw);
    assert!(
        m.iter().all(|x| x["RW"] == true && x["Mode"] == ""),
        "{m:?}"
    );
    // Precedence: a -v at the same destination replaces the inherited one.
    let h2 = env.tmp.join("h2");
    std::fs::create_dir_all(&h2).unwrap();
    let over = env.create_ok(
        &spec,
        &[
            "--volumes-from",
            "data",
            "-v",
            &format!("{}:/data", h2.display()),
        ],
    );
    let m = env.mounts_of(&over);
    let data: Vec<_> = m.iter().filter(|x| x["Destination"] == "/data").collect();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["Type"], "bind");
    assert_eq!(
        env.annotation(&over, "org.rvol.hostconfig")["VolumesFrom"],
        json!(["data"])
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn a_symlinked_destination_stays_inside_the_rootfs() {
    let env = TestRoot::new("mount-symlink");
    let img = env.image("links", json!({}), |r| {
        std::os::unix::fs::symlink("/etc", r.join("data")).unwrap();
        std::os::unix::fs::symlink("../../../../../../etc", r.join("up")).unwrap();
        std::os::unix::fs::symlink("/nonexist/deeper", r.join("dangling")).unwrap();
    });
    let spec = env.spec(&img, &[]);
    let h = env.tmp.join("h");
    std::fs::create_dir_all(&h).unwrap();
    std::fs::write(h.join("marker"), "m\n").unwrap();
    let host_etc_before: Vec<_> = std::fs::read_dir("/etc")
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let b = env.create_ok(
        &spec,
        &[
            "-v",
            &format!("{}:/data/sub", h.display()),
            "-v",
            "v1:/up/v",
            "-v",
            "v2:/dangling/x",
        ],
    );
    let out = env.sh_ok(&b, "cat /etc/sub/marker; test -d /etc/v && echo inside; test -d /nonexist/deeper/x && echo made");
    assert_eq!(out, "m\ninside\nmade\n");
    // Nothing reached the host's /etc.
    assert!(!Path::new("/etc/sub").exists() && !Path::new("/etc/v").exists());
    assert!(!Path::new("/nonexist").exists());
    let host_etc_after: Vec<_> = std::fs::read_dir("/etc")
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(host_etc_before.len(), host_etc_after.len());
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!info
        .lines()
        .any(|l| l.split(' ').nth(4).is_some_and(|m| m.starts_with("/etc/"))));
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn etc_files_are_the_containers_own() {
    let env = TestRoot::new("mount-etc");
    let spec = env.busybox_spec();
    let b = env.create_ok(&spec, &[]);
    let id = b.file_name().unwrap().to_string_lossy().into_owned();
    let out = env.sh_ok(
        &b,
        "cat /etc/hostname; head -2 /etc/hosts; grep -c nameserver /etc/resolv.conf",
    );
    assert!(
        out.starts_with(&format!(
            "{}\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
            &id[..12]
        )),
        "{out}"
    );
    assert_eq!(env.annotation(&b, "org.rvol.config")["Hostname"], id[..12]);
    // A user mount at /etc/hosts wins.
    let mine = env.tmp.join("hosts");
    std::fs::write(&mine, "10.0.0.1 mine\n").unwrap();
    let b2 = env.create_ok(&spec, &["-v", &format!("{}:/etc/hosts", mine.display())]);
    assert_eq!(env.sh_ok(&b2, "cat /etc/hosts"), "10.0.0.1 mine\n");
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn mounts_annotation_matches_docker_inspect() {
    let env = TestRoot::new("mount-inspect-docker");
    let spec = env.busybox_spec();
    let mut docker = DockerObjects::new();
    let img = docker.import_busybox(&env.tmp);
    let h = env.tmp.join("h");
    std::fs::create_dir_all(&h).unwrap();
    let tag = format!("rvolmt{}", std::process::id());
    let hb = format!("{}:/hb:ro,rslave", h.display());
    let nv = format!("{tag}a:/nv:nocopy");
    let mb = format!("type=bind,src={},dst=/mb", h.display());
    let mv = format!("type=volume,src={tag}b,dst=/mv,ro");
    let args: Vec<&str> = vec![
        "-v",
        &hb,
        "-v",
        &nv,
        "-v",
        "/anon",
        "--mount",
        &mb,
        "--mount",
        &mv,
        "--mount",
        "type=tmpfs,dst=/tm,tmpfs-size=1m",
        "--tmpfs",
        "/t:size=64k",
    ];
    let o = Command::new("docker")
        .args(["create", "--network", "none"])
        .args(&args)
        .args([img.as_str(), "true"])
        .output()
        .unwrap();
    assert!(o.status.success(), "docker: {}", stderr(&o));
    let id = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let insp = Command::new("docker")
        .args(["inspect", "--format", "{{json .Mounts}}|{{json .HostConfig.Binds}}|{{json .HostConfig.Tmpfs}}|{{json .Config.Volumes}}", &id])
        .output()
        .unwrap();
    let _ = Command::new("docker").args(["rm", "-v", &id]).output();
    let _ = Command::new("docker")
        .args(["volume", "rm", &format!("{tag}a"), &format!("{tag}b")])
        .output();
    let text = String::from_utf8_lossy(&insp.stdout).into_owned();
    let parts: Vec<&str> = text.trim().split('|').collect();
    let b = env.create_ok(&spec, &args);
    // Volume names and paths differ by design: compare the rest.
    let norm = |v: Vec<serde_json::Value>| {
        let mut v: Vec<serde_json::Value> = v
            .into_iter()
            .map(|mut m| {
                if m["Type"] == "volume" {
                    let n = m["Name"].as_str().unwrap().to_string();
                    m["Name"] = json!(if n.len() == 64 { "<anon>".into() } else { n });
                    m["Source"] = json!("<volume>");
                }
                m
            })
            .collect();
        v.sort_by_key(|m| m["Destination"].as_str().unwrap().to_string());
        v
    };
    let docker_mounts: Vec<serde_json::Value> = serde_json::from_str(parts[0]).unwrap();
    assert_eq!(norm(env.mounts_of(&b)), norm(docker_mounts));
    // Key order too.
    let keys = |m: &serde_json::Value| m.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    for m in env.mounts_of(&b) {
        let want: Vec<&str> = if m["Type"] == "volume" {
            vec![
                "Type",
                "Name",
                "Source",
                "Destination",
                "Driver",
                "Mode",
                "RW",
                "Propagation",
            ]
        } else {
            vec!["Type", "Source", "Destination", "Mode", "RW", "Propagation"]
        };
        assert_eq!(keys(&m), want);
    }
    let hc = env.annotation(&b, "org.rvol.hostconfig");
    // The docker CLI passes Binds in map order: compare as sets.
    let sorted = |v: &serde_json::Value| {
        let mut v: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        sorted(&hc["Binds"]),
        sorted(&serde_json::from_str(parts[1]).unwrap())
    );
    assert_eq!(
        hc["Tmpfs"],
        serde_json::from_str::<serde_json::Value>(parts[2]).unwrap()
    );
    assert_eq!(
        env.annotation(&b, "org.rvol.config")["Volumes"],
        serde_json::from_str::<serde_json::Value>(parts[3]).unwrap()
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn a_many_layer_image_is_seen_merged_by_copy_up_and_apply() {
    use rvol_tests::image::{busybox_rootfs, tar_dir, OciImage};
    let env = TestRoot::new("mount-layers");
    let base = env.tmp.join("base");
    busybox_rootfs(&base);
    let mut layers = vec![tar_dir(&base)];
    // 40 layers (their paths overflow both fsconfig's 256 bytes and a
    // mount(2) page), each adding a file; the last one whites one out.
    for i in 0..40 {
        let d = env.tmp.join(format!("layer{i}"));
        std::fs::create_dir_all(d.join("opt/app")).unwrap();
        std::fs::write(d.join(format!("opt/app/f{i}")), format!("{i}\n")).unwrap();
        layers.push(tar_dir(&d));
    }
    let w = env.tmp.join("whiteout");
    std::fs::create_dir_all(w.join("opt/app")).unwrap();
    std::fs::write(w.join("opt/app/.wh.f3"), "").unwrap();
    layers.push(tar_dir(&w));
    let mut img = OciImage::new(layers);
    img.config["Volumes"] = json!({"/opt/app": {}});
    let dir = env.tmp.join("img-layers");
    img.write(&dir, "latest");
    let spec = env.spec(&format!("oci:{}:latest", dir.display()), &[]);
    let b = env.create_ok(&spec, &[]);
    let vol = env.mounts_of(&b)[0]["Name"].as_str().unwrap().to_string();
    let mut copied: Vec<String> = std::fs::read_dir(env.volume_data(&vol))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    copied.sort();
    let mut want: Vec<String> = (0..40)
        .filter(|i| *i != 3)
        .map(|i| format!("f{i}"))
        .collect();
    want.sort();
    assert_eq!(copied, want, "the merged view, whiteout applied");
    let out = env.sh_ok(
        &b,
        "ls /opt/app | wc -l; cat /opt/app/f39; test -e /opt/app/f3 || echo gone",
    );
    assert_eq!(out, "39\n39\ngone\n");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn a_failure_after_volumes_are_made_takes_everything_back() {
    let env = TestRoot::new("mount-rollback");
    let img = env.image("app", json!({"Volumes": {"/opt/app": {}}}), app_tree);
    let spec = env.spec(&img, &[]);
    let before = env.snapshot();
    // The named and the image's anonymous volume (with its copy-up) are
    // made before the host directory for the bind, which cannot be.
    let o = env.create(
        &spec,
        &[
            "--name",
            "rb",
            "-v",
            "newvol:/n",
            "-v",
            "/proc/rvol-nope/x:/b",
        ],
    );
    assert_eq!(o.status.code(), Some(125));
    let e = rvol_error(&o.stderr);
    assert!(e.starts_with("mkdir host path /proc/rvol-nope/x: "), "{e}");
    assert_eq!(
        env.snapshot(),
        before,
        "bundle, name, volumes all taken back"
    );
    let tmp: Vec<_> = std::fs::read_dir(env.path().join("containers"))
        .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(tmp.is_empty(), "{tmp:?}");
    // The name is free again.
    env.create_ok(&spec, &["--name", "rb"]);
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn shared_and_slave_binds_need_a_shared_source() {
    let env = TestRoot::new("mount-propagation");
    let spec = env.busybox_spec();
    let p = env.tmp.join("p");
    std::fs::create_dir_all(&p).unwrap();
    // On a private host mount: refused at start, the container stays created.
    let b = env.create_ok(&spec, &["-v", &format!("{}:/p:rslave", p.display())]);
    let o = env.sh(&b, "echo ran");
    assert_eq!(o.status.code(), Some(125));
    let holder = holder_of(&p);
    assert!(
        stderr(&o).contains(&format!(
            "path {} is mounted on {holder} but it is not a shared or slave mount",
            p.display()
        )),
        "{}",
        stderr(&o)
    );
    // On a shared host mount: taken, and shared inside.
    let s = env.tmp.join("s");
    std::fs::create_dir_all(s.join("sub")).unwrap();
    let sh = |c: &str| assert!(rvol_tests::sh(c).status.success(), "{c}");
    sh(&format!(
        "mount --bind {0} {0} && mount --make-shared {0}",
        s.display()
    ));
    let b2 = env.create_ok(&spec, &["-v", &format!("{}:/s:rshared", s.display())]);
    let out = env.sh_ok(&b2, "grep ' /s ' /proc/self/mountinfo");
    sh(&format!("umount -l {}", s.display()));
    assert!(out.contains(" shared:"), "{out}");
}

/// Unmounts a shared bind made by a test, even when the test fails.
struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        rvol_tests::sh(&format!("umount -l '{}'", self.0.display()));
    }
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn volumes_on_a_shared_state_root_are_slaves_and_nothing_reaches_the_host() {
    let env = TestRoot::new("mount-volume-slave");
    let spec = env.busybox_spec();
    // As dockerd makes its data root shared (and as a systemd host's / is).
    let r = env.path().to_path_buf();
    let sh = |c: &str| assert!(rvol_tests::sh(c).status.success(), "{c}");
    sh(&format!(
        "mount --bind {0} {0} && mount --make-shared {0}",
        r.display()
    ));
    let _guard = Unmount(r.clone());
    let h = env.tmp.join("h");
    std::fs::create_dir_all(&h).unwrap();
    let b = env.create_ok(
        &spec,
        &[
            "-v",
            "pv:/data",
            "-v",
            "/anon",
            "-v",
            &format!("{}:/h", h.display()),
        ],
    );
    let data = env.volume_data("pv");
    let child = env
        .chain(
            &b,
            &[
                "sh",
                "-c",
                "grep -E ' /(data|anon|h) ' /proc/self/mountinfo; touch /data/started; \
                 while [ ! -e /data/sub/go ]; do sleep 0.05; done; echo seen",
            ],
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if data.join("started").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Nothing the container mounted (its overlay, its volumes) shows on
    // the host, though the root is shared.
    assert_eq!(
        mounts_under(&r),
        vec![r.clone()],
        "host sees the container's mounts"
    );
    // A host mount inside the volume reaches the running container.
    std::fs::create_dir_all(data.join("sub")).unwrap();
    sh(&format!(
        "mount -t tmpfs -o size=64k rvoltest {0}/sub && touch {0}/sub/go",
        data.display()
    ));
    let o = child.wait_with_output().unwrap();
    sh(&format!("umount {}/sub", data.display()));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    let line = |d: &str| {
        out.lines()
            .find(|l| l.split(' ').nth(4) == Some(d))
            .unwrap_or_else(|| panic!("{d} not in {out}"))
            .to_string()
    };
    // docker's: volumes are slaves of the shared root, a bind is private.
    assert!(line("/data").contains(" master:"), "{out}");
    assert!(line("/anon").contains(" master:"), "{out}");
    assert!(!line("/h").contains(" master:"), "{out}");
    assert!(!out.contains(" shared:"), "{out}");
    assert!(out.ends_with("seen\n"), "{out}");
    assert_eq!(mounts_under(&r), vec![r.clone()]);
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn a_one_letter_source_is_an_anonymous_volume_at_a_colon_path() {
    // docker reads `a:` as a drive letter: `-v a:/data` is one anonymous
    // volume whose destination is "a:/data", mounted at /a:/data.
    let env = TestRoot::new("mount-one-letter");
    let spec = env.busybox_spec();
    let b = env.create_ok(&spec, &["-v", "a:/data"]);
    let m = env.mounts_of(&b);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0]["Destination"], "a:/data");
    assert_eq!(m[0]["Type"], "volume");
    assert_eq!(
        env.annotation(&b, "org.rvol.config")["Volumes"],
        json!({"a:/data": {}})
    );
    assert_eq!(
        env.sh_ok(
            &b,
            "touch /a:/data/w && grep -c ' /a:/data ' /proc/self/mountinfo"
        ),
        "1\n"
    );
    let name = m[0]["Name"].as_str().unwrap();
    assert!(env.volume_data(name).join("w").exists());
}
