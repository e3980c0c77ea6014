//! rvol-unpack as a library: its modules, for the binary and for the
//! fuzz targets in fuzz/ (which call the parsers and the unpacker directly).

pub mod archive;
pub mod args;
pub mod extract;
pub mod fsat;
pub mod image;
pub mod import;
pub mod layer;
pub mod pipeline;
pub mod run;
pub mod spec;
pub mod transport;
