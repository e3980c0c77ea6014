//! A value as a template sees it: docker's JSON, and the key it sat under.
//! JSON has lost docker's Go types, so the key stands for them (as far as
//! printing, truth and missing keys care): `Labels` is a map, `Env` a slice.

use serde_json::Value;

/// Docker fields that are Go maps (printed `map[k:v]`, missing keys are "").
const MAP_KEYS: &[&str] = &[
    "Labels",
    "Volumes",
    "Tmpfs",
    "Options",
    "Data",
    "ExposedPorts",
    "PortBindings",
    "Ports",
    "Networks",
    "Sysctls",
    "StorageOpt",
];
/// Docker fields that are Go slices (a nil one prints `[]`).
const SLICE_KEYS: &[&str] = &[
    "Env",
    "Cmd",
    "Entrypoint",
    "Binds",
    "VolumesFrom",
    "OnBuild",
    "Args",
    "Mounts",
    "RepoTags",
    "RepoDigests",
    "Layers",
    "CapAdd",
    "CapDrop",
    "Dns",
    "DnsOptions",
    "DnsSearch",
    "ExtraHosts",
    "GroupAdd",
    "Links",
    "SecurityOpt",
    "MaskedPaths",
    "ReadonlyPaths",
    "Shell",
    "ExecIDs",
    "ConsoleSize",
];

/// Docker struct fields that are `omitempty`: absent from inspect's JSON
/// when empty, but a template reads the Go struct, where they hold their
/// zero value. `Mounts` entries: docker's MountPoint (`.Mounts`) and
/// mount.Mount (`.HostConfig.Mounts`).
pub(super) fn omitted_field(hint: &str, field: &str) -> Option<Value> {
    Some(match (hint, field) {
        ("HostConfig", "Tmpfs" | "Mounts") => Value::Null,
        ("Mounts", "Name" | "Driver" | "Source" | "Consistency") => Value::String(String::new()),
        ("Mounts", "ReadOnly") => Value::Bool(false),
        ("Mounts", "BindOptions" | "VolumeOptions" | "TmpfsOptions") => Value::Null,
        _ => return None,
    })
}

pub(super) fn is_map(hint: &str) -> bool {
    MAP_KEYS.contains(&hint)
}
pub(super) fn is_slice(hint: &str) -> bool {
    SLICE_KEYS.contains(&hint)
}

/// A value and the key it came from (its Go type, as far as printing cares).
#[derive(Clone, Debug)]
pub(super) struct Val {
    pub(super) v: Value,
    pub(super) hint: String,
}

impl Val {
    pub(super) fn new(v: Value, hint: &str) -> Val {
        Val {
            v,
            hint: hint.to_string(),
        }
    }
    pub(super) fn plain(v: Value) -> Val {
        Val::new(v, "")
    }
    pub(super) fn nil() -> Val {
        Val::plain(Value::Null)
    }
    /// What Go gives for a key a map lacks (or any key of a nil map): the
    /// zero value of docker's map[string]string, "".
    pub(super) fn missing_key() -> Val {
        Val::plain(Value::String(String::new()))
    }
}

/// Go's truth (text/template's `IsTrue`): the zero value and empty
/// collections are false.
pub(super) fn truthy(v: &Val) -> bool {
    match &v.v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().unwrap_or(0.0) != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        // a struct is always true; a map when it has entries
        Value::Object(o) => !is_map(&v.hint) || !o.is_empty(),
    }
}

/// The Go type an error names (`can't index item of type int`).
pub(super) fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// A number constant of the template: an int when it is whole (as Go's
/// untyped constant becomes one), else a float.
pub(super) fn num(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}
