//! The backend suites (feature `testing`), for anyone writing a cache, session or example
//! store:
//! run the same checks dbqa's own memory, SQLite and Redis stores pass.
//!
//! ```no_run
//! # async fn run() {
//! use std::sync::Arc;
//! use dbqa_cache::testing;
//! // A fresh store for each check (each may fill and clear it).
//! testing::run_cache_suite(|| async { Arc::new(dbqa_cache::MemoryCache::new(1000, 1 << 20)) as Arc<dyn dbqa_core::CacheStore> }).await;
//! # }
//! ```
//!
//! Each check panics with a message when the store misbehaves: these are assertions for
//! tests, as `object_store`'s integration suite is.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use dbqa_core::{CacheStore, ExampleStore, SessionStore};

pub mod cache_suite;
pub mod example_suite;
pub mod session_suite;

/// Polls `check` until it holds (up to 15 s): for expiries the store applies lazily.
pub async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Every cache check, each on a store from `fresh`.
pub async fn run_cache_suite<F, Fut>(fresh: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn CacheStore>>,
{
    cache_suite::get_set_delete(fresh().await).await;
    cache_suite::overwrite(fresh().await).await;
    cache_suite::clear(fresh().await).await;
    cache_suite::ttl_expiry(fresh().await).await;
    cache_suite::large_values(fresh().await).await;
    cache_suite::concurrent_writers(fresh().await).await;
    cache_suite::stats(fresh().await).await;
}

/// Every session check, each on a store from `fresh`.
pub async fn run_session_suite<F, Fut>(fresh: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn SessionStore>>,
{
    session_suite::append_and_load(fresh().await).await;
    session_suite::clear_keeps_the_session_listed(fresh().await).await;
    session_suite::delete_removes_the_session(fresh().await).await;
    session_suite::list_most_recent_first(fresh().await).await;
    session_suite::concurrent_appends(fresh().await).await;
}

/// Every example-store check, each on a store from `fresh`.
pub async fn run_example_suite<F, Fut>(fresh: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn ExampleStore>>,
{
    example_suite::put_list_and_replace(fresh().await).await;
    example_suite::remove(fresh().await).await;
}
