//! A `graphql-transport-ws` client for the server's `/graphql/ws`.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::TestApp;

/// A `graphql-transport-ws` client.
pub struct Ws(WebSocketStream<MaybeTlsStream<TcpStream>>);

/// How a socket ended.
#[derive(Debug, PartialEq)]
pub enum Ended {
    Closed(u16),
    Open,
}

impl Ws {
    pub async fn open(app: &TestApp) -> Ws {
        let (socket, response) = Ws::try_open(app, "graphql-transport-ws").await.unwrap();
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        Ws(socket)
    }

    /// A WebSocket to the server asking for `protocol`.
    pub async fn try_open(
        app: &TestApp,
        protocol: &str,
    ) -> Result<
        (
            WebSocketStream<MaybeTlsStream<TcpStream>>,
            tokio_tungstenite::tungstenite::handshake::client::Response,
        ),
        tokio_tungstenite::tungstenite::Error,
    > {
        let url = format!("{}/graphql/ws", app.url.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
        tokio_tungstenite::connect_async(request).await
    }

    /// A socket past `connection_ack`, for `token`.
    pub async fn ready(app: &TestApp, token: &str) -> Ws {
        let mut ws = Ws::open(app).await;
        ws.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
            .await;
        assert_eq!(ws.recv().await.unwrap()["type"], "connection_ack");
        ws
    }

    /// Sends a text frame as it is (not necessarily a protocol message).
    pub async fn send_text(&mut self, text: &str) {
        self.0.send(Message::Text(text.into())).await.unwrap();
    }

    pub async fn send(&mut self, value: Value) {
        self.0
            .send(Message::Text(value.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next protocol message within five seconds (server pings
    /// skipped); `None` when the socket closed.
    pub async fn recv(&mut self) -> Option<Value> {
        self.within(Duration::from_secs(5)).await
    }

    pub async fn within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = tokio::time::timeout_at(deadline, self.0.next())
                .await
                .ok()??;
            match message.ok()? {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(text.as_str()).unwrap();
                    if value["type"] != "ping" {
                        return Some(value);
                    }
                }
                Message::Close(_) => return None,
                _ => {}
            }
        }
    }

    /// Waits until the server has handled every message sent so far: it
    /// answers a ping after them, in order.
    pub async fn handled(&mut self) {
        self.send(json!({ "type": "ping" })).await;
        let pong = self.recv().await.unwrap();
        assert_eq!(pong["type"], "pong", "{pong}");
    }

    /// Nothing arrives for a while.
    pub async fn quiet(&mut self) -> bool {
        self.within(Duration::from_millis(700)).await.is_none()
    }

    /// How the socket ends within `wait`.
    pub async fn ended(&mut self, wait: Duration) -> Ended {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.0.next()).await {
                Err(_) => return Ended::Open,
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Ended::Closed(frame.map_or(1005, |f| f.code.into()));
                }
                Ok(Some(Ok(_))) => {}
                Ok(_) => return Ended::Closed(1006),
            }
        }
    }
}
