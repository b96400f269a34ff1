//! Statements validated per second on the Spider dev gold queries with the system
//! allocator: the guard as a library user gets it (see `shared/mod.rs`).

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};

mod shared;

fn bench(c: &mut Criterion) {
    shared::bench(c, "guard");
}

criterion_group!(benches, bench);
criterion_main!(benches);
