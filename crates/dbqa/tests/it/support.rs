//! Test support: the demo database in a temp dir, the fake LLM, agents wired to both,
//! the test services' addresses, and reading the docs.

use std::path::PathBuf;
use std::sync::Arc;

use dbqa::core::Database;
use dbqa::{AgentConfig, DatabaseQueryAgent, Environment};
use dbqa_fake_llm::FakeLlm;

/// The repository root (two levels above this crate).
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file of `docs/`, read whole.
pub(crate) fn read_doc(name: &str) -> String {
    let path = repo_root().join("docs").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The demo shop database written to a fresh temp dir, and its URL.
pub(crate) fn demo_db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shop.db");
    dbqa::schema::demo::create_demo_database(&path).expect("demo database");
    let url = format!("sqlite://{}", path.display());
    (dir, url)
}

/// A configuration talking to `fake`, with memory cache and sessions and no LLM retries,
/// then `extra` on top.
pub(crate) fn config(fake: &FakeLlm, extra: &[(&str, &str)]) -> AgentConfig {
    let base_url = fake.base_url();
    let mut vars: Vec<(&str, &str)> = vec![
        ("LLM_PROVIDER", "openai-compatible"),
        ("LLM_BASE_URL", base_url.as_str()),
        ("LLM_MAX_RETRIES", "0"),
        ("MODEL_STRATEGY", "fixed"),
        ("BALANCED_MODEL", "fake-model"),
        ("CACHE_BACKEND", "memory"),
        ("SESSION_BACKEND", "memory"),
    ];
    vars.extend_from_slice(extra);
    AgentConfig::from_environment(&Environment::from_maps(vars, Vec::<(&str, &str)>::new()))
        .expect("test config")
}

/// Builds an agent on the database at `url` with `config(fake, extra)`.
pub(crate) async fn build(
    url: &str,
    fake: &FakeLlm,
    extra: &[(&str, &str)],
) -> dbqa::Result<DatabaseQueryAgent> {
    DatabaseQueryAgent::builder()
        .config(config(fake, extra))
        .database_url(url)
        .build()
        .await
}

/// Builds an agent on an open connector.
pub(crate) async fn build_on(
    db: Arc<dyn Database>,
    fake: &FakeLlm,
    extra: &[(&str, &str)],
) -> dbqa::Result<DatabaseQueryAgent> {
    DatabaseQueryAgent::builder()
        .config(config(fake, extra))
        .database(db)
        .build()
        .await
}

/// The test PostgreSQL's admin URL, or `None` when it is down (the test is skipped, or
/// fails with `DBQA_TEST_REQUIRE_SERVICES=1`).
pub(crate) async fn postgres_url() -> Option<String> {
    let url = std::env::var("DBQA_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into());
    match dbqa::schema::connect_url(&url).await {
        Ok(db) => {
            db.close().await;
            Some(url)
        }
        Err(e) => service_down(
            "PostgreSQL",
            &url,
            &e.to_string(),
            "start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) or set DBQA_TEST_POSTGRES_URL",
        ),
    }
}

/// The test Redis's URL (`DBQA_TEST_REDIS_URL`, default loopback).
pub(crate) fn redis_url() -> String {
    std::env::var("DBQA_TEST_REDIS_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into())
}

/// Skips (or, with `DBQA_TEST_REQUIRE_SERVICES=1`, fails) for a service that is down.
pub(crate) fn service_down<T>(name: &str, url: &str, error: &str, how: &str) -> Option<T> {
    dbqa_core::testing::service_down(name, url, &error, how)
}

/// Replaces the database name at the end of a server URL.
pub(crate) fn with_database(url: &str, name: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let rest = &url[after_scheme..];
    let path_start = rest
        .find('/')
        .map(|i| after_scheme + i)
        .unwrap_or(url.len());
    let query = url[path_start..]
        .find('?')
        .map(|i| &url[path_start + i..])
        .unwrap_or("");
    format!("{}/{name}{query}", &url[..path_start])
}
