//! Faults degrade, never break: Redis that is down, hangs or comes back.

use std::sync::Arc;
use std::time::Duration;

use dbqa_cache::{Caches, FailSafe, RedisCache, RedisOptions};
use dbqa_core::{AgentConfig, CacheStore, SecretUrl};

use crate::support::{Proxy, cleanup, eventually, redis_addr, redis_url, unique_prefix, url_via};

/// A generous bound on a call that must give up after its 300 ms timeout; it only
/// catches hangs, it does not measure speed.
const BOUND: Duration = Duration::from_secs(10);

fn failsafe_redis(url: &str, prefix: &str) -> Arc<FailSafe> {
    let options = RedisOptions::new(SecretUrl::new(url))
        .with_key_prefix(prefix)
        .with_timeout(Duration::from_millis(300));
    Arc::new(FailSafe::new(Arc::new(RedisCache::new(&options).unwrap())))
}

#[tokio::test]
async fn a_closed_port_is_a_miss_not_an_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let store = failsafe_redis(&format!("redis://{addr}"), "dbqa-test-closed:");
    let caches = Caches::new(store.clone(), &AgentConfig::defaults().cache);

    let outcome = tokio::time::timeout(BOUND, async {
        assert_eq!(store.get("k").await, Ok(None));
        assert_eq!(store.set("k", b"v", Duration::from_secs(5)).await, Ok(()));
        assert_eq!(store.delete("k").await, Ok(()));
        assert_eq!(store.clear().await, Ok(()));
        caches.llm().set("llm:k", "answer").await;
        assert_eq!(caches.llm().get::<String>("llm:k").await, None);
    })
    .await;
    assert!(outcome.is_ok(), "calls to a closed port hung");
    assert!(store.is_down());
    let stats = store.stats();
    assert_eq!(stats.errors, 6, "{stats:?}");
    assert_eq!(stats.misses, 2, "{stats:?}");
    assert_eq!(caches.stats().store.errors, 6);
    assert_eq!(caches.stats().llm.misses, 1);
}

#[tokio::test]
async fn redis_that_stops_answering_is_a_miss_and_service_resumes() {
    let Some(url) = redis_url().await else { return };
    let proxy = Proxy::start(redis_addr(&url)).await;
    let prefix = unique_prefix();
    let store = failsafe_redis(&url_via(&url, proxy.addr), &prefix);

    store
        .set("k", b"before", Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(
        store.get("k").await.unwrap().as_deref(),
        Some(&b"before"[..])
    );
    assert!(!store.is_down());

    // Open connections break and new ones hang: every call gives up at its timeout.
    proxy.cut();
    let outcome = tokio::time::timeout(BOUND, async {
        for _ in 0..3 {
            assert_eq!(store.get("k").await, Ok(None));
            assert_eq!(
                store.set("other", b"x", Duration::from_secs(5)).await,
                Ok(())
            );
        }
    })
    .await;
    assert!(outcome.is_ok(), "calls to an unanswering Redis hung");
    assert!(store.is_down());
    assert!(store.stats().errors >= 6, "{:?}", store.stats());

    // Redis answers again: the pool reconnects by itself and the old value is served.
    proxy.restore();
    assert!(
        eventually(|| async { store.get("k").await.unwrap().as_deref() == Some(&b"before"[..]) })
            .await,
        "service did not resume after Redis came back"
    );
    assert!(!store.is_down());
    let errors = store.stats().errors;
    store
        .set("after", b"y", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        store.get("after").await.unwrap().as_deref(),
        Some(&b"y"[..])
    );
    assert_eq!(store.stats().errors, errors, "no errors once it is back");

    drop(proxy);
    cleanup(&url, &prefix).await;
}

// No `CLIENT PAUSE` test: it pauses every client of the server, including other
// crates' tests running at the same time. The proxy above covers both a hanging and a
// dropped connection without touching anyone else.
