//! A request's parameters, from a POST body or a GET query string, checked
//! as GraphQL over HTTP asks.

use async_graphql::{Request, Variables};
use serde_json::Value;

/// The request's parameters, checked as GraphQL over HTTP asks.
pub(super) struct Params {
    /// Absent when a persisted query's hash stands for it.
    pub(super) query: Option<String>,
    pub(super) operation_name: Option<String>,
    pub(super) variables: Option<Variables>,
    pub(super) extensions: Option<Value>,
}

impl Params {
    pub(super) fn parse(
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
pub(super) fn new_request(query: String, operation_name: &Option<String>) -> Request {
    match operation_name {
        Some(name) => Request::new(query).operation_name(name.clone()),
        None => Request::new(query),
    }
}
