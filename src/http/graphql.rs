//! GraphQL over HTTP (API.md §1, §12), closing the gaps of the stock
//! integration: one operation per request (JSON-array batches are refused),
//! `application/json` bodies only (415 otherwise), mutations never over GET
//! (405), `Accept` negotiation between `application/graphql-response+json`
//! and `application/json`, and every error carrying `extensions.code`.

use std::time::{Duration, Instant};

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response, Variables};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse};
use serde_json::{Value, json};

use super::state::AppState;
use crate::auth::{Scope, bearer};
use crate::error::{AppError, code};
use crate::graphql::Session;
use crate::limits::Refusal;
use crate::telemetry::{self, CodeLabels, OperationLabels, Outcome, RequestLabels};

use super::persisted;

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
    let started = Instant::now();
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
    let params = match Params::parse(
        params.get("query").cloned(),
        params.get("operationName").cloned(),
        params.get("variables").cloned(),
        params.get("extensions").cloned(),
    ) {
        Ok(params) => params,
        Err((field, message)) => return bad_param(format, field, message),
    };
    let request = match prepare(&app, &session, params) {
        Ok(request) => request,
        Err(refusal) => return refusal(format),
    };
    execute(&app, request, session, format, started).await
}

pub async fn get(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> axum::response::Response {
    let started = Instant::now();
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
    let params = match Params::parse(
        params.remove("query"),
        params.remove("operationName"),
        variables,
        extensions,
    ) {
        Ok(params) => params,
        Err((field, message)) => return bad_param(format, field, message),
    };
    // Refused before the token is even looked at when the query is sent;
    // a persisted query is checked once it is known.
    if let Some(query) = &params.query
        && !is_query(&mut new_request(query.clone(), &params.operation_name))
    {
        return not_over_get(format);
    }
    let session = match authenticate(&app, &headers) {
        Ok(session) => session,
        Err(response) => return response(format),
    };
    let mut request = match prepare(&app, &session, params) {
        Ok(request) => request,
        Err(refusal) => return refusal(format),
    };
    if !is_query(&mut request) {
        return not_over_get(format);
    }
    execute(&app, request, session, format, started).await
}

fn not_over_get(format: Format) -> axum::response::Response {
    let mut response = refuse(
        StatusCode::METHOD_NOT_ALLOWED,
        format,
        code::BAD_USER_INPUT,
        "mutations and subscriptions are sent with POST",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// The request's parameters, checked as GraphQL over HTTP asks.
struct Params {
    /// Absent when a persisted query's hash stands for it.
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Variables>,
    extensions: Option<Value>,
}

impl Params {
    fn parse(
        query: Option<Value>,
        operation_name: Option<Value>,
        variables: Option<Value>,
        extensions: Option<Value>,
    ) -> Result<Params, (&'static str, &'static str)> {
        let query = match query {
            None | Some(Value::Null) => None,
            Some(Value::String(query)) => Some(query),
            Some(_) => return Err(("query", "`query` must be a string")),
        };
        let operation_name = match operation_name {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name),
            Some(_) => return Err(("operationName", "`operationName` must be a string")),
        };
        let variables = match variables {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => Some(Variables::from_json(v)),
            Some(_) => return Err(("variables", "`variables` must be an object")),
        };
        let extensions = match extensions {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => Some(v),
            Some(_) => return Err(("extensions", "`extensions` must be an object")),
        };
        if query.is_none()
            && extensions
                .as_ref()
                .is_none_or(|e| e.get("persistedQuery").is_none())
        {
            return Err(("query", "`query` must be a string"));
        }
        Ok(Params {
            query,
            operation_name,
            variables,
            extensions,
        })
    }
}

/// A request for `query`, naming its operation when one is given.
fn new_request(query: String, operation_name: &Option<String>) -> Request {
    match operation_name {
        Some(name) => Request::new(query).operation_name(name.clone()),
        None => Request::new(query),
    }
}

/// The request to run: its query sent, or known by its persisted hash.
fn prepare(app: &AppState, session: &Session, params: Params) -> Result<Request, Refused> {
    let query = app
        .persisted
        .resolve(
            session.tenant().as_str(),
            params.query,
            params.extensions.as_ref(),
        )
        .map_err(|problem| -> Refused {
            let status = match problem {
                // Apollo's clients read this answer and send the query.
                persisted::Problem::NotFound => None,
                _ => Some(StatusCode::BAD_REQUEST),
            };
            Box::new(move |format| {
                let status = status.unwrap_or(rejected_status(format));
                refuse_with(
                    status,
                    format,
                    code::BAD_USER_INPUT,
                    problem.message(),
                    "extensions.persistedQuery",
                )
            })
        })?;
    let Some(query) = query else {
        return Err(Box::new(|format| {
            bad_param(format, "query", "`query` must be a string")
        }));
    };
    let mut request = new_request(query, &params.operation_name);
    if let Some(variables) = params.variables {
        request = request.variables(variables);
    }
    app.gate.parse(&mut request);
    Ok(request)
}

/// Runs a query or mutation in `session`, publishes the events its writes
/// recorded (after their transactions committed), and gives every error a
/// code.
pub(super) async fn run_query(app: &AppState, session: Session, request: Request) -> Response {
    let dispatch = session.loaders.dispatch().clone();
    let execution = app.schema.execute(request.data(session));
    let (mut response, published) =
        crate::events::publishing(&app.bus, dispatch.run(execution)).await;
    if published > 0 {
        // Writes that raise events may have enqueued jobs (webhook
        // deliveries, data requests), now committed.
        app.wake.wake();
    }
    normalize_errors(&mut response);
    response
}

/// [`run_query`] for at most the request timeout. Past it the request is
/// cut off: its future dropped, and any of its statements still running
/// on SQLite interrupted ([`crate::db::Cancel`]); `None` is returned.
pub(super) async fn run_in_time(
    app: &AppState,
    session: Session,
    request: Request,
) -> Option<Response> {
    let cancel = std::sync::Arc::new(crate::db::Cancel::default());
    let run = crate::db::working_for(cancel.clone(), run_query(app, session, request));
    match tokio::time::timeout(app.config.limits.request_timeout, run).await {
        Ok(response) => Some(response),
        Err(_) => {
            cancel.cancel();
            None
        }
    }
}

/// The error of a request cut off at its time limit.
pub(super) fn cut_off(app: &AppState) -> Value {
    let message = format!(
        "the request did not finish within {}: ask for less (smaller pages, fewer fields)",
        humantime::format_duration(app.config.limits.request_timeout)
    );
    json!({ "message": message, "extensions": { "code": code::QUERY_TOO_COMPLEX } })
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
pub(super) fn operation_type(request: &mut Request) -> Option<OperationType> {
    let name = request.operation_name.clone();
    let document = request.parsed_query().ok()?;
    crate::limits::chosen_operation(document, name.as_deref()).map(|op| op.ty)
}

/// True unless the document parses and the chosen operation is a mutation
/// or subscription (an unparseable document is left for execution to
/// report).
fn is_query(request: &mut Request) -> bool {
    !matches!(
        operation_type(request),
        Some(OperationType::Mutation | OperationType::Subscription)
    )
}

/// An answer refusing the request, in the negotiated format.
type Refused = Box<dyn FnOnce(Format) -> axum::response::Response>;

/// The verified viewer of the request, or the 401 answer (one body for
/// every reason).
fn authenticate(app: &AppState, headers: &HeaderMap) -> Result<Session, Refused> {
    let viewer = headers
        .get(header::AUTHORIZATION)
        .ok_or(AppError::Unauthenticated)
        .and_then(|v| v.to_str().map_err(|_| AppError::Unauthenticated))
        .and_then(|v| bearer(v).ok_or(AppError::Unauthenticated))
        .and_then(|token| app.keys.verify(token));
    match viewer {
        Ok(viewer) => Ok(Session::new(app.db.clone(), viewer)),
        Err(err) => {
            telemetry::metrics()
                .requests
                .get_or_create(&RequestLabels {
                    kind: "unknown".into(),
                    operation: "unknown".into(),
                    outcome: Outcome::Unauthenticated,
                })
                .inc();
            Err(Box::new(move |format| {
                refuse(StatusCode::UNAUTHORIZED, format, err.code(), &err.message())
            }))
        }
    }
}

async fn execute(
    app: &AppState,
    mut request: Request,
    session: Session,
    format: Format,
    started: Instant,
) -> axum::response::Response {
    let labels = app.gate.labels(&mut request);
    tracing::Span::current().record("operation", labels.operation.as_str());
    let tenant = session.tenant().as_str().to_owned();
    let admitted = match app.gate.admit(&tenant, &mut request).await {
        Ok(cost) => {
            let wait = app.config.limits.request_timeout;
            match app.gate.slot(session.tenant(), wait, cost).await {
                Ok(slot) => Ok((cost, slot)),
                Err(refusal) => Err(refusal),
            }
        }
        Err(refusal) => Err(refusal),
    };
    let (status, answer, outcome) = match admitted {
        Err(refusal) => {
            let (status, outcome) = match &refusal {
                Refusal::Throttled { .. } | Refusal::Busy { .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, Outcome::Throttled)
                }
                Refusal::Limit { .. } => (rejected_status(format), Outcome::Rejected),
            };
            let body = json!({
                "errors": [refusal.error()],
                "extensions": { "cost": refusal.cost().to_json() },
            });
            (status, Answer::Refused(body), outcome)
        }
        Ok((cost, _slot)) => {
            match run_in_time(app, session, request).await {
                None => {
                    let body = json!({
                        "errors": [cut_off(app)],
                        "extensions": { "cost": cost.to_json() },
                    });
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        Answer::Refused(body),
                        Outcome::Timeout,
                    )
                }
                Some(mut response) => {
                    // A request that failed before execution (parse or
                    // validation) has no data; under
                    // graphql-response+json that is a 400.
                    let rejected = rejected(&response);
                    let (status, outcome) = if rejected {
                        (rejected_status(format), Outcome::Rejected)
                    } else if unavailable(&response) {
                        (StatusCode::SERVICE_UNAVAILABLE, Outcome::Error)
                    } else if response.errors.is_empty() {
                        (StatusCode::OK, Outcome::Ok)
                    } else {
                        (StatusCode::OK, Outcome::Error)
                    };
                    response.extensions.insert(
                        "cost".to_owned(),
                        async_graphql::Value::from_json(cost.to_json()).unwrap_or_default(),
                    );
                    (status, Answer::Ran { response, rejected }, outcome)
                }
            }
        }
    };
    record(&labels, outcome, answer.codes(), started);
    let retry_after = answer.retry_after();
    let mut response = (
        status,
        [(header::CONTENT_TYPE, format.content_type())],
        answer.into_body(),
    )
        .into_response();
    let retried = matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    );
    if let Some(seconds) = retry_after.filter(|_| retried) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// What a request got: a refusal written here, or the schema's response.
enum Answer {
    Refused(Value),
    Ran {
        response: Response,
        /// Refused by parsing or validation: no `data` entry at all.
        rejected: bool,
    },
}

impl Answer {
    /// The codes of its errors.
    fn codes(&self) -> Vec<&str> {
        match self {
            Answer::Refused(body) => body["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|error| error["extensions"]["code"].as_str())
                .collect(),
            Answer::Ran { response, .. } => response
                .errors
                .iter()
                .filter_map(|error| match error.extensions.as_ref()?.get("code")? {
                    async_graphql::Value::String(code) => Some(code.as_str()),
                    _ => None,
                })
                .collect(),
        }
    }

    /// `retryAfter` of its first error; a second when the database was out
    /// of reach.
    fn retry_after(&self) -> Option<u64> {
        match self {
            Answer::Refused(body) => body["errors"][0]["extensions"]["retryAfter"].as_u64(),
            Answer::Ran { response, .. } => unavailable(response).then_some(1),
        }
    }

    /// The response body, serialized straight from the response tree.
    fn into_body(self) -> Vec<u8> {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            data: Option<&'a async_graphql::Value>,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            errors: &'a [async_graphql::ServerError],
            extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
        }
        let written = match &self {
            Answer::Refused(body) => serde_json::to_vec(body),
            Answer::Ran { response, rejected } => serde_json::to_vec(&Body {
                data: (!rejected).then_some(&response.data),
                errors: &response.errors,
                extensions: &response.extensions,
            }),
        };
        written.unwrap_or_else(|_| {
            br#"{"errors":[{"message":"internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#.to_vec()
        })
    }
}

/// Whether the database was out of reach for some field of the response:
/// the request as a whole is answered 503, to be retried.
fn unavailable(response: &Response) -> bool {
    response.errors.iter().any(|error| {
        error.extensions.as_ref().and_then(|e| e.get("code"))
            == Some(&async_graphql::Value::from(code::SERVICE_UNAVAILABLE))
    })
}

/// The status of a request refused before it ran (syntax, validation,
/// limits): 200 under `application/json`, 400 under
/// `application/graphql-response+json`, as GraphQL over HTTP asks.
fn rejected_status(format: Format) -> StatusCode {
    match format {
        Format::GraphqlResponse => StatusCode::BAD_REQUEST,
        Format::Json => StatusCode::OK,
    }
}

/// Counts the request and its errors, and times it.
fn record(labels: &OperationLabels, outcome: Outcome, codes: Vec<&str>, started: Instant) {
    let metrics = telemetry::metrics();
    metrics
        .requests
        .get_or_create(&RequestLabels {
            kind: labels.kind.clone(),
            operation: labels.operation.clone(),
            outcome,
        })
        .inc();
    metrics
        .latency
        .get_or_create(labels)
        .observe(started.elapsed().as_secs_f64());
    for code in codes {
        metrics
            .errors
            .get_or_create(&CodeLabels {
                code: code.to_owned(),
            })
            .inc();
    }
}

/// Errors raised by async-graphql itself (parse, validation, argument and
/// variable coercion) carry no code: they are the client's input, so they
/// get `BAD_USER_INPUT`, naming the argument or variable when the message
/// does, else the query. Any other uncoded error of a field is a resolver's
/// unexpected failure (a database error passed through, say): it becomes
/// `INTERNAL_SERVER_ERROR`, its message kept for the log only.
pub(super) fn normalize_errors(response: &mut Response) {
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
                Duration::from_secs(24 * 3600).min(app.config.auth.jwt_max_ttl),
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
