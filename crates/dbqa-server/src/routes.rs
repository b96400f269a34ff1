//! The router: which handler answers which route, and the layers around them. Handlers
//! live in `api/`, the layers in `middleware.rs`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use dbqa_agent::DatabaseQueryAgent;
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::api::{examples, ops, query, sessions, sql, stream};
use crate::audit::AuditLog;
use crate::metrics::Metrics;
use crate::middleware::{auth, limits, track};
use crate::options::ServeOptions;
use crate::state::{AppState, Shared};
use crate::users::Users;

/// The whole HTTP application, ready for `axum::serve`, with no audit log and the users
/// `options` names (its single `api_token`, if any).
pub fn router(agent: Arc<DatabaseQueryAgent>, options: ServeOptions) -> Router {
    let users = match &options.api_token {
        Some(token) => Users::single(token),
        None => Users::none(),
    };
    router_with(agent, options, users, None)
}

/// [`router`] with explicit users and an audit log.
pub fn router_with(
    agent: Arc<DatabaseQueryAgent>,
    options: ServeOptions,
    users: Users,
    audit: Option<AuditLog>,
) -> Router {
    let state: Shared = Arc::new(AppState {
        agent,
        permits: Arc::new(Semaphore::new(options.max_concurrent_requests.max(1))),
        metrics: Metrics::default(),
        users,
        audit,
        options,
    });
    let api = Router::new()
        .route("/api/query", post(query::query))
        .route("/api/query/stream", post(stream::query_stream))
        .route("/api/sql", post(sql::run_sql))
        .route(
            "/api/examples",
            get(examples::list_examples).post(examples::add_example),
        )
        .route(
            "/api/examples/{id}",
            axum::routing::delete(examples::remove_example),
        )
        .route("/api/feedback", post(examples::feedback))
        .route(
            "/api/sessions",
            get(sessions::list_sessions).delete(sessions::delete_all_sessions),
        )
        .route(
            "/api/sessions/{id}",
            get(sessions::session_history).delete(sessions::delete_session),
        )
        .route("/api/sessions/{id}/clear", post(sessions::clear_session))
        .route("/api/schema", get(ops::schema))
        .route("/api/stats", get(ops::stats))
        .route("/api/openapi.json", get(ops::openapi))
        // The last layer added runs first: auth before waiting for a slot.
        .route_layer(from_fn_with_state(state.clone(), limits))
        .route_layer(from_fn_with_state(state.clone(), auth));
    let body_timeout = state.options.body_timeout.max(Duration::from_millis(1));
    let mut app = Router::new()
        .route("/", get(ops::page))
        .route("/assets/{name}", get(crate::assets::asset))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .merge(api)
        .route_layer(from_fn_with_state(state.clone(), track))
        .fallback(ops::not_found)
        .layer(DefaultBodyLimit::max(state.options.max_body_bytes))
        .layer(RequestBodyTimeoutLayer::new(body_timeout));
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
