//! What a GraphQL request over HTTP got, as the handlers write it: its
//! body, the codes it counts in `/metrics`, and when to retry.

use async_graphql::Response;
use serde_json::Value;

use crate::error::code;

/// What a request got: a refusal written here, or the schema's response.
pub(super) enum Answer {
    Refused(Value),
    Ran {
        response: Response,
        /// Refused by parsing or validation: no `data` entry at all.
        rejected: bool,
    },
}

impl Answer {
    /// The codes of its errors.
    pub(super) fn codes(&self) -> Vec<&str> {
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
    pub(super) fn retry_after(&self) -> Option<u64> {
        match self {
            Answer::Refused(body) => body["errors"][0]["extensions"]["retryAfter"].as_u64(),
            Answer::Ran { response, .. } => unavailable(response).then_some(1),
        }
    }

    /// The response body, serialized straight from the response tree.
    pub(super) fn into_body(self) -> Vec<u8> {
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
pub(super) fn unavailable(response: &Response) -> bool {
    response.errors.iter().any(|error| {
        error.extensions.as_ref().and_then(|e| e.get("code"))
            == Some(&async_graphql::Value::from(code::SERVICE_UNAVAILABLE))
    })
}
