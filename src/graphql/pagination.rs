//! Relay pagination, written once: page arguments, opaque keyset cursors,
//! the keyset `WHERE`/`ORDER BY`, and the connection with a lazy
//! `totalCount`.
//!
//! A list is ordered by `(sort key, id)`. A cursor holds the sort's name,
//! the row's key and its id, so paging is stable while rows are inserted or
//! deleted elsewhere. NULL sort keys count as the smallest value (first
//! ascending, last descending).

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Object, OutputType};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{NullOrdering, Order};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult, bad_input};

pub const DEFAULT_PAGE_SIZE: u64 = 25;
pub const MAX_PAGE_SIZE: u64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `first`/`after`
    Forward,
    /// `last`/`before`
    Backward,
}

/// One page request, checked.
#[derive(Clone, Debug)]
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
        match (first, &after, last, &before) {
            (Some(_), _, Some(_), _) => Err(bad_input("last", "pass `first` or `last`, not both")),
            (_, Some(_), _, Some(_)) => {
                Err(bad_input("before", "pass `after` or `before`, not both"))
            }
            (None, None, Some(_), _) | (None, None, None, Some(_)) => Ok(Page {
                limit: last
                    .map(|n| size("last", n))
                    .transpose()?
                    .unwrap_or(DEFAULT_PAGE_SIZE),
                direction: Direction::Backward,
                cursor: before.as_deref().map(|c| cursor("before", c)).transpose()?,
            }),
            (_, _, None, None) => Ok(Page {
                limit: first
                    .map(|n| size("first", n))
                    .transpose()?
                    .unwrap_or(DEFAULT_PAGE_SIZE),
                direction: Direction::Forward,
                cursor: after.as_deref().map(|c| cursor("after", c)).transpose()?,
            }),
            _ => Err(bad_input(
                "before",
                "`before` pages with `last`, `after` with `first`",
            )),
        }
    }

    fn cursor_field(&self) -> &'static str {
        match self.direction {
            Direction::Forward => "after",
            Direction::Backward => "before",
        }
    }
}

/// A sort key's value in a cursor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyValue {
    Null,
    Int(i64),
    Text(String),
}

impl KeyValue {
    pub fn time(t: &chrono::DateTime<chrono::Utc>) -> Self {
        KeyValue::Text(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    }
}

/// The opaque position of a row in a sorted list.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort the cursor was made under.
    s: String,
    k: KeyValue,
    i: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// How a sort key's values are typed in SQL.
#[derive(Clone, Copy, Debug)]
pub enum KeyKind {
    Int,
    Text,
    Time,
}

/// A sort order a list supports.
pub struct SortKey<E: EntityTrait> {
    /// Cursors made under one sort are refused under another.
    pub name: &'static str,
    pub column: E::Column,
    pub kind: KeyKind,
    pub nullable: bool,
    /// The row's value of the key.
    pub value: fn(&E::Model) -> KeyValue,
}

/// A list query positioned on a page: keyset condition, order and limit.
pub struct Keyset<'a, E: EntityTrait> {
    pub sort: &'a SortKey<E>,
    pub id: E::Column,
    pub ascending: bool,
    pub page: &'a Page,
    /// `id` of the row, for cursors.
    pub id_of: fn(&E::Model) -> &str,
}

impl<E: EntityTrait> Keyset<'_, E> {
    /// Adds the keyset `WHERE`, `ORDER BY` and `LIMIT n + 1` to `query`.
    pub fn apply(&self, mut query: Select<E>) -> AppResult<Select<E>> {
        let scan_ascending = self.ascending == (self.page.direction == Direction::Forward);
        let (col, id) = (self.sort.column, self.id);
        if let Some(cursor) = &self.page.cursor {
            if cursor.s != self.sort.name {
                return Err(bad_input(
                    self.page.cursor_field(),
                    "the cursor was made under another sort",
                ));
            }
            let value = self.sql_value(&cursor.k)?;
            let after_id = if scan_ascending {
                id.gt(cursor.i.clone())
            } else {
                id.lt(cursor.i.clone())
            };
            let condition = match (value, scan_ascending) {
                (None, true) => Condition::any()
                    .add(Condition::all().add(col.is_null()).add(after_id))
                    .add(col.is_not_null()),
                (None, false) => Condition::all().add(col.is_null()).add(after_id),
                (Some(v), true) => Condition::any()
                    .add(col.gt(v.clone()))
                    .add(Condition::all().add(col.eq(v)).add(after_id)),
                (Some(v), false) => {
                    let mut c = Condition::any()
                        .add(col.lt(v.clone()))
                        .add(Condition::all().add(col.eq(v)).add(after_id));
                    if self.sort.nullable {
                        c = c.add(col.is_null());
                    }
                    c
                }
            };
            query = query.filter(condition);
        }
        let order = if scan_ascending {
            Order::Asc
        } else {
            Order::Desc
        };
        if self.sort.nullable {
            let nulls = if scan_ascending {
                NullOrdering::First
            } else {
                NullOrdering::Last
            };
            query = query.order_by_with_nulls(col, order.clone(), nulls);
        } else {
            query = query.order_by(col, order.clone());
        }
        Ok(query.order_by(id, order).limit(self.page.limit + 1))
    }

    fn sql_value(&self, key: &KeyValue) -> AppResult<Option<sea_orm::Value>> {
        let field = self.page.cursor_field();
        let invalid = || bad_input(field, "the cursor is not valid for this list");
        Ok(match (key, self.sort.kind) {
            (KeyValue::Null, _) if self.sort.nullable => None,
            (KeyValue::Int(n), KeyKind::Int) => Some((*n).into()),
            (KeyValue::Text(s), KeyKind::Text) => Some(s.clone().into()),
            (KeyValue::Text(s), KeyKind::Time) => Some(
                chrono::DateTime::parse_from_rfc3339(s)
                    .map_err(|_| invalid())?
                    .with_timezone(&chrono::Utc)
                    .into(),
            ),
            _ => return Err(invalid()),
        })
    }

    /// Turns the fetched rows (`limit + 1` at most) into a connection.
    pub fn connection<N: OutputType>(
        &self,
        mut rows: Vec<E::Model>,
        node: impl Fn(E::Model) -> N,
        total: TotalCount,
    ) -> Connection<String, N, TotalCount, EmptyFields> {
        let more = rows.len() as u64 > self.page.limit;
        rows.truncate(self.page.limit as usize);
        let from_cursor = self.page.cursor.is_some();
        let (has_previous, has_next) = match self.page.direction {
            Direction::Forward => (from_cursor, more),
            Direction::Backward => {
                rows.reverse();
                (more, from_cursor)
            }
        };
        let mut connection = Connection::with_additional_fields(has_previous, has_next, total);
        connection.edges = rows
            .into_iter()
            .map(|row| {
                let cursor = Cursor {
                    s: self.sort.name.to_owned(),
                    k: (self.sort.value)(&row),
                    i: (self.id_of)(&row).to_owned(),
                };
                Edge::new(cursor.encode(), node(row))
            })
            .collect();
        connection
    }
}

/// `totalCount` of a connection, counted only when the field is selected.
pub struct TotalCount(Box<dyn Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync>);

impl TotalCount {
    pub fn new(
        count: impl Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync + 'static,
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
