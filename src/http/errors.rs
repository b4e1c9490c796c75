//! Errors the HTTP layer itself produces (a body over the limit, a
//! malformed query string, an unknown path or method, a panic) answered in
//! the contract's shape: `{ "errors": [{ "message", "extensions": { "code" } }] }`
//! as JSON, whatever the layer or extractor that refused the request wrote.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::code;

/// The longest refusal text kept as the error's message.
const MAX_MESSAGE_BYTES: usize = 512;

/// Rewrites an error response that is not JSON into the contract's shape,
/// keeping its status and headers. The probes (`/healthz`, `/readyz`) and
/// `/metrics` answer in their own formats.
pub async fn coded(request: Request, next: Next) -> Response {
    let probe = matches!(request.uri().path(), "/healthz" | "/readyz" | "/metrics");
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if probe || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_MESSAGE_BYTES)
        .await
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .filter(|text| !text.trim().is_empty());
    let (code, field) = coded_status(status);
    let message = match (status.is_server_error(), text) {
        (false, Some(text)) => text,
        _ => status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_owned(),
    };
    let mut extensions = json!({ "code": code });
    if let Some(field) = field {
        extensions["field"] = json!(field);
    }
    let body = json!({ "errors": [{ "message": message, "extensions": extensions }] });
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body.to_string()))
}

/// The contract's code for a status, and the input it names.
fn coded_status(status: StatusCode) -> (&'static str, Option<&'static str>) {
    match status {
        StatusCode::UNAUTHORIZED => (code::UNAUTHENTICATED, None),
        StatusCode::FORBIDDEN => (code::FORBIDDEN, None),
        StatusCode::NOT_FOUND => (code::NOT_FOUND, None),
        StatusCode::TOO_MANY_REQUESTS => (code::RATE_LIMITED, None),
        StatusCode::PAYLOAD_TOO_LARGE => (code::BAD_USER_INPUT, Some("body")),
        StatusCode::METHOD_NOT_ALLOWED => (code::BAD_USER_INPUT, Some("method")),
        StatusCode::URI_TOO_LONG => (code::BAD_USER_INPUT, Some("uri")),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (code::BAD_USER_INPUT, Some("headers")),
        s if s.is_client_error() => (code::BAD_USER_INPUT, None),
        _ => (code::INTERNAL_SERVER_ERROR, None),
    }
}

/// The answer to a request that panicked: logged, and a 500 in the
/// contract's shape.
pub fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    tracing::error!(panic = detail, "a request panicked");
    let body = json!({ "errors": [{
        "message": "internal server error",
        "extensions": { "code": code::INTERNAL_SERVER_ERROR }
    }]});
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// Errors raised by async-graphql itself (parse, validation, argument and
/// variable coercion) carry no code: they are the client's input, so they
/// get `BAD_USER_INPUT`, naming the argument or variable when the message
/// does, else the query. Any other uncoded error of a field is a resolver's
/// unexpected failure (a database error passed through, say): it becomes
/// `INTERNAL_SERVER_ERROR`, its message kept for the log only.
pub fn normalize_errors(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|ext| ext.get("code").is_some());
        if has_code {
            continue;
        }
        let input = error.path.is_empty()
            || error.message.starts_with("Invalid value for argument")
            || error.message.starts_with("Failed to parse")
            || error.message.starts_with("Expected input type")
            || error.message.contains("ariable \"$");
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if input {
            let field = input_path(&error.message).unwrap_or_else(|| "query".to_owned());
            extensions.set("code", code::BAD_USER_INPUT);
            extensions.set("field", field);
        } else {
            tracing::error!(error = %error.message, path = ?error.path, "internal error");
            extensions.set("code", code::INTERNAL_SERVER_ERROR);
            error.message = "internal server error".to_owned();
        }
    }
}

/// `input.status` from `Invalid value for argument "input.status", …`, or
/// `input` from `… variable "$input" …`.
fn input_path(message: &str) -> Option<String> {
    let quoted_after = |marker: &str| {
        let start = message.find(marker)? + marker.len();
        let rest = &message[start..];
        Some(rest[..rest.find('"')?].to_owned())
    };
    quoted_after("argument \"")
        .or_else(|| quoted_after("ariable \"$"))
        .filter(|path| !path.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_status_has_a_contract_code() {
        for (status, expected) in [
            (401, code::UNAUTHENTICATED),
            (403, code::FORBIDDEN),
            (404, code::NOT_FOUND),
            (405, code::BAD_USER_INPUT),
            (413, code::BAD_USER_INPUT),
            (415, code::BAD_USER_INPUT),
            (429, code::RATE_LIMITED),
            (500, code::INTERNAL_SERVER_ERROR),
            (502, code::INTERNAL_SERVER_ERROR),
        ] {
            let status = StatusCode::from_u16(status).expect("status");
            assert_eq!(coded_status(status).0, expected, "{status}");
        }
    }
}
