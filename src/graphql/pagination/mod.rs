//! Relay pagination, written once: page arguments, opaque keyset cursors
//! (`cursor`), the keyset `WHERE`/`ORDER BY` (`keyset`), how a page is read
//! on each backend (`read`), pages and counts for many parents at once
//! (`per_parent`), short lists held in memory (`memory`), and the
//! connection with a lazy `totalCount`.
//!
//! A list is ordered by `(sort key, id)`. A cursor holds the sort's name,
//! the row's key and its id, so paging is stable while rows are inserted or
//! deleted elsewhere. NULL sort keys count as the smallest value (first
//! ascending, last descending).

mod cursor;
mod keyset;
pub mod memory;
mod per_parent;
mod read;

pub use cursor::{Cursor, KeyValue};
pub use keyset::{KeyColumn, KeyKind, KeyRead, KeyedPage, Keyset, SortKey};
pub use per_parent::{
    ChildCount, ChildPage, count_per_parent, load_child_counts, load_child_pages,
};
pub use read::{Decode, INDEX_FIRST_UP_TO, PROBE_WINDOW, Reading, model, probe_window};

use std::hash::Hash;

use async_graphql::Object;
use async_graphql::connection::{Connection, EmptyFields};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QuerySelect, Select};

use crate::error::{AppError, AppResult, bad_input};

pub const DEFAULT_PAGE_SIZE: u64 = 25;
pub const MAX_PAGE_SIZE: u64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `first`/`after`
    Forward,
    /// `last`/`before`
    Backward,
}

/// One page request, checked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Page {
    pub limit: u64,
    pub direction: Direction,
    pub cursor: Option<Cursor>,
}

impl Page {
    /// `first`/`after` or `last`/`before`: 25 by default, 1–100.
    pub fn from_params(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Self> {
        let size = |field: &str, n: i32| {
            u64::try_from(n)
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| {
                    bad_input(
                        field,
                        format!("`{field}` must be between 1 and {MAX_PAGE_SIZE}"),
                    )
                })
        };
        let cursor = |field: &str, raw: &str| {
            Cursor::decode(raw)
                .ok_or_else(|| bad_input(field, format!("`{field}` is not a cursor of this list")))
        };
        if first.is_some() && last.is_some() {
            return Err(bad_input("last", "pass `first` or `last`, not both"));
        }
        if after.is_some() && before.is_some() {
            return Err(bad_input("before", "pass `after` or `before`, not both"));
        }
        let backward = last.is_some() || before.is_some();
        if backward && after.is_some() {
            return Err(bad_input(
                "after",
                "`after` pages with `first`; use `before` with `last`",
            ));
        }
        if backward && first.is_some() {
            return Err(bad_input(
                "first",
                "`before` pages with `last`; use `after` with `first`",
            ));
        }
        Ok(if backward {
            Page {
                limit: last
                    .map(|n| size("last", n))
                    .transpose()?
                    .unwrap_or(DEFAULT_PAGE_SIZE),
                direction: Direction::Backward,
                cursor: before.as_deref().map(|c| cursor("before", c)).transpose()?,
            }
        } else {
            Page {
                limit: first
                    .map(|n| size("first", n))
                    .transpose()?
                    .unwrap_or(DEFAULT_PAGE_SIZE),
                direction: Direction::Forward,
                cursor: after.as_deref().map(|c| cursor("after", c)).transpose()?,
            }
        })
    }

    fn cursor_field(&self) -> &'static str {
        match self.direction {
            Direction::Forward => "after",
            Direction::Backward => "before",
        }
    }
}

/// A Relay connection of `N` with keyset cursors and a lazy `totalCount`.
pub type ListConnection<N> = Connection<Cursor, N, TotalCount, EmptyFields>;

/// `totalCount` of a connection, counted only when the field is selected.
pub struct TotalCount(
    Box<dyn Fn() -> BoxFuture<'static, async_graphql::Result<u64>> + Send + Sync>,
);

impl TotalCount {
    pub fn new(
        count: impl Fn() -> BoxFuture<'static, async_graphql::Result<u64>> + Send + Sync + 'static,
    ) -> Self {
        TotalCount(Box::new(count))
    }
}

#[Object]
impl TotalCount {
    /// How many items the whole list holds, across all pages.
    async fn total_count(&self) -> async_graphql::Result<i64> {
        let n = (self.0)().await?;
        Ok(i64::try_from(n).map_err(|e| AppError::Internal(e.into()))?)
    }
}

/// How many rows `query` selects: a bare `SELECT COUNT(column) … WHERE`,
/// which the indexes can answer.
pub async fn count<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    column: E::Column,
) -> AppResult<u64> {
    let n: Option<i64> = query
        .select_only()
        .column_as(Expr::col(column.as_column_ref()).count(), "n")
        .into_tuple()
        .one(db)
        .await?;
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
}

/// How many rows `query` selects, counting no further than `limit`:
/// `SELECT COUNT(*) FROM (SELECT column … LIMIT limit)`, which stops
/// reading at the limit.
pub async fn count_up_to<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    column: E::Column,
    limit: u64,
) -> AppResult<u64> {
    use sea_orm::QueryTrait as _;
    use sea_orm::sea_query::{Alias, Query};
    let rows = query.select_only().column(column).limit(limit).into_query();
    let counted = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(rows, Alias::new("rows"))
        .to_owned();
    let row = db.query_one(&counted).await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}
