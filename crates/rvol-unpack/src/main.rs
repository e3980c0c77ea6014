//! rvol-unpack: an image reference in, verified unpacked layers under
//! `ROOT/layers/` and an OCI runtime config.json on stdout. Also `import`
//! and `load`, which put images into the local store.

use rvol_unpack::{args, fsat, run};

fn main() {
    fsat::umask_value();
    let r = args::parse().and_then(run::run);
    rvol_state::error::exit_with("rvol-unpack", r)
}
