//! A query or mutation sent over the socket, run as its own task in one of
//! its tenant's slots; its messages go back through the socket's loop.

use async_graphql::Request;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::auth::Viewer;
use crate::graphql::Session;
use crate::http::run::{cut_off, rejected, run_in_time};
use crate::http::state::AppState;

/// A serialized message a query or mutation task hands the socket's loop,
/// for operation `id` in its `generation` (ids may be used again).
pub(super) struct Out {
    pub(super) id: String,
    pub(super) generation: u64,
    pub(super) message: String,
    /// The operation's last message: the id is free again before the
    /// client reads it.
    pub(super) last: bool,
}

/// A query or mutation of a socket: its id, which run of that id it is,
/// and what it was found to cost.
pub(super) struct Operation {
    pub(super) id: String,
    pub(super) generation: u64,
    pub(super) cost: crate::limits::Cost,
}

/// Runs a query or mutation in one of its tenant's slots, for at most the
/// request timeout, as over HTTP, sending its result and `complete`, or
/// `error` when it was refused.
pub(super) async fn run(
    app: AppState,
    viewer: Viewer,
    operation: Operation,
    request: Request,
    out: mpsc::Sender<Out>,
) {
    let Operation {
        id,
        generation,
        cost,
    } = operation;
    let wait = app.config.limits.request_timeout;
    let _slot = match app.gate.slot(&viewer.tenant, wait, cost).await {
        Ok(slot) => slot,
        Err(refusal) => {
            let refusal = json!({ "id": id, "type": "error", "payload": [refusal.error()] });
            let _ = out
                .send(Out {
                    id: id.clone(),
                    generation,
                    message: refusal.to_string(),
                    last: true,
                })
                .await;
            return;
        }
    };
    let session = Session::new(app.db.clone(), app.reads.clone(), viewer);
    let request = request.data(app.bus.clone());
    let send = |value: Value, last: bool| {
        out.send(Out {
            id: id.clone(),
            generation,
            message: value.to_string(),
            last,
        })
    };
    let Some(response) = run_in_time(&app, session, request).await else {
        // Cut off at the time limit, as over HTTP.
        let payload = json!({ "errors": [cut_off(&app)] });
        let _ = send(
            json!({ "id": id, "type": "next", "payload": payload }),
            false,
        )
        .await;
        let _ = send(json!({ "id": id, "type": "complete" }), true).await;
        return;
    };
    if rejected(&response) {
        let errors = serde_json::to_value(&response.errors).unwrap_or(Value::Null);
        let _ = send(
            json!({ "id": id, "type": "error", "payload": errors }),
            true,
        )
        .await;
        return;
    }
    let payload = serde_json::to_value(&response).unwrap_or(Value::Null);
    let _ = send(
        json!({ "id": id, "type": "next", "payload": payload }),
        false,
    )
    .await;
    let _ = send(json!({ "id": id, "type": "complete" }), true).await;
}
