//! How Go's fmt prints docker's values: `Sprint` (what `{{.X}}`, print and
//! println show) and `Sprintf` (printf's verbs).

use super::value::{go_type, is_map, is_slice, Val};
use serde_json::Value;

/// Print as Go's `fmt.Sprint` prints docker's typed value.
pub(super) fn go_print(v: &Val) -> String {
    go_fmt(&v.v, &v.hint)
}

pub(super) fn go_fmt(v: &Value, hint: &str) -> String {
    match v {
        Value::Null if is_map(hint) => "map[]".into(),
        Value::Null if is_slice(hint) => "[]".into(),
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => go_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => s.clone(),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(|x| go_fmt(x, hint)).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(o) if is_map(hint) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_fmt(&o[*k], "")))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        Value::Object(o) => {
            // A docker MountPoint struct has Name and Driver even when the
            // JSON omits them (binds): Go prints them as empty fields.
            if hint == "Mounts" && o.contains_key("Destination") {
                let s = |k: &str| o.get(k).map(|x| go_fmt(x, k)).unwrap_or_default();
                return format!(
                    "{{{} {} {} {} {} {} {} {}}}",
                    s("Type"),
                    s("Name"),
                    s("Source"),
                    s("Destination"),
                    s("Driver"),
                    s("Mode"),
                    s("RW"),
                    s("Propagation")
                );
            }
            let parts: Vec<String> = o.iter().map(|(k, x)| go_fmt(x, k)).collect();
            format!("{{{}}}", parts.join(" "))
        }
    }
}

fn go_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

/// A string as it is, anything else as Go prints it (`%s`).
pub(super) fn as_str(v: &Val) -> String {
    match &v.v {
        Value::String(s) => s.clone(),
        _ => go_print(v),
    }
}

/// `fmt.Sprintf` for the verbs templates use: %s %v %d %q %t %x %%, with
/// `-`, `0` and a width.
pub(super) fn sprintf(fmt: &str, args: &[Val]) -> String {
    let mut out = String::new();
    let mut it = fmt.chars().peekable();
    let mut ai = 0;
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut left = false;
        let mut zero = false;
        while let Some(&f) = it.peek() {
            match f {
                '-' => left = true,
                '0' => zero = true,
                '+' | ' ' | '#' => {}
                _ => break,
            }
            it.next();
        }
        let mut width = 0usize;
        let mut too_large = false;
        while let Some(d) = it.peek().and_then(|c| c.to_digit(10)) {
            // Go's parsenum: past 1e6 the number (and the rest of the
            // format) is dropped; a huge width must not allocate forever.
            if width > 1_000_000 {
                too_large = true;
                break;
            }
            width = width * 10 + d as usize;
            it.next();
        }
        if too_large {
            it.by_ref().for_each(drop);
        }
        let Some(verb) = it.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(a) = args.get(ai) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        ai += 1;
        let s = match verb {
            'q' => crate::table::go_quote(&as_str(a)),
            'x' => match &a.v {
                Value::Number(n) => format!("{:x}", n.as_i64().unwrap_or(0)),
                _ => as_str(a).bytes().map(|b| format!("{b:02x}")).collect(),
            },
            _ => go_print(a),
        };
        let n = s.chars().count();
        if n >= width {
            out.push_str(&s);
        } else if left {
            out.push_str(&s);
            out.push_str(&" ".repeat(width - n));
        } else {
            let pad = if zero && verb == 'd' { "0" } else { " " };
            out.push_str(&pad.repeat(width - n));
            out.push_str(&s);
        }
    }
    if ai < args.len() {
        let extra: Vec<String> = args[ai..]
            .iter()
            .map(|a| format!("{}={}", go_type(&a.v), go_print(a)))
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_data::{data, run};

    #[test]
    fn fields_and_go_printing() {
        let d = data();
        assert_eq!(run("{{.Name}}", &d), "/x");
        assert_eq!(
            run(
                "{{.Config.Labels}} {{.Config.Volumes}} {{.HostConfig.Binds}}",
                &d
            ),
            "map[k:v] map[] []"
        );
        assert_eq!(run("{{.HostConfig.Tmpfs}}", &d), "map[/t:size=1m]");
        assert_eq!(run("{{.State.Running}} {{.State.Pid}}", &d), "false 0");
        assert_eq!(
            run("{{.Mounts}}", &d),
            "[{bind  /h /a   true rprivate} {volume n /s /b local z false }]"
        );
    }

    #[test]
    fn json_range_index_if() {
        let d = data();
        assert_eq!(run("{{printf \"%s-%d\" .Name 3}}", &d), "/x-3");
        assert_eq!(run("{{println .Name}}", &d), "/x\n");
        assert_eq!(run("{{.Name | printf \"%q\"}}", &d), "\"/x\"");
    }
}
