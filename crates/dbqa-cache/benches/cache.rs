//! Get (hit) and set latency per cache backend: memory, SQLite (a temp file) and Redis
//! on loopback (`DBQA_TEST_REDIS_URL`, skipped with a note when unreachable), plus a
//! typed hit through the LLM level over the memory store.
//!
//! Run with `cargo bench -p dbqa-cache`.

// A benchmark that cannot set up should stop loudly, and criterion's macros generate
// undocumented items.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use dbqa_cache::{Caches, MemoryCache, RedisCache, RedisOptions, SqliteCache, keys};
use dbqa_core::{AgentConfig, CacheStore, SecretUrl};
use tokio::runtime::Runtime;

const TTL: Duration = Duration::from_secs(3600);
const KEYS: usize = 1_000;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn bench_store(c: &mut Criterion, rt: &Runtime, store: Arc<dyn CacheStore>) {
    let value = vec![42u8; 256];
    let keys: Vec<String> = (0..KEYS).map(|i| format!("query:bench-{i}")).collect();
    rt.block_on(async {
        for key in &keys {
            store.set(key, &value, TTL).await.unwrap();
        }
    });
    let mut group = c.benchmark_group(format!("cache/{}", store.backend()));
    group.bench_function("get_hit_256B", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for i in 0..iters as usize {
                    let hit = store.get(black_box(&keys[i % KEYS])).await.unwrap();
                    black_box(hit);
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("set_256B", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for i in 0..iters as usize {
                    store
                        .set(black_box(&keys[i % KEYS]), &value, TTL)
                        .await
                        .unwrap();
                }
                start.elapsed()
            })
        })
    });
    group.finish();
    rt.block_on(store.clear()).unwrap();
}

fn memory(c: &mut Criterion) {
    let rt = runtime();
    bench_store(c, &rt, Arc::new(MemoryCache::new(100_000, 64 << 20)));

    // A typed hit through a level: store lookup plus envelope decoding.
    let config = AgentConfig::defaults().cache;
    let caches = Caches::new(Arc::new(MemoryCache::new(100_000, 64 << 20)), &config);
    let key = keys::llm_key(
        "How many orders shipped late?",
        "schema",
        "session",
        "model",
    );
    let answer = "SELECT COUNT(*) FROM orders WHERE shipped_at > due_at".to_string();
    rt.block_on(caches.llm().set(&key, &answer));
    c.bench_function("cache/levels/llm_get_hit_string", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(caches.llm().get::<String>(black_box(&key)).await);
                }
                start.elapsed()
            })
        })
    });
    c.bench_function("cache/keys/llm_key", |b| {
        b.iter(|| keys::llm_key(black_box("How many  orders shipped late?"), "s", "c", "m"))
    });
}

fn sqlite(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = rt
        .block_on(SqliteCache::open(dir.path().join("bench.db")))
        .unwrap();
    bench_store(c, &rt, Arc::new(store));
}

fn redis(c: &mut Criterion) {
    let rt = runtime();
    let url = std::env::var("DBQA_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let prefix = format!("dbqa-bench:{}:", std::process::id());
    let options = RedisOptions::new(SecretUrl::new(url.as_str()))
        .with_key_prefix(prefix)
        .with_timeout(Duration::from_secs(2));
    let store = RedisCache::new(&options).unwrap();
    if rt.block_on(store.get("probe")).is_err() {
        eprintln!("SKIPPED: Redis benchmarks (Redis at {url} is unreachable)");
        return;
    }
    bench_store(c, &rt, Arc::new(store));
}

criterion_group!(benches, memory, sqlite, redis);
criterion_main!(benches);
