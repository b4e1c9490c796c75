//! A list query positioned on a page: the keyset condition, its order and
//! its limit, and the connection it answers with.

use std::borrow::Cow;

use async_graphql::OutputType;
use async_graphql::connection::{Connection, Edge};
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait as _, Func, JoinType, NullOrdering, Order, Query, ValueTuple,
    WindowStatement,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, IdenStatic as _,
    QueryFilter, QueryOrder, QueryResult, QuerySelect as _, QueryTrait, Select,
};

use super::cursor::{Cursor, KeyValue};

/// The sort key's name in the lateral subquery of a parent's page.
const PAGE_KEY: &str = "page_key";
use super::{Direction, ListConnection, Page, TotalCount};
use crate::error::{AppResult, bad_input};

/// How a sort key's values are typed in SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Int,
    /// A double-precision number.
    Float,
    Text,
    Time,
}

/// A sort order a list supports.
pub struct SortKey<E: EntityTrait> {
    /// Cursors made under one sort are refused under another.
    pub name: Cow<'static, str>,
    pub column: KeyColumn<E>,
    pub kind: KeyKind,
    pub nullable: bool,
    /// The row's value of the key.
    pub value: KeyRead<E>,
}

/// What a list is ordered by in SQL.
pub enum KeyColumn<E: EntityTrait> {
    Column(E::Column),
    /// An expression over the table's columns, named by table (a value in
    /// a JSON column).
    Expr(Expr),
}

/// How a row's value of its sort key is read.
pub enum KeyRead<E: EntityTrait> {
    Row(fn(&E::Model) -> KeyValue),
    /// The value under a key of a JSON object the row holds, as the sort's
    /// kind reads it (a boolean as 0 or 1); anything else is NULL.
    Json(fn(&E::Model) -> &serde_json::Value, String),
}

impl<E: EntityTrait> SortKey<E> {
    /// The key in SQL.
    pub fn expr(&self) -> Expr {
        match &self.column {
            KeyColumn::Column(c) => Expr::col(c.as_column_ref()),
            KeyColumn::Expr(e) => e.clone(),
        }
    }

    /// The key of a row.
    pub fn of(&self, row: &E::Model) -> KeyValue {
        use serde_json::Value;
        match &self.value {
            KeyRead::Row(read) => read(row),
            KeyRead::Json(object, key) => match (self.kind, object(row).get(key)) {
                (KeyKind::Int, Some(Value::Number(n))) => {
                    n.as_i64().map_or(KeyValue::Null, KeyValue::Int)
                }
                (KeyKind::Int, Some(Value::Bool(b))) => KeyValue::Int(i64::from(*b)),
                (KeyKind::Float, Some(Value::Number(n))) => KeyValue::Number(n.clone()),
                (KeyKind::Text, Some(Value::String(s))) => KeyValue::Text(s.clone()),
                _ => KeyValue::Null,
            },
        }
    }

    /// The table's column the key is, when it is one (not an expression):
    /// a page that reads fewer columns than the model's selects it for its
    /// cursors ([`SortKey::of_result`]).
    pub fn plain_column(&self) -> Option<E::Column> {
        match (&self.column, &self.value) {
            (KeyColumn::Column(c), KeyRead::Row(_)) => Some(*c),
            _ => None,
        }
    }

    /// The key of a row read by its columns' names, from its
    /// [`SortKey::plain_column`]: the value [`SortKey::of`] gives for the
    /// row's model.
    pub fn of_result(&self, row: &QueryResult) -> Result<KeyValue, DbErr> {
        let Some(column) = self.plain_column() else {
            return Err(DbErr::Type(format!("sort {} is not a column", self.name)));
        };
        let name = column.as_str();
        Ok(match self.kind {
            KeyKind::Int => row
                .try_get::<Option<i64>>("", name)?
                .map_or(KeyValue::Null, KeyValue::Int),
            KeyKind::Float => row
                .try_get::<Option<f64>>("", name)?
                .and_then(serde_json::Number::from_f64)
                .map_or(KeyValue::Null, KeyValue::Number),
            KeyKind::Text => row
                .try_get::<Option<String>>("", name)?
                .map_or(KeyValue::Null, KeyValue::Text),
            KeyKind::Time => row
                .try_get::<Option<chrono::DateTime<chrono::Utc>>>("", name)?
                .as_ref()
                .map_or(KeyValue::Null, KeyValue::time),
        })
    }
}

/// A page of rows with their cursors, for a value built from rows that are
/// not the list's nodes (`graphql::ready`).
pub struct KeyedPage<R> {
    pub edges: Vec<(Cursor, R)>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
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

/// Whether a statement orders its rows as the sort's index holds them (and
/// PostgreSQL may walk the index) or with NULLs placed against the index's
/// order, which no row's value changes (the key columns a range reads are
/// NOT NULL) but which keeps PostgreSQL from walking the index: it sorts
/// what the other conditions find.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyOrder {
    Index,
    Sorted,
}

/// Where a scan starts: the cursor's key (`None` for NULL) and id.
pub(super) type Position = (Option<sea_orm::Value>, String);

/// The rows sharing NULL as their key, and the rows with a value: for a
/// nullable key a page is read from these two index ranges in turn, so each
/// query is one keyset range scan.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Range {
    Null,
    Values,
}

impl<E: EntityTrait> Keyset<'_, E>
where
    E::Model: Send + Sync,
{
    /// Reads the page of each of many parents in one statement: the rows of
    /// `query` whose `parent` column is one of `parents`, `limit + 1` per
    /// parent, each parent's together and in scan order. For lists with a
    /// NOT NULL sort key.
    ///
    /// On PostgreSQL each parent's rows are read by a lateral subquery that
    /// walks the list's `(tenant, parent, key, id)` index and stops after
    /// `limit + 1`; SQLite, which has no lateral joins, numbers every row of
    /// the parents (`ROW_NUMBER() OVER (PARTITION BY parent …)`) and keeps
    /// the first `limit + 1` of each.
    pub async fn fetch_per_parent(
        &self,
        db: &impl ConnectionTrait,
        mut query: Select<E>,
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
        let (key, id) = (self.sort.expr(), self.id);
        if let Some((value, after)) = self.position()? {
            let value = value.ok_or_else(|| {
                bad_input(
                    self.page.cursor_field(),
                    "the cursor is not valid for this list",
                )
            })?;
            let row = Expr::tuple([key.clone(), Expr::col(id.as_column_ref())]);
            let bound = Expr::tuple([Expr::val(value), Expr::val(after)]);
            query = query.filter(if ascending {
                row.gt(bound)
            } else {
                row.lt(bound)
            });
        }
        let backend = db.get_database_backend();
        let statement = if backend == DbBackend::Postgres {
            let parents_table = Alias::new("parents");
            let page_table = Alias::new("page");
            // A VALUES list's one column is `column1`.
            let mut each = query
                .filter(
                    Expr::col(parent.as_column_ref())
                        .equals((parents_table.clone(), Alias::new("column1"))),
                )
                .order_by(key.clone(), order.clone())
                .order_by(id, order.clone())
                .limit(self.page.limit + 1)
                .into_query();
            each.expr_as(key, PAGE_KEY);
            // Each parent's rows together, in the subquery's order: a sort
            // of the few rows read, where numbering them in a window (as
            // SQLite does) would cost more than reading them.
            Query::select()
                .column((page_table.clone(), Asterisk))
                .from_values(
                    parents.iter().map(|p| ValueTuple::One(p.clone().into())),
                    parents_table.clone(),
                )
                .join_lateral(
                    JoinType::InnerJoin,
                    each,
                    page_table.clone(),
                    Expr::cust("TRUE"),
                )
                .order_by((parents_table, Alias::new("column1")), Order::Asc)
                .order_by((page_table.clone(), Alias::new(PAGE_KEY)), order.clone())
                .order_by((page_table, Alias::new(id.as_str())), order)
                .to_owned()
        } else {
            let mut inner = query
                .filter(parent.is_in(parents.iter().cloned()))
                .into_query();
            inner.expr_window_as(
                Func::cust("ROW_NUMBER"),
                WindowStatement::partition_by(parent.as_column_ref())
                    .order_by_expr(key, order.clone())
                    .order_by(id.as_column_ref(), order)
                    .to_owned(),
                "page_row",
            );
            Query::select()
                .column(Asterisk)
                .from_subquery(inner, "paged")
                .and_where(Expr::col(Alias::new("page_row")).lte(self.page.limit + 1))
                .order_by(Alias::new("page_row"), Order::Asc)
                .to_owned()
        };
        Ok(E::Model::find_by_statement(backend.build(&statement))
            .all(db)
            .await?)
    }

    pub(super) fn segment(
        &self,
        query: Select<E>,
        segment: Range,
        from: Option<Position>,
        ascending: bool,
        key_order: KeyOrder,
    ) -> Select<E> {
        let (key, id) = (self.sort.expr(), self.id);
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
                let mut query = query.filter(key.is_null());
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
                    query = query.filter(key.clone().is_not_null());
                }
                if let Some((Some(value), after)) = from {
                    let row = Expr::tuple([key.clone(), Expr::col(id.as_column_ref())]);
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
                    query.order_by(key, order.clone())
                } else {
                    query.order_by_with_nulls(key, order.clone(), nulls(self.sort.nullable))
                };
                Self::order_by(query, id, order, nulls(false), key_order)
            }
        }
    }

    /// `ORDER BY column`, with the NULLS clause only where it matters.
    pub(super) fn order_by(
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
    pub(super) fn position(&self) -> AppResult<Option<Position>> {
        let Some(cursor) = &self.page.cursor else {
            return Ok(None);
        };
        if cursor.s != self.sort.name.as_ref() {
            return Err(bad_input(
                self.page.cursor_field(),
                "the cursor was made under another sort",
            ));
        }
        Ok(Some((self.sql_value(&cursor.k)?, cursor.i.clone())))
    }

    pub(super) fn sql_value(&self, key: &KeyValue) -> AppResult<Option<sea_orm::Value>> {
        let field = self.page.cursor_field();
        let invalid = || bad_input(field, "the cursor is not valid for this list");
        Ok(match (key, self.sort.kind) {
            (KeyValue::Null, _) if self.sort.nullable => None,
            (KeyValue::Int(n), KeyKind::Int) => Some((*n).into()),
            (KeyValue::Int(n), KeyKind::Float) => Some((*n as f64).into()),
            (KeyValue::Number(n), KeyKind::Float) => Some(n.as_f64().ok_or_else(invalid)?.into()),
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
        rows: Vec<E::Model>,
        node: impl Fn(E::Model) -> N,
        total: TotalCount,
    ) -> ListConnection<N> {
        self.connection_of(rows, |row| row, node, total)
    }

    /// [`Keyset::connection`] of rows that hold more than the entity's
    /// model (`model` finds it in a row, for the row's cursor).
    pub fn connection_of<R, N: OutputType>(
        &self,
        rows: Vec<R>,
        model: impl Fn(&R) -> &E::Model,
        node: impl Fn(R) -> N,
        total: TotalCount,
    ) -> ListConnection<N> {
        let page = self.keyed(rows, |row| {
            let row_model = model(row);
            (self.sort.of(row_model), (self.id_of)(row_model))
        });
        let mut connection =
            Connection::with_additional_fields(page.has_previous_page, page.has_next_page, total);
        connection.edges = page
            .edges
            .into_iter()
            .map(|(cursor, row)| Edge::new(cursor, node(row)))
            .collect();
        connection
    }

    /// The fetched rows (`limit + 1` at most) as a page, each with the
    /// cursor of its key and id (`key_of`).
    pub fn keyed<R>(
        &self,
        mut rows: Vec<R>,
        key_of: impl Fn(&R) -> (KeyValue, &str),
    ) -> KeyedPage<R> {
        let more = rows.len() as u64 > self.page.limit;
        rows.truncate(self.page.limit as usize);
        let from_cursor = self.page.cursor.is_some();
        let (has_previous_page, has_next_page) = match self.page.direction {
            Direction::Forward => (from_cursor, more),
            Direction::Backward => {
                rows.reverse();
                (more, from_cursor)
            }
        };
        let edges = rows
            .into_iter()
            .map(|row| {
                let (key, id) = key_of(&row);
                (Cursor::keyed(self.sort, key, id), row)
            })
            .collect();
        KeyedPage {
            edges,
            has_previous_page,
            has_next_page,
        }
    }
}
