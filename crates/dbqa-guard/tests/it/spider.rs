//! The Spider dev gold queries: all accepted by the read-only SQLite guard, tables
//! extracted the same way by `referenced_tables`, and a sample snapshotted.

use dbqa_core::Dialect;
use dbqa_guard::{Guard, GuardConfig, referenced_tables};

const GOLD: &str = include_str!("../fixtures/spider_dev_gold.sql");

/// `(query, db_id)` pairs of the fixture.
pub(crate) fn gold_queries() -> Vec<(&'static str, &'static str)> {
    GOLD.lines()
        .filter_map(|line| line.split_once('\t'))
        .collect()
}

#[test]
fn every_gold_query_is_accepted_and_stays_accepted() {
    let queries = gold_queries();
    assert_eq!(queries.len(), 1034);
    let guard = Guard::new(GuardConfig::new(Dialect::Sqlite).max_rows(Some(1_000_000)));
    for (sql, db) in queries {
        let accepted = guard
            .check(sql)
            .unwrap_or_else(|r| panic!("[{db}] {sql}: {r}"));
        assert!(accepted.sql.ends_with("LIMIT 1000000") || accepted.sql.contains("LIMIT"));
        let again = guard.check(&accepted.sql).expect("rewritten sql accepted");
        assert_eq!(again.sql, accepted.sql, "rewriting is idempotent");
        assert_eq!(again.tables, accepted.tables);
        let tables = referenced_tables(sql, Dialect::Sqlite).expect("tables");
        assert_eq!(tables, accepted.tables, "{sql}");
    }
}

#[test]
fn gold_sample_verdicts() {
    let guard = Guard::new(GuardConfig::new(Dialect::Sqlite).max_rows(Some(1_000)));
    let mut out = String::new();
    // Every 25th query: a spread over all twenty databases.
    for (sql, db) in gold_queries().into_iter().step_by(25) {
        let accepted = guard.check(sql).expect("gold query accepted");
        out.push_str(&format!(
            "[{db}] {sql}\n=> {}\n   tables: {}\n\n",
            accepted.sql,
            accepted.tables.join(", ")
        ));
    }
    insta::assert_snapshot!(out);
}
