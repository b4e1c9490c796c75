//! `Segment.explain` of a segment defined by a filter or a query: every
//! condition of its tree, leaves and `and`/`or`/`not` alike, named by its
//! path (`filter.or[1].country`) and asked of the database with the very
//! condition membership compiles, so the answer cannot disagree with it.

use async_graphql::InputType as _;
use serde_json::Value;

use super::StoredFilter;
use super::compile::Env;
use super::repo;
use crate::error::{AppError, AppResult};
use crate::graphql::input;
use crate::ids::CustomerId;
use crate::profiles::{CustomerFilter, query};
use crate::tenancy::TenantId;

/// One condition of a tree and whether the customer meets it.
pub struct Explained {
    pub path: String,
    /// The condition as written: its value, or the nested filters.
    pub value: Value,
    pub matched: bool,
}

/// Each condition of the definition's tree; `None` when the tenant has no
/// such customer.
pub async fn explain(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    customer: &CustomerId,
    stored: &StoredFilter,
    env: &Env,
) -> AppResult<Option<Vec<Explained>>> {
    if crate::profiles::repo::find(db, tenant, customer)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    // The filter and the query both hold: each is explained on its own,
    // under its own name.
    let queried = match &stored.query {
        Some(text) => Some(query::read(text, &env.fields, "query")?),
        None => None,
    };
    let mut parts = Vec::new();
    for (root, tree) in [("filter", &stored.filter), ("query", &queried)] {
        let Some(tree) = tree else { continue };
        let json = tree
            .to_value()
            .into_json()
            .map_err(|e| AppError::Internal(e.into()))?;
        walk(&json, root, &mut parts);
    }
    let filter_env = env.filter_env();
    let mut conditions = Vec::new();
    for (i, (path, key, value)) in parts.iter().enumerate() {
        let one = serde_json::json!({ key.as_str(): value });
        let filter = async_graphql::Value::from_json(one)
            .ok()
            .and_then(|v| CustomerFilter::parse(Some(v)).ok())
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("{path} of a stored filter")))?;
        conditions.push((i.to_string(), filter.compile_named(path, &filter_env)?));
    }
    let hits = repo::matches(db, tenant, &[customer.as_str().to_owned()], &conditions).await?;
    Ok(Some(
        parts
            .into_iter()
            .enumerate()
            .map(|(i, (path, _, value))| Explained {
                matched: hits.iter().any(|(_, k)| *k == i.to_string()),
                path,
                value,
            })
            .collect(),
    ))
}

/// Every non-null field of every filter in the tree, with its path, in
/// the order written.
fn walk(node: &Value, path: &str, out: &mut Vec<(String, String, Value)>) {
    let Value::Object(fields) = node else {
        return;
    };
    for (key, value) in fields {
        if value.is_null() {
            continue;
        }
        let at = format!("{path}.{key}");
        out.push((at.clone(), key.clone(), input::without_nulls(value.clone())));
        match (key.as_str(), value) {
            ("and" | "or", Value::Array(list)) => {
                for (i, nested) in list.iter().enumerate() {
                    walk(nested, &format!("{at}[{i}]"), out);
                }
            }
            ("not", nested) => walk(nested, &at, out),
            _ => {}
        }
    }
}
