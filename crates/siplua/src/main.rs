//! The `siplua` binary (work in progress).
fn main() {
    println!("siplua {}", env!("CARGO_PKG_VERSION"));
}
