//! The guard benchmark both bench targets run: statements validated per second on the
//! Spider dev gold queries (SQLite dialect, read-only, row limit on), plus the parse-only
//! and tokenize-only costs for comparison.

use criterion::{Criterion, Throughput};
use dbqa_core::Dialect;
use dbqa_guard::{Guard, GuardConfig};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

const GOLD: &str = include_str!("../../tests/fixtures/spider_dev_gold.sql");

fn queries() -> Vec<&'static str> {
    GOLD.lines()
        .filter_map(|line| line.split_once('\t').map(|(sql, _)| sql))
        .collect()
}

/// Runs the benchmark as criterion group `group` (one per allocator, so their results
/// do not overwrite each other).
pub(crate) fn bench(c: &mut Criterion, group: &str) {
    let queries = queries();
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Elements(queries.len() as u64));

    let guard = Guard::new(
        GuardConfig::new(Dialect::Sqlite)
            .blocked_tables(["secret"])
            .max_rows(Some(10_000)),
    );
    group.bench_function("check_spider_gold", |b| {
        b.iter(|| {
            for sql in &queries {
                let _ = std::hint::black_box(guard.check(std::hint::black_box(sql)));
            }
        })
    });

    group.bench_function("parse_only_spider_gold", |b| {
        b.iter(|| {
            for sql in &queries {
                let _ = std::hint::black_box(Parser::parse_sql(&SQLiteDialect {}, sql));
            }
        })
    });
    group.bench_function("tokenize_only_spider_gold", |b| {
        b.iter(|| {
            for sql in &queries {
                let _ = std::hint::black_box(
                    sqlparser::tokenizer::Tokenizer::new(&SQLiteDialect {}, sql).tokenize(),
                );
            }
        })
    });
    group.finish();
}
