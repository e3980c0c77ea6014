//! The `org.rvol.*` annotations of a spec, decoded one at a time: each
//! reader parses only the key it is asked for, so the tools on the start
//! path (rvol-mount apply, rvol-exec) pay for what they use and no more.
//! Keys and what they hold: [`crate::record::ann`].

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::record::{ann, DockerMount, ImageRecord};
use crate::{Error, Result};

/// Something that holds a spec's annotations: the spec itself as JSON
/// (its `annotations` object), that object, or oci-spec's map.
pub trait Source {
    /// The annotation's string value, as stored.
    fn raw(&self, key: &str) -> Option<&str>;
}

impl Source for Value {
    fn raw(&self, key: &str) -> Option<&str> {
        self.get("annotations")?.get(key)?.as_str()
    }
}

impl Source for Map<String, Value> {
    fn raw(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }
}

impl Source for HashMap<String, String> {
    fn raw(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl<S: Source> Source for Option<S> {
    fn raw(&self, key: &str) -> Option<&str> {
        self.as_ref().and_then(|s| s.raw(key))
    }
}

impl<S: Source + ?Sized> Source for &S {
    fn raw(&self, key: &str) -> Option<&str> {
        (**self).raw(key)
    }
}

/// The typed readers over a [`Source`].
pub struct Annotations<'a, S: ?Sized>(pub &'a S);

pub fn of<S: Source + ?Sized>(s: &S) -> Annotations<'_, S> {
    Annotations(s)
}

impl<S: Source + ?Sized> Annotations<'_, S> {
    pub fn raw(&self, key: &str) -> Option<&str> {
        self.0.raw(key)
    }

    /// A JSON document annotation; absent is `None`, unreadable an error.
    pub fn json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.raw(key) {
            None => Ok(None),
            Some(s) => serde_json::from_str(s)
                .map(Some)
                .map_err(|e| Error::new(format!("annotation {key}: {e}"))),
        }
    }

    /// [`ann::IMAGE`]: which image, its layers.
    pub fn image(&self) -> Result<Option<ImageRecord>> {
        self.json(ann::IMAGE)
    }

    /// [`ann::CONFIG`]: docker's `Config` object, keys as written.
    pub fn config(&self) -> Result<Option<Map<String, Value>>> {
        self.json(ann::CONFIG)
    }

    /// `Config.Hostname` alone, non-empty (rvol-exec's fallback hostname):
    /// the other keys are skipped, not built. An unreadable record has none.
    pub fn config_hostname(&self) -> Option<String> {
        #[derive(Deserialize)]
        struct Only {
            #[serde(rename = "Hostname", default)]
            hostname: Option<String>,
        }
        self.json::<Only>(ann::CONFIG)
            .ok()
            .flatten()
            .and_then(|c| c.hostname)
            .filter(|h| !h.is_empty())
    }

    /// [`ann::HOSTCONFIG`]: docker's `HostConfig` subset, keys as written.
    pub fn hostconfig(&self) -> Result<Option<Map<String, Value>>> {
        self.json(ann::HOSTCONFIG)
    }

    /// `HostConfig.AutoRemove` alone (`--rm`); unreadable is false.
    pub fn auto_remove(&self) -> bool {
        #[derive(Deserialize)]
        struct Only {
            #[serde(rename = "AutoRemove", default)]
            auto_remove: bool,
        }
        self.json::<Only>(ann::HOSTCONFIG)
            .ok()
            .flatten()
            .is_some_and(|h| h.auto_remove)
    }

    /// [`ann::MOUNTS`]: docker's `Mounts`; none recorded is empty.
    pub fn mounts(&self) -> Result<Vec<DockerMount>> {
        Ok(self.json(ann::MOUNTS)?.unwrap_or_default())
    }

    /// [`ann::ID`], a plain string.
    pub fn id(&self) -> Option<&str> {
        self.raw(ann::ID)
    }

    /// [`ann::NAME`], a plain string without the leading `/`.
    pub fn name(&self) -> Option<&str> {
        self.raw(ann::NAME)
    }

    /// [`ann::CREATED`], a plain RFC 3339 string.
    pub fn created(&self) -> Option<&str> {
        self.raw(ann::CREATED)
    }

    /// [`ann::USER`]: a plain string; one written as a JSON string is
    /// taken unquoted.
    pub fn user(&self) -> Option<String> {
        let u = self.raw(ann::USER)?;
        Some(serde_json::from_str::<String>(u).unwrap_or_else(|_| u.to_string()))
    }

    /// [`ann::INIT_LAYER`]: the init layer's directory, a plain string.
    pub fn init_layer(&self) -> Option<&str> {
        self.raw(ann::INIT_LAYER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_key_alone() {
        let spec = json!({"annotations": {
            ann::CONFIG: r#"{"Hostname":"h","Env":["A=1"]}"#,
            ann::HOSTCONFIG: r#"{"NetworkMode":"none","AutoRemove":true}"#,
            ann::NAME: "web",
            ann::USER: "\"1000:1000\"",
            ann::MOUNTS: "not json",
        }});
        let a = of(&spec);
        assert_eq!(a.config_hostname().as_deref(), Some("h"));
        assert!(a.auto_remove());
        assert_eq!(a.name(), Some("web"));
        assert_eq!(a.user().as_deref(), Some("1000:1000"));
        assert_eq!(a.id(), None);
        assert!(a.image().unwrap().is_none());
        let e = a.mounts().unwrap_err();
        assert!(
            e.msg.starts_with("annotation org.rvol.mounts: "),
            "{}",
            e.msg
        );
        let map: HashMap<String, String> = [(ann::USER.to_string(), "nobody".to_string())].into();
        assert_eq!(of(&map).user().as_deref(), Some("nobody"));
        assert_eq!(of(&None::<HashMap<String, String>>).user(), None);
    }
}
