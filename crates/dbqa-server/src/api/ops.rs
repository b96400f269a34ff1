//! Operations: the schema, statistics, the OpenAPI document, the probes, Prometheus
//! metrics and the web page.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use dbqa_agent::{SchemaInfo, Stats};
use dbqa_cache::CachesStats;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody, ErrorKind};
use crate::state::Shared;

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
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
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
    Json(crate::openapi::document(state.users.required()))
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
            // Vega compiles chart expressions with `Function`: hence 'unsafe-eval'. Nothing
            // may be fetched from anywhere but this server.
            "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'",
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
                ErrorKind::DatabaseUnavailable,
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
        HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
    );
    response
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorKind::NotFound,
        "no such route; see /api/openapi.json",
    )
}
