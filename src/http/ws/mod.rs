//! `GET /graphql/ws`: GraphQL over WebSocket, `graphql-transport-ws` (the
//! `graphql-ws` npm client's protocol), with the protocol's own close codes
//! where async-graphql's stock handler uses others:
//!
//! - no `connection_init` within `handshake::INIT_TIMEOUT`: 4408; a second one: 4429;
//! - a bad token in `connection_init` (`Authorization: "Bearer …"` or
//!   `authToken`): 4403, and 4403 again when the token expires;
//! - `subscribe` before the acknowledgement: 4401; a duplicate id: 4409;
//! - a message that is not JSON or not of the protocol: 4400.
//!
//! Operation errors travel as `error` messages and leave the socket open.
//! Mutations sent over the socket publish their events like HTTP ones.

mod handshake;
mod message;
mod operation;

use std::collections::HashMap;
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tokio_stream::StreamMap;

use self::handshake::{Authenticated, handshake, seconds_until};
use self::message::{close, live_messages, parse, request, text};
use self::operation::{Operation, Out, run};
use super::fanout::Joined;
use super::run::operation_type;
use super::state::AppState;

const PROTOCOL: &str = "graphql-transport-ws";
/// How often the server pings an idle client.
const PING_EVERY: Duration = Duration::from_secs(20);
/// Stands for "never" (a token whose expiry overflows an `Instant`).
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
/// Most operations one socket runs at once.
const MAX_OPERATIONS: usize = 100;
/// Largest message a client may send.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

pub async fn upgrade(
    State(app): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let offered = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == PROTOCOL);
    if !offered {
        return (
            StatusCode::BAD_REQUEST,
            "use the graphql-transport-ws subprotocol",
        )
            .into_response();
    }
    // Small buffers: an idle socket should cost kilobytes, not the
    // 128 KiB a side of tungstenite's defaults; and tungstenite zeroes the
    // free part of its read buffer at every read, so each poll of a socket
    // pays for its size. Protocol messages fit in 1 KiB; a longer one
    // (up to MAX_MESSAGE_BYTES) arrives in several reads.
    ws.protocols([PROTOCOL])
        .max_message_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| serve(socket, app))
}

/// Counts an open socket in `/metrics` while it lives.
struct OpenSocket;

impl OpenSocket {
    fn new() -> Self {
        crate::telemetry::metrics().websockets_open.inc();
        OpenSocket
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        crate::telemetry::metrics().websockets_open.dec();
    }
}

async fn serve(mut socket: WebSocket, app: AppState) {
    let _open = OpenSocket::new();
    let Some(Authenticated { viewer, key }) = handshake(&mut socket, &app).await else {
        return;
    };
    // A socket opened with an API key closes when the key is revoked.
    let mut forgotten = app.api_keys.forgotten();

    let (out, mut outgoing) = mpsc::channel::<Out>(32);
    // Queries and mutations run as tasks; subscriptions are streams of the
    // shared executions' results, written by this loop itself.
    let mut operations: HashMap<String, (u64, AbortHandle)> = HashMap::new();
    let mut live: StreamMap<String, Joined> = StreamMap::new();
    let mut generation = 0u64;
    // One timer for the keep-alive pings and the token's expiry.
    let now = Instant::now();
    let expires = now
        .checked_add(seconds_until(viewer.expires_at))
        .unwrap_or(now + FAR_FUTURE);
    let mut next_ping = now + PING_EVERY;
    let timer = tokio::time::sleep_until(next_ping.min(expires));
    tokio::pin!(timer);
    let mut stopping = app.stopping.subscribe();
    let stopped = async {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    tokio::pin!(stopped);
    // An event wakes every socket that listens for it, so the turn that
    // writes it should touch little: subscription results are polled first
    // (`biased`), and every future here is made once, not at each turn.
    let closing = loop {
        tokio::select! {
            biased;
            Some((id, heard)) = live.next(), if !live.is_empty() => {
                let (notice, message, ended) = live_messages(&id, &heard);
                if ended {
                    live.remove(&id);
                }
                if let Some(notice) = notice
                    && socket.send(Message::Text(notice.into())).await.is_err()
                {
                    break None;
                }
                if socket.send(Message::Text(message.into())).await.is_err() {
                    break None;
                }
            }
            () = &mut stopped => break Some(close(1001, "the server is shutting down")),
            Ok(()) = forgotten.changed(), if key.is_some() => {
                let key = key.as_deref().unwrap_or_default();
                if app.api_keys.authenticate(key).await.is_err() {
                    break Some(close(4403, "Forbidden: the API key was revoked"));
                }
            }
            () = &mut timer => {
                let now = Instant::now();
                if now >= expires {
                    break Some(close(4403, "Forbidden: the token expired"));
                }
                if now >= next_ping {
                    if socket.send(text(&json!({ "type": "ping" }))).await.is_err() {
                        break None;
                    }
                    next_ping = now + PING_EVERY;
                }
                timer.as_mut().reset(next_ping.min(expires));
            }
            // Only while a query or mutation runs: what an operation the
            // client completed (or a finished one) still sends is dropped.
            Some(out) = outgoing.recv(), if !operations.is_empty() => {
                if operations.get(&out.id).is_none_or(|(g, _)| *g != out.generation) {
                    continue;
                }
                if out.last {
                    operations.remove(&out.id);
                }
                if socket.send(Message::Text(out.message.into())).await.is_err() {
                    break None;
                }
            }
            message = socket.recv() => {
                let Some(Ok(message)) = message else { break None };
                if matches!(message, Message::Close(_)) {
                    break None;
                }
                if matches!(message, Message::Ping(_) | Message::Pong(_)) {
                    continue;
                }
                let Some(parsed) = parse(&message) else {
                    break Some(close(4400, "Invalid message"));
                };
                match parsed["type"].as_str() {
                    Some("ping") => {
                        if socket.send(text(&json!({ "type": "pong" }))).await.is_err() {
                            break None;
                        }
                    }
                    Some("pong") => {}
                    Some("connection_init") => {
                        break Some(close(4429, "Too many initialisation requests"));
                    }
                    Some("complete") => {
                        if let Some(id) = parsed["id"].as_str() {
                            if let Some((_, task)) = operations.remove(id) {
                                task.abort();
                            }
                            live.remove(id);
                        }
                    }
                    Some("subscribe") => {
                        let Some(id) = parsed["id"].as_str().map(str::to_owned) else {
                            break Some(close(4400, "Invalid message"));
                        };
                        if operations.contains_key(&id) || live.contains_key(&id) {
                            break Some(close(4409, "Subscriber already exists"));
                        }
                        let Some(mut request) = request(&parsed["payload"]) else {
                            break Some(close(4400, "Invalid message"));
                        };
                        if operations.len() + live.len() >= MAX_OPERATIONS {
                            let refusal = json!({ "id": id, "type": "error", "payload": [{
                                "message": format!("at most {MAX_OPERATIONS} operations at once on one socket"),
                                "extensions": { "code": "RATE_LIMITED", "retryAfter": 1 }
                            }]});
                            if socket.send(text(&refusal)).await.is_err() {
                                break None;
                            }
                            continue;
                        }
                        app.gate.parse(&mut request);
                        let cost = match app.gate.admit(viewer.tenant.as_str(), &mut request).await {
                            Ok(cost) => cost,
                            Err(refusal) => {
                                let refusal = json!({ "id": id, "type": "error", "payload": [refusal.error()] });
                                if socket.send(text(&refusal)).await.is_err() {
                                    break None;
                                }
                                continue;
                            }
                        };
                        if operation_type(&mut request) == Some(OperationType::Subscription) {
                            let frames = app.fanout.join(&viewer, request);
                            live.insert(id, frames);
                            continue;
                        }
                        generation += 1;
                        let task = tokio::spawn(run(
                            app.clone(),
                            viewer.clone(),
                            Operation { id: id.clone(), generation, cost },
                            request,
                            out.clone(),
                        ));
                        operations.insert(id, (generation, task.abort_handle()));
                    }
                    _ => break Some(close(4400, "Invalid message")),
                }
            }
        }
    };
    for (_, (_, task)) in operations.drain() {
        task.abort();
    }
    if let Some(frame) = closing {
        let _ = socket.send(frame).await;
    }
}
