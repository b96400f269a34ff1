//! Integration tests of dbqa-guard: the verdict corpus, Spider gold queries, and a
//! randomized no-panic test.

// Helpers outside `#[test]` functions expect too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod corpus;
mod fuzz;
mod spider;
mod visible;

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

#[test]
fn rejection_display_lists_every_violation() {
    let rejection = check(Dialect::Postgres, "SELECT pg_sleep(1) FROM t FOR UPDATE").unwrap_err();
    assert_eq!(
        rejection.to_string(),
        "sql rejected: not read-only: FOR UPDATE is not allowed, only a plain query; \
         function `pg_sleep` is not allowed: use the usual string, math, date, aggregate \
         and window functions"
    );
    let as_error: &dyn std::error::Error = &rejection;
    assert!(as_error.to_string().starts_with("sql rejected"));
}

#[test]
fn verdict_json_has_exactly_the_documented_shape() {
    let accepted = verdict_json(
        GuardConfig::new(Dialect::Sqlite).max_rows(Some(5)),
        "SELECT * FROM t",
    );
    insta::assert_snapshot!(accepted, @r#"{"verdict":"accepted","sql":"SELECT * FROM t LIMIT 5","tables":["t"],"warnings":[{"kind":"select_star","message":"select * returns every column: name the columns you need"},{"kind":"row_limit_applied","message":"row limit of 5 applied"}],"violations":[]}"#);
    let rejected = verdict_json(GuardConfig::new(Dialect::Sqlite), "DROP TABLE t");
    insta::assert_snapshot!(rejected, @r#"{"verdict":"rejected","sql":null,"tables":[],"warnings":[],"violations":[{"kind":"not_read_only","message":"not read-only: DROP TABLE is not allowed, only a plain query"}]}"#);
}

#[test]
fn guard_keeps_its_config_and_referenced_tables_skips_policy() {
    let config = GuardConfig::new(Dialect::MySql)
        .read_only(false)
        .allowed_tables(["a"])
        .blocked_tables(["b"])
        .allow_system_catalogs(true)
        .max_rows(Some(7))
        .max_length(99);
    let guard = Guard::new(config.clone());
    assert_eq!(guard.config(), &config);
    // No policy: blocked names, catalogs and writes are all just tables here.
    let tables = dbqa_guard::referenced_tables(
        "DELETE FROM b WHERE id IN (SELECT id FROM mysql.user)",
        Dialect::MySql,
    )
    .unwrap();
    assert_eq!(tables, ["b", "mysql.user"]);
    assert!(dbqa_guard::referenced_tables("not sql", Dialect::MySql).is_err());
}
