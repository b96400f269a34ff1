//! `/api/examples` and `/api/feedback`: the database's verified examples (questions with
//! SQL a person confirmed), which the agent re-runs for the same question and shows the
//! model for similar ones. They belong to the database, so every user of the server sees
//! and confirms the same set.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use dbqa_core::VerifiedExample;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody, ErrorKind};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::Shared;

/// The body of `POST /api/examples`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewExample {
    /// The question.
    question: String,
    /// The SQL that answers it: it must pass the guard and run.
    sql: String,
}

/// The database's verified examples, oldest first (those of `EXAMPLES_FILE` last).
#[utoipa::path(
    get,
    path = "/api/examples",
    responses(
        (status = 200, description = "Verified examples", body = Vec<VerifiedExample>),
        (status = 503, description = "The example store is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn list_examples(
    State(state): State<Shared>,
    CurrentUser(_user): CurrentUser,
) -> Result<Json<Vec<VerifiedExample>>, ApiError> {
    Ok(Json(state.agent.examples().await?))
}

/// Confirm SQL as the answer to a question.
#[utoipa::path(
    post,
    path = "/api/examples",
    request_body = NewExample,
    responses(
        (status = 201, description = "Stored (replacing the same question's)", body = VerifiedExample),
        (status = 400, description = "The SQL was refused by the guard or failed", body = ErrorBody),
        (status = 503, description = "The example store is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn add_example(
    State(state): State<Shared>,
    CurrentUser(_user): CurrentUser,
    ApiJson(body): ApiJson<NewExample>,
) -> Result<(StatusCode, Json<VerifiedExample>), ApiError> {
    let example = state.agent.add_example(&body.question, &body.sql).await?;
    Ok((StatusCode::CREATED, Json(example)))
}

/// Remove a verified example.
#[utoipa::path(
    delete,
    path = "/api/examples/{id}",
    params(("id" = String, Path, description = "The example's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such example in the store", body = ErrorBody),
        (status = 503, description = "The example store is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn remove_example(
    State(state): State<Shared>,
    CurrentUser(_user): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.agent.remove_example(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorKind::NotFound,
            format!("no verified example {id}"),
        ))
    }
}

/// A person's verdict on an answer.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verdict {
    /// The SQL answers the question: confirm it.
    Up,
    /// It does not: forget it, or confirm the correction.
    Down,
}

/// The body of `POST /api/feedback`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Feedback {
    /// The question that was answered.
    question: String,
    /// The SQL that answered it.
    sql: String,
    /// 👍 (`up`) or 👎 (`down`).
    verdict: Verdict,
    /// With `down`: the SQL that does answer the question, confirmed instead.
    #[serde(default)]
    correction: Option<String>,
}

/// What a verdict did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FeedbackOutcome {
    /// The example confirmed (the SQL for `up`, the correction for `down`).
    stored: Option<VerifiedExample>,
    /// Whether a verified example with the rejected SQL was removed (`down`).
    removed: bool,
}

/// 👍 confirms the answer's SQL as a verified example; 👎 removes the question's example
/// when it holds this SQL, and confirms the correction when one is given.
#[utoipa::path(
    post,
    path = "/api/feedback",
    request_body = Feedback,
    responses(
        (status = 200, description = "What the verdict did", body = FeedbackOutcome),
        (status = 400, description = "The SQL or correction was refused or failed", body = ErrorBody),
        (status = 503, description = "The example store is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn feedback(
    State(state): State<Shared>,
    CurrentUser(_user): CurrentUser,
    ApiJson(body): ApiJson<Feedback>,
) -> Result<Json<FeedbackOutcome>, ApiError> {
    let agent = &state.agent;
    let outcome = match (body.verdict, body.correction.as_deref()) {
        (Verdict::Up, _) => FeedbackOutcome {
            stored: Some(agent.add_example(&body.question, &body.sql).await?),
            removed: false,
        },
        (Verdict::Down, correction) => {
            let id = dbqa_agent::examples::example_id(&body.question);
            let holds_this_sql = agent
                .examples()
                .await?
                .iter()
                .any(|e| e.id == id && e.sql.trim() == body.sql.trim());
            let removed = holds_this_sql && agent.remove_example(&id).await?;
            let stored = match correction.filter(|c| !c.trim().is_empty()) {
                Some(sql) => Some(agent.add_example(&body.question, sql).await?),
                None => None,
            };
            FeedbackOutcome { stored, removed }
        }
    };
    Ok(Json(outcome))
}
