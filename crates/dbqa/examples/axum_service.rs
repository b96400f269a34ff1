//! The agent in an axum service: a JSON route and a server-sent-events route.
//!
//! ```sh
//! cargo run -p dbqa --example axum_service -- 127.0.0.1:3000
//! ```
//!
//! Then, from another shell:
//! `curl -s localhost:3000/ask -H 'content-type: application/json' -d '{"question": "How many customers are in France?"}'`
//! for the whole answer as JSON, or
//! `curl -N 'localhost:3000/ask/stream?question=Which%20countries%20buy%20most'`
//! for the events as they happen (`status`, `sql`, `rows`, `token`…, `done`, or `error`).
//!
//! Database and LLM as in `ask.rs`. Both routes take an optional `session_id`, so a
//! client can ask follow-up questions. The agent is cheap to clone (an `Arc` inside) and
//! safe to share between requests.

use std::convert::Infallible;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dbqa::{DatabaseQueryAgent, QueryOptions, QueryResponse};
use futures::{Stream, StreamExt};
use serde::Deserialize;

mod common;

/// The body of `POST /ask` and the query of `GET /ask/stream`.
#[derive(Debug, Deserialize)]
struct Ask {
    question: String,
    session_id: Option<String>,
}

impl Ask {
    fn options(&self) -> QueryOptions {
        match &self.session_id {
            Some(id) => QueryOptions::in_session(id),
            None => QueryOptions::default(),
        }
    }
}

/// An agent error as an HTTP answer: the status says whose fault it was.
struct ApiError(dbqa::Error);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = self.0;
        let status = if error.is_user_error() {
            StatusCode::BAD_REQUEST
        } else if error.is_llm_unavailable() {
            StatusCode::BAD_GATEWAY
        } else if error.is_database_unavailable() {
            StatusCode::SERVICE_UNAVAILABLE
        } else if matches!(error, dbqa::Error::Timeout(_)) {
            StatusCode::GATEWAY_TIMEOUT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let body = serde_json::json!({
            "error": error.to_string(),
            "kind": error.kind(),
            "retryable": error.is_retryable(),
        });
        (status, Json(body)).into_response()
    }
}

async fn ask(
    State(agent): State<DatabaseQueryAgent>,
    Json(ask): Json<Ask>,
) -> Result<Json<QueryResponse>, ApiError> {
    let response = agent
        .query_with(&ask.question, ask.options())
        .await
        .map_err(ApiError)?;
    Ok(Json(response))
}

async fn ask_stream(
    State(agent): State<DatabaseQueryAgent>,
    Query(ask): Query<Ask>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // `boxed()` keeps the stream from borrowing `agent` and `ask` (it owns what it needs).
    let events = agent
        .query_stream_with(&ask.question, ask.options())
        .boxed()
        .map(|item| {
            let event = match item {
                Ok(event) => Event::default()
                    .event(event.name())
                    .data(serde_json::to_string(&event).unwrap_or_default()),
                Err(error) => Event::default().event("error").data(
                    serde_json::json!({ "error": error.to_string(), "kind": error.kind() })
                        .to_string(),
                ),
            };
            Ok(event)
        });
    Sse::new(events).keep_alive(KeepAlive::default())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_string());
    let (agent, _demo) = common::agent_from_env().await?;

    let app = Router::new()
        .route("/ask", post(ask))
        .route("/ask/stream", get(ask_stream))
        .with_state(agent.clone());

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    agent.close().await;
    Ok(())
}
