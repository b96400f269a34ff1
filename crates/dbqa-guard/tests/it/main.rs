//! Integration tests of dbqa-guard: the verdict corpus, Spider gold queries, and a
//! randomized no-panic test.

mod corpus;
mod fuzz;
mod spider;

use dbqa_core::Dialect;
use dbqa_guard::{Accepted, Guard, GuardConfig, Rejection, Verdict};

/// Checks `sql` with `config` and returns the verdict as one line of JSON.
fn verdict_json(config: GuardConfig, sql: &str) -> String {
    let result = Guard::new(config).check(sql);
    serde_json::to_string(&Verdict::from(&result)).unwrap_or_else(|e| e.to_string())
}

/// Checks `sql` with the default read-only configuration of `dialect`.
fn check(dialect: Dialect, sql: &str) -> Result<Accepted, Rejection> {
    Guard::new(GuardConfig::new(dialect)).check(sql)
}
