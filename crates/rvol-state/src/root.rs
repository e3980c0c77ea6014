//! The state root and the places under it (DESIGN.md "The state root").
//!
//! ```text
//! images/                 OCI image layout: the local image store
//! layers/<hex>/           one unpacked layer (hex of its diff_id), complete or absent
//! volumes/<name>/_data    a volume's content; volumes/<name>/volume.json its record
//! containers/<id>/        an OCI bundle: config.json, rootfs/, upper/, work/, state.json
//! names/<name>            symlink to the container id: makes a name unique atomically
//! ```

use std::path::{Path, PathBuf};

pub const DEFAULT_ROOT: &str = "/var/lib/rvol";
pub const ROOT_ENV: &str = "RVOL_ROOT";

#[derive(Debug, Clone)]
pub struct Root {
    pub path: PathBuf,
}

impl Root {
    /// `--root DIR`, else `$RVOL_ROOT`, else `/var/lib/rvol` (rootless:
    /// the user's, `rootless::default_root`).
    pub fn resolve(flag: Option<PathBuf>) -> Root {
        let path = flag
            .or_else(|| {
                std::env::var_os(ROOT_ENV)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(crate::rootless::default_root);
        // Absolute, so that paths recorded in bundles stay valid from any cwd.
        let path = if path.is_absolute() {
            path
        } else {
            std::env::current_dir()
                .map(|d| d.join(&path))
                .unwrap_or(path)
        };
        Root { path }
    }

    pub fn images(&self) -> PathBuf {
        self.path.join("images")
    }
    pub fn layers(&self) -> PathBuf {
        self.path.join("layers")
    }
    /// An unpacked layer, by the hex of its diff_id (no `sha256:`: a colon
    /// would break overlayfs' `lowerdir=` list).
    pub fn layer(&self, diff_id: &str) -> PathBuf {
        self.layers()
            .join(diff_id.strip_prefix("sha256:").unwrap_or(diff_id))
    }
    pub fn volumes(&self) -> PathBuf {
        self.path.join("volumes")
    }
    pub fn volume(&self, name: &str) -> PathBuf {
        self.volumes().join(name)
    }
    /// What docker calls the volume's Mountpoint.
    pub fn volume_data(&self, name: &str) -> PathBuf {
        self.volume(name).join("_data")
    }
    pub fn containers(&self) -> PathBuf {
        self.path.join("containers")
    }
    pub fn container(&self, id: &str) -> PathBuf {
        self.containers().join(id)
    }
    pub fn names(&self) -> PathBuf {
        self.path.join("names")
    }
}

/// Paths inside one bundle.
pub struct Bundle<'a>(pub &'a Path);

impl Bundle<'_> {
    pub fn config(&self) -> PathBuf {
        self.0.join("config.json")
    }
    pub fn state(&self) -> PathBuf {
        self.0.join("state.json")
    }
    pub fn rootfs(&self) -> PathBuf {
        self.0.join("rootfs")
    }
    pub fn upper(&self) -> PathBuf {
        self.0.join("upper")
    }
    pub fn work(&self) -> PathBuf {
        self.0.join("work")
    }
    pub fn log(&self) -> PathBuf {
        self.0.join("container.log")
    }
    /// The id is the bundle directory's name.
    pub fn id(&self) -> String {
        self.0
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}
