//! The functions a template can call: text/template's builtins (index,
//! len, print, printf, println, eq, ne, lt, le, gt, ge, and, or, not) and
//! the ones docker adds (json, join, split, lower, upper, title, truncate,
//! pad). Errors are the text Go puts after `error calling F: `.

use super::format::{as_str, go_fmt, go_print, sprintf};
use super::value::{go_type, truthy, Val};
use serde_json::Value;

const FUNCS: &[&str] = &[
    "index", "len", "json", "printf", "print", "println", "eq", "ne", "lt", "le", "gt", "ge",
    "and", "or", "not", "join", "split", "lower", "upper", "title", "truncate", "pad",
];

/// Whether a name is a function: any other word is refused when parsing.
pub(super) fn is_defined(name: &str) -> bool {
    FUNCS.contains(&name)
}

fn as_f64(v: &Val) -> Option<f64> {
    v.v.as_f64()
}

fn equal(a: &Val, b: &Val) -> bool {
    match (&a.v, &b.v) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (x, y) => x == y,
    }
}

/// `and` and `or`: the first argument whose truth is `stop_at`, else the
/// last (nil when there is none).
fn first_or_last(args: &[Val], stop_at: bool) -> Val {
    args.iter()
        .find(|a| truthy(a) == stop_at)
        .or(args.last())
        .cloned()
        .unwrap_or_else(Val::nil)
}

pub(super) fn call(f: &str, args: Vec<Val>) -> Result<Val, String> {
    let want = |n: usize| -> Result<(), String> {
        if args.len() != n {
            Err(format!(
                "wrong number of args for {f}: want {n} got {}",
                args.len()
            ))
        } else {
            Ok(())
        }
    };
    let s = |v: Value| Ok(Val::plain(v));
    match f {
        "json" => {
            want(1)?;
            s(Value::String(
                serde_json::to_string(&args[0].v).unwrap_or_default(),
            ))
        }
        "len" => {
            want(1)?;
            let n = match &args[0].v {
                Value::String(x) => x.len(),
                Value::Array(a) => a.len(),
                Value::Object(o) => o.len(),
                Value::Null => 0,
                other => return Err(format!("len of type {}", go_type(other))),
            };
            s(n.into())
        }
        "index" => {
            if args.is_empty() {
                return Err("wrong number of args for index: want at least 1 got 0".into());
            }
            let mut cur = args[0].clone();
            for k in &args[1..] {
                cur = match (&cur.v, &k.v) {
                    (Value::Array(a), Value::Number(n)) => {
                        let i = n.as_i64().unwrap_or(-1);
                        if i < 0 || i as usize >= a.len() {
                            return Err(format!("index out of range: {i}"));
                        }
                        Val::new(a[i as usize].clone(), &cur.hint)
                    }
                    (Value::Object(o), Value::String(key)) => match o.get(key) {
                        Some(x) => Val::new(x.clone(), key),
                        None => Val::missing_key(),
                    },
                    (Value::Null, _) => Val::missing_key(),
                    (other, _) => {
                        return Err(format!("can't index item of type {}", go_type(other)))
                    }
                };
            }
            Ok(cur)
        }
        "print" => {
            // fmt.Sprint: a space between operands when neither is a string
            let mut out = String::new();
            for (i, a) in args.iter().enumerate() {
                if i > 0 && !a.v.is_string() && !args[i - 1].v.is_string() {
                    out.push(' ');
                }
                out.push_str(&go_print(a));
            }
            s(Value::String(out))
        }
        "println" => {
            let parts: Vec<String> = args.iter().map(go_print).collect();
            s(Value::String(format!("{}\n", parts.join(" "))))
        }
        "printf" => {
            if args.is_empty() {
                return Err("wrong number of args for printf: want at least 1 got 0".into());
            }
            s(Value::String(sprintf(&as_str(&args[0]), &args[1..])))
        }
        "eq" => {
            if args.len() < 2 {
                return Err("missing argument for comparison".into());
            }
            s(Value::Bool(args[1..].iter().any(|b| equal(&args[0], b))))
        }
        "ne" => {
            want(2)?;
            s(Value::Bool(!equal(&args[0], &args[1])))
        }
        "lt" | "le" | "gt" | "ge" => {
            want(2)?;
            let ord = match (as_f64(&args[0]), as_f64(&args[1])) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => Some(as_str(&args[0]).cmp(&as_str(&args[1]))),
            }
            .ok_or("incompatible types for comparison")?;
            use std::cmp::Ordering::*;
            let r = match f {
                "lt" => ord == Less,
                "le" => ord != Greater,
                "gt" => ord == Greater,
                _ => ord != Less,
            };
            s(Value::Bool(r))
        }
        "and" => Ok(first_or_last(&args, false)),
        "or" => Ok(first_or_last(&args, true)),
        "not" => {
            want(1)?;
            s(Value::Bool(!truthy(&args[0])))
        }
        "join" => {
            want(2)?;
            let items: Vec<String> = match &args[0].v {
                Value::Array(a) => a.iter().map(|x| go_fmt(x, "")).collect(),
                Value::Null => Vec::new(),
                other => return Err(format!("join of type {}", go_type(other))),
            };
            s(Value::String(items.join(&as_str(&args[1]))))
        }
        "split" => {
            want(2)?;
            let parts: Vec<Value> = as_str(&args[0])
                .split(as_str(&args[1]).as_str())
                .map(|x| Value::String(x.to_string()))
                .collect();
            s(Value::Array(parts))
        }
        "lower" => {
            want(1)?;
            s(Value::String(as_str(&args[0]).to_lowercase()))
        }
        "upper" => {
            want(1)?;
            s(Value::String(as_str(&args[0]).to_uppercase()))
        }
        "title" => {
            want(1)?;
            let t: String = as_str(&args[0])
                .split(' ')
                .map(|w| {
                    let mut c = w.chars();
                    match c.next() {
                        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                        None => String::new(),
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            s(Value::String(t))
        }
        "truncate" => {
            want(2)?;
            let n = as_f64(&args[1]).unwrap_or(0.0) as usize;
            s(Value::String(as_str(&args[0]).chars().take(n).collect()))
        }
        "pad" => {
            want(3)?;
            let l = " ".repeat(as_f64(&args[1]).unwrap_or(0.0) as usize);
            let r = " ".repeat(as_f64(&args[2]).unwrap_or(0.0) as usize);
            s(Value::String(format!("{l}{}{r}", as_str(&args[0]))))
        }
        other => Err(format!("function \"{other}\" not defined")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_data::{data, run};
    use super::*;

    #[test]
    fn json_range_index_if() {
        let d = data();
        assert_eq!(run("{{json .Config.Env}}", &d), r#"["A=1","B=2"]"#);
        assert_eq!(run("{{json .Config.Volumes}}", &d), "null");
        assert_eq!(
            run(
                r#"{{index .Config.Labels "k"}}|{{index .Config.Labels "z"}}|"#,
                &d
            ),
            "v||"
        );
        assert_eq!(run("{{join .Config.Env \",\"}}", &d), "A=1,B=2");
    }

    /// The parser admits exactly the names `call` serves.
    #[test]
    fn every_defined_name_is_served() {
        for f in FUNCS {
            if let Err(e) = call(f, Vec::new()) {
                assert!(!e.contains("not defined"), "{f}: {e}");
            }
        }
    }
}
