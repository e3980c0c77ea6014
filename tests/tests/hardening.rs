//! Hardening: kill -9 at many points of an unpack, a copy-up and a
//! running container's parent; 16 `rvol run` at once; images whose mount
//! destinations are symlinks to host places; bad input at every edge;
//! decompression bombs. Each test prints its figures (kills survived,
//! inputs tried) on stderr (`cargo test -- --nocapture` shows them).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rvol_tests::hardening::{self as h, kill_after};
use rvol_tests::hostile::tree;
use rvol_tests::image::{self, OciImage};
use rvol_tests::{eventually, is_hex64, mounts_under, ok, run, text, TestRoot};
use serde_json::json;

/// A tree worth copying: `files` small files in 20 directories, a few
/// larger ones, a symlink and a hardlink.
fn big_tree(dir: &Path, files: usize, large: usize) {
    for i in 0..files {
        let d = dir.join(format!("d{:02}", i % 20));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join(format!("f{i:05}")),
            format!("file {i}\n").repeat(1 + i % 40),
        )
        .unwrap();
    }
    for i in 0..large {
        let data: Vec<u8> = (0..4u32 << 20)
            .map(|b| (b.wrapping_mul(2654435761) >> 24) as u8 ^ i as u8)
            .collect();
        std::fs::write(dir.join(format!("large{i}")), data).unwrap();
    }
    std::os::unix::fs::symlink("d00/f00000", dir.join("link")).unwrap();
    std::fs::hard_link(dir.join("d01/f00001"), dir.join("hard")).unwrap();
}

fn layer_dirs(root: &Path) -> Vec<String> {
    std::fs::read_dir(root.join("layers"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Ids of the bundles that exist, and what `rvol-inspect ps -a -q --no-trunc` lists.
fn bundles_and_ps(root: &TestRoot) -> (BTreeSet<String>, BTreeSet<String>) {
    let on_disk: BTreeSet<String> = std::fs::read_dir(root.path().join("containers"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| is_hex64(n))
                .collect()
        })
        .unwrap_or_default();
    let ps = ok(root
        .tool("rvol-inspect")
        .args(["ps", "-a", "-q", "--no-trunc"]));
    (on_disk, ps.lines().map(str::to_string).collect())
}

fn volumes_listed(root: &TestRoot) -> BTreeSet<String> {
    ok(root.tool("rvol-inspect").args(["volume", "ls", "-q"]))
        .lines()
        .map(str::to_string)
        .collect()
}

fn assert_locks_free(root: &Path) {
    let locks = h::locks_free(root);
    let held: Vec<_> = locks.iter().filter(|(_, free)| !**free).collect();
    assert!(held.is_empty(), "locks still held: {held:?}");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn kill9_of_unpack_never_publishes_a_partial_layer() {
    let r = TestRoot::new("hard-kill-unpack");
    let bb = r.tmp.join("bb");
    image::busybox_rootfs(&bb);
    let extra = r.tmp.join("extra");
    big_tree(&extra.join("big"), 600, 1);
    let img_dir = r.tmp.join("img");
    OciImage::new(vec![image::tar_dir(&bb), image::tar_dir(&extra)]).write(&img_dir, "latest");
    let img = format!("oci:{}:latest", img_dir.display());

    // The reference: a run nobody kills, and how long it takes cold.
    let reference = TestRoot::new("hard-kill-unpack-ref");
    let t0 = Instant::now();
    ok(reference.tool("rvol-unpack").arg(&img));
    let span = t0.elapsed().mul_f64(1.3);
    let want: BTreeMap<String, _> = layer_dirs(&reference.path())
        .into_iter()
        .filter(|n| is_hex64(n))
        .map(|n| {
            let t = tree(&reference.path().join("layers").join(&n), &[]);
            (n, t)
        })
        .collect();
    assert_eq!(want.len(), 2);

    let mut kills = h::Kills::new(16, 8, span);
    while let Some(d) = kills.next_delay() {
        let i = kills.tries;
        // Cold each time; every other time the image store too.
        let _ = std::fs::remove_dir_all(r.path().join("layers"));
        if i.is_multiple_of(2) {
            let _ = std::fs::remove_dir_all(r.path().join("images"));
        }
        let mut c = r.tool("rvol-unpack");
        c.arg(&img).stdout(Stdio::null()).stderr(Stdio::null());
        let (hit, _) = kill_after(&mut c, d);
        kills.record(hit);
        // Whatever is published is complete.
        for n in layer_dirs(&r.path()).into_iter().filter(|n| is_hex64(n)) {
            let got = tree(&r.path().join("layers").join(&n), &[]);
            assert!(
                got == want[&n],
                "delay {d:?}: layer {n} published incomplete"
            );
        }
        assert_locks_free(&r.path());
        // The next run completes or redoes it, and leaves no temp dir.
        let spec: serde_json::Value =
            serde_json::from_str(&ok(r.tool("rvol-unpack").arg(&img))).unwrap();
        let lower: serde_json::Value =
            serde_json::from_str(spec["annotations"]["org.rvol.image"].as_str().unwrap()).unwrap();
        for l in lower["LowerDirs"].as_array().unwrap() {
            assert!(Path::new(l.as_str().unwrap()).is_dir());
        }
        let names = layer_dirs(&r.path());
        assert!(
            !names.iter().any(|n| n.starts_with(".tmp-")),
            "delay {d:?}: temp dirs left: {names:?}"
        );
        for (n, t) in &want {
            assert!(
                tree(&r.path().join("layers").join(n), &[]) == *t,
                "delay {d:?}: layer {n} differs after the rerun"
            );
        }
    }
    eprintln!(
        "FIGURE kill9 rvol-unpack: {} kills survived of {} runs (delays 0..{span:?}, shortened after a miss)",
        kills.hits, kills.tries
    );
    assert!(
        kills.enough(),
        "too few kills hit a running unpack: {} of {} tries",
        kills.hits,
        kills.tries
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn kill9_of_create_during_copy_up_leaves_complete_or_redone_volumes() {
    let env = TestRoot::new("hard-kill-copyup");
    let img = env.image("big", json!({}), |rootfs| {
        big_tree(&rootfs.join("big"), 1500, 2)
    });
    let want = tree(&env.tmp.join("img-big-rootfs/big"), &[]);
    let spec = env.spec(&img, &[]);
    let root = &env;

    let t0 = Instant::now();
    // A create under the kill loop runs slower than this lone one: reach past its end.
    env.create_ok(&spec, &["-v", "cu:/big", "--name", "crash"]);
    let span = t0.elapsed().mul_f64(4.0);
    ok(root.tool("rvol-mount").args(["rm", "-f", "crash"]));
    ok(root.tool("rvol-mount").args(["volume", "rm", "cu"]));

    let mut kills = h::Kills::new(24, 12, span);
    let mut redone = 0;
    let mut states = BTreeMap::new();
    while let Some(d) = kills.next_delay() {
        let mut c = root.tool("rvol-mount");
        c.args(["create", "-v", "cu:/big", "--name", "crash"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Feed the spec from a thread: the kill may come mid-write.
        let mut child = c.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let s = spec.clone();
        let feeder = std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&s);
        });
        std::thread::sleep(d);
        let alive = child.try_wait().unwrap().is_none();
        if alive {
            unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        }
        let st = child.wait().unwrap();
        feeder.join().unwrap();
        kills.record(alive && !st.success());

        // The volume: absent, empty, or complete; never half.
        let data = env.volume_data("cu");
        let state = if !data.exists() {
            "absent"
        } else if std::fs::read_dir(&data).unwrap().next().is_none() {
            "empty"
        } else {
            assert!(
                tree(&data, &[]) == want,
                "delay {d:?}: volume holds a partial copy"
            );
            "complete"
        };
        // ps -a and volume ls tell the truth and still work.
        let (disk, ps) = bundles_and_ps(root);
        assert_eq!(disk, ps, "delay {d:?}: ps -a vs the bundles on disk");
        assert_eq!(
            volumes_listed(root).contains("cu"),
            root.path().join("volumes/cu/volume.json").exists()
        );
        assert_locks_free(&root.path());
        // If the create got through, it is a whole container: remove it by name.
        let _ = run(root.tool("rvol-mount").args(["rm", "-f", "crash"]));
        // The next create takes the name again and copies up what is missing.
        let b = env.create_ok(&spec, &["-v", "cu:/big", "--name", "crash"]);
        assert!(
            tree(&data, &[]) == want,
            "delay {d:?} ({state}): volume not complete after the rerun"
        );
        redone += (state != "complete") as usize;
        *states.entry(state).or_insert(0usize) += 1;
        assert!(b.join("config.json").exists());
        ok(root.tool("rvol-mount").args(["rm", "-f", "crash"]));
        ok(root.tool("rvol-mount").args(["volume", "rm", "cu"]));
        assert!(mounts_under(&env.tmp.path).is_empty());
    }
    let leftovers: Vec<String> = std::fs::read_dir(root.path().join("containers"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(leftovers.is_empty(), "temp bundles left: {leftovers:?}");
    eprintln!(
        "FIGURE kill9 rvol-mount create (copy-up): {} kills survived of {} (delays 0..{span:?}, shortened after a miss); {redone} volumes copied again; volume after the kill: {states:?}; left in containers/: {leftovers:?}",
        kills.hits, kills.tries
    );
    assert!(
        kills.enough(),
        "too few kills hit a running create: {} of {} tries",
        kills.hits,
        kills.tries
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn kill9_of_a_running_containers_parent_leaves_no_mount_and_a_true_state() {
    let env = TestRoot::new("hard-kill-ns");
    let spec = env.busybox_spec();
    let bundle = env.create_ok(&spec, &["-v", "nsvol:/v", "--name", "victim"]);
    let before = h::host_mounts();
    let base = 7_000_000 + (std::process::id() % 10_000) * 100;

    let mut killed = 0;
    let delays = h::delays(20, Duration::from_millis(800));
    for (i, d) in delays.iter().enumerate() {
        let sleeper = format!("sleep {}", base + i as u32);
        let script = format!("echo {i} > /v/f{i}; exec {sleeper}");
        let mut c = env.chain(&bundle, &["sh", "-c", &script]);
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let (hit, _) = kill_after(&mut c, *d);
        killed += hit as usize;
        // The container and the chain go with their parent.
        let b = bundle.to_string_lossy().into_owned();
        assert!(
            eventually(10.0, || h::processes_mentioning(&b).is_empty()
                && h::processes_mentioning(&sleeper).is_empty()),
            "delay {d:?}: processes left: {:?} {:?}",
            h::processes_mentioning(&b),
            h::processes_mentioning(&sleeper)
        );
        assert!(
            eventually(5.0, || mounts_under(&env.tmp.path).is_empty()),
            "delay {d:?}: mounts left"
        );
        // The recorded PID (killed through its parent's death signal) may
        // still be on its way out (state D, tearing its namespaces down):
        // wait until the kernel has it gone or a zombie.
        let state: serde_json::Value =
            serde_json::from_slice(&std::fs::read(bundle.join("state.json")).unwrap()).unwrap();
        let pid = state["Pid"].as_i64().unwrap_or(0);
        assert!(
            pid == 0
                || eventually(10.0, || {
                    std::fs::read_to_string(format!("/proc/{pid}/stat"))
                        .map(|s| {
                            s.rsplit_once(')')
                                .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
                        })
                        .unwrap_or(true)
                }),
            "delay {d:?}: container pid {pid} still alive"
        );
        // ps -a works and does not call a dead container up.
        let ps = ok(env.tool("rvol-inspect").args(["ps", "-a"]));
        let row = ps
            .lines()
            .find(|l| l.contains("victim"))
            .unwrap_or_else(|| panic!("victim missing: {ps}"));
        if row.contains(" Up ") {
            let state = std::fs::read_to_string(bundle.join("state.json")).unwrap_or_default();
            let pid = serde_json::from_str::<serde_json::Value>(&state)
                .map(|v| v["Pid"].clone())
                .unwrap_or_default();
            let proc_status =
                std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            panic!(
                "delay {d:?}: a killed container shown running: {row}\nstate {state}\n/proc/{pid}: {} {:?}",
                proc_status.lines().take(8).collect::<Vec<_>>().join(" | "),
                String::from_utf8_lossy(&cmdline)
            );
        }
        let st = ok(env.tool("rvol-inspect").args([
            "-f",
            "{{.State.Status}} {{.State.Running}}",
            "victim",
        ]));
        assert!(
            !st.contains("true"),
            "delay {d:?}: state says running: {st}"
        );
        assert!(volumes_listed(&env).contains("nsvol"));
        assert_locks_free(&env.path());
    }
    // Started again after all that, it runs and sees what it wrote.
    let out = env.sh_ok(&bundle, "ls /v | wc -l");
    assert!(out.trim().parse::<usize>().unwrap() >= 1);
    assert_eq!(h::host_mounts(), before, "the host's mount table changed");
    eprintln!(
        "FIGURE kill9 rvol-ns parent: {killed} kills survived of {} (delays 0..800ms)",
        delays.len()
    );
    assert!(
        killed >= delays.len() * 3 / 4,
        "too few kills hit a running chain: {killed}"
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn sixteen_runs_at_once_share_cold_layers_and_one_volume() {
    let r = TestRoot::new("hard-16");
    let bb = r.tmp.join("bb");
    image::busybox_rootfs(&bb);
    let extra = r.tmp.join("extra");
    big_tree(&extra.join("big"), 200, 0);
    let img_dir = r.tmp.join("img");
    let w =
        OciImage::new(vec![image::tar_dir(&bb), image::tar_dir(&extra)]).write(&img_dir, "latest");
    let img = format!("oci:{}:latest", img_dir.display());
    // Cold: an empty layers/, watched for every temp dir made and every
    // layer renamed into place.
    std::fs::create_dir_all(r.path().join("layers")).unwrap();
    let watch = h::DirWatch::new(&r.path().join("layers"));

    let n = 16;
    let children: Vec<_> = (0..n)
        .map(|i| {
            let mut c = r.rvol(&["run", "-v", "shared:/v", &img, "sh", "-c"]);
            c.arg(format!("echo {i} > /v/file{i} && hostname"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for (i, o) in outs.iter().enumerate() {
        assert!(
            o.status.success(),
            "run {i}: {}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // Each layer unpacked exactly once.
    let events = watch.events();
    for d in &w.diff_ids {
        let hex = d.trim_start_matches("sha256:");
        let made = events
            .iter()
            .filter(|(n, e)| *e == "create" && n.starts_with(&format!(".tmp-{hex}-")))
            .count();
        let published = events
            .iter()
            .filter(|(n, e)| *e == "moved_to" && n == hex)
            .count();
        assert_eq!(
            (made, published),
            (1, 1),
            "layer {hex}: {made} unpacks, {published} publications; {events:?}"
        );
    }
    let layers: Vec<String> = layer_dirs(&r.path())
        .into_iter()
        .filter(|n| is_hex64(n))
        .collect();
    assert_eq!(layers.len(), 2);
    // The volume holds all 16 files, each with its writer's content.
    let data = r.path().join("volumes/shared/_data");
    for i in 0..n {
        assert_eq!(
            std::fs::read_to_string(data.join(format!("file{i}"))).unwrap(),
            format!("{i}\n")
        );
    }
    // 16 containers, 16 distinct ids (and hostnames), all listed.
    let (disk, ps) = bundles_and_ps(&r);
    assert_eq!(disk.len(), n);
    assert_eq!(disk, ps);
    let hosts: BTreeSet<String> = outs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .collect();
    assert_eq!(
        hosts.len(),
        n,
        "hostnames (id prefixes) not distinct: {hosts:?}"
    );
    assert_locks_free(&r.path());
    assert!(mounts_under(&r.tmp.path).is_empty());
    eprintln!("FIGURE concurrency: {n} rvol run at once, {} layers unpacked once each, {} files in the shared volume, {} lock files all free",
        layers.len(), std::fs::read_dir(&data).unwrap().count(), h::locks_free(&r.path()).len());
}

/// Host state an escaped mount or write would change: the canary tree,
/// the names in /etc, the host's mount table.
fn host_state(canary: &Path) -> (BTreeMap<String, String>, BTreeSet<String>, Vec<String>) {
    let etc = std::fs::read_dir("/etc")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    (tree(canary, &[]), etc, h::host_mounts())
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn mount_destinations_through_symlinks_stay_in_the_rootfs() {
    let env = TestRoot::new("hard-dest");
    let canary = env.tmp.join("canary");
    std::fs::create_dir_all(canary.join("sub")).unwrap();
    std::fs::write(canary.join("sub/keep"), "canary\n").unwrap();
    let cpath = canary.display().to_string();
    let up = "../../../../../../../../..";
    let links: Vec<(&str, String)> = vec![
        ("data", "/etc".into()),
        ("updata", format!("{up}/etc")),
        ("hostc", cpath.clone()),
        ("uphostc", format!("{up}{cpath}")),
        ("dangling", "/nonexistent/deeper".into()),
        (
            "dangup",
            format!("{up}/var/tmp/rvol-escape-{}", std::process::id()),
        ),
        ("plink", "/etc".into()),
        ("selfloop", "selfloop".into()),
    ];
    let l2 = links.clone();
    let img = env.image("links", json!({}), move |rootfs| {
        for (name, target) in &l2 {
            std::os::unix::fs::symlink(target, rootfs.join(name)).unwrap();
        }
    });
    // Images where /proc and /dev themselves are links out.
    let cp2 = cpath.clone();
    let img_procdev = env.image("procdev", json!({}), move |rootfs| {
        std::fs::remove_dir(rootfs.join("proc")).unwrap();
        std::fs::remove_dir(rootfs.join("dev")).unwrap();
        std::os::unix::fs::symlink("/etc", rootfs.join("proc")).unwrap();
        std::os::unix::fs::symlink(&cp2, rootfs.join("dev")).unwrap();
    });
    let spec = env.spec(&img, &[]);
    let before = host_state(&canary);
    let hostdir = env.tmp.join("bindsrc");
    std::fs::create_dir_all(&hostdir).unwrap();

    let mut tried = 0;
    let mut inside = 0;
    let mut refused = 0;
    let mut dests: Vec<String> = links.iter().map(|(n, _)| format!("/{n}")).collect();
    dests.push("/plink/sub".into());
    dests.push("/updata/sub/deeper".into());
    for dst in &dests {
        for kind in ["volume", "bind", "tmpfs"] {
            tried += 1;
            let vol = format!("v{tried}");
            let flag = match kind {
                "volume" => vec!["-v".to_string(), format!("{vol}:{dst}")],
                "bind" => vec!["-v".to_string(), format!("{}:{dst}", hostdir.display())],
                _ => vec!["--tmpfs".to_string(), dst.clone()],
            };
            let args: Vec<&str> = flag.iter().map(String::as_str).collect();
            let o = env.create(&spec, &args);
            if !o.status.success() {
                assert_eq!(o.status.code(), Some(125), "{kind} {dst}");
                refused += 1;
                continue;
            }
            let bundle = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
            let probe = format!("p{tried}");
            let r = env.sh(
                &bundle,
                &format!(
                    "echo x > {dst}/{probe} && grep -c ' {dst} ' /proc/self/mountinfo || true"
                ),
            );
            if r.status.success() {
                match kind {
                    "volume" => assert!(
                        env.volume_data(&vol).join(&probe).exists(),
                        "{kind} {dst}: write did not reach the volume"
                    ),
                    "bind" => assert!(
                        hostdir.join(&probe).exists(),
                        "{kind} {dst}: write did not reach the bind source"
                    ),
                    _ => {}
                }
                inside += 1;
            } else {
                refused += 1;
            }
            assert!(
                !Path::new("/etc").join(&probe).exists(),
                "{kind} {dst}: wrote into the host's /etc"
            );
            assert_eq!(
                host_state(&canary),
                before,
                "{kind} {dst}: the host changed"
            );
            ok(env
                .tool("rvol-mount")
                .args(["rm", "-f", "-v"])
                .arg(bundle.file_name().unwrap()));
        }
    }
    // /proc and /dev as links: mounted inside the rootfs, or refused.
    let spec2 = env.spec(&img_procdev, &[]);
    let b = env.create_ok(&spec2, &[]);
    let o = env.sh(&b, "ls / >/dev/null");
    tried += 1;
    assert_eq!(
        host_state(&canary),
        before,
        "/proc, /dev links: the host changed"
    );
    assert!(!o.status.success() || o.status.code() == Some(0));
    assert!(mounts_under(&env.tmp.path).is_empty());
    assert!(!Path::new(&format!("/var/tmp/rvol-escape-{}", std::process::id())).exists());
    eprintln!("FIGURE mount destination attacks: {tried} tried, {inside} landed inside the rootfs, {refused} refused, host unchanged");
}

/// `rvol-mount create ARGS < stdin`: must fail with 125, say why on one
/// `rvol-mount: ` line, and leave the state root as it was.
fn refused(env: &TestRoot, what: &str, stdin: &[u8], args: &[&str]) {
    let before = env.snapshot();
    let o = env.create(stdin, args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(125),
        "{what}: status {} stderr {err}",
        o.status
    );
    assert!(
        err.starts_with("rvol-mount: ") && err.trim().len() > 20,
        "{what}: unclear error {err:?}"
    );
    assert!(o.stdout.is_empty(), "{what}: printed {:?}", text(&o.stdout));
    assert_eq!(env.snapshot(), before, "{what}: left something behind");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn bad_input_at_every_edge_is_a_clear_error_and_leaves_nothing() {
    let env = TestRoot::new("hard-badin");
    let spec = env.busybox_spec();
    let good: serde_json::Value = serde_json::from_slice(&spec).unwrap();
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    let mut tried = 0;
    let mut t = |what: &str, stdin: &[u8], args: &[&str]| {
        tried += 1;
        refused(&env, what, stdin, args);
    };
    // Malformed, truncated, wrong-shaped JSON.
    t("empty stdin", b"", &[]);
    // In scripts/rvol's pipeline (--quiet-empty) an empty stdin means
    // rvol-unpack failed and said why: still 125 and nothing made, but no
    // second message.
    let before = env.snapshot();
    let o = env.create(b"", &["--quiet-empty"]);
    assert_eq!(o.status.code(), Some(125), "--quiet-empty: {}", o.status);
    assert!(
        o.stderr.is_empty(),
        "--quiet-empty: said {:?}",
        text(&o.stderr)
    );
    assert_eq!(
        env.snapshot(),
        before,
        "--quiet-empty: left something behind"
    );
    t("not json", b"\x00\xff garbage", &[]);
    t("an array", b"[]", &[]);
    t("null", b"null", &[]);
    for cut in [1, spec.len() / 3, spec.len() / 2, spec.len() - 2] {
        t(&format!("truncated at {cut}"), &spec[..cut], &[]);
    }
    t("nested 100000 deep", "[".repeat(100_000).as_bytes(), &[]);
    let mut big = vec![b' '; 64 << 20];
    big.push(b'{');
    t("64 MiB of blanks", &big, &[]);
    // Unknown or mistyped fields: a misspelled readonly must not pass.
    t(
        "root.readOnly",
        &with(&|v| v["root"]["readOnly"] = json!(true)),
        &["--read-only"],
    );
    t(
        "root.read_only",
        &with(&|v| v["root"]["read_only"] = json!(true)),
        &[],
    );
    t(
        "mounts[].readonly",
        &with(&|v| {
            v["mounts"] =
                json!([{"destination": "/x", "type": "volume", "source": "", "readonly": true}])
        }),
        &[],
    );
    t(
        "process.nnp typo",
        &with(&|v| v["process"]["noNewPrivilege"] = json!(true)),
        &[],
    );
    t("top-level typo", &with(&|v| v["mount"] = json!([])), &[]);
    t(
        "uid -1",
        &with(&|v| v["process"]["user"]["uid"] = json!(-1)),
        &[],
    );
    t(
        "readonly as a string",
        &with(&|v| v["root"]["readonly"] = json!("true")),
        &[],
    );
    t(
        "no image annotation",
        &with(&|v| v["annotations"] = json!({})),
        &[],
    );
    t(
        "broken image annotation",
        &with(&|v| v["annotations"]["org.rvol.image"] = json!("{\"Id\": 3")),
        &[],
    );
    t(
        "NUL in a volume destination",
        &with(&|v| {
            v["mounts"] = json!([{"destination": "/da\u{0}ta", "type": "volume", "source": "", "options": []}])
        }),
        &[],
    );
    t(
        "newline in a volume destination",
        &with(&|v| {
            v["mounts"] = json!([{"destination": "relative\n", "type": "volume", "source": "", "options": []}])
        }),
        &[],
    );
    // Flags: misspelled readonly, names, sizes.
    t(
        "--mount readonlyy",
        &spec,
        &["--mount", "type=volume,dst=/x,readonlyy"],
    );
    t(
        "--mount read-only",
        &spec,
        &["--mount", "type=bind,src=/tmp,dst=/x,read-only=true"],
    );
    t(
        "--mount readonly=maybe",
        &spec,
        &["--mount", "type=bind,src=/tmp,dst=/x,readonly=maybe"],
    );
    t("-v mode rwx", &spec, &["-v", "/tmp:/x:rwx"]);
    t("name with newline", &spec, &["--name", "a\nb"]);
    t("name with /", &spec, &["--name", "a/b"]);
    t("name ..", &spec, &["--name", ".."]);
    t("name of 300", &spec, &["--name", &"n".repeat(300)]);
    t("volume with newline", &spec, &["-v", "ab\ncd:/x"]);
    t(
        "volume with /",
        &spec,
        &["--mount", "type=volume,src=a/b,dst=/x"],
    );
    t(
        "volume name of 300",
        &spec,
        &["-v", &format!("{}:/x", "v".repeat(300))],
    );
    t(
        "destination with NUL-like escape",
        &spec,
        &["-v", "/tmp:relative"],
    );
    for size in [
        "-1",
        "-5k",
        "99999999999999999999999999",
        "1e30",
        "18446744073709551616",
        "0x10",
        "",
        "10q",
    ] {
        t(
            &format!("--tmpfs size={size}"),
            &spec,
            &["--tmpfs", &format!("/t:size={size}")],
        );
    }
    for size in ["-5", "99999999999999999999999", "1e400", "nan", "9e18"] {
        t(
            &format!("tmpfs-size={size}"),
            &spec,
            &["--mount", &format!("type=tmpfs,dst=/t,tmpfs-size={size}")],
        );
    }
    t("--tmpfs /", &spec, &["--tmpfs", "/"]);
    // A 120 KiB destination is docker's to accept at create; the start
    // then fails cleanly (name too long) and mounts nothing.
    let huge = format!("/tmp:/{}", "x".repeat(120 << 10));
    let b = env.create_ok(&spec, &["-v", &huge]);
    let o = env.sh(&b, "true");
    tried += 1;
    assert_eq!(o.status.code(), Some(125), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("too long"), "{}", text(&o.stderr));
    assert!(mounts_under(&env.tmp.path).is_empty());
    ok(env
        .tool("rvol-mount")
        .args(["rm", "-f"])
        .arg(b.file_name().unwrap()));

    // `volume create` with a name of 300, a newline, a `/`: refused, nothing made.
    for name in ["v".repeat(300), "a\nb".to_string(), "a/b".to_string()] {
        tried += 1;
        let before = env.snapshot();
        let o = run(env.tool("rvol-mount").args(["volume", "create"]).arg(&name));
        // The volume verbs exit 1 on a refused name, as docker's CLI does;
        // 125 when the name passes docker's check and the filesystem refuses
        // it (300 bytes: file name too long).
        let code = o.status.code();
        assert!(
            code == Some(1) || code == Some(125),
            "volume create {name:?}: {code:?} {}",
            text(&o.stderr)
        );
        let e = text(&o.stderr);
        assert!(
            e.starts_with("rvol-mount: ")
                && (e.contains("invalid characters") || e.contains("too long")),
            "{e}"
        );
        assert_eq!(env.snapshot(), before);
    }
    // An id prefix that matches two containers: refused by rm and inspect, nothing removed.
    let mut ids: Vec<String> = Vec::new();
    let prefix = loop {
        let b = env.create_ok(&spec, &[]);
        let id = b.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(o) = ids.iter().find(|o| o[..1] == id[..1]) {
            break o[..1].to_string();
        }
        ids.push(id);
    };
    let before = env.snapshot();
    for args in [
        vec!["rvol-mount", "rm", "-f"],
        vec!["rvol-inspect", "--type", "container"],
    ] {
        tried += 1;
        let o = run(env.tool(args[0]).args(&args[1..]).arg(&prefix));
        assert!(!o.status.success(), "{args:?} {prefix}");
        assert!(
            text(&o.stderr).contains("multiple IDs found with provided prefix"),
            "{}",
            text(&o.stderr)
        );
    }
    assert_eq!(
        env.snapshot(),
        before,
        "an ambiguous prefix removed something"
    );
    eprintln!("FIGURE bad input: {tried} hostile inputs tried, each refused with a clear error and nothing left");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn decompression_bombs_stop_at_the_limit_with_flat_memory() {
    let r = TestRoot::new("hard-bomb");
    // 1 TiB of zeros in 32 MiB of zstd; and a tar header claiming an 8 GiB
    // file, then 16 GiB of zeros in about 16 MiB of gzip (members of 64 MiB).
    let zst = h::zstd_zero_bomb(1 << 40);
    let mut hdr = rvol_tests::hostile::tar(&[rvol_tests::hostile::Raw::file("big", b"")]);
    hdr.truncate(512);
    hdr[124..136].copy_from_slice(b"77777777777\0");
    let sum: u32 = {
        let mut x = hdr.clone();
        x[148..156].copy_from_slice(b"        ");
        x.iter().map(|b| *b as u32).sum()
    };
    hdr[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let gz = h::gzip_zero_bomb(&hdr, 64 << 20, 256);
    let fake = format!("sha256:{}", "0".repeat(64));
    let cases = [
        (
            "zstd 1 TiB",
            "application/vnd.oci.image.layer.v1.tar+zstd",
            zst,
        ),
        (
            "gzip 16 GiB file",
            "application/vnd.oci.image.layer.v1.tar+gzip",
            gz,
        ),
    ];
    let limit: u64 = 128 << 20;
    for (i, (what, mt, blob)) in cases.into_iter().enumerate() {
        let ratio = if what.starts_with("zstd") {
            (1u64 << 40) / blob.len() as u64
        } else {
            (16u64 << 30) / blob.len() as u64
        };
        let dir = r.tmp.join(format!("bomb{i}"));
        let img = h::raw_oci(&dir, &[(mt, blob, fake.clone())]);
        let t0 = Instant::now();
        let o = run(Command::new("/usr/bin/time")
            .arg("-v")
            .arg(rvol_tests::bin("rvol-unpack"))
            .arg(&img)
            .env("RVOL_ROOT", r.path())
            .env("RVOL_MAX_LAYER_BYTES", limit.to_string()));
        let secs = t0.elapsed().as_secs_f64();
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(125), "{what}: {err}");
        assert!(
            err.contains(&format!("over the limit of {limit} bytes"))
                && err.contains("RVOL_MAX_LAYER_BYTES"),
            "{what}: {err}"
        );
        let rss_kb: u64 = err
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Maximum resident set size (kbytes): ")
            })
            .unwrap()
            .parse()
            .unwrap();
        assert!(rss_kb < 64 << 10, "{what}: peak RSS {rss_kb} kB");
        // Nothing published, no temp dir, locks free.
        let left: Vec<_> = layer_dirs(&r.path())
            .into_iter()
            .filter(|n| !n.starts_with(".lock"))
            .collect();
        assert!(left.is_empty(), "{what}: left {left:?}");
        assert_locks_free(&r.path());
        eprintln!("FIGURE bomb {what}: ratio {ratio}:1, stopped at {limit} bytes in {secs:.1}s, peak RSS {rss_kb} kB");
    }
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn a_layer_of_too_many_entries_stops_at_the_limit() {
    let r = TestRoot::new("hard-entries");
    // 3000 empty files: a few hundred KiB of tar, refused past 1000 entries.
    let raws: Vec<_> = (0..3000)
        .map(|i| rvol_tests::hostile::Raw::file(&format!("f{i}"), b""))
        .collect();
    let tar = rvol_tests::hostile::tar(&raws);
    let diff_id = format!("sha256:{}", image::sha256_hex(&tar));
    let img = h::raw_oci(
        &r.tmp.join("img"),
        &[("application/vnd.oci.image.layer.v1.tar", tar, diff_id)],
    );
    let o = run(r
        .tool("rvol-unpack")
        .arg(&img)
        .env("RVOL_MAX_LAYER_ENTRIES", "1000"));
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(125), "{err}");
    assert!(
        err.contains("over 1000 entries") && err.contains("RVOL_MAX_LAYER_ENTRIES"),
        "{err}"
    );
    let left: Vec<_> = layer_dirs(&r.path())
        .into_iter()
        .filter(|n| !n.starts_with(".lock"))
        .collect();
    assert!(left.is_empty(), "left {left:?}");
    // Under the default limit the same layer unpacks.
    ok(r.tool("rvol-unpack").arg(&img));
    eprintln!(
        "FIGURE entries: 3000-entry layer refused at 1000 ({})",
        err.trim()
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn a_sparse_file_bomb_stops_at_the_limit() {
    // A GNU sparse entry: a 1 GiB file of one hole, a few KiB of tar whose
    // hole reads back as zeros. The stream limit never sees those bytes;
    // the limit on what is written does.
    let r = TestRoot::new("hard-sparse");
    let src = r.tmp.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::File::create(src.join("hole"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let o = run(Command::new("tar")
        .args(["--format=gnu", "--sparse", "-C"])
        .arg(&src)
        .args(["-cf", "-", "hole"]));
    assert!(o.status.success(), "tar: {}", text(&o.stderr));
    assert!(o.stdout.len() < 1 << 20, "the tar is not sparse");
    let tar_len = o.stdout.len();
    let img_dir = r.tmp.join("img");
    OciImage::new(vec![o.stdout]).write(&img_dir, "latest");
    let limit: u64 = 64 << 20;
    let o = run(r
        .tool("rvol-unpack")
        .arg(format!("oci:{}:latest", img_dir.display()))
        .env("RVOL_MAX_LAYER_BYTES", limit.to_string()));
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(125), "{err}");
    assert!(
        err.contains(&format!("over the limit of {limit} bytes"))
            && err.contains("RVOL_MAX_LAYER_BYTES"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(r.path().join("layers"))
        .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.iter()
            .all(|n| n.to_string_lossy().starts_with(".lock-")),
        "left in layers/: {left:?}"
    );
    eprintln!(
        "FIGURE sparse bomb: a 1 GiB hole in a {tar_len}-byte layer stopped at {limit} bytes"
    );
}
