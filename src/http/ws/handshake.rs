//! The socket's first phase: until `connection_init` only pings are
//! answered; a valid token is acknowledged, anything else closes the socket
//! with the protocol's code.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use serde_json::{Value, json};

use super::message::{close, parse, text};
use crate::auth::{Viewer, bearer};
use crate::http::state::AppState;

/// How long a new socket has to send `connection_init`.
pub(super) const INIT_TIMEOUT: Duration = Duration::from_secs(3);

/// The viewer the client authenticated as, once acknowledged; `None` when
/// the socket was closed instead.
pub(super) async fn handshake(socket: &mut WebSocket, app: &AppState) -> Option<Viewer> {
    // Until `connection_init`: pings are answered, anything else closes.
    let deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(deadline);
    let viewer = loop {
        let message = tokio::select! {
            () = &mut deadline => {
                let _ = socket.send(close(4408, "Connection initialisation timeout")).await;
                return None;
            }
            message = socket.recv() => message,
        };
        let Some(Ok(message)) = message else {
            return None;
        };
        if matches!(message, Message::Ping(_) | Message::Pong(_)) {
            continue;
        }
        let Some(parsed) = parse(&message) else {
            if matches!(message, Message::Close(_)) {
                return None;
            }
            let _ = socket.send(close(4400, "Invalid message")).await;
            return None;
        };
        match parsed["type"].as_str() {
            Some("connection_init") => match authenticate(app, &parsed["payload"]) {
                Some(viewer) => break viewer,
                None => {
                    let _ = socket.send(close(4403, "Forbidden")).await;
                    return None;
                }
            },
            Some("ping") => {
                let _ = socket.send(text(&json!({ "type": "pong" }))).await;
            }
            Some("pong") => {}
            Some("subscribe") => {
                let _ = socket.send(close(4401, "Unauthorized")).await;
                return None;
            }
            _ => {
                let _ = socket.send(close(4400, "Invalid message")).await;
                return None;
            }
        }
    };
    socket
        .send(text(&json!({ "type": "connection_ack" })))
        .await
        .ok()?;
    Some(viewer)
}

/// The viewer of a `connection_init` payload.
fn authenticate(app: &AppState, payload: &Value) -> Option<Viewer> {
    let field = |name: &str| payload.get(name).and_then(Value::as_str);
    let token = field("Authorization")
        .or_else(|| field("authorization"))
        .and_then(bearer)
        .or_else(|| field("authToken").map(|t| bearer(t).unwrap_or(t)))?;
    app.keys.verify(token).ok()
}

pub(super) fn seconds_until(expires_at: u64) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Duration::from_secs(expires_at.saturating_sub(now))
}
