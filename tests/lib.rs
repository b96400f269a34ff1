//! End-to-end tests of dbqa; see `it/`.
