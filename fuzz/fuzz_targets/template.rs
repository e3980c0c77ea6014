//! The Go-template subset of `--format`: any template parses or is refused,
//! and runs over an inspect-shaped object without a panic (or a hang).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rvol_inspect::template::Template;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let Ok(t) = Template::parse(s) else { return };
    let v = serde_json::json!({
        "Id": "0123456789abcdef", "Name": "/web", "RestartCount": 0,
        "State": {"Status": "running", "Running": true, "Pid": 42, "ExitCode": 0},
        "Mounts": [{"Type": "volume", "Name": "v", "Source": "/s", "Destination": "/d", "RW": true},
                   {"Type": "bind", "Source": "/h", "Destination": "/b", "RW": false}],
        "Config": {"Env": ["A=1", "B=2"], "Labels": {"k": "v"}, "Volumes": {"/d": {}}, "Cmd": null},
        "HostConfig": {"Tmpfs": {"/t": "size=1m"}, "Binds": ["/h:/b:ro"]},
    });
    let _ = t.execute(&v);
});
