//! rvol-mount as a library: its modules, for the binary and for the
//! fuzz targets in fuzz/ (which call the parsers and the unpacker directly).

pub mod apply;
pub mod applyplan;
pub mod args;
pub mod bundlespec;
pub mod chown;
pub mod copyup;
pub mod create;
pub mod etcfiles;
pub mod imageview;
pub mod initlayer;
pub mod mountspec;
pub mod names;
pub mod plan;
pub mod rm;
pub mod seccomp_profile;
pub mod security;
pub mod specjson;
pub mod volcmd;
pub mod volhook;
pub mod volume;
