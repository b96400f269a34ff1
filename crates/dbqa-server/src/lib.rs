//! dbqa as a service: an HTTP API with server-sent events and a web chat page
//! (`dbqa serve`), and a Model Context Protocol server over stdio (`dbqa mcp`).
//!
//! It owns:
//! - [`router`], [`serve`] and [`serve_on`]: `POST /api/query`, `POST /api/query/stream`
//!   (events `status`, `sql`, `rows`, `token`, `done`, `error`), `GET`/`DELETE
//!   /api/sessions`, `GET`/`DELETE /api/sessions/{id}`, `POST /api/sessions/{id}/clear`,
//!   `GET /api/schema`, `GET /api/stats`, `GET /api/openapi.json`, `GET /healthz`,
//!   `GET /readyz`, `GET /metrics` (Prometheus) and the chat page at `/`;
//! - the limits every request runs under ([`ServeOptions`]): per-user bearer tokens on
//!   `/api` ([`Users`]; sessions owned by their user), the `Host` check of an open API,
//!   header and body read timeouts, body size, per-request timeout, concurrency, CORS (off
//!   unless configured), an audit log ([`AuditLog`]), and a graceful shutdown that lets
//!   answers in flight finish;
//! - the mapping of agent errors to HTTP statuses ([`status_for`]) and the error body
//!   `{"error": {"kind", "message"}}` ([`ErrorBody`]): never a 500 with internals;
//! - [`McpServer`], [`serve_mcp`] and [`serve_mcp_stdio`]: tools `list_tables`,
//!   `describe_table`, `run_query` (through the guard) and `ask`; the schema as resources.
//!
//! It must not know about the command line, a particular database driver, cache engine
//! or LLM API: it talks to [`dbqa_agent::DatabaseQueryAgent`] and, for MCP and
//! readiness, to a [`dbqa_core::Database`]. No SQL reaches the database without the guard.
//!
//! ```no_run
//! # async fn run(agent: dbqa_agent::DatabaseQueryAgent) -> dbqa_server::Result<()> {
//! use std::sync::Arc;
//! use dbqa_server::ServeOptions;
//!
//! let options = ServeOptions {
//!     bind: "127.0.0.1:8080".parse().unwrap_or(ServeOptions::default().bind),
//!     ..ServeOptions::from_env()? // DBQA_API_TOKEN, DBQA_MAX_BODY_BYTES, …
//! };
//! dbqa_server::serve(Arc::new(agent), options).await // until Ctrl-C or SIGTERM
//! # }
//! ```
//!
//! # Features
//!
//! This crate has no cargo features.

mod api;
mod assets;
mod audit;
pub mod chart_image;
mod error;
mod extract;
mod mcp;
mod metrics;
mod middleware;
mod openapi;
mod options;
mod routes;
mod state;
mod users;

use std::future::Future;
use std::sync::Arc;

use dbqa_agent::DatabaseQueryAgent;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

pub use audit::{AuditLog, AuditRecord};
pub use error::{Error, ErrorBody, ErrorDetail, ErrorKind, Result, status_for};
pub use mcp::{McpServer, serve_mcp, serve_mcp_stdio};
pub use options::ServeOptions;
pub use routes::{router, router_with};
pub use users::{DEFAULT_USER, Users};

/// How long the answers in flight get to finish after a shutdown signal.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(60);

/// The web chat page served at `/`.
pub(crate) const PAGE: &str = include_str!("page.html");

/// Binds `options.bind` and serves until Ctrl-C or SIGTERM, then stops accepting
/// connections and waits for the requests and streams in flight to finish.
pub async fn serve(agent: Arc<DatabaseQueryAgent>, options: ServeOptions) -> Result<()> {
    let listener = TcpListener::bind(options.bind)
        .await
        .map_err(|source| Error::Bind {
            addr: options.bind.to_string(),
            source,
        })?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!("dbqa serving on http://{addr}");
    }
    serve_on(listener, agent, options, shutdown_signal()).await
}

/// Serves on a bound listener until `shutdown` completes, then drains like [`serve`].
/// Tests use it with `127.0.0.1:0`.
///
/// Connections are served as HTTP/1.1 by hyper directly, so that a client that does not
/// send its request head within `header_timeout` is disconnected (axum's own `serve` sets
/// no such timer).
pub async fn serve_on(
    listener: TcpListener,
    agent: Arc<DatabaseQueryAgent>,
    mut options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    // The address really listened on (a test binds port 0): the Host check uses it.
    if let Ok(addr) = listener.local_addr() {
        options.bind = addr;
    }
    let users = options.users()?;
    let audit = options.audit()?;
    if !users.required() && !options.bind.ip().is_loopback() {
        tracing::warn!(
            "dbqa serve listens on {} with no token: anyone who can reach it can query the database (set DBQA_API_TOKENS)",
            options.bind
        );
    }
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout);
    let app = router_with(agent, options, users, audit);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        tracing::warn!("accepting a connection failed: {e}");
                        continue;
                    }
                };
                let service = TowerToHyperService::new(app.clone());
                let connection = http.serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = watched.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "answers still in flight after {} s were cut off",
            DRAIN.as_secs()
        );
    }
    Ok(())
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
