//! A container's records, read from its bundle on demand: the spec
//! (`config.json`) once, when something asks for it, its annotations
//! through [`crate::annotation`], and the state (`state.json`) as it is
//! now, under the one "is it running" rule ([`crate::process::runs`]).

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::annotation::{self, Annotations};
use crate::record::State;
use crate::root::Bundle;
use crate::{fsx, Result, ResultExt, Root};

pub struct Container {
    dir: PathBuf,
    spec: OnceCell<Value>,
}

impl Container {
    /// Nothing is read yet.
    pub fn at(dir: PathBuf) -> Container {
        Container {
            dir,
            spec: OnceCell::new(),
        }
    }

    pub fn open(root: &Root, id: &str) -> Container {
        Container::at(root.container(id))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn paths(&self) -> Bundle<'_> {
        Bundle(&self.dir)
    }

    /// `config.json`, parsed on first use.
    pub fn spec(&self) -> Result<&Value> {
        if let Some(s) = self.spec.get() {
            return Ok(s);
        }
        let s = fsx::read_json(&self.paths().config())?;
        Ok(self.spec.get_or_init(|| s))
    }

    pub fn annotations(&self) -> Result<Annotations<'_, Value>> {
        Ok(annotation::of(self.spec()?))
    }

    /// The id: the annotation, else the bundle directory's name.
    pub fn id(&self) -> Result<String> {
        Ok(match self.annotations()?.id() {
            Some(id) => id.to_string(),
            None => self.paths().id(),
        })
    }

    /// `process.args`.
    pub fn args(&self) -> Result<Vec<String>> {
        Ok(self
            .spec()?
            .pointer("/process/args")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `state.json` as docker would show it now: `created` when there is
    /// none yet, and `dead` when it says `running` but its process is not
    /// (rvol-ns, which records the exit, died first: kill -9, a reboot),
    /// docker's word for a container whose exit status is unknown.
    pub fn state(&self) -> Result<State> {
        let path = self.paths().state();
        let s = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<State>(&bytes)
                .with_ctx(|| format!("parse {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(e).with_ctx(|| format!("read {}", path.display())),
        };
        Ok(settle(s, &path))
    }
}

fn settle(mut s: State, record: &Path) -> State {
    if s.running && !crate::process::runs(s.pid, record) {
        s.status = "dead".into();
        s.running = false;
        s.dead = true;
        s.pid = 0;
    }
    s
}
