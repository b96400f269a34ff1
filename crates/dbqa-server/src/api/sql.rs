//! `POST /api/sql`: SQL a person wrote or edited, run as the answer to a question, with
//! the same guard, limits and read-only transaction as a question's SQL, and no LLM call.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use dbqa_agent::{QueryOptions, QueryResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::query::{audit, for_user, valid_session_id};
use crate::error::ApiError;
use crate::extract::{ApiJson, CurrentUser};
use crate::state::Shared;

/// The body of `POST /api/sql`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SqlRequest {
    /// One read-only statement.
    sql: String,
    /// The question the SQL answers (recorded with it in the session).
    #[serde(default)]
    question: Option<String>,
    /// Record the exchange in this chat session (1 to 200 characters, no `/`), so
    /// follow-up questions build on this SQL.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "^[^/]+$")]
    session_id: Option<String>,
}

/// Run SQL a person wrote or edited.
#[utoipa::path(
    post,
    path = "/api/sql",
    request_body = SqlRequest,
    responses((status = 200, description = "The rows, as for a question", body = QueryResponse), crate::openapi::QueryErrors)
)]
pub(crate) async fn run_sql(
    State(state): State<Shared>,
    CurrentUser(user): CurrentUser,
    ApiJson(request): ApiJson<SqlRequest>,
) -> Result<Json<QueryResponse>, ApiError> {
    let mut options = QueryOptions::default();
    if let Some(id) = &request.session_id {
        valid_session_id(id)?;
        options.session_id = Some(user.session(id));
    }
    let started = Instant::now();
    let result = state
        .agent
        .run_sql(&request.sql, request.question.as_deref(), options)
        .await;
    let asked = request.question.as_deref().unwrap_or(&request.sql);
    audit(&state, &user, "sql", asked, started, result.as_ref());
    Ok(Json(for_user(result?, &user)))
}
