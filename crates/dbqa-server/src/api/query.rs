//! `POST /api/query`: a question answered as one JSON response; the request body both
//! question routes take; the audit record of an answer.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use dbqa_agent::{QueryOptions, QueryResponse};
use dbqa_core::AnswerMode;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::audit::AuditRecord;
use crate::error::ApiError;
use crate::extract::{ApiJson, CurrentUser};
use crate::state::Shared;
use crate::users::User;

/// The body of `POST /api/query` and `POST /api/query/stream`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueryRequest {
    /// The question.
    pub(crate) question: String,
    /// Ask within this chat session (1 to 200 characters, no `/`); follow-ups use its
    /// history. Sessions belong to the user whose token made them.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "^[^/]+$")]
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
    /// Write an answer in words (default true; false is answer mode `none`).
    natural_response: Option<bool>,
    /// How the answer is written: `template`, `llm` or `none` (default: ANSWER_MODE).
    #[schema(pattern = "^(template|llm|none)$")]
    answer_mode: Option<String>,
    /// Let the LLM-response and query-result caches answer (default true).
    use_cache: Option<bool>,
}

/// A session id as the client gives it: 1 to 200 characters without `/`.
pub(crate) fn valid_session_id(id: &str) -> Result<(), ApiError> {
    if id.trim().is_empty() || id.len() > 200 || id.contains('/') {
        return Err(ApiError::bad_request(
            "session_id must be 1 to 200 characters without `/`",
        ));
    }
    Ok(())
}

impl QueryRequest {
    /// The question and the agent's options, the session id stored as `user`'s.
    pub(crate) fn into_parts(self, user: &User) -> Result<(String, QueryOptions), ApiError> {
        let defaults = QueryOptions::default();
        let o = self.options;
        let answer_mode = match o.answer_mode.as_deref() {
            None => None,
            Some(mode) => Some(
                mode.parse::<AnswerMode>()
                    .map_err(|e| ApiError::bad_request(format!("options.answer_mode: {e}")))?,
            ),
        };
        if let Some(id) = &self.session_id {
            valid_session_id(id)?;
        }
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
        options.session_id = self.session_id.as_deref().map(|id| user.session(id));
        Ok((self.question, options))
    }
}

/// The response as the user sees it: their own session id, not its stored form.
pub(crate) fn for_user(mut response: QueryResponse, user: &User) -> QueryResponse {
    if let Some(stored) = &response.session_id {
        response.session_id = user.own(stored).map(str::to_string);
    }
    response
}

/// Writes the audit line of a question, when an audit log is configured.
pub(crate) fn audit(
    state: &Shared,
    user: &User,
    route: &str,
    question: &str,
    started: Instant,
    result: Result<&QueryResponse, &dbqa_agent::Error>,
) {
    let Some(log) = &state.audit else {
        return;
    };
    let (sql, tables, rows, outcome) = match result {
        Ok(r) => (r.sql.as_deref(), r.tables.as_slice(), r.row_count, "ok"),
        Err(e) => (None, &[][..], 0, e.kind()),
    };
    log.write(&AuditRecord {
        question: Some(question),
        sql,
        tables,
        rows,
        outcome,
        ..AuditRecord::new(user.name(), route, started)
    });
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
    CurrentUser(user): CurrentUser,
    ApiJson(request): ApiJson<QueryRequest>,
) -> Result<Json<QueryResponse>, ApiError> {
    let (question, options) = request.into_parts(&user)?;
    let started = Instant::now();
    let result = state.agent.query_with(&question, options).await;
    audit(&state, &user, "query", &question, started, result.as_ref());
    Ok(Json(for_user(result?, &user)))
}
