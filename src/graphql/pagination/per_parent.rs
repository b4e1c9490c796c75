//! Pages and counts for many parents at once: the batches behind the lists
//! that hang off a customer.

use std::collections::HashMap;
use std::hash::Hash;

use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select};

use super::Page;
use crate::error::AppResult;

/// A loader key: one page of one parent's children (a customer's orders,
/// say), with the list's filter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChildPage<F> {
    pub parent: String,
    pub page: Page,
    pub filter: F,
}

/// A loader key: how many children one parent has under a filter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChildCount<F> {
    pub parent: String,
    pub filter: F,
}

/// Answers a batch of [`ChildPage`] keys with one `fetch` per distinct page
/// and filter (in practice one statement for the whole batch), handing each
/// parent its own rows.
pub async fn load_child_pages<F, M, Fut>(
    keys: &[ChildPage<F>],
    parent_of: fn(&M) -> &str,
    fetch: impl Fn(Vec<String>, Page, F) -> Fut,
) -> AppResult<HashMap<ChildPage<F>, Vec<M>>>
where
    F: Clone + Eq + Hash,
    Fut: std::future::Future<Output = AppResult<Vec<M>>>,
{
    let mut groups: HashMap<(Page, F), Vec<String>> = HashMap::new();
    for key in keys {
        groups
            .entry((key.page.clone(), key.filter.clone()))
            .or_default()
            .push(key.parent.clone());
    }
    let mut out = HashMap::new();
    for ((page, filter), parents) in groups {
        let mut by_parent: HashMap<String, Vec<M>> = HashMap::new();
        for row in fetch(parents.clone(), page.clone(), filter.clone()).await? {
            by_parent
                .entry(parent_of(&row).to_owned())
                .or_default()
                .push(row);
        }
        for parent in parents {
            let rows = by_parent.remove(&parent).unwrap_or_default();
            let key = ChildPage {
                parent,
                page: page.clone(),
                filter: filter.clone(),
            };
            out.insert(key, rows);
        }
    }
    Ok(out)
}

/// Answers a batch of [`ChildCount`] keys with one `count` (a `GROUP BY`
/// parent) per distinct filter.
pub async fn load_child_counts<F, Fut>(
    keys: &[ChildCount<F>],
    count: impl Fn(Vec<String>, F) -> Fut,
) -> AppResult<HashMap<ChildCount<F>, u64>>
where
    F: Clone + Eq + Hash,
    Fut: std::future::Future<Output = AppResult<HashMap<String, u64>>>,
{
    let mut groups: HashMap<F, Vec<String>> = HashMap::new();
    for key in keys {
        groups
            .entry(key.filter.clone())
            .or_default()
            .push(key.parent.clone());
    }
    let mut out = HashMap::new();
    for (filter, parents) in groups {
        let counts = count(parents.clone(), filter.clone()).await?;
        for parent in parents {
            let n = counts.get(&parent).copied().unwrap_or(0);
            out.insert(
                ChildCount {
                    parent,
                    filter: filter.clone(),
                },
                n,
            );
        }
    }
    Ok(out)
}

/// How many rows of `query` each parent has: one `GROUP BY parent`.
pub async fn count_per_parent<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    parent: E::Column,
    parents: &[String],
) -> AppResult<HashMap<String, u64>> {
    if parents.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, i64)> = query
        .filter(parent.is_in(parents.iter().cloned()))
        .select_only()
        .column(parent)
        .column_as(Expr::col(parent.as_column_ref()).count(), "n")
        .group_by(parent)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(key, n)| (key, u64::try_from(n).unwrap_or(0)))
        .collect())
}
