//! The cache-store suite: each function checks one behaviour of a [`CacheStore`] that
//! every backend must have, on a store it may fill and clear.

use std::sync::Arc;
use std::time::Duration;

use dbqa_core::CacheStore;

use super::eventually;

const LONG: Duration = Duration::from_secs(600);

/// Suite check: get set delete.
pub async fn get_set_delete(store: Arc<dyn CacheStore>) {
    assert_eq!(store.get("absent").await.unwrap(), None);
    store.set("a", b"alpha", LONG).await.unwrap();
    store.set("b", b"", LONG).await.unwrap();
    assert_eq!(
        store.get("a").await.unwrap().as_deref(),
        Some(&b"alpha"[..])
    );
    assert_eq!(store.get("b").await.unwrap().as_deref(), Some(&b""[..]));
    store.delete("a").await.unwrap();
    store.delete("never-set").await.unwrap();
    assert_eq!(store.get("a").await.unwrap(), None);
    assert_eq!(store.get("b").await.unwrap().as_deref(), Some(&b""[..]));
}

/// Suite check: overwrite.
pub async fn overwrite(store: Arc<dyn CacheStore>) {
    store.set("k", b"first", LONG).await.unwrap();
    store.set("k", b"second, longer", LONG).await.unwrap();
    assert_eq!(
        store.get("k").await.unwrap().as_deref(),
        Some(&b"second, longer"[..])
    );
    // An overwrite takes the new TTL.
    store
        .set("k", b"third", Duration::from_secs(1))
        .await
        .unwrap();
    assert!(eventually(|| async { store.get("k").await.unwrap().is_none() }).await);
}

/// Suite check: clear.
pub async fn clear(store: Arc<dyn CacheStore>) {
    for i in 0..50 {
        store.set(&format!("schema:{i}"), b"x", LONG).await.unwrap();
    }
    store.clear().await.unwrap();
    for i in 0..50 {
        assert_eq!(store.get(&format!("schema:{i}")).await.unwrap(), None);
    }
    // The store still works after a clear.
    store.set("after", b"y", LONG).await.unwrap();
    assert_eq!(
        store.get("after").await.unwrap().as_deref(),
        Some(&b"y"[..])
    );
}

/// Suite check: ttl expiry.
pub async fn ttl_expiry(store: Arc<dyn CacheStore>) {
    store
        .set("short", b"1", Duration::from_secs(1))
        .await
        .unwrap();
    store
        .set("sub-second", b"2", Duration::from_millis(300))
        .await
        .unwrap();
    store.set("long", b"3", LONG).await.unwrap();
    store.set("zero", b"4", Duration::ZERO).await.unwrap();
    assert_eq!(
        store.get("zero").await.unwrap(),
        None,
        "a zero TTL stores nothing"
    );
    assert!(eventually(|| async { store.get("short").await.unwrap().is_none() }).await);
    assert!(eventually(|| async { store.get("sub-second").await.unwrap().is_none() }).await);
    assert_eq!(store.get("long").await.unwrap().as_deref(), Some(&b"3"[..]));
}

/// Suite check: large values.
pub async fn large_values(store: Arc<dyn CacheStore>) {
    let value: Vec<u8> = (0..1_048_576u32).map(|i| (i % 251) as u8).collect();
    store.set("big", &value, LONG).await.unwrap();
    assert_eq!(store.get("big").await.unwrap(), Some(value));
}

/// Suite check: concurrent writers.
pub async fn concurrent_writers(store: Arc<dyn CacheStore>) {
    let tasks: Vec<_> = (0..50)
        .map(|t| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in 0..20 {
                    let key = format!("t{t}:{i}");
                    store.set(&key, key.as_bytes(), LONG).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    for t in 0..50 {
        for i in 0..20 {
            let key = format!("t{t}:{i}");
            assert_eq!(
                store.get(&key).await.unwrap().as_deref(),
                Some(key.as_bytes())
            );
        }
    }
}

/// Suite check: stats.
pub async fn stats(store: Arc<dyn CacheStore>) {
    let before = store.stats();
    store.set("s", b"v", LONG).await.unwrap();
    store.get("s").await.unwrap();
    store.get("s").await.unwrap();
    store.get("missing").await.unwrap();
    let after = store.stats();
    assert_eq!(after.hits - before.hits, 2, "{after:?}");
    assert_eq!(after.misses - before.misses, 1, "{after:?}");
    assert_eq!(after.errors, 0, "{after:?}");
    let json = serde_json::to_value(after).unwrap();
    for field in ["hits", "misses", "entries", "evictions", "errors"] {
        assert!(json.get(field).is_some(), "{field} missing from {json}");
    }
}
