//! The files the web page loads besides itself: the vendored chart libraries
//! (`assets/README.md` says which versions and from where), compiled into the binary and
//! served at `/assets/{name}`, so the page needs no network beyond this server.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorKind};

/// Every asset: its name under `/assets/` and its bytes.
const ASSETS: &[(&str, &[u8])] = &[
    (
        "vega-6.4.0.min.js",
        include_bytes!("../assets/vega-6.4.0.min.js"),
    ),
    (
        "vega-lite-6.5.0.min.js",
        include_bytes!("../assets/vega-lite-6.5.0.min.js"),
    ),
    (
        "vega-embed-7.3.0.min.js",
        include_bytes!("../assets/vega-embed-7.3.0.min.js"),
    ),
    (
        "LICENSE-vega.txt",
        include_bytes!("../assets/LICENSE-vega.txt"),
    ),
];

/// A file of the web page (chart libraries); names carry their version, so browsers may
/// keep them for a day.
#[utoipa::path(
    get,
    path = "/assets/{name}",
    security(()),
    params(("name" = String, Path, description = "The file name")),
    responses(
        (status = 200, description = "The file", content_type = "text/javascript", body = String),
        (status = 404, description = "No such file", body = crate::error::ErrorBody)
    )
)]
pub(crate) async fn asset(Path(name): Path<String>) -> Response {
    let Some((_, bytes)) = ASSETS.iter().find(|(n, _)| *n == name) else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorKind::NotFound,
            format!("no asset {name}"),
        )
        .into_response();
    };
    let content_type = if name.ends_with(".js") {
        "text/javascript; charset=utf-8"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}
