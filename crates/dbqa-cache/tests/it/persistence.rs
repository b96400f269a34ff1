//! What survives a restart, what a clear may touch, and the factories.

use std::sync::Arc;
use std::time::Duration;

use dbqa_cache::{
    RedisCache, SqliteCache, SqliteSessionStore, cache_from_config, session_store_from_config,
};
use dbqa_core::{
    AgentConfig, CacheBackendKind, CacheStore, Message, SecretUrl, SessionBackendKind, SessionStore,
};
use deadpool_redis::redis;

use crate::support::{cleanup, keys_under, raw_redis, redis_options, redis_url, unique_prefix};

const LONG: Duration = Duration::from_secs(600);

#[tokio::test]
async fn sqlite_cache_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/cache.db");
    {
        let store = SqliteCache::open(&path).await.unwrap();
        store.set("kept", b"value", LONG).await.unwrap();
        store
            .set("expiring", b"value", Duration::from_millis(200))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let store = SqliteCache::open(&path).await.unwrap();
    assert_eq!(
        store.get("kept").await.unwrap().as_deref(),
        Some(&b"value"[..])
    );
    assert_eq!(store.get("expiring").await.unwrap(), None);
    // Expired rows are purged on open, so only the live one is counted.
    assert_eq!(store.stats().entries, 1);
}

#[tokio::test]
async fn sqlite_sessions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    {
        let store = SqliteSessionStore::open(&path).await.unwrap();
        store.append("s", &Message::user("q1")).await.unwrap();
        store.append("s", &Message::assistant("a1")).await.unwrap();
    }
    let store = SqliteSessionStore::open(&path).await.unwrap();
    assert_eq!(
        store.load("s").await.unwrap(),
        vec![Message::user("q1"), Message::assistant("a1")]
    );
    assert_eq!(store.list().await.unwrap()[0].message_count, 2);
}

#[tokio::test]
async fn redis_clear_leaves_other_prefixes_alone() {
    let Some(url) = redis_url().await else { return };
    let mine = unique_prefix();
    let theirs = unique_prefix();
    let my_cache = RedisCache::new(&redis_options(&url, &mine)).unwrap();
    let their_cache = RedisCache::new(&redis_options(&url, &theirs)).unwrap();
    let my_sessions = dbqa_cache::RedisSessionStore::new(&redis_options(&url, &mine)).unwrap();
    my_cache.set("k", b"mine", LONG).await.unwrap();
    their_cache.set("k", b"theirs", LONG).await.unwrap();
    my_sessions.append("s", &Message::user("hi")).await.unwrap();
    let mut conn = raw_redis(&url).await;
    // A key that merely starts like the namespace must survive as well.
    let lookalike = format!("{mine}cachex");
    redis::cmd("SET")
        .arg(&lookalike)
        .arg("x")
        .query_async::<()>(&mut conn)
        .await
        .unwrap();

    my_cache.clear().await.unwrap();

    assert_eq!(my_cache.get("k").await.unwrap(), None);
    assert_eq!(
        their_cache.get("k").await.unwrap().as_deref(),
        Some(&b"theirs"[..])
    );
    assert_eq!(
        my_sessions.load("s").await.unwrap(),
        vec![Message::user("hi")]
    );
    let left = keys_under(&url, &mine).await;
    assert_eq!(
        left,
        vec![
            lookalike,
            format!("{mine}session:index"),
            format!("{mine}session:messages:s")
        ]
    );
    cleanup(&url, &mine).await;
    cleanup(&url, &theirs).await;
}

#[tokio::test]
async fn redis_uses_native_expiry() {
    let Some(url) = redis_url().await else { return };
    let prefix = unique_prefix();
    let cache = RedisCache::new(&redis_options(&url, &prefix)).unwrap();
    cache
        .set("k", b"v", Duration::from_secs(300))
        .await
        .unwrap();
    let mut conn = raw_redis(&url).await;
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("{prefix}cache:k"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!((1..=300).contains(&ttl), "TTL was {ttl}");
    cleanup(&url, &prefix).await;
}

#[tokio::test]
async fn factories_build_the_configured_backend() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = AgentConfig::defaults();
    config.cache.sqlite_path = dir.path().join("cache.db");
    config.session_db_path = dir.path().join("sessions.db");
    let redis = redis_url().await;
    let prefix = unique_prefix();
    if let Some(url) = &redis {
        config.cache.redis_url = SecretUrl::new(url.as_str());
        config.cache.key_prefix = prefix.clone();
    }

    let mut cache_backends = vec![CacheBackendKind::Memory, CacheBackendKind::Sqlite];
    let mut session_backends = vec![SessionBackendKind::Sqlite, SessionBackendKind::Memory];
    if redis.is_some() {
        cache_backends.push(CacheBackendKind::Redis);
        session_backends.push(SessionBackendKind::Redis);
    }
    for kind in cache_backends {
        config.cache.backend = kind;
        let store: Arc<dyn CacheStore> = cache_from_config(&config.cache).await.unwrap();
        assert_eq!(store.backend(), kind.as_str());
        store.set("f", b"1", LONG).await.unwrap();
        assert_eq!(
            store.get("f").await.unwrap().as_deref(),
            Some(&b"1"[..]),
            "{kind}"
        );
    }
    for kind in session_backends {
        config.session_backend = kind;
        let store: Arc<dyn SessionStore> = session_store_from_config(&config).await.unwrap();
        assert_eq!(store.backend(), kind.as_str());
        store.append("f", &Message::user("x")).await.unwrap();
        assert_eq!(store.load("f").await.unwrap().len(), 1, "{kind}");
    }
    assert!(
        config.session_db_path.exists(),
        "the default session store is a file"
    );
    if let Some(url) = &redis {
        cleanup(url, &prefix).await;
    }
}

#[tokio::test]
async fn a_malformed_redis_url_is_a_config_error_naming_the_setting() {
    let mut config = AgentConfig::defaults().cache;
    config.backend = CacheBackendKind::Redis;
    config.redis_url = SecretUrl::new("postgres://u:hunter2@host/db");
    let error = cache_from_config(&config)
        .await
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("REDIS_URL") && !error.contains("hunter2"),
        "{error}"
    );
}

#[tokio::test]
async fn sqlite_purges_expired_rows_periodically_on_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteCache::open(dir.path().join("cache.db"))
        .await
        .unwrap();
    for i in 0..10 {
        store
            .set(&format!("old{i}"), b"x", Duration::from_millis(100))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Never read, so only the periodic purge (every 256 writes) can remove them.
    for i in 0..246 {
        store.set(&format!("new{i}"), b"y", LONG).await.unwrap();
    }
    assert_eq!(store.stats().entries, 246);
    let conn = rusqlite::Connection::open(dir.path().join("cache.db")).unwrap();
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM cache", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 246);
}
