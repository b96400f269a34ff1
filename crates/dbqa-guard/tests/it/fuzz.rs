//! A randomized no-panic test over `Guard::check` for every dialect: SQL-shaped
//! generators and mutations of real (Spider gold) queries.
//!
//! `cargo test` runs a bounded number of cases; set `DBQA_FUZZ_SECONDS=60` to keep
//! generating for that long (CI does).

use std::time::{Duration, Instant};

use dbqa_core::{ALL_DIALECTS, Dialect};
use dbqa_guard::{Guard, GuardConfig, StatementKind};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sqlparser::ast::{Expr, LimitClause, SetExpr, Statement, TopQuantity, Value};
use sqlparser::dialect::{MsSqlDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use super::spider::gold_queries;

const MAX_ROWS: u64 = 50;
const BLOCKED: &str = "secret";

fn table() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("singer".to_string()),
        Just("orders".to_string()),
        Just("secret".to_string()),
        Just("\"Secret\"".to_string()),
        Just("`SECRET`".to_string()),
        Just("[secret]".to_string()),
        Just("public.secret".to_string()),
        Just("main.sqlite_master".to_string()),
        Just("information_schema.tables".to_string()),
        Just("pg_catalog.pg_class".to_string()),
        Just("sys.objects".to_string()),
        "[a-z_]{1,8}",
    ]
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1".to_string()),
        Just("NULL".to_string()),
        Just("'DROP TABLE x; --'".to_string()),
        Just("created_at".to_string()),
        Just("count(*)".to_string()),
        Just("pg_sleep(1)".to_string()),
        Just("SLEEP(1)".to_string()),
        Just("load_extension('x')".to_string()),
        Just("nextval('s')".to_string()),
        Just("lower(name)".to_string()),
        "[a-z]{1,6}",
        (0u64..5000).prop_map(|n| n.to_string()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    scalar().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} = {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
            (inner.clone(), table()).prop_map(|(a, t)| format!("{a} IN (SELECT id FROM {t})")),
            table().prop_map(|t| format!("EXISTS (SELECT 1 FROM {t})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("CASE WHEN {a} THEN {b} END")),
        ]
    })
}

fn select() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop_oneof![Just("*".to_string()), expr()], 1..3),
        table(),
        prop::option::of(table()),
        prop::option::of(expr()),
        prop::option::of(prop_oneof![
            (0u64..200).prop_map(|n| format!(" LIMIT {n}")),
            (0u64..200).prop_map(|n| format!(" ORDER BY 1 LIMIT {n} OFFSET 2")),
            Just(" ORDER BY 1".to_string()),
            Just(" FOR UPDATE".to_string()),
            Just(" LIMIT ALL".to_string()),
            Just(" FETCH FIRST 500 ROWS ONLY".to_string()),
        ]),
        any::<bool>(),
    )
        .prop_map(|(items, from, join, filter, tail, top)| {
            let mut sql = String::from("SELECT ");
            if top {
                sql.push_str("TOP 500 ");
            }
            sql.push_str(&items.join(", "));
            sql.push_str(" FROM ");
            sql.push_str(&from);
            if let Some(join) = join {
                sql.push_str(&format!(" JOIN {join} ON 1 = 1"));
            }
            if let Some(filter) = filter {
                sql.push_str(&format!(" WHERE {filter}"));
            }
            sql.push_str(&tail.unwrap_or_default());
            sql
        })
}

fn statement() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(),
        1 => (select(), select()).prop_map(|(a, b)| format!("{a} UNION {b}")),
        1 => (table(), select()).prop_map(|(t, s)| format!("WITH {t} AS ({s}) SELECT * FROM {t}")),
        1 => (select(), table()).prop_map(|(s, t)| format!("{s}; DROP TABLE {t}")),
        1 => table().prop_map(|t| format!("DELETE FROM {t}")),
        1 => select().prop_map(|s| format!("/* x */ {s} -- y")),
        1 => select().prop_map(|s| format!("EXPLAIN {s}")),
    ]
}

/// A real query with a random edit: a token inserted, a span deleted or doubled.
fn mutated_gold() -> impl Strategy<Value = String> {
    let gold: Vec<String> = gold_queries()
        .into_iter()
        .map(|(sql, _)| sql.to_string())
        .collect();
    let tokens = [
        ";",
        "--",
        "/*",
        "*/",
        "'",
        "\"",
        "`",
        "[",
        "]",
        "(",
        ")",
        " UNION SELECT 1 ",
        " FOR UPDATE",
        " LIMIT 10",
        " DROP TABLE t",
        " INTO x ",
        " pg_sleep(1) ",
        ",",
        ".",
        " WITH c AS (SELECT 1) ",
        " OFFSET 5 ROWS ",
        " TOP 3 ",
        "\0",
        "ß",
        "\n",
    ];
    (
        prop::sample::select(gold),
        prop::sample::select(tokens.to_vec()),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        0u8..3,
    )
        .prop_map(|(sql, token, a, b, op)| {
            let chars: Vec<char> = sql.chars().collect();
            let (i, j) = (a.index(chars.len() + 1), b.index(chars.len() + 1));
            let (lo, hi) = (i.min(j), i.max(j));
            let prefix: String = chars[..lo].iter().collect();
            let middle: String = chars[lo..hi].iter().collect();
            let suffix: String = chars[hi..].iter().collect();
            match op {
                0 => format!("{prefix}{token}{middle}{suffix}"),
                1 => format!("{prefix}{suffix}"),
                _ => format!("{prefix}{middle}{middle}{suffix}"),
            }
        })
}

fn parse(dialect: Dialect, sql: &str) -> Vec<Statement> {
    let parsed = match dialect {
        Dialect::Sqlite => Parser::parse_sql(&SQLiteDialect {}, sql),
        Dialect::Postgres => Parser::parse_sql(&PostgreSqlDialect {}, sql),
        Dialect::MySql => Parser::parse_sql(&MySqlDialect {}, sql),
        Dialect::MsSql => Parser::parse_sql(&MsSqlDialect {}, sql),
    };
    parsed.unwrap_or_default()
}

fn literal(expr: &Expr) -> Option<u64> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        Expr::Nested(inner) => literal(inner),
        _ => None,
    }
}

/// The row bound the accepted SQL carries at its top level, if any.
fn row_bound(statement: &Statement) -> Option<u64> {
    let Statement::Query(query) = statement else {
        return None;
    };
    if let Some(fetch) = &query.fetch {
        return fetch.quantity.as_ref().and_then(literal).or(Some(1));
    }
    match &query.limit_clause {
        Some(LimitClause::LimitOffset { limit: Some(l), .. })
        | Some(LimitClause::OffsetCommaLimit { limit: l, .. }) => return literal(l),
        _ => {}
    }
    if let SetExpr::Select(select) = query.body.as_ref()
        && let Some(top) = &select.top
    {
        return match &top.quantity {
            Some(TopQuantity::Constant(n)) => Some(*n),
            Some(TopQuantity::Expr(e)) => literal(e),
            None => None,
        };
    }
    None
}

fn invariants(dialect: Dialect, sql: &str) -> Result<(), TestCaseError> {
    let guard = Guard::new(
        GuardConfig::new(dialect)
            .blocked_tables([BLOCKED])
            .max_rows(Some(MAX_ROWS)),
    );
    let Ok(accepted) = guard.check(sql) else {
        return Ok(());
    };
    prop_assert!(
        matches!(accepted.kind, StatementKind::Query | StatementKind::Explain),
        "read-only guard accepted {:?}: {sql}",
        accepted.kind
    );
    prop_assert!(
        !accepted
            .tables
            .iter()
            .any(|t| t.to_lowercase().ends_with(BLOCKED)),
        "blocked table accepted: {sql}"
    );
    let again = guard.check(&accepted.sql);
    prop_assert!(
        again.is_ok(),
        "rewritten sql rejected: {sql} -> {}",
        accepted.sql
    );
    if let Ok(again) = again {
        prop_assert_eq!(
            &again.sql,
            &accepted.sql,
            "rewriting is not idempotent: {}",
            sql
        );
        prop_assert_eq!(&again.tables, &accepted.tables);
    }
    let statements = parse(dialect, &accepted.sql);
    prop_assert_eq!(
        statements.len(),
        1,
        "rendered sql is not one statement: {}",
        accepted.sql
    );
    if accepted.kind == StatementKind::Query
        && let Some(statement) = statements.first()
    {
        let bound = row_bound(statement);
        prop_assert!(
            bound.is_some_and(|b| b <= MAX_ROWS),
            "row bound {bound:?} over {MAX_ROWS}: {sql} -> {}",
            accepted.sql
        );
    }
    Ok(())
}

fn run(strategy: impl Strategy<Value = String>, cases: u32) {
    let seconds: u64 = std::env::var("DBQA_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        for dialect in ALL_DIALECTS {
            let mut runner = TestRunner::new(Config {
                cases,
                failure_persistence: None,
                ..Config::default()
            });
            let result = runner.run(&strategy, |sql| invariants(dialect, &sql));
            if let Err(failure) = result {
                panic!("{dialect}: {failure}");
            }
        }
        if Instant::now() >= deadline {
            break;
        }
    }
}

#[test]
fn generated_sql_never_panics_and_keeps_invariants() {
    run(statement(), 300);
}

#[test]
fn mutated_gold_queries_never_panic_and_keep_invariants() {
    run(mutated_gold(), 300);
}
