//! rvol-inspect as a library: its modules, for the binary and for the
//! fuzz targets in fuzz/ (which call the parsers and the unpacker directly).

pub mod args;
pub mod container;
pub mod df;
pub mod image;
pub mod listfmt;
pub mod logs;
pub mod output;
pub mod prune;
pub mod ps;
pub mod system;
pub mod table;
pub mod template;
pub mod volume;
