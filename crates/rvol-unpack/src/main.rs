//! rvol-unpack: not built yet; prints its usage.

fn main() {
    eprintln!("usage: rvol-unpack (not implemented yet)");
    std::process::exit(125);
}
