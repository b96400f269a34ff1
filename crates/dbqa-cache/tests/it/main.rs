//! Integration tests of dbqa-cache: one shared suite for every cache backend and every
//! session and example store (memory, SQLite in a temp dir, the real Redis on loopback), plus
//! persistence, levels and fault tests.

// The shared suite functions are test code that clippy cannot see as such (they are
// not `#[test]` functions themselves).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults;
mod levels;
mod persistence;
mod support;

// The suites live in the crate (feature `testing`) so that other backends can run them.
use dbqa_cache::testing::{cache_suite, example_suite, session_suite};

/// Generates one `#[tokio::test]` per (backend, suite function).
macro_rules! for_each_backend {
    ($runner:ident, $suite:ident: $($test:ident),+ $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                crate::support::$runner(crate::support::Backend::Memory, crate::$suite::$test).await
            })+
        }
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                crate::support::$runner(crate::support::Backend::Sqlite, crate::$suite::$test).await
            })+
        }
        mod redis {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                crate::support::$runner(crate::support::Backend::Redis, crate::$suite::$test).await
            })+
        }
    };
}

mod cache {
    for_each_backend!(run_cache, cache_suite:
        get_set_delete, overwrite, clear, ttl_expiry, large_values, concurrent_writers, stats);
}

mod sessions {
    for_each_backend!(run_sessions, session_suite:
        append_and_load, clear_keeps_the_session_listed, delete_removes_the_session,
        list_most_recent_first, concurrent_appends);
}

mod examples {
    for_each_backend!(run_examples, example_suite: put_list_and_replace, remove);
}
