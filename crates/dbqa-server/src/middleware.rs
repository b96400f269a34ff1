//! The layers every request passes: metrics ([`track`]), who is asking and for which
//! host ([`auth`]), and the concurrency limit with the per-request timeout ([`limits`]).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorKind};
use crate::state::{Permit, Shared};
use crate::users::User;

/// Counts every routed request with its latency (to the response head).
pub(crate) async fn track(State(state): State<Shared>, request: Request, next: Next) -> Response {
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

/// Without tokens, only requests whose `Host` names this server's loopback address (or a
/// name in `DBQA_ALLOWED_HOSTS`) are served: a page elsewhere cannot reach a loopback
/// server through DNS rebinding. With tokens, the bearer token names the user.
pub(crate) async fn auth(
    State(state): State<Shared>,
    mut request: Request,
    next: Next,
) -> Response {
    if !state.users.required() {
        if !host_allowed(&state, &request) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorKind::ForbiddenHost,
                "this server answers only requests for its own address (set DBQA_ALLOWED_HOSTS, or DBQA_API_TOKEN/DBQA_API_TOKENS)",
            )
            .into_response();
        }
        request.extensions_mut().insert(User(None));
        return next.run(request).await;
    }
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given.and_then(|token| state.users.user_of(token)) {
        Some(user) => {
            request
                .extensions_mut()
                .insert(User(Some(user.to_string())));
            next.run(request).await
        }
        None => {
            let mut response = ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorKind::Unauthorized,
                "this API needs `Authorization: Bearer <token>` with a token the server knows (DBQA_API_TOKEN or DBQA_API_TOKENS)",
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

/// Whether the request's `Host` is one this server answers for.
fn host_allowed(state: &Shared, request: &Request) -> bool {
    let bind = state.options.bind;
    // Bound to every address: there is no one name to check against.
    if bind.ip().is_unspecified() {
        return true;
    }
    let Some(host) = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
    else {
        // HTTP/1.0 without Host comes from a program on this machine, not a browser.
        return true;
    };
    let (name, port) = split_host(host);
    if state
        .options
        .allowed_hosts
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(host) || allowed.eq_ignore_ascii_case(name))
    {
        return true;
    }
    let port_ok = port.is_none_or(|p| p == bind.port());
    let name_ok = name.eq_ignore_ascii_case("localhost")
        || name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip == bind.ip() || (ip.is_loopback() && bind.ip().is_loopback()));
    port_ok && name_ok
}

/// `host:port`, `[v6]:port` or a bare name.
fn split_host(host: &str) -> (&str, Option<u16>) {
    match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            (name, port.parse().ok())
        }
        _ => (host, None),
    }
}

/// The concurrency limit (a request waits for a slot, and holds it until its response is
/// complete; a stream holds it until it ends) and the per-request timeout.
pub(crate) async fn limits(
    State(state): State<Shared>,
    mut request: Request,
    next: Next,
) -> Response {
    let timeout = state.options.request_timeout;
    let work = async {
        let permit = match Arc::clone(&state.permits).acquire_owned().await {
            Ok(permit) => Permit(Arc::new(permit)),
            Err(_) => {
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorKind::ShuttingDown,
                    "the server is shutting down",
                )
                .into_response();
            }
        };
        // The handler may drop the request (and so its extensions) before it is done:
        // this copy keeps the slot taken until the response exists.
        let held = permit.clone();
        request.extensions_mut().insert(permit);
        let response = next.run(request).await;
        drop(held);
        response
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            ErrorKind::RequestTimeout,
            format!(
                "the request took longer than {} s (DBQA_REQUEST_TIMEOUT)",
                timeout.as_secs_f64()
            ),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::split_host;

    #[test]
    fn hosts_split_into_name_and_port() {
        assert_eq!(split_host("127.0.0.1:8080"), ("127.0.0.1", Some(8080)));
        assert_eq!(split_host("[::1]:8080"), ("[::1]", Some(8080)));
        assert_eq!(split_host("localhost"), ("localhost", None));
        assert_eq!(split_host("evil.example:80"), ("evil.example", Some(80)));
    }
}
