//! GraphQL over HTTP (API.md §1, §12), closing the gaps of the stock
//! integration: one operation per request (JSON-array batches are refused),
//! `application/json` bodies only (415 otherwise), mutations never over GET
//! (405), `Accept` negotiation between `application/graphql-response+json`
//! and `application/json`, and every error carrying `extensions.code`.

use std::time::Instant;

use async_graphql::Request;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::answer::{Answer, unavailable};
use super::bearer::Bearer;
use super::format::{Format, bad_param, refuse, refuse_with, rejected_status};
use super::params::{Params, new_request};
use super::run::{cut_off, is_query, rejected, run_in_time};
use super::state::AppState;
use crate::auth::Viewer;
use crate::error::{AppError, code};
use crate::graphql::Session;
use crate::limits::Refusal;
use crate::telemetry::{self, CodeLabels, OperationLabels, Outcome, RequestLabels};

use super::persisted;

pub async fn post(
    State(app): State<AppState>,
    Bearer(viewer): Bearer,
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
    let session = match authenticate(&app, viewer) {
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
    Bearer(viewer): Bearer,
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
    let session = match authenticate(&app, viewer) {
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

/// An answer refusing the request, in the negotiated format.
type Refused = Box<dyn FnOnce(Format) -> axum::response::Response>;

/// The verified viewer of the request, or the 401 answer (one body for
/// every reason).
fn authenticate(app: &AppState, viewer: Result<Viewer, AppError>) -> Result<Session, Refused> {
    match viewer {
        Ok(viewer) => Ok(Session::new(app.db.clone(), app.reads.clone(), viewer)),
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
