//! The state every rvol tool shares: where the state root is, how a
//! container, a volume and a layer are laid out under it, the records
//! (JSON) one tool writes and another reads, and the error convention.
//!
//! Kept small on purpose: each binary owns its own logic; only the
//! contract between them lives here.

pub mod annotation;
pub mod bundle;
pub mod caps;
pub mod compress;
pub mod console;
pub mod container;
pub mod digest;
pub mod du;
pub mod env;
pub mod error;
pub mod fsx;
pub mod inroot;
pub mod labelfilter;
pub mod layerlock;
pub mod localvol;
pub mod logfile;
pub mod mntns_fd;
pub mod mountns;
pub mod mountopt;
pub mod path;
pub mod process;
pub mod progress;
pub mod record;
pub mod root;
pub mod rootless;
pub mod start_fd;
pub mod store;
pub mod time;
pub mod volume;
pub mod whiteout;
pub mod xattr;

pub use error::{Error, Result, ResultExt};
pub use root::Root;
