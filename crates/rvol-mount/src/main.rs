//! rvol-mount: not built yet; prints its usage.

fn main() {
    eprintln!("usage: rvol-mount (not implemented yet)");
    std::process::exit(125);
}
