//! `/api/sessions`: the asking user's chat sessions (ids stored under their name, so a
//! user sees, reads, clears and deletes only their own).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use dbqa_core::{Message, SessionInfo};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::query::valid_session_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::CurrentUser;
use crate::state::Shared;
use crate::users::User;

/// The user's sessions, their ids as the user gave them.
async fn own_sessions(state: &Shared, user: &User) -> Result<Vec<SessionInfo>, ApiError> {
    let all = state.agent.list_sessions().await?;
    Ok(all
        .into_iter()
        .filter_map(|mut info| {
            let id = user.own(&info.id)?.to_string();
            info.id = id;
            Some(info)
        })
        .collect())
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
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    Ok(Json(own_sessions(&state, &user).await?))
}

/// `DELETE /api/sessions`: how many sessions were removed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Deleted {
    /// Sessions deleted.
    deleted: usize,
}

/// Delete every session of the user.
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
    CurrentUser(user): CurrentUser,
) -> Result<Json<Deleted>, ApiError> {
    let sessions = own_sessions(&state, &user).await?;
    for session in &sessions {
        state
            .agent
            .delete_session(&user.session(&session.id))
            .await?;
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
    /// Its messages, oldest first (empty for an unknown session, or one of another user).
    messages: Vec<Message>,
}

/// A session's messages, oldest first.
#[utoipa::path(
    get,
    path = "/api/sessions/{id}",
    params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 200, description = "History", body = History),
        (status = 400, description = "The session id is invalid", body = ErrorBody),
        (status = 503, description = "The session store is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn session_history(
    State(state): State<Shared>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<History>, ApiError> {
    valid_session_id(&id)?;
    let messages = state.agent.session_history(&user.session(&id)).await?;
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
        (status = 400, description = "The session id is invalid", body = ErrorBody),
        (status = 503, description = "The session store is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn clear_session(
    State(state): State<Shared>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    valid_session_id(&id)?;
    state.agent.clear_session(&user.session(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a session.
#[utoipa::path(
    delete,
    path = "/api/sessions/{id}",
    params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The session id is invalid", body = ErrorBody),
        (status = 503, description = "The session store is unreachable", body = ErrorBody)
    )
)]
pub(crate) async fn delete_session(
    State(state): State<Shared>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    valid_session_id(&id)?;
    state.agent.delete_session(&user.session(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
