//! rvol-ns: not built yet; prints its usage.

fn main() {
    eprintln!("usage: rvol-ns (not implemented yet)");
    std::process::exit(125);
}
