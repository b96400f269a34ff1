//! Extractors of our own: [`ApiJson`] (a JSON body that is rejected with our error body,
//! 400 or 413) and [`CurrentUser`] (who the auth middleware found the request is from).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;

use crate::error::{ApiError, ErrorKind};
use crate::users::User;

/// A JSON request body; a body that cannot be read is an [`ApiError`].
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorKind::PayloadTooLarge,
                    "the request body is larger than the server accepts (DBQA_MAX_BODY_BYTES)",
                ))
            }
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

/// The user the request is made as (set by the auth middleware).
pub(crate) struct CurrentUser(pub(crate) User);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts.extensions.get::<User>().cloned().unwrap_or_default(),
        ))
    }
}
