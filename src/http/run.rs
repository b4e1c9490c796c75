//! Running a query or mutation, over HTTP or a WebSocket: within the
//! request time limit, with the events its writes recorded published
//! after, and every error coded.

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response};
use serde_json::{Value, json};

use super::errors::normalize_errors;
use super::state::AppState;
use crate::error::code;
use crate::graphql::Session;

/// Runs a query or mutation in `session`, publishes the events its writes
/// recorded (after their transactions committed), and gives every error a
/// code.
pub(super) async fn run_query(app: &AppState, session: Session, request: Request) -> Response {
    let dispatch = session.loaders.dispatch().clone();
    let execution = app
        .schema
        .execute(request.data(session).data(app.api_keys.clone()));
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
pub(super) fn is_query(request: &mut Request) -> bool {
    !matches!(
        operation_type(request),
        Some(OperationType::Mutation | OperationType::Subscription)
    )
}
