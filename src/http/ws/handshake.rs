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

/// Who the client authenticated as, once acknowledged; `None` when the
/// socket was closed instead.
pub(super) struct Authenticated {
    pub viewer: Viewer,
    /// The API key it authenticated with, checked again whenever a key is
    /// revoked; `None` for a token.
    pub key: Option<String>,
}

/// The client's credential, once acknowledged; `None` when the socket was
/// closed instead.
pub(super) async fn handshake(socket: &mut WebSocket, app: &AppState) -> Option<Authenticated> {
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
            Some("connection_init") => match authenticate(app, &parsed["payload"]).await {
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

/// The credential of a `connection_init` payload: a token or API key in
/// `Authorization` (`Bearer …`), `X-API-Key` or `authToken`.
async fn authenticate(app: &AppState, payload: &Value) -> Option<Authenticated> {
    let field = |name: &str| payload.get(name).and_then(Value::as_str);
    let credential = field("X-API-Key")
        .or_else(|| field("x-api-key"))
        .or_else(|| {
            field("Authorization")
                .or_else(|| field("authorization"))
                .and_then(bearer)
        })
        .or_else(|| field("authToken").map(|t| bearer(t).unwrap_or(t)))?;
    let viewer = crate::http::bearer::authenticate(app, credential)
        .await
        .ok()?;
    let key = credential
        .starts_with(crate::api_keys::secret::PREFIX)
        .then(|| credential.to_owned());
    Some(Authenticated { viewer, key })
}

pub(super) fn seconds_until(expires_at: u64) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Duration::from_secs(expires_at.saturating_sub(now))
}
