//! The config.json `create` reads on stdin: only keys the OCI runtime spec
//! knows. serde skips unknown keys, so `"root": {"readOnly": true}` (a
//! misspelled `readonly`) would quietly give a writable root; a key that
//! oci-spec does not read back is refused instead.

use oci_spec::runtime::Spec;
use rvol_state::{Error, Result};
use serde_json::Value;

/// Refuse a spec that is not an OCI runtime spec, or that holds a key the
/// spec does not define (a `null` value is let through: it says nothing).
pub fn check(spec: &Value) -> Result<()> {
    let typed: Spec = serde_json::from_value(spec.clone())
        .map_err(|e| Error::new(format!("config.json: not an OCI runtime spec: {e}")))?;
    let back = serde_json::to_value(&typed)
        .map_err(|e| Error::new(format!("config.json: serialize: {e}")))?;
    unknown(spec, &back, "")
}

fn unknown(given: &Value, known: &Value, at: &str) -> Result<()> {
    match (given, known) {
        (Value::Object(g), Value::Object(k)) => {
            for (key, v) in g {
                let here = format!("{at}.{key}");
                match k.get(key) {
                    Some(kv) => unknown(v, kv, &here)?,
                    None if v.is_null() => {}
                    None => {
                        return Err(Error::new(format!(
                            "config.json: unknown field {here} (not in the OCI runtime spec)"
                        )))
                    }
                }
            }
            Ok(())
        }
        (Value::Array(g), Value::Array(k)) if g.len() == k.len() => {
            for (i, (gv, kv)) in g.iter().zip(k).enumerate() {
                unknown(gv, kv, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
