//! A scripted fake LLM server for dbqa's tests and benchmarks.
//!
//! It owns: a small axum server on `127.0.0.1:0` that answers OpenAI-style
//! (`…/chat/completions`, also what Ollama and compatible servers speak) and Anthropic-style
//! (`…/messages`) requests from a FIFO script of [`Reply`]s, in the wire format of the path
//! called, as JSON or as server-sent events; faults on demand (HTTP errors with
//! `Retry-After`, slow answers, broken streams, invalid JSON); and a record of every request.
//!
//! It must not know about dbqa's types: it speaks only the wire formats, so it tests the
//! providers' mapping rather than mirroring it. It is test support (`publish = false`).
//!
//! ```
//! use dbqa_fake_llm::{FakeLlm, Reply};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let fake = FakeLlm::start().await;
//! fake.push(Reply::tool_call("run_sql", json!({"sql": "SELECT 1"})));
//! fake.push(Reply::text("One."));
//! // Point a provider at `fake.base_url()` (`http://127.0.0.1:PORT/v1`), then:
//! assert_eq!(fake.requests().len(), 0);
//! assert_eq!(fake.remaining(), 2);
//! # }
//! ```
//!
//! When the script is empty (and no [`FakeLlm::fallback`] is set) the server answers HTTP
//! 500 with a message saying so; it never panics while serving.
//!
//! | Feature | What it adds |
//! |---|---|
//! | (none) | everything above |

mod reply;
mod wire;

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::Value;

pub use reply::{Reply, Responder};
pub use wire::Wire;

use reply::Body as ReplyBody;
use wire::{Context, Rendered, render};

/// A request the fake server received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// The path called, e.g. `/v1/chat/completions`.
    pub path: String,
    /// The wire format (from the path).
    pub wire: Wire,
    /// Request headers, names lower-case.
    pub headers: BTreeMap<String, String>,
    /// The JSON body (a JSON string holding the raw text when it was not JSON).
    pub body: Value,
}

impl RecordedRequest {
    /// Whether the request asked for a streamed answer.
    pub fn is_stream(&self) -> bool {
        self.body.get("stream").and_then(Value::as_bool) == Some(true)
    }

    /// The model named in the request.
    pub fn model(&self) -> &str {
        self.body.get("model").and_then(Value::as_str).unwrap_or("")
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The text of the last user message (string content or text blocks), in either wire format.
    pub fn last_user_text(&self) -> Option<String> {
        let messages = self.body.get("messages")?.as_array()?;
        messages
            .iter()
            .rev()
            .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
            .find_map(|m| match m.get("content")? {
                Value::String(text) => Some(text.clone()),
                Value::Array(blocks) => {
                    let texts: Vec<&str> = blocks
                        .iter()
                        .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                        .filter_map(|b| b.get("text").and_then(Value::as_str))
                        .collect();
                    (!texts.is_empty()).then(|| texts.join("\n"))
                }
                _ => None,
            })
    }

    /// The system prompt, in either wire format.
    pub fn system_text(&self) -> Option<String> {
        if let Some(system) = self.body.get("system").and_then(Value::as_str) {
            return Some(system.to_string());
        }
        self.body
            .get("messages")?
            .as_array()?
            .iter()
            .find(|m| m.get("role").and_then(Value::as_str) == Some("system"))
            .and_then(|m| m.get("content").and_then(Value::as_str))
            .map(str::to_string)
    }

    /// The names of the tools offered, in either wire format.
    pub fn tool_names(&self) -> Vec<String> {
        let Some(tools) = self.body.get("tools").and_then(Value::as_array) else {
            return Vec::new();
        };
        tools
            .iter()
            .filter_map(|t| {
                t.pointer("/function/name")
                    .or_else(|| t.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect()
    }
}

#[derive(Default)]
struct Shared {
    script: VecDeque<Reply>,
    fallback: Option<Reply>,
    requests: Vec<RecordedRequest>,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: usize,
    max_in_flight: usize,
    /// What `GET …/models` lists; `None` answers it 404.
    models: Option<Vec<String>>,
}

/// Counts a request in flight until dropped.
struct InFlight(SharedState);

impl InFlight {
    fn enter(state: &SharedState) -> Self {
        let mut shared = lock(state);
        shared.in_flight += 1;
        shared.max_in_flight = shared.max_in_flight.max(shared.in_flight);
        Self(Arc::clone(state))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut shared = lock(&self.0);
        shared.in_flight = shared.in_flight.saturating_sub(1);
    }
}

type SharedState = Arc<Mutex<Shared>>;

fn lock(state: &SharedState) -> MutexGuard<'_, Shared> {
    // A panicking test thread must not turn every later request into a second panic.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake LLM server; stopped when dropped.
pub struct FakeLlm {
    addr: SocketAddr,
    state: SharedState,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for FakeLlm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeLlm")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FakeLlm {
    /// Starts a server on `127.0.0.1:0` inside the current tokio runtime.
    ///
    /// # Panics
    /// When no loopback port can be bound (test support: there is nothing sensible to do).
    pub async fn start() -> Self {
        match Self::try_start().await {
            Ok(fake) => fake,
            Err(e) => panic!("dbqa-fake-llm cannot bind a loopback port: {e}"),
        }
    }

    /// Starts a server, returning the bind error instead of panicking.
    pub async fn try_start() -> io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = SharedState::default();
        let app = Router::new().fallback(handle).with_state(state.clone());
        let task = tokio::spawn(async move {
            // The server runs until the task is aborted on drop.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, state, task })
    }

    /// The API root for clients: `http://127.0.0.1:PORT/v1` (OpenAI-style clients append
    /// `/chat/completions`, Anthropic-style ones `/messages`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Appends a reply to the script.
    pub fn push(&self, reply: Reply) -> &Self {
        lock(&self.state).script.push_back(reply);
        self
    }

    /// Appends several replies to the script.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) -> &Self {
        lock(&self.state).script.extend(replies);
        self
    }

    /// The reply served whenever the script is empty (typically [`Reply::respond`] or
    /// [`Reply::auto_sql`], for benchmarks that answer many questions).
    pub fn fallback(&self, reply: Reply) -> &Self {
        lock(&self.state).fallback = Some(reply);
        self
    }

    /// Lists `models` at `GET …/models` (the OpenAI-compatible listing); without this
    /// call that path answers 404, as servers without a listing do. Not a recorded
    /// request.
    pub fn serve_models(&self, models: &[&str]) -> &Self {
        lock(&self.state).models = Some(models.iter().map(|m| m.to_string()).collect());
        self
    }

    /// Scripted replies not yet served.
    pub fn remaining(&self) -> usize {
        lock(&self.state).script.len()
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    /// The most requests that were being answered at the same time (a reply's delay
    /// counts as being answered): what a client's concurrency limit let through.
    pub fn max_in_flight(&self) -> usize {
        lock(&self.state).max_in_flight
    }

    /// How many requests were received.
    pub fn request_count(&self) -> usize {
        lock(&self.state).requests.len()
    }

    /// The most recent request.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        lock(&self.state).requests.last().cloned()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.state).requests.clear();
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    State(state): State<SharedState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if path.ends_with("/models") {
        return models_listing(&state);
    }
    let wire = if path.ends_with("/chat/completions") {
        Wire::OpenAi
    } else if path.ends_with("/messages") {
        Wire::Anthropic
    } else {
        return plain(
            StatusCode::NOT_FOUND,
            format!("dbqa-fake-llm serves …/chat/completions and …/messages, not {path}"),
        );
    };
    let body: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let request = RecordedRequest {
        path: path.clone(),
        wire,
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };
    let _in_flight = InFlight::enter(&state);
    let (reply, serial) = {
        let mut shared = lock(&state);
        shared.requests.push(request.clone());
        let serial = shared.requests.len();
        let reply = shared
            .script
            .pop_front()
            .or_else(|| shared.fallback.clone());
        (reply, serial)
    };
    let Some(mut reply) = reply else {
        let message = format!(
            "dbqa-fake-llm: the reply script is empty (request #{serial} to {path}); push more replies with FakeLlm::push or set FakeLlm::fallback"
        );
        let body = match wire {
            Wire::OpenAi => serde_json::json!({"error": {"message": message, "type": "api_error"}}),
            Wire::Anthropic => {
                serde_json::json!({"type": "error", "error": {"type": "api_error", "message": message}})
            }
        };
        return json_response(StatusCode::INTERNAL_SERVER_ERROR, body.to_string(), None);
    };
    if let ReplyBody::Respond(responder) = &reply.body {
        reply = responder(&request);
    }
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let stream = reply.stream.unwrap_or_else(|| request.is_stream());
    let include_usage = request
        .body
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        == Some(true);
    let model = match request.model() {
        "" => "fake-model",
        named => named,
    };
    let cx = Context {
        wire,
        stream,
        include_usage,
        model,
        serial,
    };
    match render(&reply, &cx) {
        Rendered::Full {
            status,
            retry_after,
            content_type,
            body,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = json_response(status, body, retry_after);
            if let Ok(value) = content_type.parse() {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
        }
        Rendered::Sse { frames, abort } => {
            use futures::StreamExt;
            let items: Vec<Result<Bytes, io::Error>> =
                frames.into_iter().map(|f| Ok(Bytes::from(f))).collect();
            // The break comes a moment after the frames, so they reach the client first.
            let tail = futures::stream::iter(abort.then_some(())).then(|()| async {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                Err::<Bytes, _>(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "dbqa-fake-llm cut the stream",
                ))
            });
            let items = futures::stream::iter(items).chain(tail);
            let mut response = Response::new(Body::from_stream(items));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/event-stream"),
            );
            response
        }
    }
}

/// `GET …/models`: the models [`FakeLlm::serve_models`] set, else 404.
fn models_listing(state: &SharedState) -> Response {
    match &lock(state).models {
        Some(models) => {
            let data: Vec<Value> = models
                .iter()
                .map(|id| serde_json::json!({"id": id, "object": "model", "owned_by": "fake"}))
                .collect();
            let body = serde_json::json!({"object": "list", "data": data}).to_string();
            json_response(StatusCode::OK, body, None)
        }
        None => plain(
            StatusCode::NOT_FOUND,
            String::from("dbqa-fake-llm lists no models (FakeLlm::serve_models)"),
        ),
    }
}

fn json_response(status: StatusCode, body: String, retry_after: Option<u64>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    response
}

fn plain(status: StatusCode, text: String) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
}
