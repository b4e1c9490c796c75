//! GraphQL over HTTP (API.md §1, §12), closing the gaps of the stock
//! integration: one operation per request (JSON-array batches are refused),
//! `application/json` bodies only (415 otherwise), mutations never over GET
//! (405), `Accept` negotiation between `application/graphql-response+json`
//! and `application/json`, and every error carrying `extensions.code`.

use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Request, Response, Variables};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse};
use serde_json::{Value, json};

use crate::app::AppState;
use crate::auth::{Scope, bearer};
use crate::error::{AppError, code};
use crate::graphql::Session;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// The media type the client asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    GraphqlResponse,
    Json,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }

    /// From `Accept`: the acceptable type with the highest quality (the
    /// first on ties); `None` when nothing acceptable is listed.
    fn negotiate(headers: &HeaderMap) -> Option<Format> {
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
fn refuse(
    status: StatusCode,
    format: Format,
    code: &str,
    message: &str,
) -> axum::response::Response {
    refuse_with(status, format, code, message, refused_field(status))
}

fn refuse_with(
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
fn bad_param(format: Format, field: &str, message: &str) -> axum::response::Response {
    refuse_with(
        StatusCode::BAD_REQUEST,
        format,
        code::BAD_USER_INPUT,
        message,
        field,
    )
}

/// What a refused request got wrong, by status.
fn refused_field(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Content-Type",
        StatusCode::NOT_ACCEPTABLE => "Accept",
        StatusCode::METHOD_NOT_ALLOWED => "query",
        _ => "body",
    }
}

pub async fn post(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let Some(format) = Format::negotiate(&headers) else {
        return refuse(
            StatusCode::NOT_ACCEPTABLE,
            Format::Json,
            code::BAD_USER_INPUT,
            "acceptable responses: application/graphql-response+json, application/json",
        );
    };
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.type_() == mime::APPLICATION && m.subtype() == mime::JSON);
    if !json_body {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format,
            code::BAD_USER_INPUT,
            "send the request as application/json",
        );
    }
    let session = match authenticate(&app, &headers) {
        Ok(session) => session,
        Err(response) => return response(format),
    };
    let params = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(_)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format,
                code::BAD_USER_INPUT,
                "batched requests are not supported: send one operation per request",
            );
        }
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format,
                code::BAD_USER_INPUT,
                "the body must be a JSON object",
            );
        }
        Err(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format,
                code::BAD_USER_INPUT,
                "the body is not valid JSON",
            );
        }
    };
    let request = match parse_params(
        params.get("query").cloned(),
        params.get("operationName").cloned(),
        params.get("variables").cloned(),
        params.get("extensions").cloned(),
    ) {
        Ok(request) => request,
        Err((field, message)) => return bad_param(format, field, message),
    };
    execute(&app, request, session, format).await
}

pub async fn get(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> axum::response::Response {
    let Some(format) = Format::negotiate(&headers) else {
        return refuse(
            StatusCode::NOT_ACCEPTABLE,
            Format::Json,
            code::BAD_USER_INPUT,
            "acceptable responses: application/graphql-response+json, application/json",
        );
    };
    let mut params = serde_json::Map::new();
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        params.insert(key.into_owned(), Value::String(value.into_owned()));
    }
    // On GET, `variables` and `extensions` arrive as JSON text.
    let mut decode = |name: &'static str| -> Result<Option<Value>, (&'static str, String)> {
        match params.remove(name) {
            Some(Value::String(text)) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|_| (name, format!("`{name}` must be JSON"))),
            other => Ok(other),
        }
    };
    let decoded = decode("variables").and_then(|v| Ok((v, decode("extensions")?)));
    let (variables, extensions) = match decoded {
        Ok(pair) => pair,
        Err((field, message)) => return bad_param(format, field, &message),
    };
    let request = match parse_params(
        params.remove("query"),
        params.remove("operationName"),
        variables,
        extensions,
    ) {
        Ok(request) => request,
        Err((field, message)) => return bad_param(format, field, message),
    };
    if !is_query(&request) {
        let mut response = refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            format,
            code::BAD_USER_INPUT,
            "mutations and subscriptions are sent with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let session = match authenticate(&app, &headers) {
        Ok(session) => session,
        Err(response) => return response(format),
    };
    execute(&app, request, session, format).await
}

/// The request's parameters, checked as GraphQL over HTTP asks.
fn parse_params(
    query: Option<Value>,
    operation_name: Option<Value>,
    variables: Option<Value>,
    extensions: Option<Value>,
) -> Result<Request, (&'static str, &'static str)> {
    let Some(Value::String(query)) = query else {
        return Err(("query", "`query` must be a string"));
    };
    let mut request = Request::new(query);
    match operation_name {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return Err(("operationName", "`operationName` must be a string")),
    }
    match variables {
        None | Some(Value::Null) => {}
        Some(v @ Value::Object(_)) => request = request.variables(Variables::from_json(v)),
        Some(_) => return Err(("variables", "`variables` must be an object")),
    }
    match extensions {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(_) => return Err(("extensions", "`extensions` must be an object")),
    }
    Ok(request)
}

/// True unless the document parses and the chosen operation is a mutation
/// or subscription (an unparseable document is left for execution to
/// report).
/// Runs a query or mutation, publishes the events its writes recorded
/// (after their transactions committed), and gives every error a code.
pub(super) async fn run_query(app: &AppState, request: Request) -> Response {
    let (mut response, events) = crate::events::recording(app.schema.execute(request)).await;
    if !events.is_empty() {
        app.bus.publish(events).await;
        // Writes that raise events may have enqueued jobs (webhook
        // deliveries, data requests), now committed.
        crate::jobs::wake();
    }
    normalize_errors(&mut response);
    response
}

/// Whether a response refuses its request before execution (parse or
/// validation errors, none tied to a field, and no data).
pub(super) fn rejected(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// The type of the operation a request runs; `None` when it does not parse
/// or names no single operation (execution then reports why).
pub(super) fn operation_type(request: &Request) -> Option<OperationType> {
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    match &document.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        DocumentOperations::Multiple(ops) => match &request.operation_name {
            Some(name) => ops.get(name.as_str()).map(|op| op.node.ty),
            None if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
            None => None,
        },
    }
}

fn is_query(request: &Request) -> bool {
    !matches!(
        operation_type(request),
        Some(OperationType::Mutation | OperationType::Subscription)
    )
}

type Refusal = Box<dyn FnOnce(Format) -> axum::response::Response>;

/// The verified viewer of the request, or the 401 answer (one body for
/// every reason).
fn authenticate(app: &AppState, headers: &HeaderMap) -> Result<Session, Refusal> {
    let viewer = headers
        .get(header::AUTHORIZATION)
        .ok_or(AppError::Unauthenticated)
        .and_then(|v| v.to_str().map_err(|_| AppError::Unauthenticated))
        .and_then(|v| bearer(v).ok_or(AppError::Unauthenticated))
        .and_then(|token| app.keys.verify(token));
    match viewer {
        Ok(viewer) => Ok(Session::new(
            app.db.clone(),
            viewer,
            app.config.batch_window,
        )),
        Err(err) => Err(Box::new(move |format| {
            refuse(StatusCode::UNAUTHORIZED, format, err.code(), &err.message())
        })),
    }
}

async fn execute(
    app: &AppState,
    request: Request,
    session: Session,
    format: Format,
) -> axum::response::Response {
    let response = run_query(app, request.data(session)).await;
    // A request that failed before execution (parse or validation) has no
    // data; under graphql-response+json that is a 400.
    let rejected = rejected(&response);
    let status = if rejected && format == Format::GraphqlResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut body = serde_json::to_value(&response).unwrap_or_else(|_| {
        json!({"errors":[{"message":"internal server error","extensions":{"code":code::INTERNAL_SERVER_ERROR}}]})
    });
    if rejected && let Some(map) = body.as_object_mut() {
        // The request never ran: no `data` entry at all.
        map.remove("data");
    }
    let body = body.to_string();
    (
        status,
        [(header::CONTENT_TYPE, format.content_type())],
        body,
    )
        .into_response()
}

/// Errors raised by async-graphql itself (parse, validation, argument and
/// variable coercion) carry no code: they are the client's input, so they
/// get `BAD_USER_INPUT`, naming the argument or variable when the message
/// does, else the query.
pub(super) fn normalize_errors(response: &mut Response) {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|ext| ext.get("code").is_some());
        if !has_code {
            let field = input_path(&error.message).unwrap_or_else(|| "query".to_owned());
            let extensions = error.extensions.get_or_insert_with(Default::default);
            extensions.set("code", code::BAD_USER_INPUT);
            extensions.set("field", field);
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

/// GraphiQL, wired to `/graphql` and `/graphql/ws`. When the server runs on
/// its development secret, the page carries a fresh token for tenant
/// `demo`, so the first query just works.
pub async fn graphiql(State(app): State<AppState>) -> Html<String> {
    let token = app.dev_secret.as_ref().and_then(|_| {
        app.keys
            .mint(
                "demo",
                "developer",
                &Scope::all_joined(),
                Duration::from_secs(24 * 3600),
            )
            .ok()
    });
    let authorization = token.map(|t| format!("Bearer {t}"));
    let mut source = GraphiQLSource::build()
        .endpoint("/graphql")
        .subscription_endpoint("/graphql/ws")
        .title("crm-graphql");
    if let Some(value) = &authorization {
        source = source
            .header("Authorization", value)
            .ws_connection_param("Authorization", value);
    }
    let mut page = source.finish();
    let assets = app.config.graphiql_assets.trim_end_matches('/');
    if assets != "https://unpkg.com" {
        page = page.replace("https://unpkg.com", assets);
    }
    Html(page)
}
