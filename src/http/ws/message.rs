//! The protocol's messages: parsing what a client sends, and writing what
//! the server answers.

use async_graphql::{Request, Variables};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use serde_json::Value;

use crate::http::fanout::{Frame, Heard};

pub(super) fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

pub(super) fn text(value: &Value) -> Message {
    Message::Text(value.to_string().into())
}

/// A protocol message: a JSON object with a `type`.
pub(super) fn parse(message: &Message) -> Option<Value> {
    let Message::Text(text) = message else {
        return None;
    };
    let value: Value = serde_json::from_str(text.as_str()).ok()?;
    value.get("type")?.as_str()?;
    Some(value)
}

/// The GraphQL request of a `subscribe` payload.
pub(super) fn request(payload: &Value) -> Option<Request> {
    let mut request = Request::new(payload.get("query")?.as_str()?);
    match payload.get("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return None,
    }
    match payload.get("variables") {
        None | Some(Value::Null) => {}
        Some(v @ Value::Object(_)) => request = request.variables(Variables::from_json(v.clone())),
        Some(_) => return None,
    }
    Some(request)
}

/// The messages for one frame a socket heard of a shared subscription:
/// a notice of the events it missed just before (if any), then the
/// frame's own; and whether the frame ends that subscription.
pub(super) fn live_messages(id: &str, heard: &Heard) -> (Option<String>, String, bool) {
    let quoted = serde_json::to_string(id).unwrap_or_default();
    let notice = (heard.missed > 0).then(|| {
        // The same notice a lagging execution yields.
        let notice = crate::graphql::events::dropped(heard.missed);
        let mut error = async_graphql::ServerError::new(notice.message, None);
        error.extensions = notice.extensions;
        let payload = async_graphql::Response::from_errors(vec![error]);
        let payload = serde_json::to_string(&payload).unwrap_or_default();
        format!(r#"{{"id":{quoted},"type":"next","payload":{payload}}}"#)
    });
    let (message, ended) = match &heard.sent.frame {
        Frame::Next(payload) => (
            format!(r#"{{"id":{quoted},"type":"next","payload":{payload}}}"#),
            false,
        ),
        Frame::Refused(errors) => (
            format!(r#"{{"id":{quoted},"type":"error","payload":{errors}}}"#),
            true,
        ),
        Frame::End => (format!(r#"{{"id":{quoted},"type":"complete"}}"#), true),
    };
    (notice, message, ended)
}
