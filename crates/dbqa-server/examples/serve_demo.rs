//! Serves the demo shop database over HTTP with a built-in fake LLM that answers every
//! question with one SQL statement and an answer template: a server to click around in
//! without an API key, and the target of `cargo xtask load-test`.
//!
//! ```text
//! cargo run -p dbqa-server --example serve_demo -- [127.0.0.1:8080]
//! ```
//! Prints `listening on http://ADDR` once ready; stops on Ctrl-C or SIGTERM.

use std::sync::Arc;

use dbqa_agent::DatabaseQueryAgent;
use dbqa_core::{AgentConfig, Environment};
use dbqa_fake_llm::{FakeLlm, Reply};
use dbqa_server::ServeOptions;
use serde_json::json;

// The allocator `dbqa serve` runs with, so the load test measures what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("shop.db");
    dbqa_schema::demo::create_demo_database(&path)?;
    let db = dbqa_schema::connect_url(&format!("sqlite://{}", path.display())).await?;

    let fake = FakeLlm::start().await;
    fake.fallback(Reply::respond(|_| {
        Reply::tool_call(
            "run_sql",
            json!({
                "sql": "SELECT COUNT(*) AS n FROM customers WHERE country = 'France'",
                "answer_template": "There are {n} customers in France."
            }),
        )
    }));
    let base_url = fake.base_url();
    // The fake records every request; forget them so its memory stays flat under load.
    let fake = Arc::new(fake);
    let recorder = Arc::clone(&fake);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            recorder.clear_requests();
        }
    });
    let vars = [
        ("LLM_PROVIDER", "openai-compatible"),
        ("LLM_BASE_URL", base_url.as_str()),
        ("MODEL_STRATEGY", "fixed"),
        ("BALANCED_MODEL", "fake-model"),
        ("CACHE_BACKEND", "memory"),
        ("SESSION_BACKEND", "memory"),
    ];
    let config =
        AgentConfig::from_environment(&Environment::from_maps(vars, Vec::<(&str, &str)>::new()))?;
    let agent = DatabaseQueryAgent::builder()
        .config(config)
        .database(Arc::clone(&db))
        .build()
        .await?;
    let options = ServeOptions {
        bind: bind.parse()?,
        database: Some(db),
        ..ServeOptions::from_env()?
    };
    let listener = tokio::net::TcpListener::bind(options.bind).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let shutdown = async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            () = shutdown => {},
            _ = term.recv() => {},
        }
        Ok::<(), std::io::Error>(())
    };
    dbqa_server::serve_on(listener, Arc::new(agent), options, async move {
        let _ = shutdown.await;
    })
    .await?;
    Ok(())
}
