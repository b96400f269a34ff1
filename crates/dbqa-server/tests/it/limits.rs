//! The server keeps its limits against a determined client: the concurrency limit
//! measured at the LLM, the header read timeout on a silent connection, the Host check of
//! an open server, sessions owned by their user, and the audit log.

use std::time::Duration;

use dbqa_fake_llm::FakeLlm;
use dbqa_server::ServeOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{FRANCE, Server, agent, demo_db, run_sql};

#[tokio::test]
async fn the_concurrency_limit_holds_while_the_model_works() {
    let db = demo_db().await;
    let fake = FakeLlm::start().await;
    fake.fallback(run_sql(FRANCE, Some("{n} customers.")).delayed(Duration::from_millis(300)));
    let options = ServeOptions {
        max_concurrent_requests: 2,
        ..ServeOptions::default()
    };
    let server = Server::start(agent(&db, &fake, &[]).await, options).await;
    let http = reqwest::Client::new();
    let asks = (0..6).map(|i| {
        http.post(server.url("/api/query"))
            .json(
                &json!({"question": format!("How many customers are in France? (ask {})", char::from(b'a' + i)),
                          "options": {"use_cache": false}}),
            )
            .send()
    });
    for response in futures::future::join_all(asks).await {
        assert_eq!(response.expect("request").status(), StatusCode::OK);
    }
    assert_eq!(fake.request_count(), 6);
    // Six questions were asked at once; the model never saw more than two at a time.
    assert_eq!(fake.max_in_flight(), 2);
}

#[tokio::test]
async fn a_connection_that_sends_no_request_head_is_closed() {
    let db = demo_db().await;
    let fake = FakeLlm::start().await;
    let options = ServeOptions {
        header_timeout: Duration::from_secs(1),
        ..ServeOptions::default()
    };
    let server = Server::start(agent(&db, &fake, &[]).await, options).await;
    let mut silent = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let mut half = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .expect("write");
    for stream in [&mut silent, &mut half] {
        let mut buffer = Vec::new();
        // Far longer than the header timeout: the server must close the connection first.
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buffer))
            .await
            .expect("the server closed the connection");
        assert!(read.is_ok());
        let text = String::from_utf8_lossy(&buffer);
        assert!(!text.contains("200 OK"), "{text}");
    }
}

#[tokio::test]
async fn an_open_server_answers_only_for_its_own_address() {
    let db = demo_db().await;
    let fake = FakeLlm::start().await;
    let server = Server::start(agent(&db, &fake, &[]).await, ServeOptions::default()).await;
    let port = server.addr.port();
    let http = reqwest::Client::new();
    let status = |host: String| {
        let http = http.clone();
        let url = server.url("/api/stats");
        async move {
            http.get(url)
                .header("host", host)
                .send()
                .await
                .expect("request")
                .status()
        }
    };
    assert_eq!(status(format!("127.0.0.1:{port}")).await, StatusCode::OK);
    assert_eq!(status(format!("localhost:{port}")).await, StatusCode::OK);
    // DNS rebinding: a page on evil.example resolved to 127.0.0.1.
    let refused = http
        .get(server.url("/api/stats"))
        .header("host", format!("evil.example:{port}"))
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["kind"], "forbidden_host");
    assert_eq!(
        status(format!("127.0.0.1:{}", port + 1)).await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn each_user_sees_only_their_own_sessions() {
    let dir = tempfile::tempdir().expect("dir");
    let tokens = dir.path().join("tokens");
    std::fs::write(
        &tokens,
        "alice-token-0123456789 alice\nbob-token-0123456789ab bob\n",
    )
    .expect("tokens");
    let db = demo_db().await;
    let fake = FakeLlm::start().await;
    fake.fallback(run_sql(FRANCE, Some("{n} customers.")));
    let options = ServeOptions {
        api_tokens_file: Some(tokens),
        ..ServeOptions::default()
    };
    let server = Server::start(agent(&db, &fake, &[]).await, options).await;
    let http = reqwest::Client::new();
    let as_user = |token: &'static str, method: reqwest::Method, path: &str| {
        http.request(method, server.url(path)).bearer_auth(token)
    };
    let alice = "alice-token-0123456789";
    let bob = "bob-token-0123456789ab";
    let asked = as_user(alice, reqwest::Method::POST, "/api/query")
        .json(&json!({"question": "How many customers are in France?", "session_id": "s1"}))
        .send()
        .await
        .expect("request");
    assert_eq!(asked.status(), StatusCode::OK);
    let body: Value = asked.json().await.expect("json");
    assert_eq!(body["session_id"], "s1", "the user sees their own id");

    let list = |token| async move {
        let response = as_user(token, reqwest::Method::GET, "/api/sessions")
            .send()
            .await
            .expect("request");
        let body: Value = response.json().await.expect("json");
        body.as_array()
            .expect("array")
            .iter()
            .filter_map(|s| s["id"].as_str().map(str::to_string))
            .collect::<Vec<_>>()
    };
    assert_eq!(list(alice).await, ["s1"]);
    assert!(list(bob).await.is_empty());
    // Bob can neither read nor delete Alice's session, nor add to it.
    let read: Value = as_user(bob, reqwest::Method::GET, "/api/sessions/s1")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(read["messages"], json!([]));
    let deleted = as_user(bob, reqwest::Method::DELETE, "/api/sessions")
        .send()
        .await
        .expect("request");
    let deleted: Value = deleted.json().await.expect("json");
    assert_eq!(deleted["deleted"], 0);
    let mine: Value = as_user(alice, reqwest::Method::GET, "/api/sessions/s1")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(mine["messages"].as_array().map(Vec::len), Some(2));
    // No token, a wrong one: refused.
    let anonymous = http
        .get(server.url("/api/sessions"))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_question_is_audited() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("audit.jsonl");
    let db = demo_db().await;
    let fake = FakeLlm::start().await;
    fake.push(run_sql(FRANCE, Some("{n} customers.")));
    fake.push(run_sql("DELETE FROM customers", None));
    let options = ServeOptions {
        audit_log: Some(log.display().to_string()),
        ..ServeOptions::default()
    };
    let server = Server::start(agent(&db, &fake, &[("MAX_RETRIES", "0")]).await, options).await;
    let http = reqwest::Client::new();
    for question in [
        "How many customers are in France?",
        "Remove every customer please",
    ] {
        let _ = http
            .post(server.url("/api/query"))
            .json(&json!({"question": question}))
            .send()
            .await
            .expect("request");
    }
    let text = std::fs::read_to_string(&log).expect("audit log");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["user"], "anonymous");
    assert_eq!(lines[0]["question"], "How many customers are in France?");
    assert_eq!(lines[0]["tables"], json!(["customers"]));
    assert_eq!(lines[0]["rows"], 1);
    assert_eq!(lines[0]["outcome"], "ok");
    assert!(lines[0]["sql"].as_str().unwrap_or("").contains("customers"));
    assert!(lines[0]["time"].as_str().unwrap_or("").ends_with('Z'));
    assert_ne!(lines[1]["outcome"], "ok", "{}", lines[1]);
}
