//! rvol-exec: not built yet; prints its usage.

fn main() {
    eprintln!("usage: rvol-exec (not implemented yet)");
    std::process::exit(125);
}
