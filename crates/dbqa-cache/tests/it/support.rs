//! Fixtures: the backends under test, the real Redis on loopback, and a TCP proxy that
//! can cut Redis off.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dbqa_cache::{MemoryCache, RedisCache, RedisOptions, SqliteCache};
use dbqa_core::{
    AgentConfig, CacheStore, ExampleStore, SecretUrl, SessionBackendKind, SessionStore,
};
use deadpool_redis::redis;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Which backend a suite runs on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    Memory,
    Sqlite,
    Redis,
}

/// The Redis to test against, or `None` when skipping is allowed and it is down.
pub(crate) async fn redis_url() -> Option<String> {
    let url = std::env::var("DBQA_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let ping = async {
        let client = redis::Client::open(url.as_str())?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(Duration::from_secs(3), ping).await {
        Ok(Ok(_)) => Some(url),
        outcome => {
            let why = match outcome {
                Ok(Err(e)) => e.to_string(),
                _ => "no answer within 3 s".to_string(),
            };
            dbqa_core::testing::service_down(
                "Redis",
                &url,
                &why,
                "start it with `redis-server --daemonize yes` (or point DBQA_TEST_REDIS_URL at one)",
            )
        }
    }
}

/// A key prefix no other test (or test run) uses.
pub(crate) fn unique_prefix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "dbqa-test:{}-{nanos}-{}:",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A raw connection to the test Redis.
pub(crate) async fn raw_redis(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// The keys under `prefix`.
pub(crate) async fn keys_under(url: &str, prefix: &str) -> Vec<String> {
    let mut conn = raw_redis(url).await;
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    keys.sort();
    keys
}

/// Deletes the keys under `prefix` and checks none is left.
pub(crate) async fn cleanup(url: &str, prefix: &str) {
    let keys = keys_under(url, prefix).await;
    if !keys.is_empty() {
        let mut conn = raw_redis(url).await;
        redis::cmd("DEL")
            .arg(keys)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
    }
    assert_eq!(keys_under(url, prefix).await, Vec::<String>::new());
}

/// Redis options for tests: a unique prefix, and a generous timeout so a busy machine
/// does not turn a slow answer into a failure.
pub(crate) fn redis_options(url: &str, prefix: &str) -> RedisOptions {
    RedisOptions::new(SecretUrl::new(url))
        .with_key_prefix(prefix)
        .with_timeout(Duration::from_secs(5))
}

/// Runs a cache test on a fresh store of `backend`, cleaning up afterwards.
pub(crate) async fn run_cache<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Arc<dyn CacheStore>) -> Fut,
    Fut: Future<Output = ()>,
{
    match backend {
        Backend::Memory => test(Arc::new(MemoryCache::new(10_000, 64 << 20))).await,
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteCache::open(dir.path().join("cache.db"))
                .await
                .unwrap();
            test(Arc::new(store)).await;
        }
        Backend::Redis => {
            let Some(url) = redis_url().await else { return };
            let prefix = unique_prefix();
            let store = RedisCache::new(&redis_options(&url, &prefix)).unwrap();
            test(Arc::new(store)).await;
            cleanup(&url, &prefix).await;
        }
    }
}

/// Runs a session test on a fresh store of `backend`, cleaning up afterwards.
pub(crate) async fn run_sessions<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Arc<dyn SessionStore>) -> Fut,
    Fut: Future<Output = ()>,
{
    run_beside_sessions(
        backend,
        async |config: &AgentConfig| dbqa_cache::session_store_from_config(config).await,
        test,
    )
    .await;
}

/// Runs an example-store check on `backend`, cleaning up after Redis.
pub(crate) async fn run_examples<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Arc<dyn ExampleStore>) -> Fut,
    Fut: Future<Output = ()>,
{
    run_beside_sessions(
        backend,
        async |config: &AgentConfig| dbqa_cache::example_store_from_config(config).await,
        test,
    )
    .await;
}

/// Runs `test` on a store kept beside the sessions, opened by its factory (`open`) from
/// a configuration whose `SESSION_BACKEND` is `backend`: a file in a fresh directory,
/// or Redis under a prefix of its own, removed afterwards.
async fn run_beside_sessions<S, F, Fut>(
    backend: Backend,
    open: impl AsyncFnOnce(&AgentConfig) -> dbqa_cache::Result<Arc<S>>,
    test: F,
) where
    S: ?Sized,
    F: FnOnce(Arc<S>) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let mut config = AgentConfig::defaults();
    config.session_db_path = dir.path().join("sessions.db");
    let mut redis = None;
    config.session_backend = match backend {
        Backend::Memory => SessionBackendKind::Memory,
        Backend::Sqlite => SessionBackendKind::Sqlite,
        Backend::Redis => {
            let Some(url) = redis_url().await else { return };
            let prefix = unique_prefix();
            config.cache.redis_url = SecretUrl::new(url.as_str());
            config.cache.key_prefix = prefix.clone();
            redis = Some((url, prefix));
            SessionBackendKind::Redis
        }
    };
    test(open(&config).await.unwrap()).await;
    if let Some((url, prefix)) = redis {
        cleanup(&url, &prefix).await;
    }
}

pub(crate) use dbqa_cache::testing::eventually;

/// A TCP proxy in front of Redis that can be cut off (existing connections dropped,
/// new ones accepted but never answered) and restored.
pub(crate) struct Proxy {
    pub(crate) addr: SocketAddr,
    forwarding: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    pub(crate) async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let forwarding = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = {
            let forwarding = Arc::clone(&forwarding);
            let connections = Arc::clone(&connections);
            tokio::spawn(async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    let forward = forwarding.load(Ordering::SeqCst);
                    let task = tokio::spawn(async move {
                        if forward {
                            if let Ok(mut server) = TcpStream::connect(target).await {
                                let _ =
                                    tokio::io::copy_bidirectional(&mut client, &mut server).await;
                            }
                        } else {
                            // A black hole: hold the socket and never answer.
                            std::future::pending::<()>().await;
                            drop(client);
                        }
                    });
                    connections.lock().unwrap().push(task);
                }
            })
        };
        Self {
            addr,
            forwarding,
            connections,
            accept,
        }
    }

    fn drop_connections(&self) {
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Redis stops answering: open connections break, new ones hang.
    pub(crate) fn cut(&self) {
        self.forwarding.store(false, Ordering::SeqCst);
        self.drop_connections();
    }

    /// Redis answers again.
    pub(crate) fn restore(&self) {
        self.forwarding.store(true, Ordering::SeqCst);
        self.drop_connections();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.drop_connections();
    }
}

/// The socket address of a `redis://host:port` URL.
pub(crate) fn redis_addr(url: &str) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap();
    let host_port = authority.rsplit('@').next().unwrap();
    let host_port = if host_port.contains(':') {
        host_port.to_string()
    } else {
        format!("{host_port}:6379")
    };
    std::net::ToSocketAddrs::to_socket_addrs(&host_port)
        .unwrap()
        .next()
        .unwrap()
}

/// `url` with its host and port replaced by `addr` (credentials and database kept).
pub(crate) fn url_via(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("redis", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let userinfo = authority
        .rsplit_once('@')
        .map(|(u, _)| format!("{u}@"))
        .unwrap_or_default();
    format!("{scheme}://{userinfo}{addr}{tail}")
}
