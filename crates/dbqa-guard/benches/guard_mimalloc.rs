//! The guard benchmark with mimalloc as the global allocator, the allocator the `dbqa`
//! binary ships with. Most of a check is sqlparser building and dropping the syntax
//! tree, so the allocator moves the figure; `cargo xtask bench` reports both.

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod shared;

fn bench(c: &mut Criterion) {
    shared::bench(c, "guard_mimalloc");
}

criterion_group!(benches, bench);
criterion_main!(benches);
