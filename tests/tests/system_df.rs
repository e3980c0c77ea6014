//! `rvol system df`: the four rows, and volume sizes and links as docker
//! counts them (files, symlinks by their own length, a hard-linked inode
//! once) for the same content in a docker volume and an rvol one.

use std::os::unix::fs::symlink;
use std::path::Path;

use rvol_tests::docker::{docker_ok, DockerObjects};
use rvol_tests::{fresh, TestRoot};
use serde_json::Value;

fn fill(d: &Path) {
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("a"), vec![b'a'; 1500]).unwrap();
    std::fs::write(d.join("sub/b"), vec![b'b'; 123_456]).unwrap();
    std::fs::hard_link(d.join("sub/b"), d.join("b2")).unwrap();
    symlink("sub/b-target-name", d.join("l")).unwrap();
}

#[test]
#[cfg_attr(
    not(all(rvol_have_host, rvol_have_docker)),
    ignore = "needs root, overlayfs and a Docker daemon"
)]
fn volume_sizes_match_docker() {
    let r = TestRoot::new("sysdf");
    r.import_busybox("bb:1");
    let mut junk = DockerObjects::new();
    let bb = junk.import_busybox(&r.tmp);
    let (dv, dv0) = (fresh("dfv"), fresh("dfv0"));
    for v in [&dv, &dv0] {
        docker_ok(&["volume", "create", v]);
        junk.volumes.push(v.clone());
    }
    let mp = docker_ok(&["volume", "inspect", "-f", "{{.Mountpoint}}", &dv]);
    fill(Path::new(mp.trim()));
    let dc = fresh("dfc");
    docker_ok(&[
        "create",
        "--name",
        &dc,
        "-v",
        &format!("{dv}:/data"),
        &bb,
        "true",
    ]);
    junk.containers.push(dc);
    r.rvol_ok(&["volume", "create", "full"]);
    r.rvol_ok(&["volume", "create", "empty"]);
    fill(&r.path().join("volumes/full/_data"));
    r.rvol_ok(&[
        "create",
        "--name",
        "dfc1",
        "-v",
        "full:/data",
        "bb:1",
        "true",
    ]);

    let d: Value = serde_json::from_str(&docker_ok(&[
        "system",
        "df",
        "-v",
        "--format",
        "{{json .}}",
    ]))
    .unwrap();
    let o: Value =
        serde_json::from_str(&r.rvol_ok(&["system", "df", "-v", "--format", "json"])).unwrap();
    let vol = |v: &Value, name: &str| -> (String, String) {
        let x = v["Volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["Name"] == name)
            .unwrap()
            .clone();
        (
            x["Size"].as_str().unwrap().to_string(),
            x["Links"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(vol(&o, "full"), vol(&d, &dv));
    assert_eq!(vol(&o, "empty"), vol(&d, &dv0));
    // The summary: docker's columns and rows.
    let t = r.rvol_ok(&["system", "df"]);
    let lines: Vec<&str> = t.lines().collect();
    assert!(
        lines[0].starts_with("TYPE ") && lines[0].ends_with("RECLAIMABLE"),
        "{t}"
    );
    let vline = lines
        .iter()
        .find(|l| l.starts_with("Local Volumes"))
        .unwrap();
    let cols: Vec<&str> = vline.split_whitespace().collect();
    // Local Volumes  2  1  SIZE  0B (0%): the empty one is the reclaimable part.
    assert_eq!(&cols[2..4], ["2", "1"], "{t}");
    assert_eq!(cols[4], vol(&o, "full").0);
    assert_eq!(
        lines[4].split_whitespace().collect::<Vec<_>>(),
        ["Build", "Cache", "0", "0", "0B", "0B"]
    );
    let f = r.rvol_ok(&["system", "df", "--format", "{{.Type}}:{{.TotalCount}}"]);
    assert_eq!(
        f,
        "Images:1\nContainers:1\nLocal Volumes:2\nBuild Cache:0\n"
    );
}
