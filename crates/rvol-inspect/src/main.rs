//! rvol-inspect: not built yet; prints its usage.

fn main() {
    eprintln!("usage: rvol-inspect (not implemented yet)");
    std::process::exit(125);
}
