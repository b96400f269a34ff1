//! Test support: the demo shop in SQLite, the fake LLM, an agent, and a server on
//! `127.0.0.1:0` that stops when the handle is dropped.

use std::net::SocketAddr;
use std::sync::Arc;

use dbqa_agent::DatabaseQueryAgent;
use dbqa_core::{AgentConfig, Database, Environment};
use dbqa_fake_llm::{FakeLlm, Reply};
use dbqa_server::ServeOptions;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub(crate) const FRANCE: &str = "SELECT COUNT(*) AS n FROM customers WHERE country = 'France'";

/// A `run_sql` tool call with an optional answer template.
pub(crate) fn run_sql(sql: &str, template: Option<&str>) -> Reply {
    let mut args = json!({ "sql": sql });
    if let Some(t) = template {
        args["answer_template"] = json!(t);
    }
    Reply::tool_call("run_sql", args)
}

/// The demo shop database in a temporary directory.
pub(crate) struct DemoDb {
    pub(crate) db: Arc<dyn Database>,
    _dir: tempfile::TempDir,
}

pub(crate) async fn demo_db() -> DemoDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shop.db");
    dbqa_schema::demo::create_demo_database(&path).expect("demo database");
    let db = dbqa_schema::connect_url(&format!("sqlite://{}", path.display()))
        .await
        .expect("open demo database");
    DemoDb { db, _dir: dir }
}

/// A test configuration: the fake LLM, no retries, memory stores unless overridden.
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

pub(crate) async fn agent(
    db: &DemoDb,
    fake: &FakeLlm,
    extra: &[(&str, &str)],
) -> Arc<DatabaseQueryAgent> {
    Arc::new(
        DatabaseQueryAgent::builder()
            .config(config(fake, extra))
            .database(Arc::clone(&db.db))
            .build()
            .await
            .expect("build agent"),
    )
}

/// A running server; shut down (gracefully) when dropped or by [`Server::shutdown`].
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<dbqa_server::Result<()>>>,
}

impl Server {
    pub(crate) async fn start(agent: Arc<DatabaseQueryAgent>, options: ServeOptions) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(dbqa_server::serve_on(listener, agent, options, async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Asks the server to stop and waits until it has drained.
    pub(crate) async fn shutdown(mut self) -> dbqa_server::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.expect("server task"),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One server-sent event: its name and JSON data.
#[derive(Debug, Clone)]
pub(crate) struct Sse {
    pub(crate) event: String,
    pub(crate) data: Value,
}

/// Reads a whole event stream.
pub(crate) async fn read_events(response: reqwest::Response) -> Vec<Sse> {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;
    response
        .bytes_stream()
        .eventsource()
        .map(|e| {
            let e = e.expect("well-formed event stream");
            Sse {
                event: e.event,
                data: serde_json::from_str(&e.data).expect("JSON event data"),
            }
        })
        .collect()
        .await
}

/// Whether an optional external-tool test must run (`var=1`) or may skip.
pub(crate) fn forced(var: &str) -> bool {
    std::env::var(var).as_deref() == Ok("1")
}

/// The workspace root (for `target/`).
pub(crate) fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}
