//! `POST /api/query/stream`: the agent's events as server-sent events.
//!
//! Event names: `status`, `sql`, `rows`, `token`, `done` (data: the whole response) and
//! `error` (data: `{kind, message, status}`); the stream ends after `done` or `error`.

use std::convert::Infallible;
use std::pin::Pin;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::response::sse::{Event, KeepAlive, Sse};
use dbqa_agent::AgentEvent;
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::error::{ApiError, status_for};
use crate::routes::{MaybePermit, Permit, QueryRequest, Shared, bad_body};

type Events = Pin<Box<dyn Stream<Item = dbqa_agent::Result<AgentEvent>> + Send>>;

struct Progress {
    events: Events,
    deadline: Instant,
    timeout: Duration,
    finished: bool,
    // Held until the stream ends: a stream keeps its concurrency slot.
    _permit: Option<Permit>,
}

/// Answer a question as server-sent events: `status`, `sql`, `rows`, `token`, then `done`
/// (data: the whole `QueryResponse`) or `error` (data: `{kind, message, status}`).
#[utoipa::path(
    post,
    path = "/api/query/stream",
    request_body = crate::routes::QueryRequest,
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream", body = String),
        crate::openapi::QueryErrors
    )
)]
pub(crate) async fn query_stream(
    State(state): State<Shared>,
    permit: MaybePermit,
    body: Result<Json<QueryRequest>, JsonRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Json(request) = body.map_err(bad_body)?;
    let (question, options) = request.into_parts()?;
    let timeout = state.options.request_timeout;
    let progress = Progress {
        events: Box::pin(state.agent.query_stream_with(&question, options)),
        deadline: Instant::now() + timeout,
        timeout,
        finished: false,
        _permit: permit.map(|p| p.0),
    };
    let stream = futures::stream::unfold(progress, |mut p| async move {
        if p.finished {
            return None;
        }
        let event = match tokio::time::timeout_at(p.deadline, p.events.next()).await {
            Ok(Some(Ok(event))) => {
                p.finished = matches!(event, AgentEvent::Done { .. });
                to_event(event)
            }
            Ok(Some(Err(error))) => {
                p.finished = true;
                error_event(
                    error.kind(),
                    &error.to_string(),
                    status_for(&error).as_u16(),
                )
            }
            Ok(None) => return None,
            Err(_) => {
                p.finished = true;
                error_event(
                    "request_timeout",
                    &format!(
                        "the answer took longer than {} s (DBQA_REQUEST_TIMEOUT)",
                        p.timeout.as_secs_f64()
                    ),
                    504,
                )
            }
        };
        Some((Ok(event), p))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// The SSE event for an agent event: its name, and its fields without the tag (`done`
/// carries the response itself).
fn to_event(event: AgentEvent) -> Event {
    let name = event.name();
    let data = match event {
        AgentEvent::Done { response } => serde_json::to_value(&*response),
        other => serde_json::to_value(&other).map(|mut v| {
            if let Some(map) = v.as_object_mut() {
                map.remove("type");
            }
            v
        }),
    }
    .unwrap_or(Value::Null);
    Event::default().event(name).data(data.to_string())
}

fn error_event(kind: &str, message: &str, status: u16) -> Event {
    Event::default()
        .event("error")
        .data(json!({ "kind": kind, "message": message, "status": status }).to_string())
}
