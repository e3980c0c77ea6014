//! Containers made by hand for rvol-ns/rvol-exec tests, and a probe: a
//! busybox shell script that reports, one `key<TAB>value` line per fact,
//! what a process sees from inside a container (PID, hostname, network
//! interfaces, capabilities, user, groups, cwd, env, /dev, the kernel
//! file system mounts). Run under rvol and under docker, the reports are
//! compared fact by fact.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::{bin, TempDir};

/// Prints facts as `key<TAB>value` (values on one line; lists joined by ` `
/// or `;`). Mounts are the kernel file systems only (proc, sysfs, /dev,
/// the masks): the root and user mounts differ by design.
pub const PROBE: &str = r#"
f() { printf '%s\t%s\n' "$1" "$2"; }
f pid "$$"
f hostname "$(hostname)"
f net "$(ls /sys/class/net | tr '\n' ' ')"
f lo_flags "$(cat /sys/class/net/lo/flags)"
for k in CapInh CapPrm CapEff CapBnd CapAmb Groups SigBlk SigIgn NoNewPrivs; do
  f "$k" "$(grep "^$k:" /proc/self/status | cut -f2 | sed 's/ *$//')"
done
f pgrp_session "$(cut -d' ' -f5,6 /proc/$$/stat)"
f uid "$(id -u)"
f gid "$(id -g)"
f groups "$(id -G)"
f cwd "$(pwd)"
f umask "$(umask)"
f env "$(env | grep -v -e '^PWD=' -e '^SHLVL=' | sort | tr '\n' ';')"
f dev "$(for x in /dev/*; do stat -c '%n %A %u:%g %t:%T' "$x"; done | tr '\n' ';')"
f dev_links "$(for x in fd stdin stdout stderr ptmx; do printf '%s->%s ' $x "$(readlink /dev/$x)"; done)"
f mounts "$(grep -E ' /(proc|dev|sys)(/| )' /proc/mounts | grep -v ' /sys/fs/cgroup' | cut -d' ' -f1-4 | sort | tr '\n' ';')"
"#;

/// More facts, for containers made by the whole chain (rvol-mount create
/// and apply): the /etc files docker writes, a `/data` volume mounted
/// read-only, a `/run` tmpfs, a read-only root, and what writing and
/// remounting them does.
pub const PROBE_MOUNTS: &str = r#"
f etc_hostname "$(cat /etc/hostname)"
f etc_hosts "$(tr '\n' ';' </etc/hosts)"
f data_mount "$(grep ' /data ' /proc/mounts | cut -d' ' -f2-4)"
f run_mount "$(grep ' /run ' /proc/mounts | cut -d' ' -f1-4)"
f root_mode "$(grep ' / ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1)"
f data_read "$(cat /data/f)"
f remount_data "$(mount -o remount,rw /data 2>/dev/null; echo $?)"
f remount_root "$(mount -o remount,rw / 2>/dev/null; echo $?)"
f write_data "$(touch /data/probe 2>&1; echo $?)"
f write_root "$(touch /probe 2>&1; echo $?)"
f write_run "$(touch /run/probe 2>&1; echo $?)"
"#;

/// Parse a probe report into its facts.
pub fn facts(out: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A bundle made by hand (no rvol-mount): `config.json` and a plain
/// busybox rootfs directory. `patch` is merged into the default spec
/// (objects key by key, anything else replaced).
pub fn bundle(dir: &Path, patch: serde_json::Value) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    crate::image::busybox_rootfs(&dir.join("rootfs"));
    let mut spec = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {
            "args": ["sh"],
            "env": [format!("PATH={DEFAULT_PATH}")],
            "cwd": "/",
            "user": {"uid": 0, "gid": 0},
        },
        "root": {"path": "rootfs", "readonly": false},
        "hostname": "rvoltest",
        "linux": {"namespaces": [
            {"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "network"}
        ]},
    });
    merge(&mut spec, patch);
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec_pretty(&spec).unwrap(),
    )
    .unwrap();
    dir.to_path_buf()
}

fn merge(a: &mut serde_json::Value, b: serde_json::Value) {
    match (a, b) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(serde_json::Value::Null), v);
            }
        }
        (a, b) => *a = b,
    }
}

/// `rvol-ns --bundle B -- rvol-exec --bundle B [-- CMD...]`.
pub fn chain(bundle: &Path, cmd: &[&str]) -> Command {
    let mut c = Command::new(bin("rvol-ns"));
    c.arg("--bundle").arg(bundle).arg("--");
    c.arg(bin("rvol-exec")).arg("--bundle").arg(bundle);
    if !cmd.is_empty() {
        c.arg("--").args(cmd);
    }
    c
}

/// The probe in a hand-made container.
pub fn probe_rvol(tmp: &TempDir, name: &str, patch: serde_json::Value) -> Output {
    let b = bundle(&tmp.join(name), patch);
    crate::run(&mut chain(&b, &["sh", "-c", PROBE]))
}
