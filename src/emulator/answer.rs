//! The shapes of answers Datagrok gives besides plain JSON: the HTTP-200 `ApiError` envelope,
//! the HTML pages of unknown routes and gateways, and 401. One place, so every route fails the
//! same way the real server does.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A failure answered the way Datagrok answers it: HTTP 200, an `api-error` header and an
/// `ApiError` body.
#[derive(Debug)]
pub struct ApiError(pub String);

impl ApiError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl From<String> for ApiError {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl From<crate::emulator::store::StoreError> for ApiError {
    fn from(error: crate::emulator::store::StoreError) -> Self {
        Self(error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "#type": "ApiError",
            "message": self.0,
            "errorCode": null,
            "stackTrace": null,
        });
        // header values must be visible ASCII; the body carries the full message
        let header_text: String = self
            .0
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .take(300)
            .collect();
        let mut response = (StatusCode::OK, axum::Json(body)).into_response();
        response.headers_mut().insert(
            "api-error",
            HeaderValue::from_str(&header_text).unwrap_or(HeaderValue::from_static("error")),
        );
        response
    }
}

/// An HTML page with `status`, like the web server or a gateway sends.
pub fn html(status: StatusCode, text: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title>{code} {text}</title></head>\
         <body><h1>{code} {text}</h1></body></html>\n",
        code = status.as_u16()
    );
    let mut response = (status, page).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// The 404 page of an unknown route.
pub fn not_found() -> Response {
    html(StatusCode::NOT_FOUND, "Not Found")
}

/// 405 for a known route asked with another method.
pub fn method_not_allowed(allowed: &'static str) -> Response {
    let mut response = html(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}

/// 401 for a missing or unknown API key; the key itself is never echoed.
pub fn unauthorized() -> Response {
    let body = json!({
        "#type": "ApiError",
        "message": "missing or invalid API key: send `Authorization: Bearer <API_KEY>`",
        "errorCode": "Unauthorized",
        "stackTrace": null,
    });
    let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// A 4xx answer for a request the server cannot read at all (not an API failure).
pub fn bad_request(message: &str) -> Response {
    let mut response = Response::new(Body::from(format!("{message}\n")));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
