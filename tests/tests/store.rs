//! The store's lifecycle: `rmi`, `tag`, `image prune` compared with
//! docker's lines and statuses, and the layer collector: a layer goes with
//! the last image or container using it, never while a run is picking it,
//! and a kill -9 of rmi or prune leaves a store every verb still reads.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rvol_tests::docker::{docker, DockerObjects};
use rvol_tests::hardening::{self as h, kill_after};
use rvol_tests::{fresh, is_hex64, stderr, stdout, TestRoot};

/// (status, stdout, stderr) of a command's output.
fn outcome(o: &Output) -> (i32, String, String) {
    (o.status.code().unwrap_or(-1), stdout(o), stderr(o))
}

/// Replace every `(from, to)` in all three parts (ids differ between the
/// two sides: docker's import stamps its own `created`).
fn masked(o: (i32, String, String), subs: &[(String, &str)]) -> (i32, String, String) {
    let m = |s: String| {
        subs.iter()
            .fold(s, |s, (from, to)| s.replace(from.as_str(), to))
    };
    (o.0, m(o.1), m(o.2))
}

/// The full image id (`sha256:...`) of a name on the rvol side.
fn rvol_id(r: &TestRoot, name: &str) -> String {
    r.rvol_ok(&["inspect", "--format", "{{.Id}}", name])
        .trim()
        .to_string()
}

fn docker_id(name: &str) -> String {
    let o = docker(&["inspect", "--format", "{{.Id}}", name]);
    stdout(&o).trim().to_string()
}

/// The id masks of one side: the image id (full, hex, 12) and container ids (12).
fn subs(image: &str, containers: &[&str]) -> Vec<(String, &'static str)> {
    let hex = image.trim_start_matches("sha256:").to_string();
    let mut v = vec![(hex.clone(), "<IMG>"), (hex[..12].to_string(), "<IMG>")];
    for c in containers {
        v.push((c[..12].to_string(), "<CTR>"));
    }
    v
}

/// scripts/rvol-image-prune run alone on this root (the `rvol image prune`
/// dispatcher sources it; the front door refuses a verb with a dash).
fn image_prune(r: &TestRoot, args: &[&str]) -> Command {
    let mut c = Command::new(rvol_tests::repo().join("scripts/rvol-image-prune"));
    c.env("RVOL_BIN_DIR", rvol_tests::bin_dir())
        .env("RVOL_ROOT", r.path())
        .args(args);
    c
}

fn image_prune_ok(r: &TestRoot, args: &[&str]) -> String {
    rvol_tests::ok(&mut image_prune(r, args))
}

fn layer_names(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root.join("layers"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn blob_count(root: &Path) -> usize {
    std::fs::read_dir(root.join("images/blobs/sha256"))
        .map(|rd| rd.count())
        .unwrap_or(0)
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn tag_and_rmi_say_what_docker_says() {
    let r = TestRoot::new("store-rmi");
    let mut d = DockerObjects::new();
    let name = d.import_busybox(&r.tmp);
    r.import_busybox(&name);
    let base = name.trim_end_matches(":local").to_string();
    let two = format!("{base}:two");
    d.images.push(two.clone());

    // Each step on both sides; outputs equal once the ids are masked.
    let both = |rv: &[&str], dk: &[&str], rs: &[(String, &str)], ds: &[(String, &str)]| {
        let got = masked(outcome(&r.rvol_run(rv)), rs);
        let want = masked(outcome(&docker(dk)), ds);
        assert_eq!(got, want, "rvol {rv:?} vs docker {dk:?}");
        got
    };
    both(&["tag", &name, &two], &["tag", &name, &two], &[], &[]);
    let (rimg, dimg) = (rvol_id(&r, &name), docker_id(&name));
    let (ri, di) = (subs(&rimg, &[]), subs(&dimg, &[]));
    // By id, two names: refused unless forced.
    let st = both(&["rmi", &rimg[7..19]], &["rmi", &dimg[7..19]], &ri, &di);
    assert_eq!(st.0, 1);
    assert!(
        st.2.contains("image is referenced in multiple repositories"),
        "{st:?}"
    );

    // A stopped container uses it.
    let rc = r.rvol_ok(&["create", &name, "true"]).trim().to_string();
    let dc = stdout(&docker(&["create", &name, "true"]))
        .trim()
        .to_string();
    d.containers.push(dc.clone());
    let (ri, di) = (subs(&rimg, &[&rc]), subs(&dimg, &[&dc]));
    // One of two names goes, container or not; the last is refused.
    let st = both(&["rmi", &two], &["rmi", &two], &ri, &di);
    assert_eq!(st.1, format!("Untagged: {two}\n"));
    let st = both(&["rmi", &name], &["rmi", &name], &ri, &di);
    assert_eq!(st.0, 1);
    assert!(
        st.2.contains("(must force) - container <CTR> is using its referenced image <IMG>"),
        "{st:?}"
    );
    // By id, one name, a stopped container: must be forced.
    let st = both(&["rmi", &rimg[7..19]], &["rmi", &dimg[7..19]], &ri, &di);
    assert!(
        st.2.contains("image is being used by stopped container <CTR>"),
        "{st:?}"
    );
    // Forced by name: untagged and deleted, its layer kept for the container.
    let st = both(&["rmi", "-f", &name], &["rmi", "-f", &name], &ri, &di);
    assert_eq!(
        st,
        (
            0,
            format!("Untagged: {name}\nDeleted: sha256:<IMG>\n"),
            String::new()
        )
    );
    // No such image, a name and an id.
    let st = both(&["rmi", &name], &["rmi", &name], &ri, &di);
    assert_eq!(
        st.2,
        format!("Error response from daemon: No such image: {name}\n")
    );
    both(&["rmi", "nosuch"], &["rmi", "nosuch"], &ri, &di);
    // tag: a missing source, bad targets, a usage error.
    let missing = format!("{base}-missing:1");
    both(&["tag", &missing, &two], &["tag", &missing, &two], &ri, &di);
    both(
        &["tag", &missing, "Bad:x"],
        &["tag", &missing, "Bad:x"],
        &ri,
        &di,
    );
    both(
        &["tag", &missing, "a:b c"],
        &["tag", &missing, "a:b c"],
        &ri,
        &di,
    );
    let usage = masked(outcome(&r.rvol_run(&["tag", "x"])), &[]);
    let dusage = outcome(&docker(&["tag", "x"]));
    assert_eq!(usage.0, dusage.0);
    assert_eq!(usage.2, dusage.2.replace("docker", "rvol"));

    // A fresh image under two names, removed forced by id prefix: both
    // untagged, the image and its layer deleted (its chain id is the same
    // on both sides: the same tar).
    assert_eq!(r.rvol_run(&["rm", &rc]).status.code(), Some(0));
    docker(&["rm", &dc]);
    let again = fresh("bb");
    let again = format!("{again}:local");
    let tar = rvol_tests::image::busybox_tar(&r.tmp);
    rvol_tests::ok(Command::new("docker").arg("import").arg(&tar).arg(&again));
    d.images.push(again.clone());
    r.rvol_ok(&["import", tar.to_str().unwrap(), &again]);
    let again2 = again.replace(":local", ":two");
    d.images.push(again2.clone());
    both(
        &["tag", &again, &again2],
        &["tag", &again, &again2],
        &[],
        &[],
    );
    let (rimg, dimg) = (rvol_id(&r, &again), docker_id(&again));
    let (ri, di) = (subs(&rimg, &[]), subs(&dimg, &[]));
    let st = both(
        &["rmi", "-f", &rimg[7..19]],
        &["rmi", "-f", &dimg[7..19]],
        &ri,
        &di,
    );
    let lines: Vec<&str> = st.1.lines().collect();
    assert_eq!(lines.len(), 4, "{st:?}");
    assert!(lines[3].starts_with("Deleted: sha256:") && !lines[3].contains("<IMG>"));
    assert_eq!(r.rvol_ok(&["images", "-q"]), "");
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn image_prune_says_what_docker_says() {
    let r = TestRoot::new("store-prune");
    let mut d = DockerObjects::new();
    let name = d.import_busybox(&r.tmp);
    r.import_busybox(&name);
    // The docker side is a shared daemon: every prune there is filtered to
    // this test's label, and the rvol side gets the same filter.
    let label = format!("{}=1", fresh("prune"));
    let filter = format!("label={label}");
    let change = format!("LABEL {label}");
    // A container with a change, committed twice: a dangling image and a
    // tagged one over the same new layer.
    let rc = fresh("prune-c");
    let dc = rc.clone();
    let change_f = ["sh", "-c", "echo x > /f"];
    let mut run_args = vec!["run", "--name", rc.as_str(), name.as_str()];
    run_args.extend(change_f);
    r.rvol_ok(&run_args);
    rvol_tests::ok(Command::new("docker").args(&run_args));
    d.containers.push(dc.clone());
    let rdang = r
        .rvol_ok(&["commit", "-c", &change, &rc])
        .trim()
        .to_string();
    let ddang = stdout(&docker(&["commit", "-c", &change, &dc]))
        .trim()
        .to_string();
    d.images.push(ddang.clone());
    let tagged = name.replace(":local", ":tagged");
    r.rvol_ok(&["commit", "-c", &change, &rc, &tagged]);
    // Unpacked on the rvol side, so that its layer has a size to reclaim,
    // as docker's always has.
    r.rvol_ok(&["run", "--rm", &tagged, "true"]);
    rvol_tests::ok(Command::new("docker").args(["commit", "-c", &change, &dc, &tagged]));
    d.images.push(tagged.clone());
    // Every sha256 of either side's images and layers masked; the size too.
    let mask = |s: String| -> String {
        let mut out = String::new();
        for l in s.split_inclusive('\n') {
            let l = match l.find("sha256:") {
                Some(at) => format!("{}sha256:<X>\n", &l[..at]),
                None => l.to_string(),
            };
            let l = match l.strip_prefix("Total reclaimed space: ") {
                Some(v) if v != "0B\n" => "Total reclaimed space: <N>\n".to_string(),
                _ => l,
            };
            out.push_str(&l);
        }
        out
    };
    let prune = |args: &[&str], input: &str, rvol: bool| -> (i32, String, String) {
        let mut c = if rvol {
            image_prune(&r, &[])
        } else {
            let mut c = Command::new("docker");
            c.args(["image", "prune"]);
            c
        };
        c.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        let (st, out, err) = outcome(&o);
        (st, mask(out), err)
    };
    let both = |args: &[&str], input: &str| {
        let got = prune(args, input, true);
        let want = prune(args, input, false);
        assert_eq!(got, want, "image prune {args:?}");
        got
    };
    // Declined: the prompt, nothing removed.
    let st = both(&["--filter", &filter], "n\n");
    assert_eq!(
        st.1,
        "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "
    );
    let st = both(&["-a", "--filter", &filter], "\n");
    assert!(st
        .1
        .contains("without at least one container associated to them"));
    assert!(r.rvol_ok(&["images", "-q"]).contains(&rdang[7..19]));
    // Dangling: the committed image without a name; its layer is
    // the tagged commit's too, so it stays.
    let st = both(&["--filter", &filter], "y\n");
    assert_eq!(
        st.1,
        "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] \
         Deleted Images:\ndeleted: sha256:<X>\n\nTotal reclaimed space: 0B\n"
    );
    assert!(!r.rvol_ok(&["images", "-q"]).contains(&rdang[7..19]));
    // Nothing dangling left; -a takes the tagged one, not the one the
    // container uses (and the label filter keeps the base out anyway).
    let st = both(&["-f", "--filter", &filter], "");
    assert_eq!(st, (0, "Total reclaimed space: 0B\n".into(), String::new()));
    let st = both(&["-a", "-f", "--filter", &filter], "");
    assert_eq!(
        st.1,
        format!("Deleted Images:\nuntagged: {tagged}\ndeleted: sha256:<X>\ndeleted: sha256:<X>\n\nTotal reclaimed space: <N>\n")
    );
    // Filters docker refuses.
    both(&["-f", "--filter", "foo=bar"], "");
    both(&["-f", "--filter", "until=xx"], "");
    assert_eq!(prune(&["-f", "--filter", "label"], "", true).0, 125);
    // Unfiltered -a on the rvol side only: the base stays (its container).
    image_prune_ok(&r, &["-a", "-f"]);
    assert_eq!(
        r.rvol_ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]),
        format!("{name}\n")
    );
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn a_layer_goes_with_the_last_image_and_stays_for_a_stopped_container() {
    let r = TestRoot::new("store-gc");
    r.import_busybox("a:1");
    r.rvol_ok(&["tag", "a:1", "a:2"]);
    r.rvol_ok(&["run", "--rm", "a:1", "true"]);
    let layers: Vec<String> = layer_names(&r.path())
        .into_iter()
        .filter(|n| is_hex64(n))
        .collect();
    assert_eq!(layers.len(), 1, "{layers:?}");
    let layer = r.path().join("layers").join(&layers[0]);
    // Another image over it: a committed container's top layer.
    let c = r.rvol_ok(&["create", "a:1", "true"]).trim().to_string();
    r.rvol_ok(&["commit", &c, "b:1"]);
    r.rvol_ok(&["rm", &c]);
    r.rvol_ok(&["run", "--rm", "b:1", "true"]);
    let with_b: Vec<String> = layer_names(&r.path())
        .into_iter()
        .filter(|n| is_hex64(n))
        .collect();
    assert_eq!(with_b.len(), 2, "{with_b:?}");
    let blobs = blob_count(&r.path());
    // b's last name goes: its top layer and its own blobs go, a's stay.
    let out = r.rvol_ok(&["rmi", "b:1"]);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert_eq!(
        layer_names(&r.path())
            .into_iter()
            .filter(|n| is_hex64(n))
            .collect::<Vec<_>>(),
        layers
    );
    assert_eq!(blob_count(&r.path()), blobs - 3);

    // A stopped container of a:1 holds the layer and its init layer.
    r.rvol_ok(&["run", "--name", "held", "a:1", "true"]);
    let init: Vec<String> = layer_names(&r.path())
        .into_iter()
        .filter(|n| n.starts_with("init-"))
        .collect();
    assert_eq!(init.len(), 1);
    assert_eq!(r.rvol_ok(&["rmi", "a:2"]), "Untagged: a:2\n");
    let out = r.rvol_ok(&["rmi", "-f", "a:1"]);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(layer.is_dir(), "the stopped container's layer went");
    assert!(r.path().join("layers").join(&init[0]).is_dir());
    assert_eq!(r.rvol_ok(&["images", "-q"]), "");
    r.rvol_ok(&["start", "-a", "held"]);
    // The container goes: the next collection takes its layers.
    r.rvol_ok(&["rm", "held"]);
    image_prune_ok(&r, &["-f"]);
    let left = layer_names(&r.path());
    assert!(
        left.iter()
            .all(|n| n.starts_with('.') && !n.starts_with(".rm-")),
        "{left:?}"
    );
    assert_eq!(blob_count(&r.path()), 0);
}

/// `rvol commit` of a created container of `base`: an image sharing its layer.
fn image_over(r: &TestRoot, keeper: &str, name: &str) {
    r.rvol_ok(&["commit", keeper, name]);
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn sixteen_runs_while_rmi_and_prune_collect_images_sharing_their_layer() {
    let r = TestRoot::new("store-race");
    r.import_busybox("base:1");
    // A created container keeps base from `image prune -a`, and is the
    // parent of the images the collector removes.
    let keeper = r.rvol_ok(&["create", "base:1", "true"]).trim().to_string();
    r.rvol_ok(&["run", "--rm", "base:1", "true"]);
    let hex: Vec<String> = layer_names(&r.path())
        .into_iter()
        .filter(|n| is_hex64(n))
        .collect();
    assert_eq!(hex.len(), 1);
    let layer = r.path().join("layers").join(&hex[0]);
    let ino = std::fs::metadata(&layer).unwrap().ino();

    let stop = std::sync::atomic::AtomicBool::new(false);
    let rounds = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        let collector = s.spawn(|| {
            let mut i: usize = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let n = format!("other:{i}");
                image_over(&r, &keeper, &n);
                r.rvol_ok(&["run", "--rm", &n, "true"]);
                if i.is_multiple_of(2) {
                    r.rvol_ok(&["rmi", &n]);
                } else {
                    image_prune_ok(&r, &["-a", "-f"]);
                }
                i += 1;
                rounds.store(i, std::sync::atomic::Ordering::Relaxed);
            }
        });
        let runs: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    for _ in 0..3 {
                        let o = r.rvol_run(&["run", "--rm", "base:1", "cat", "/etc/passwd"]);
                        assert!(o.status.success(), "a run failed: {}", stderr(&o));
                        assert!(stdout(&o).starts_with("root:"));
                    }
                })
            })
            .collect();
        for t in runs {
            t.join().unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        collector.join().unwrap();
    });
    assert!(rounds.into_inner() >= 1);
    assert_eq!(
        std::fs::metadata(&layer).unwrap().ino(),
        ino,
        "base's layer was replaced"
    );
    let left: Vec<String> = layer_names(&r.path())
        .into_iter()
        .filter(|n| is_hex64(n))
        .collect();
    assert_eq!(left, hex, "only base's layer is left");
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn kill9_of_rmi_and_prune_leaves_a_store_every_verb_reads() {
    let r = TestRoot::new("store-kill");
    r.import_busybox("base:1");
    let keeper = r.rvol_ok(&["create", "base:1", "true"]).trim().to_string();
    // A victim: two layers unpacked (base's and its own), three blobs of its own.
    let victim = |n: &str| {
        image_over(&r, &keeper, n);
        r.rvol_ok(&["run", "--rm", n, "true"]);
    };
    victim("v:0");
    let t0 = Instant::now();
    r.rvol_ok(&["rmi", "v:0"]);
    let span = t0.elapsed().mul_f64(1.5).max(Duration::from_millis(5));
    let mut kills = h::Kills::new(12, 4, span);
    while let Some(d) = kills.next_delay() {
        let i = kills.tries;
        let n = format!("v:{}", i + 1);
        victim(&n);
        let mut c = if i.is_multiple_of(2) {
            r.rvol(&["rmi", &n])
        } else {
            image_prune(&r, &["-a", "-f"])
        };
        c.stdout(Stdio::null()).stderr(Stdio::null());
        // The script execs rvol-commit: the kill hits the collector itself
        // once it runs.
        let (hit, _) = kill_after(&mut c, d);
        kills.record(hit);
        // Every verb still reads the store.
        let images = r.rvol_ok(&["images"]);
        assert!(images.contains("base"), "delay {d:?}: {images}");
        let o = r.rvol_run(&["run", "--rm", "base:1", "true"]);
        assert!(o.status.success(), "delay {d:?}: {}", stderr(&o));
        // What the kill left is removed by the next rmi (or is gone already).
        let o = r.rvol_run(&["rmi", &n]);
        assert!(
            o.status.success() || stderr(&o).contains("No such image"),
            "delay {d:?}: {}",
            stderr(&o)
        );
        // The next collection sweeps what a killed one left half done.
        image_prune_ok(&r, &["-f"]);
        let left = layer_names(&r.path());
        assert!(
            !left
                .iter()
                .any(|n| n.starts_with(".rm-") || n.starts_with(".tmp-")),
            "delay {d:?}: {left:?}"
        );
        assert_eq!(
            left.iter().filter(|n| is_hex64(n)).count(),
            1,
            "delay {d:?}: {left:?}"
        );
    }
    eprintln!(
        "FIGURE kill9 rmi/prune: {} kills hit of {} tries (delays 0..{span:?})",
        kills.hits, kills.tries
    );
    assert!(
        kills.enough(),
        "too few kills hit: {} of {}",
        kills.hits,
        kills.tries
    );
    assert_eq!(r.rvol_ok(&["images", "-q"]).lines().count(), 1);
}

#[test]
#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]
fn a_run_racing_the_removal_of_its_own_image_finds_it_whole_or_not_at_all() {
    // The layers here are live through nothing but the image being run:
    // the collector may take them only before the run has chosen them
    // (the run then finds no image) or after the container names them
    // (they stay). A run that found the image and then lost a layer
    // would fail on a missing lowerdir.
    let r = TestRoot::new("store-own");
    r.import_busybox("base:1");
    let keeper = r
        .rvol_ok(&["create", "base:1", "sh", "-c", "true"])
        .trim()
        .to_string();
    let mut ran = 0;
    for i in 0..12 {
        let n = format!("own:{i}");
        image_over(&r, &keeper, &n);
        let mut run = r.rvol(&["run", "--rm", &n, "true"]);
        run.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = run.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(i * 3));
        let rmi = r.rvol_run(&["rmi", "-f", &n]);
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        if o.status.success() {
            ran += 1;
        } else {
            assert!(
                err.contains("Unable to find image") || err.contains("No such image"),
                "round {i}: the run lost its image halfway: {err}"
            );
        }
        let _ = rmi;
        // Whatever the order, the next collection leaves only base's layer.
        image_prune_ok(&r, &["-f"]);
        let hex = layer_names(&r.path())
            .into_iter()
            .filter(|n| is_hex64(n))
            .count();
        assert_eq!(hex, 1, "round {i}");
    }
    eprintln!("FIGURE own-image race: {ran} of 12 runs won");
}

/// A name taken by a new image (a re-import here; commit, load and tag do
/// the same) leaves the old image in the store without a name, as docker
/// does: it is dangling, `inspect` still finds it by id with no RepoTags,
/// and `image prune` removes it.
#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and dockerd"
)]
fn a_name_taken_by_a_new_image_leaves_the_old_one_dangling() {
    let r = TestRoot::new("store-dangle");
    let mut d = DockerObjects::new();
    let name = d.import_busybox(&r.tmp);
    r.import_busybox(&name);
    let (rold, dold) = (rvol_id(&r, &name), docker_id(&name));
    // The same rootfs plus one file, imported under the same name.
    let tree = r.tmp.join("busybox-rootfs");
    std::fs::write(tree.join("second"), "2\n").unwrap();
    let tar = r.tmp.join("second.tar");
    std::fs::write(&tar, rvol_tests::image::tar_dir(&tree)).unwrap();
    r.rvol_ok(&["import", tar.to_str().unwrap(), &name]);
    rvol_tests::ok(Command::new("docker").arg("import").arg(&tar).arg(&name));
    d.images.push(dold.clone());
    assert_ne!(rvol_id(&r, &name), rold, "the name moved");
    let tags = "{{json .RepoTags}}";
    let rv = r.rvol_ok(&["inspect", "--format", tags, &rold]);
    let dv = stdout(&docker(&["inspect", "--format", tags, &dold]));
    assert_eq!(rv, dv, "the old image's names (rvol left, docker right)");
    assert_eq!(rv.trim(), "[]");
    let listed = r.rvol_ok(&["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]);
    assert!(
        listed.contains(&format!("<none>:<none> {}", &rold[7..19])),
        "the old image is listed as <none>: {listed}"
    );
    let pruned = image_prune_ok(&r, &["-f"]);
    assert!(pruned.contains(&format!("deleted: {rold}")), "{pruned}");
    let o = r.rvol_run(&["inspect", "--format", "{{.Id}}", &rold]);
    assert_ne!(
        o.status.code(),
        Some(0),
        "the old image is gone after the prune"
    );
    assert_eq!(rvol_id(&r, &name).len(), 71, "the name still resolves");
}
