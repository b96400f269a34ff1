//! Two servers sharing one Redis for cache and sessions: a conversation started on one
//! continues on the other.

use std::time::Duration;

use dbqa_fake_llm::FakeLlm;
use dbqa_server::ServeOptions;
use deadpool_redis::redis;
use serde_json::{Value, json};

use crate::support::{FRANCE, Server, agent, demo_db, run_sql};

async fn redis_url() -> Option<String> {
    let url = std::env::var("DBQA_TEST_REDIS_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_string());
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
                "start it with `redis-server --daemonize yes` (or set DBQA_TEST_REDIS_URL)",
            )
        }
    }
}

async fn delete_prefix(url: &str, prefix: &str) {
    let Ok(client) = redis::Client::open(url) else {
        return;
    };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
        return;
    };
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap_or_default();
    if !keys.is_empty() {
        let _ = redis::cmd("DEL")
            .arg(keys)
            .query_async::<()>(&mut conn)
            .await;
    }
}

#[tokio::test]
async fn two_servers_share_sessions_and_cache_through_redis() {
    let Some(url) = redis_url().await else { return };
    let prefix = format!(
        "dbqa-server-test:{}-{}:",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let extra = [
        ("CACHE_BACKEND", "redis"),
        ("SESSION_BACKEND", "redis"),
        ("REDIS_URL", url.as_str()),
        ("CACHE_KEY_PREFIX", prefix.as_str()),
    ];
    let db = demo_db().await;
    let fake = FakeLlm::start().await;
    let one = Server::start(agent(&db, &fake, &extra).await, ServeOptions::default()).await;
    let two = Server::start(agent(&db, &fake, &extra).await, ServeOptions::default()).await;
    assert_ne!(one.addr, two.addr);
    let http = reqwest::Client::new();
    let ask = |server: &Server, question: &str| {
        http.post(server.url("/api/query"))
            .json(&json!({"question": question, "session_id": "shared"}))
            .send()
    };

    fake.push(run_sql(FRANCE, Some("{n} customers in France.")));
    let first: Value = ask(&one, "How many customers are in France?")
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(first["session_id"], json!("shared"), "{first}");

    // The follow-up goes to the other server, which must see the first exchange.
    fake.push(run_sql(
        "SELECT COUNT(*) AS n FROM customers WHERE country = 'Germany'",
        Some("{n} customers in Germany."),
    ));
    let second = ask(&two, "And in Germany?").await.expect("request");
    assert_eq!(second.status(), reqwest::StatusCode::OK);
    let requests = fake.requests();
    let follow_up = requests.last().expect("a request").body["messages"].to_string();
    assert!(
        follow_up.contains("How many customers are in France?"),
        "server two did not see the history from server one: {follow_up}"
    );

    let history: Value = http
        .get(two.url("/api/sessions/shared"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let text = history["messages"].to_string();
    assert!(
        text.contains("France") && text.contains("Germany"),
        "{text}"
    );

    // The first question, asked again on server two in a new session, is an LLM-cache hit.
    let calls = fake.request_count();
    let again: Value = http
        .post(two.url("/api/query"))
        .json(&json!({"question": "How many customers are in France?"}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let (_, _) = (one.shutdown().await, two.shutdown().await);
    delete_prefix(&url, &prefix).await;
    assert_eq!(fake.request_count(), calls, "{again}");
    assert_eq!(again["cached"], json!("llm"), "{again}");
}
