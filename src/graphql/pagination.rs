//! Relay pagination, written once: page arguments, opaque keyset cursors,
//! the keyset `WHERE`/`ORDER BY`, and the connection with a lazy
//! `totalCount`.
//!
//! A list is ordered by `(sort key, id)`. A cursor holds the sort's name,
//! the row's key and its id, so paging is stable while rows are inserted or
//! deleted elsewhere. NULL sort keys count as the smallest value (first
//! ascending, last descending).
//!
//! Cursors are base64 JSON of `(sort, key, id)`, like Shopify's: opaque to
//! clients by contract, not secret (a key is a value the client was shown).

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::{Object, OutputType};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::BoxFuture;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::Hash;

use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait as _, Func, NullOrdering, Order, Query, SelectStatement,
    WindowStatement,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};
use serde::{Deserialize, Serialize};

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

/// A sort key's value in a cursor.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyValue {
    Null,
    Int(i64),
    Text(String),
    /// Written as RFC 3339 text (to the microsecond), which a cursor reads
    /// back as `Text`.
    #[serde(serialize_with = "rfc3339", skip_deserializing)]
    Time(chrono::DateTime<chrono::Utc>),
}

impl KeyValue {
    pub fn time(t: &chrono::DateTime<chrono::Utc>) -> Self {
        KeyValue::Time(*t)
    }
}

fn rfc3339<S: serde::Serializer>(
    t: &chrono::DateTime<chrono::Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// The opaque position of a row in a sorted list. A connection holds one
/// per row and writes it out only when `cursor`, `startCursor` or
/// `endCursor` is asked for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort the cursor was made under.
    s: Cow<'static, str>,
    k: KeyValue,
    i: String,
}

impl CursorType for Cursor {
    type Error = &'static str;

    fn decode_cursor(raw: &str) -> Result<Self, Self::Error> {
        Cursor::decode(raw).ok_or("the cursor is not valid")
    }

    fn encode_cursor(&self) -> String {
        self.encode()
    }
}

/// A Relay connection of `N` with keyset cursors and a lazy `totalCount`.
pub type ListConnection<N> = Connection<Cursor, N, TotalCount, EmptyFields>;

impl Cursor {
    /// The cursor of a row of a list sorted by `sort`.
    pub fn of<E: EntityTrait>(sort: &SortKey<E>, row: &E::Model, id: &str) -> Self {
        Cursor {
            s: Cow::Borrowed(sort.name),
            k: (sort.value)(row),
            i: id.to_owned(),
        }
    }

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

/// The most rows of a searched list, in the sort's order, PostgreSQL reads
/// for a page before it turns to the search's index instead
/// ([`Keyset::fetch_searched`]).
pub const PROBE_WINDOW: u64 = 4000;
/// The fewest.
const MIN_PROBE_WINDOW: u64 = 250;

/// How many rows to probe for `need` matches among `size` rows: reading a
/// window of `w` rows finds the page when the search matches at least
/// `need / w` of them; otherwise the index's matches, under that share of
/// `size`, are sorted. `√(need × size)` makes the two costs meet, so that
/// neither a common nor a rare term pays much more than its best plan.
pub fn probe_window(need: u64, size: u64) -> u64 {
    let balanced = (need.saturating_mul(size) as f64).sqrt().ceil() as u64;
    balanced.clamp(MIN_PROBE_WINDOW, PROBE_WINDOW)
}

/// Up to this many rows in a list, a searched page on PostgreSQL looks at
/// the search index's matches first ([`Keyset::fetch_searched`]).
pub const INDEX_FIRST_UP_TO: u64 = 100_000;

/// How [`Keyset::read`] reads each range.
enum Read {
    /// The page's rows, in one statement.
    Direct,
    /// The page's ids in a subquery, then their rows.
    Deferred,
    /// As `Deferred`, the ids of the rows that meet the condition: among the
    /// next so many rows first, then among all.
    Probing(Condition, u64),
    /// As `Deferred`, the ids of the rows that meet the condition, sorted,
    /// when the search's index finds at most so many of them (else none,
    /// and the range is read as `Probing`).
    IndexFirst(Condition, u64),
}

/// Whether a statement orders its rows as the sort's index holds them (and
/// PostgreSQL may walk the index) or with NULLs placed against the index's
/// order, which no row's value changes (the key columns a range reads are
/// NOT NULL) but which keeps PostgreSQL from walking the index: it sorts
/// what the other conditions find.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyOrder {
    Index,
    Sorted,
}

/// Where a scan starts: the cursor's key (`None` for NULL) and id.
type Position = (Option<sea_orm::Value>, String);

/// The rows sharing NULL as their key, and the rows with a value: for a
/// nullable key a page is read from these two index ranges in turn, so each
/// query is one keyset range scan.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Range {
    Null,
    Values,
}

impl<E: EntityTrait> Keyset<'_, E>
where
    E::Model: Send + Sync,
{
    /// Reads the page (`limit + 1` rows at most, in scan order) from `query`.
    ///
    /// Each statement is a range scan of the `(tenant_id, key, id)` index:
    /// the cursor is compared as a row value, `(key, id) > (v, i)`, which
    /// both backends turn into an index bound. A nullable key reads its NULL
    /// rows and its valued rows as separate ranges.
    pub async fn fetch(
        &self,
        db: &impl ConnectionTrait,
        query: Select<E>,
    ) -> AppResult<Vec<E::Model>> {
        self.read(db, query, Read::Direct).await
    }

    /// [`Keyset::fetch`] for a filtered list of wide rows: on PostgreSQL,
    /// each statement finds the page's ids first, in a subquery that may be
    /// answered from an index alone (its filter tested on the index's
    /// columns, skipped rows never read), then reads the page's rows by key.
    /// SQLite, which plans without statistics, would read the outer query
    /// through the sort's index and test every row of the tenant against
    /// the subquery's ids; it reads the page directly.
    pub async fn fetch_deferred(
        &self,
        db: &impl ConnectionTrait,
        query: Select<E>,
    ) -> AppResult<Vec<E::Model>> {
        let read = if db.get_database_backend() == DbBackend::Postgres {
            Read::Deferred
        } else {
            Read::Direct
        };
        self.read(db, query, read).await
    }

    /// [`Keyset::fetch_deferred`] for a list narrowed by `filter`, a search
    /// whose matches PostgreSQL's planner can misjudge a hundredfold either
    /// way: it estimates `LIKE '%term%'` from a sample of a hundred values.
    /// A rare term taken for a common one walks the sort's index through
    /// most of the tenant (seconds); a common one taken for rare sorts every
    /// match. So on PostgreSQL each statement first looks for the page among
    /// the next rows in the sort's order ([`probe_window`] of `size`, the
    /// rows the list holds), and only when fewer match sorts the matches
    /// that the search's index finds. In a list of up to
    /// [`INDEX_FIRST_UP_TO`] rows, under a key without NULLs, the order is
    /// the other way around (a search box's terms are mostly rare): the
    /// index's matches are sorted when there are at most that window's
    /// worth of them, in one statement; a common term then probes.
    pub async fn fetch_searched(
        &self,
        db: &impl ConnectionTrait,
        query: Select<E>,
        filter: Condition,
        size: u64,
    ) -> AppResult<Vec<E::Model>> {
        if db.get_database_backend() == DbBackend::Postgres {
            let window = probe_window(self.page.limit + 1, size);
            let read = if size <= INDEX_FIRST_UP_TO && !self.sort.nullable {
                Read::IndexFirst(filter, window)
            } else {
                Read::Probing(filter, window)
            };
            self.read(db, query, read).await
        } else {
            self.read(db, query.filter(filter), Read::Direct).await
        }
    }

    async fn read(
        &self,
        db: &impl ConnectionTrait,
        query: Select<E>,
        read: Read,
    ) -> AppResult<Vec<E::Model>> {
        let scan_ascending = self.ascending == (self.page.direction == Direction::Forward);
        let position = self.position()?;
        let segments: &[Range] = match (self.sort.nullable, scan_ascending) {
            (false, _) => &[Range::Values],
            (true, true) => &[Range::Null, Range::Values],
            (true, false) => &[Range::Values, Range::Null],
        };
        let start = match &position {
            Some((None, _)) => segments.iter().position(|s| *s == Range::Null).unwrap_or(0),
            Some((Some(_), _)) => segments
                .iter()
                .position(|s| *s == Range::Values)
                .unwrap_or(0),
            None => 0,
        };
        let limit = self.page.limit + 1;
        let mut rows = Vec::new();
        for (n, segment) in segments[start..].iter().enumerate() {
            let from = if n == 0 { position.clone() } else { None };
            let need = limit - rows.len() as u64;
            let range = |query: Select<E>, order: KeyOrder| {
                self.segment(query, *segment, from.clone(), scan_ascending, order)
            };
            // The first `need` ids of a range, and the range's rows among them.
            let ids = |select: Select<E>| {
                select
                    .select_only()
                    .column(self.id)
                    .limit(need)
                    .into_query()
            };
            let rows_among = |select: Select<E>, ids: SelectStatement| {
                select.filter(Expr::col(self.id).in_subquery(ids)).all(db)
            };
            let page = match &read {
                Read::Direct => {
                    range(query.clone(), KeyOrder::Index)
                        .limit(need)
                        .all(db)
                        .await?
                }
                Read::Deferred => {
                    let select = range(query.clone(), KeyOrder::Index);
                    rows_among(select.clone(), ids(select)).await?
                }
                Read::IndexFirst(filter, cap) => {
                    let select = range(query.clone().filter(filter.clone()), KeyOrder::Index);
                    let mut matches = range(query.clone().filter(filter.clone()), KeyOrder::Sorted)
                        .select_only()
                        .column(self.id)
                        .column(self.sort.column)
                        .into_query();
                    matches.clear_order_by().limit(cap + 1);
                    let page = self.first_of_few(matches, *cap, *segment, scan_ascending, need);
                    let found = rows_among(select, page).await?;
                    if found.is_empty() {
                        // Too many matches to sort, or none at all.
                        self.probing(
                            db,
                            query.clone(),
                            filter,
                            *cap,
                            *segment,
                            &from,
                            scan_ascending,
                            need,
                        )
                        .await?
                    } else {
                        found
                    }
                }
                Read::Probing(filter, window) => {
                    self.probing(
                        db,
                        query.clone(),
                        filter,
                        *window,
                        *segment,
                        &from,
                        scan_ascending,
                        need,
                    )
                    .await?
                }
            };
            rows.extend(page);
            if rows.len() as u64 >= limit {
                break;
            }
        }
        Ok(rows)
    }

    /// A range's ids that meet `filter`: the first `need` among the next
    /// `window` rows in scan order, or when fewer are there, the first
    /// `need` of all the index's matches, sorted.
    #[expect(clippy::too_many_arguments, reason = "one range of one read")]
    async fn probing(
        &self,
        db: &impl ConnectionTrait,
        query: Select<E>,
        filter: &Condition,
        window: u64,
        segment: Range,
        from: &Option<Position>,
        ascending: bool,
        need: u64,
    ) -> AppResult<Vec<E::Model>> {
        let range = |query: Select<E>, order: KeyOrder| {
            self.segment(query, segment, from.clone(), ascending, order)
        };
        let rows_among = |select: Select<E>, ids: SelectStatement| {
            select.filter(Expr::col(self.id).in_subquery(ids)).all(db)
        };
        let select = range(query.clone().filter(filter.clone()), KeyOrder::Index);
        let window = range(query.clone(), KeyOrder::Index)
            .limit(window)
            .into_query();
        let probe = self.probe(window, filter, segment, ascending, need);
        let found = rows_among(select.clone(), probe).await?;
        if found.len() as u64 >= need {
            return Ok(found);
        }
        let sorted = range(query.filter(filter.clone()), KeyOrder::Sorted)
            .select_only()
            .column(self.id)
            .limit(need)
            .into_query();
        Ok(rows_among(select, sorted).await?)
    }

    /// The ids of the first `need` of `matches` (some rows of a range, as a
    /// subquery of id and sort key) in scan order, when there are at most
    /// `cap` of them; none when there are more.
    fn first_of_few(
        &self,
        matches: SelectStatement,
        cap: u64,
        segment: Range,
        ascending: bool,
        need: u64,
    ) -> SelectStatement {
        let order = if ascending { Order::Asc } else { Order::Desc };
        let mut first = Query::select();
        first
            .column((E::default(), self.id))
            .expr_window_as(Expr::cust("COUNT(*)"), WindowStatement::new(), "matched")
            .from_subquery(matches, E::default());
        if segment == Range::Values {
            first.order_by((E::default(), self.sort.column), order.clone());
        }
        first.order_by((E::default(), self.id), order).limit(need);
        Query::select()
            .column(self.id)
            .from_subquery(first, Alias::new("page"))
            .and_where(Expr::col(Alias::new("matched")).lte(cap))
            .to_owned()
    }

    /// The ids of the first `need` rows of `window` (a range of the list in
    /// scan order, as a subquery named after the table, so that `filter`'s
    /// columns name its columns) that meet `filter`.
    fn probe(
        &self,
        window: SelectStatement,
        filter: &Condition,
        segment: Range,
        ascending: bool,
        need: u64,
    ) -> SelectStatement {
        let order = if ascending { Order::Asc } else { Order::Desc };
        let mut ids = Query::select();
        ids.column((E::default(), self.id))
            .from_subquery(window, E::default())
            .cond_where(filter.clone());
        if segment == Range::Values {
            ids.order_by((E::default(), self.sort.column), order.clone());
        }
        ids.order_by((E::default(), self.id), order)
            .limit(need)
            .to_owned()
    }

    /// Reads the page of each of many parents in one statement: the rows of
    /// `query` whose `parent` column is one of `parents`, numbered per
    /// parent in scan order (`ROW_NUMBER() OVER (PARTITION BY parent …)`),
    /// keeping `limit + 1` per parent. Rows come grouped by parent, each
    /// group in scan order. For lists with a NOT NULL sort key.
    pub async fn fetch_per_parent(
        &self,
        db: &impl ConnectionTrait,
        query: Select<E>,
        parent: E::Column,
        parents: &[String],
    ) -> AppResult<Vec<E::Model>>
    where
        E::Model: FromQueryResult,
    {
        if parents.is_empty() {
            return Ok(Vec::new());
        }
        let ascending = self.ascending == (self.page.direction == Direction::Forward);
        let order = if ascending { Order::Asc } else { Order::Desc };
        let (col, id) = (self.sort.column, self.id);
        let mut query = query.filter(parent.is_in(parents.iter().cloned()));
        if let Some((value, after)) = self.position()? {
            let value = value.ok_or_else(|| {
                bad_input(
                    self.page.cursor_field(),
                    "the cursor is not valid for this list",
                )
            })?;
            let row = Expr::tuple([
                Expr::col(col.as_column_ref()),
                Expr::col(id.as_column_ref()),
            ]);
            let bound = Expr::tuple([Expr::val(value), Expr::val(after)]);
            query = query.filter(if ascending {
                row.gt(bound)
            } else {
                row.lt(bound)
            });
        }
        let mut inner = query.into_query();
        inner.expr_window_as(
            Func::cust("ROW_NUMBER"),
            WindowStatement::partition_by(parent.as_column_ref())
                .order_by(col.as_column_ref(), order.clone())
                .order_by(id.as_column_ref(), order)
                .to_owned(),
            "page_row",
        );
        let outer = Query::select()
            .column(Asterisk)
            .from_subquery(inner, "paged")
            .and_where(Expr::col(Alias::new("page_row")).lte(self.page.limit + 1))
            .order_by(Alias::new("page_row"), Order::Asc)
            .to_owned();
        let statement = db.get_database_backend().build(&outer);
        Ok(E::Model::find_by_statement(statement).all(db).await?)
    }

    fn segment(
        &self,
        query: Select<E>,
        segment: Range,
        from: Option<Position>,
        ascending: bool,
        key_order: KeyOrder,
    ) -> Select<E> {
        let (col, id) = (self.sort.column, self.id);
        let order = if ascending { Order::Asc } else { Order::Desc };
        // In index order, NULLs first ascending and last descending, as the
        // `(…, key, id)` indexes of nullable keys hold them, and the opposite
        // for NOT NULL keys and ids, as PostgreSQL's default does;
        // `KeyOrder::Sorted` turns each around.
        let nulls = |nullable: bool| {
            let first = ascending == (nullable == (key_order == KeyOrder::Index));
            if first {
                NullOrdering::First
            } else {
                NullOrdering::Last
            }
        };
        match segment {
            Range::Null => {
                let mut query = query.filter(col.is_null());
                if let Some((_, after)) = from {
                    query = query.filter(if ascending {
                        id.gt(after)
                    } else {
                        id.lt(after)
                    });
                }
                Self::order_by(query, id, order, nulls(false), key_order)
            }
            Range::Values => {
                let mut query = query;
                if self.sort.nullable {
                    query = query.filter(col.is_not_null());
                }
                if let Some((Some(value), after)) = from {
                    let row = Expr::tuple([
                        Expr::col(col.as_column_ref()),
                        Expr::col(id.as_column_ref()),
                    ]);
                    let bound = Expr::tuple([Expr::val(value), Expr::val(after)]);
                    query = query.filter(if ascending {
                        row.gt(bound)
                    } else {
                        row.lt(bound)
                    });
                }
                // A nullable key's NULLs order as in its index (smallest), so
                // PostgreSQL walks the index instead of sorting. A NOT NULL
                // key keeps the plain order: an explicit NULLS clause that
                // differs from the index's would force a sort too.
                let plain = !self.sort.nullable && key_order == KeyOrder::Index;
                query = if plain {
                    query.order_by(col, order.clone())
                } else {
                    query.order_by_with_nulls(col, order.clone(), nulls(self.sort.nullable))
                };
                Self::order_by(query, id, order, nulls(false), key_order)
            }
        }
    }

    /// `ORDER BY column`, with the NULLS clause only where it matters.
    fn order_by(
        query: Select<E>,
        column: E::Column,
        order: Order,
        nulls: NullOrdering,
        key_order: KeyOrder,
    ) -> Select<E> {
        match key_order {
            KeyOrder::Index => query.order_by(column, order),
            KeyOrder::Sorted => query.order_by_with_nulls(column, order, nulls),
        }
    }

    /// The cursor's position, checked against this list's sort.
    fn position(&self) -> AppResult<Option<Position>> {
        let Some(cursor) = &self.page.cursor else {
            return Ok(None);
        };
        if cursor.s != self.sort.name {
            return Err(bad_input(
                self.page.cursor_field(),
                "the cursor was made under another sort",
            ));
        }
        Ok(Some((self.sql_value(&cursor.k)?, cursor.i.clone())))
    }

    fn sql_value(&self, key: &KeyValue) -> AppResult<Option<sea_orm::Value>> {
        let field = self.page.cursor_field();
        let invalid = || bad_input(field, "the cursor is not valid for this list");
        Ok(match (key, self.sort.kind) {
            (KeyValue::Null, _) if self.sort.nullable => None,
            (KeyValue::Int(n), KeyKind::Int) => Some((*n).into()),
            (KeyValue::Text(s), KeyKind::Text) => Some(s.clone().into()),
            (KeyValue::Time(t), KeyKind::Time) => Some((*t).into()),
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
    ) -> ListConnection<N> {
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
                let cursor = Cursor::of(self.sort, &row, (self.id_of)(&row));
                Edge::new(cursor, node(row))
            })
            .collect();
        connection
    }
}

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
