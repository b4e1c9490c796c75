//! What a GraphQL over HTTP answer looks like: the media type the client
//! accepts, and refusals in the GraphQL error shape with their status.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::error::code;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// The media type the client asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    GraphqlResponse,
    Json,
}

impl Format {
    pub(super) fn content_type(self) -> &'static str {
        match self {
            Format::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }

    /// From `Accept`: the acceptable type with the highest quality (the
    /// first on ties); `None` when nothing acceptable is listed.
    pub(super) fn negotiate(headers: &HeaderMap) -> Option<Format> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Some(Format::Json);
        };
        if accept.trim().is_empty() {
            return Some(Format::Json);
        }
        let mut best: Option<(f32, Format)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let format = match media.as_str() {
                GRAPHQL_RESPONSE_JSON => Format::GraphqlResponse,
                APPLICATION_JSON | "application/*" | "*/*" => Format::Json,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, format));
            }
        }
        best.map(|(_, format)| format)
    }
}

/// An HTTP-level refusal, in the GraphQL error shape.
pub(super) fn refuse(
    status: StatusCode,
    format: Format,
    code: &str,
    message: &str,
) -> axum::response::Response {
    refuse_with(status, format, code, message, refused_field(status))
}

pub(super) fn refuse_with(
    status: StatusCode,
    format: Format,
    code: &str,
    message: &str,
    field: &str,
) -> axum::response::Response {
    let extensions = match code {
        code::BAD_USER_INPUT => json!({ "code": code, "field": field }),
        _ => json!({ "code": code }),
    };
    let body = json!({ "errors": [{ "message": message, "extensions": extensions }] });
    let mut response = (
        status,
        [(header::CONTENT_TYPE, format.content_type())],
        body.to_string(),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// 400 for a request parameter that is missing or of the wrong type.
pub(super) fn bad_param(format: Format, field: &str, message: &str) -> axum::response::Response {
    refuse_with(
        StatusCode::BAD_REQUEST,
        format,
        code::BAD_USER_INPUT,
        message,
        field,
    )
}

/// What a refused request got wrong, by status.
pub(super) fn refused_field(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Content-Type",
        StatusCode::NOT_ACCEPTABLE => "Accept",
        StatusCode::METHOD_NOT_ALLOWED => "query",
        _ => "body",
    }
}

/// The status of a request refused before it ran (syntax, validation,
/// limits): 200 under `application/json`, 400 under
/// `application/graphql-response+json`, as GraphQL over HTTP asks.
pub(super) fn rejected_status(format: Format) -> StatusCode {
    match format {
        Format::GraphqlResponse => StatusCode::BAD_REQUEST,
        Format::Json => StatusCode::OK,
    }
}
