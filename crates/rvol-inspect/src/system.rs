//! `rvol-inspect info` and `rvol-inspect version` (`rvol info`, `rvol
//! version`): docker's layouts and `--format` fields. rvol has no daemon:
//! what docker's Server section tells of the daemon is told here of the
//! state root (counts by state, images, the overlay2 driver, the root dir),
//! and `version` has a Client section only; its Server is null.

use rvol_state::{Result, Root};
use serde_json::{json, Map, Value};

use crate::template::Template;

pub struct SystemArgs {
    pub root: Root,
    pub format: Option<String>,
}

/// Docker's status for a template that does not parse.
const EXIT_BAD_TEMPLATE: i32 = 64;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Docker's `units.BytesSize`: binary units, four significant digits.
fn bytes_size(n: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut size = n as f64;
    let mut i = 0;
    while size >= 1024.0 && i + 1 < UNITS.len() {
        size /= 1024.0;
        i += 1;
    }
    format!("{}{}", crate::table::go_g(size, 4), UNITS[i])
}

fn first_line(path: &str) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.lines().next().map(str::trim).map(String::from))
        .unwrap_or_default()
}

fn os_name() -> String {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| "Linux".into())
}

fn mem_total() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// docker's `types.Info` fields rvol can fill honestly.
fn info_value(root: &Root) -> Result<Value> {
    let cs = crate::container::all(root)?;
    let running = cs.iter().filter(|c| c.state.running).count();
    let images = crate::image::all(root)?.len();
    let ncpu = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut m = Map::new();
    m.insert("Containers".into(), json!(cs.len()));
    m.insert("ContainersRunning".into(), json!(running));
    // rvol has no pause
    m.insert("ContainersPaused".into(), json!(0));
    m.insert("ContainersStopped".into(), json!(cs.len() - running));
    m.insert("Images".into(), json!(images));
    m.insert("Driver".into(), json!("overlay2"));
    m.insert("DriverStatus".into(), json!([]));
    m.insert(
        "KernelVersion".into(),
        json!(first_line("/proc/sys/kernel/osrelease")),
    );
    m.insert("OperatingSystem".into(), json!(os_name()));
    m.insert("OSType".into(), json!("linux"));
    m.insert("Architecture".into(), json!(std::env::consts::ARCH));
    m.insert("NCPU".into(), json!(ncpu));
    m.insert("MemTotal".into(), json!(mem_total()));
    m.insert("DockerRootDir".into(), json!(root.path.to_string_lossy()));
    m.insert("Debug".into(), json!(false));
    m.insert(
        "Name".into(),
        json!(first_line("/proc/sys/kernel/hostname")),
    );
    m.insert("ServerVersion".into(), json!(VERSION));
    m.insert(
        "ClientInfo".into(),
        json!({"Version": VERSION, "Context": "default", "Debug": false}),
    );
    Ok(Value::Object(m))
}

fn info_text(v: &Value) -> String {
    let s = |k: &str| match &v[k] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!(
        "Client:\n Version:    {VERSION}\n Context:    default\n Debug Mode: false\n\n\
         Server:\n Containers: {}\n  Running: {}\n  Paused: {}\n  Stopped: {}\n Images: {}\n \
         Server Version: {} (rvol: no daemon, the state root below)\n Storage Driver: overlay2\n \
         Kernel Version: {}\n Operating System: {}\n OSType: linux\n Architecture: {}\n \
         CPUs: {}\n Total Memory: {}\n Name: {}\n Docker Root Dir: {}\n Debug Mode: false\n",
        s("Containers"),
        s("ContainersRunning"),
        s("ContainersPaused"),
        s("ContainersStopped"),
        s("Images"),
        s("ServerVersion"),
        s("KernelVersion"),
        s("OperatingSystem"),
        s("Architecture"),
        s("NCPU"),
        bytes_size(v["MemTotal"].as_u64().unwrap_or(0)),
        s("Name"),
        s("DockerRootDir"),
    )
}

fn version_value() -> Value {
    json!({
        "Client": {
            "Version": VERSION,
            "Os": "linux",
            "Arch": rvol_state::store::go_arch(),
            "Context": "default",
        },
        "Server": null,
    })
}

fn version_text() -> String {
    format!(
        "Client:\n Version:           {VERSION}\n OS/Arch:           linux/{}\n Context:           default\n\n\
         Server: none (rvol has no daemon: each command runs the tools on the state root)\n",
        rvol_state::store::go_arch()
    )
}

/// Print `v` through `--format`, else `text`; docker's statuses for a
/// template that does not parse (64) or fails (1).
/// `name`: the template's, in its errors (docker's CLI names version's
/// `version`, info's nothing).
fn show(format: Option<&str>, name: &str, v: &Value, text: impl FnOnce() -> String) -> i32 {
    let t = match format {
        None | Some("") => {
            print!("{}", text());
            return 0;
        }
        Some("json") => {
            println!("{v}");
            return 0;
        }
        Some(f) => match Template::parse(f) {
            Ok(t) => t,
            Err(e) => {
                let e = e.replacen("template: :", &format!("template: {name}:"), 1);
                eprintln!("template parsing error: {e}");
                return EXIT_BAD_TEMPLATE;
            }
        },
    };
    match t.execute(v) {
        Ok(s) => {
            println!("{s}");
            0
        }
        Err(e) => {
            eprintln!("template parsing error: {e}");
            1
        }
    }
}

pub fn info(a: &SystemArgs) -> Result<i32> {
    let v = info_value(&a.root)?;
    Ok(show(a.format.as_deref(), "", &v, || info_text(&v)))
}

pub fn version(a: &SystemArgs) -> Result<i32> {
    let v = version_value();
    Ok(show(a.format.as_deref(), "version", &v, version_text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_as_dockers() {
        assert_eq!(bytes_size(0), "0B");
        assert_eq!(bytes_size(1023), "1023B");
        assert_eq!(bytes_size(25_275_518_976), "23.54GiB");
    }

    #[test]
    fn version_has_no_server() {
        let v = version_value();
        assert!(v["Server"].is_null());
        assert_eq!(v["Client"]["Version"], VERSION);
    }
}
