//! rvol-commit: not built yet; prints its usage.

fn main() {
    eprintln!("usage: rvol-commit (not implemented yet)");
    std::process::exit(125);
}
