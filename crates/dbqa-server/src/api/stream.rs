//! `POST /api/query/stream`: the agent's events as server-sent events.
//!
//! Event names: `status`, `sql`, `rows`, `token`, `done` (data: the whole response) and
//! `error` (data: `{kind, message, status}`); the stream ends after `done` or `error`.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Extension, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use dbqa_agent::AgentEvent;
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::api::query::{QueryRequest, audit, for_user};
use crate::error::{ApiError, status_for};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::{Permit, Shared};
use crate::users::User;

type Events = Pin<Box<dyn Stream<Item = dbqa_agent::Result<AgentEvent>> + Send>>;

struct Progress {
    events: Events,
    deadline: Instant,
    timeout: Duration,
    finished: bool,
    // Held until the stream ends: a stream keeps its concurrency slot.
    _permit: Option<Permit>,
    /// For the session id the user sees and the audit line.
    user: User,
    state: Shared,
    question: String,
    started: std::time::Instant,
}

/// Answer a question as server-sent events: `status`, `sql`, `rows`, `token`, then `done`
/// (data: the whole `QueryResponse`) or `error` (data: `{kind, message, status}`).
#[utoipa::path(
    post,
    path = "/api/query/stream",
    request_body = crate::api::query::QueryRequest,
    responses(
        (status = 200, description = "The event stream: each event's data is a JSON object (see the event names above)", content_type = "text/event-stream", body = Object),
        crate::openapi::QueryErrors
    )
)]
pub(crate) async fn query_stream(
    State(state): State<Shared>,
    CurrentUser(user): CurrentUser,
    permit: Option<Extension<Permit>>,
    ApiJson(request): ApiJson<QueryRequest>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let (question, options) = request.into_parts(&user)?;
    let timeout = state.options.request_timeout;
    let progress = Progress {
        events: Box::pin(state.agent.query_stream_with(&question, options)),
        deadline: Instant::now() + timeout,
        timeout,
        finished: false,
        _permit: permit.map(|p| p.0),
        user,
        state: Arc::clone(&state),
        question,
        started: std::time::Instant::now(),
    };
    let stream = futures::stream::unfold(progress, |mut p| async move {
        if p.finished {
            return None;
        }
        let event = match tokio::time::timeout_at(p.deadline, p.events.next()).await {
            Ok(Some(Ok(AgentEvent::Done { response }))) => {
                p.finished = true;
                audit(
                    &p.state,
                    &p.user,
                    "stream",
                    &p.question,
                    p.started,
                    Ok(&response),
                );
                to_event(AgentEvent::Done {
                    response: Box::new(for_user(*response, &p.user)),
                })
            }
            Ok(Some(Ok(event))) => to_event(event),
            Ok(Some(Err(error))) => {
                p.finished = true;
                audit(
                    &p.state,
                    &p.user,
                    "stream",
                    &p.question,
                    p.started,
                    Err(&error),
                );
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
