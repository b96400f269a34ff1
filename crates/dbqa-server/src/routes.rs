//! The router: every route, its handler, and the middleware (metrics, auth, concurrency
//! limit, per-request timeout, body limit, CORS).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Extension, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use dbqa_agent::{DatabaseQueryAgent, QueryOptions, QueryResponse, SchemaInfo, Stats};
use dbqa_cache::CachesStats;
use dbqa_core::{AnswerMode, Message, SessionInfo};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::metrics::Metrics;
use crate::options::ServeOptions;

/// What every handler shares.
pub(crate) struct AppState {
    pub(crate) agent: Arc<DatabaseQueryAgent>,
    pub(crate) options: ServeOptions,
    pub(crate) metrics: Metrics,
    permits: Arc<Semaphore>,
}

pub(crate) type Shared = Arc<AppState>;

/// A concurrency-limit permit, handed to streaming handlers so a stream holds its slot
/// until it ends.
#[derive(Clone)]
pub(crate) struct Permit(#[allow(dead_code)] pub(crate) Arc<OwnedSemaphorePermit>);

/// The whole HTTP application, ready for `axum::serve`.
pub fn router(agent: Arc<DatabaseQueryAgent>, options: ServeOptions) -> Router {
    let state: Shared = Arc::new(AppState {
        agent,
        permits: Arc::new(Semaphore::new(options.max_concurrent_requests.max(1))),
        metrics: Metrics::default(),
        options,
    });
    let api = Router::new()
        .route("/api/query", post(query))
        .route("/api/query/stream", post(crate::sse::query_stream))
        .route(
            "/api/sessions",
            get(list_sessions).delete(delete_all_sessions),
        )
        .route(
            "/api/sessions/{id}",
            get(session_history).delete(delete_session),
        )
        .route("/api/sessions/{id}/clear", post(clear_session))
        .route("/api/schema", get(schema))
        .route("/api/stats", get(stats))
        .route("/api/openapi.json", get(openapi))
        // The last layer added runs first: auth before waiting for a slot.
        .route_layer(from_fn_with_state(state.clone(), limits))
        .route_layer(from_fn_with_state(state.clone(), auth));
    let mut app = Router::new()
        .route("/", get(page))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(api)
        .route_layer(from_fn_with_state(state.clone(), track))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(state.options.max_body_bytes));
    if let Some(cors) = cors(&state.options.cors_origins) {
        app = app.layer(cors);
    }
    app.with_state(state)
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
    )
}

/// Counts every routed request with its latency (to the response head).
async fn track(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    state.metrics.started();
    let response = next.run(request).await;
    state.metrics.finished(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Bearer-token check when `DBQA_API_TOKEN` is set.
async fn auth(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let Some(token) = &state.options.api_token else {
        return next.run(request).await;
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(given) if same(given.as_bytes(), token.expose_secret().as_bytes()) => {
            next.run(request).await
        }
        _ => {
            let mut response = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this API needs `Authorization: Bearer <token>` with the server's DBQA_API_TOKEN",
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

/// Compares without stopping at the first difference, so timing reveals nothing.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The concurrency limit (requests wait for a slot) and the per-request timeout.
async fn limits(State(state): State<Shared>, mut request: Request, next: Next) -> Response {
    let timeout = state.options.request_timeout;
    let work = async {
        let permit = match Arc::clone(&state.permits).acquire_owned().await {
            Ok(permit) => Permit(Arc::new(permit)),
            Err(_) => {
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "shutting_down",
                    "the server is shutting down",
                )
                .into_response();
            }
        };
        request.extensions_mut().insert(permit);
        next.run(request).await
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "request_timeout",
            format!(
                "the request took longer than {} s (DBQA_REQUEST_TIMEOUT)",
                timeout.as_secs_f64()
            ),
        )
        .into_response(),
    }
}

/// The body of `POST /api/query` and `POST /api/query/stream`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueryRequest {
    /// The question.
    pub(crate) question: String,
    /// Ask within this chat session (1 to 200 characters); follow-ups use its history.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub(crate) session_id: Option<String>,
    /// Per-question options.
    #[serde(default)]
    pub(crate) options: RequestOptions,
}

/// Per-question options; absent fields keep the defaults.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RequestOptions {
    /// Include the SQL in the response (default true).
    return_sql: Option<bool>,
    /// Include the rows in the response (default true).
    return_rows: Option<bool>,
    /// Write an answer in words (default true).
    natural_response: Option<bool>,
    /// How the answer is written: `template`, `llm` or `none` (default: ANSWER_MODE).
    #[schema(pattern = "^(template|llm|none)$")]
    answer_mode: Option<String>,
    /// Let the LLM-response and query-result caches answer (default true).
    use_cache: Option<bool>,
}

impl QueryRequest {
    pub(crate) fn into_parts(self) -> Result<(String, QueryOptions), ApiError> {
        let defaults = QueryOptions::default();
        let o = self.options;
        let answer_mode = match o.answer_mode.as_deref() {
            None => None,
            Some(mode) => Some(mode.parse::<AnswerMode>().map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("options.answer_mode: {e}"),
                )
            })?),
        };
        let session_id = match self.session_id {
            Some(id) if id.trim().is_empty() || id.len() > 200 => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "session_id must be 1 to 200 characters",
                ));
            }
            other => other,
        };
        // `natural_response: false` is the older spelling of answer mode `none`.
        let answer_mode = match o.natural_response {
            Some(false) => Some(AnswerMode::None),
            _ => answer_mode,
        };
        let mut options = QueryOptions::default()
            .return_sql(o.return_sql.unwrap_or(defaults.return_sql))
            .return_rows(o.return_rows.unwrap_or(defaults.return_rows))
            .use_cache(o.use_cache.unwrap_or(defaults.use_cache));
        options.answer_mode = answer_mode;
        options.session_id = session_id;
        Ok((self.question, options))
    }
}

/// A JSON body the handler could not read: 413 when too large, else 400.
pub(crate) fn bad_body(rejection: JsonRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than the server accepts (DBQA_MAX_BODY_BYTES)",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            rejection.body_text(),
        )
    }
}

/// Answer a question.
#[utoipa::path(
    post,
    path = "/api/query",
    request_body = QueryRequest,
    responses((status = 200, description = "The answer", body = QueryResponse), crate::openapi::QueryErrors)
)]
pub(crate) async fn query(
    State(state): State<Shared>,
    body: Result<Json<QueryRequest>, JsonRejection>,
) -> Result<Json<QueryResponse>, ApiError> {
    let Json(request) = body.map_err(bad_body)?;
    let (question, options) = request.into_parts()?;
    Ok(Json(state.agent.query_with(&question, options).await?))
}

/// Chat sessions, most recently active first.
#[utoipa::path(
    get,
    path = "/api/sessions",
    responses(
        (status = 200, description = "Sessions", body = Vec<SessionInfo>),
        (status = 503, description = "The session store is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn list_sessions(
    State(state): State<Shared>,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    Ok(Json(state.agent.list_sessions().await?))
}

/// `DELETE /api/sessions`: how many sessions were removed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Deleted {
    /// Sessions deleted.
    deleted: usize,
}

/// Delete every session.
#[utoipa::path(
    delete,
    path = "/api/sessions",
    responses(
        (status = 200, description = "How many were deleted", body = Deleted),
        (status = 503, description = "The session store is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn delete_all_sessions(
    State(state): State<Shared>,
) -> Result<Json<Deleted>, ApiError> {
    let sessions = state.agent.list_sessions().await?;
    for session in &sessions {
        state.agent.delete_session(&session.id).await?;
    }
    Ok(Json(Deleted {
        deleted: sessions.len(),
    }))
}

/// `GET /api/sessions/{id}`: a session's messages, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct History {
    /// The session id.
    session_id: String,
    /// Its messages, oldest first (empty for an unknown session).
    messages: Vec<Message>,
}

/// A session's messages, oldest first.
#[utoipa::path(
    get,
    path = "/api/sessions/{id}",
    params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 200, description = "History", body = History),
        (status = 503, description = "The session store is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn session_history(
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<History>, ApiError> {
    let messages = state.agent.session_history(&id).await?;
    Ok(Json(History {
        session_id: id,
        messages,
    }))
}

/// Forget a session's messages but keep it listed.
#[utoipa::path(
    post,
    path = "/api/sessions/{id}/clear",
    params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 204, description = "Cleared"),
        (status = 503, description = "The session store is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn clear_session(
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.agent.clear_session(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a session.
#[utoipa::path(
    delete,
    path = "/api/sessions/{id}",
    params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 503, description = "The session store is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn delete_session(
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.agent.delete_session(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/schema` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SchemaParams {
    /// Include foreign keys and the relationship list (default true).
    include_foreign_keys: Option<bool>,
}

/// Tables, columns, keys, indexes and relationships.
#[utoipa::path(
    get,
    path = "/api/schema",
    params(SchemaParams),
    responses(
        (status = 200, description = "The schema", body = SchemaInfo),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 503, description = "The database is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn schema(
    State(state): State<Shared>,
    params: Result<Query<SchemaParams>, QueryRejection>,
) -> Result<Json<SchemaInfo>, ApiError> {
    let Query(params) =
        params.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.body_text()))?;
    let include = params.include_foreign_keys.unwrap_or(true);
    Ok(Json(state.agent.schema_info(include).await?))
}

/// `GET /api/stats`: the agent's statistics with the cache counters beside them.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StatsResponse {
    #[serde(flatten)]
    stats: Stats,
    /// Cache counters per level.
    cache: CachesStats,
}

/// Agent statistics and cache counters.
#[utoipa::path(
    get,
    path = "/api/stats",
    responses((status = 200, description = "Statistics", body = StatsResponse))
)]
pub(crate) async fn stats(State(state): State<Shared>) -> Json<StatsResponse> {
    Json(StatsResponse {
        stats: state.agent.stats().await,
        cache: state.agent.cache_stats(),
    })
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    responses((status = 200, description = "OpenAPI 3.1", body = Object))
)]
pub(crate) async fn openapi(State(state): State<Shared>) -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::document(state.options.api_token.is_some()))
}

/// The web chat page.
#[utoipa::path(
    get,
    path = "/",
    security(()),
    responses((status = 200, description = "HTML", content_type = "text/html", body = String))
)]
pub(crate) async fn page() -> Response {
    let mut response = Html(crate::PAGE).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
        ),
    );
    response
}

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    security(()),
    responses((status = 200, description = "`{\"status\": \"ok\"}`", body = BTreeMap<String, String>))
)]
pub(crate) async fn healthz() -> Json<BTreeMap<&'static str, &'static str>> {
    Json(BTreeMap::from([("status", "ok")]))
}

/// The database answers.
#[utoipa::path(
    get,
    path = "/readyz",
    security(()),
    responses(
        (status = 200, description = "`{\"status\": \"ready\"}`", body = BTreeMap<String, String>),
        (status = 503, description = "The database is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn readyz(
    State(state): State<Shared>,
) -> Result<Json<BTreeMap<&'static str, String>>, ApiError> {
    match &state.options.database {
        Some(db) => db.ping().await.map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                format!("the database is unavailable: {e}"),
            )
        })?,
        None => {
            state.agent.schema().await?;
        }
    }
    Ok(Json(BTreeMap::from([("status", "ready".to_string())])))
}

/// Prometheus metrics.
#[utoipa::path(
    get,
    path = "/metrics",
    security(()),
    responses((status = 200, description = "Text exposition format", content_type = "text/plain", body = String))
)]
pub(crate) async fn metrics(State(state): State<Shared>) -> Response {
    let stats = state.agent.stats().await;
    let mut response = state.metrics.render(&stats).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; see /api/openapi.json",
    )
}

/// Permit extractor for streaming handlers (absent outside the limits middleware).
pub(crate) type MaybePermit = Option<Extension<Permit>>;

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn token_comparison() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(!same(b"", b"a"));
    }
}
