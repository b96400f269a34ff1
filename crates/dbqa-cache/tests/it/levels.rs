//! The three levels: typed values, the version envelope, TTLs, statistics, disabling.

use std::sync::Arc;
use std::time::Duration;

use dbqa_cache::{Caches, ENVELOPE_VERSION, Level, MemoryCache, keys};
use dbqa_core::{AgentConfig, CacheConfig, CacheStore};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Answer {
    sql: String,
    rows: Vec<Vec<i64>>,
}

fn config() -> CacheConfig {
    AgentConfig::defaults().cache
}

fn setup() -> (Arc<dyn CacheStore>, Caches) {
    let store: Arc<dyn CacheStore> = Arc::new(MemoryCache::new(1_000, 1 << 24));
    let caches = Caches::new(Arc::clone(&store), &config());
    (store, caches)
}

#[tokio::test]
async fn typed_values_round_trip_per_level() {
    let (_, caches) = setup();
    let answer = Answer {
        sql: "SELECT 1".into(),
        rows: vec![vec![1]],
    };
    let key = keys::llm_key("q", "schema", "session", "model");
    caches.llm().set(&key, &answer).await;
    assert_eq!(caches.llm().get::<Answer>(&key).await, Some(answer));
    // The same key read through another level is a miss: envelopes carry their level.
    assert_eq!(caches.query().get::<Answer>(&key).await, None);
    let stats = caches.stats();
    assert_eq!(
        (stats.llm.hits, stats.llm.misses, stats.llm.errors),
        (1, 0, 0)
    );
    assert_eq!(
        (stats.query.hits, stats.query.misses, stats.query.errors),
        (0, 1, 1)
    );
    assert_eq!((stats.schema.hits, stats.schema.misses), (0, 0));
    assert!(stats.enabled);
    assert_eq!(stats.backend, "memory");
}

#[tokio::test]
async fn undecodable_values_are_counted_misses() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"\x00\x01not json at all".to_vec()),
        ("empty", Vec::new()),
        (
            "old version",
            format!(
                r#"{{"v":{},"level":"llm","data":"x"}}"#,
                ENVELOPE_VERSION + 1
            )
            .into_bytes(),
        ),
        ("no version", br#"{"level":"llm","data":"x"}"#.to_vec()),
        (
            "other level",
            format!(r#"{{"v":{ENVELOPE_VERSION},"level":"schema","data":"x"}}"#).into_bytes(),
        ),
        (
            "wrong shape",
            format!(r#"{{"v":{ENVELOPE_VERSION},"level":"llm","data":{{"a":1}}}}"#).into_bytes(),
        ),
        ("bare value", br#""x""#.to_vec()),
    ];
    for (name, bytes) in cases {
        let (store, caches) = setup();
        store
            .set("llm:k", &bytes, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(caches.llm().get::<String>("llm:k").await, None, "{name}");
        let stats = caches.llm().stats();
        assert_eq!((stats.misses, stats.errors), (1, 1), "{name}");
        assert_eq!(
            store.get("llm:k").await.unwrap(),
            None,
            "{name}: the bad value is dropped"
        );
    }
    // And the well-formed one decodes.
    let (store, caches) = setup();
    let good = format!(r#"{{"v":{ENVELOPE_VERSION},"level":"llm","data":"x"}}"#);
    store
        .set("llm:k", good.as_bytes(), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        caches.llm().get::<String>("llm:k").await.as_deref(),
        Some("x")
    );
}

#[tokio::test]
async fn each_level_uses_its_ttl() {
    let mut config = config();
    config.query_ttl = Duration::from_secs(1);
    config.llm_ttl = Duration::ZERO;
    let caches = Caches::new(Arc::new(MemoryCache::new(100, 1 << 20)), &config);
    assert_eq!(caches.schema().ttl(), Duration::from_secs(3600));
    assert_eq!(caches.level(Level::Query).ttl(), Duration::from_secs(1));
    caches.query().set("query:k", &1).await;
    caches.schema().set("schema:k", &2).await;
    caches.llm().set("llm:k", &3).await;
    assert_eq!(
        caches.llm().get::<i32>("llm:k").await,
        None,
        "a zero TTL caches nothing"
    );
    assert!(
        crate::support::eventually(|| async {
            caches.query().get::<i32>("query:k").await.is_none()
        })
        .await
    );
    assert_eq!(caches.schema().get::<i32>("schema:k").await, Some(2));
}

#[tokio::test]
async fn disabled_caches_always_miss() {
    let mut config = config();
    config.enabled = false;
    let caches = Caches::from_config(&config).await.unwrap();
    assert!(!caches.is_enabled());
    caches.schema().set("schema:k", &"v").await;
    assert_eq!(caches.schema().get::<String>("schema:k").await, None);
    caches.clear().await;
    let stats = caches.stats();
    assert!(!stats.enabled);
    assert_eq!(stats.backend, "none");
    assert_eq!((stats.schema.hits, stats.schema.misses), (0, 1));
    let json = serde_json::to_value(&stats).unwrap();
    assert_eq!(json["schema"]["misses"], 1);
}

#[tokio::test]
async fn clear_empties_every_level() {
    let (_, caches) = setup();
    caches.schema().set("schema:a", &1).await;
    caches.query().set("query:a", &1).await;
    caches.clear().await;
    assert_eq!(caches.schema().get::<i32>("schema:a").await, None);
    assert_eq!(caches.query().get::<i32>("query:a").await, None);
}
