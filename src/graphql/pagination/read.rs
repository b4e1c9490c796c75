//! How a keyset page is read: directly, deferred (ids first, on
//! PostgreSQL), or for a search, where PostgreSQL's planner would misjudge
//! the search's matches.

use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait as _, Order, Query, SelectStatement, WindowStatement,
};
use sea_orm::{
    Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Iterable as _,
    QueryFilter, QueryResult, QuerySelect, QueryTrait, Select, Statement, Value,
};

use super::Direction;
use super::keyset::{KeyOrder, Keyset, Position, Range};
use crate::error::AppResult;

/// The most rows of a searched list, in the sort's order, PostgreSQL reads
/// for a page before it turns to the search's index instead
/// ([`Keyset::fetch_searched`]).
pub const PROBE_WINDOW: u64 = 4000;
/// The fewest.
pub(super) const MIN_PROBE_WINDOW: u64 = 250;

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

/// How a page's rows are made from a statement's: by name as the model's
/// columns ([`model`]), or by a caller that selected fewer columns.
pub type Decode<'a, M> = &'a (dyn Fn(&QueryResult) -> Result<M, DbErr> + Send + Sync);

/// A row read as `M` by its columns' names.
pub fn model<M: FromQueryResult>(row: &QueryResult) -> Result<M, DbErr> {
    M::from_query_result(row, "")
}

/// Which read a list takes ([`Keyset::fetch_as`]); each but `OnePlan` is
/// [`Keyset`]'s `fetch…` method of that name.
pub enum Reading {
    Direct,
    Deferred,
    Unfiltered,
    /// As `Unfiltered`, for a list narrowed by conditions whose plan does not
    /// depend on their values (an index range): written so that PostgreSQL
    /// keeps one plan for them.
    OnePlan,
    Searched {
        filter: Condition,
        size: u64,
        rare_first: bool,
    },
}

/// The sort key's name in a subquery of ids and keys.
const SORT_KEY: &str = "sort_key";

/// How [`Keyset::read`] reads each range.
pub(super) enum Read {
    /// The page's rows, in one statement.
    Direct,
    /// The page's ids in a subquery, then their rows.
    Deferred,
    /// As `Direct`, for a list whose plan is the same for every tenant,
    /// cursor and value (narrowed by nothing but its tenant, or by an index
    /// range): the page's size is written into the statement
    /// ([`written_limit`]), so that PostgreSQL keeps one plan for it
    /// instead of planning each execution.
    OnePlan,
    /// As `Deferred`, the ids of the rows that meet the condition: among the
    /// next so many rows first, then among all.
    Probing(Condition, u64),
    /// As `Deferred`, the ids of the rows that meet the condition, sorted,
    /// when the search's index finds at most so many of them (else none,
    /// and the range is read as `Probing`).
    IndexFirst(Condition, u64),
    /// The rows that meet the condition among the next so many rows, read
    /// whole in one statement; when fewer meet it, `Direct`.
    WindowFirst(Condition, u64),
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
        self.fetch_as(db, query, Reading::Direct, &model).await
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
        self.fetch_as(db, query, Reading::Deferred, &model).await
    }

    /// The page of `query`, a list of the tenant's rows with no other
    /// condition (on PostgreSQL, [`Read::OnePlan`]), each row read as
    /// `M`: the entity's model, or a model with the values of expressions
    /// `query` selects beside its columns. Every row of the range is on the
    /// page, so the rows are read in the index's order directly: finding
    /// their ids first ([`Keyset::fetch_deferred`]) would skip none and
    /// look each row up once more.
    pub async fn fetch_unfiltered<M>(
        &self,
        db: &impl ConnectionTrait,
        query: Select<E>,
    ) -> AppResult<Vec<M>>
    where
        M: FromQueryResult + Send + Sync,
    {
        self.fetch_as(db, query, Reading::Unfiltered, &model).await
    }

    /// [`Keyset::fetch_deferred`] for a list narrowed by `filter`, a search
    /// whose matches PostgreSQL's planner can misjudge a hundredfold either
    /// way: it estimates `LIKE '%term%'` from a sample of a hundred values.
    /// A rare term taken for a common one walks the sort's index through
    /// most of the tenant (seconds); a common one taken for rare sorts every
    /// match. So on PostgreSQL each statement first looks for the page among
    /// the next rows in the sort's order ([`probe_window`] of `size`, the
    /// rows the list holds), and only when fewer match sorts the matches
    /// that the search's index finds. The same holds for a filter of `or`
    /// and `not` branches, planned as if every row were tested. When
    /// matches are `rare_first` (a search box's terms mostly are), in a
    /// list of up to [`INDEX_FIRST_UP_TO`] rows, under a key without NULLs,
    /// the order is the other way around: the index's matches are sorted
    /// when there are at most that window's worth of them, in one
    /// statement; a common term then probes. On SQLite a search is read
    /// directly (its FTS5 index drives), other filters a window first.
    pub async fn fetch_searched(
        &self,
        db: &impl ConnectionTrait,
        query: Select<E>,
        filter: Condition,
        size: u64,
        rare_first: bool,
    ) -> AppResult<Vec<E::Model>> {
        let reading = Reading::Searched {
            filter,
            size,
            rare_first,
        };
        self.fetch_as(db, query, reading, &model).await
    }

    /// The page of `query` read as `reading` says, each row made by
    /// `decode`. `query` may select fewer columns than the entity's, so
    /// long as they hold the sort key and what `decode` reads: a filter is
    /// tested where its columns are.
    pub async fn fetch_as<M: Send + Sync>(
        &self,
        db: &impl ConnectionTrait,
        query: Select<E>,
        reading: Reading,
        decode: Decode<'_, M>,
    ) -> AppResult<Vec<M>> {
        let read = match reading {
            Reading::Direct => Read::Direct,
            Reading::Deferred => on_postgres(db, Read::Deferred),
            Reading::Unfiltered | Reading::OnePlan => on_postgres(db, Read::OnePlan),
            Reading::Searched {
                filter,
                size,
                rare_first,
            } => {
                if db.get_database_backend() == DbBackend::Postgres {
                    let window = probe_window(self.page.limit + 1, size);
                    if rare_first && size <= INDEX_FIRST_UP_TO && !self.sort.nullable {
                        Read::IndexFirst(filter, window)
                    } else {
                        Read::Probing(filter, window)
                    }
                } else if rare_first {
                    return self
                        .read(db, query.filter(filter), Read::Direct, decode)
                        .await;
                } else {
                    // SQLite plans without statistics: a filter of tags and
                    // ranges may be read through a range's index and its
                    // matches sorted, where the next rows in the sort's order
                    // hold the page. That plan is also what a window too
                    // small falls back to, so the window is the widest.
                    Read::WindowFirst(filter, Ord::clamp(size, 1, PROBE_WINDOW))
                }
            }
        };
        self.read(db, query, read, decode).await
    }

    pub(super) async fn read<M: Send + Sync>(
        &self,
        db: &impl ConnectionTrait,
        query: Select<E>,
        read: Read,
        decode: Decode<'_, M>,
    ) -> AppResult<Vec<M>> {
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
                read_all(
                    db,
                    select.filter(Expr::col(self.id).in_subquery(ids)),
                    decode,
                )
            };
            let page = match &read {
                Read::Direct => {
                    read_all(
                        db,
                        range(query.clone(), KeyOrder::Index).limit(need),
                        decode,
                    )
                    .await?
                }
                Read::Deferred => {
                    let select = range(query.clone(), KeyOrder::Index);
                    rows_among(select.clone(), ids(select)).await?
                }
                Read::OnePlan => {
                    let page = range(query.clone(), KeyOrder::Index)
                        .limit(need)
                        .build(db.get_database_backend());
                    // A range after the first needs what the first left
                    // over: any number, each a statement of its own if
                    // written, so only a whole page's size is.
                    let page = if need == limit {
                        written_limit(page, need)
                    } else {
                        page
                    };
                    read_rows(db, page, decode).await?
                }
                Read::IndexFirst(filter, cap) => {
                    let select = range(query.clone().filter(filter.clone()), KeyOrder::Index);
                    let mut matches = range(query.clone().filter(filter.clone()), KeyOrder::Sorted)
                        .select_only()
                        .column(self.id)
                        .expr_as(self.sort.expr(), SORT_KEY)
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
                            (*segment, &from, scan_ascending, need),
                            decode,
                        )
                        .await?
                    } else {
                        found
                    }
                }
                // The probe selects the table's columns alone: `M` is read
                // from them (a search or a filtered list), never from more
                // values (`fetch_unfiltered` reads no window).
                Read::WindowFirst(filter, window) => {
                    let rows = range(whole(query.clone()), KeyOrder::Index)
                        .limit(*window)
                        .into_query();
                    let mut probe = self.probe(rows, filter, *segment, scan_ascending, need);
                    probe.clear_selects().column((E::default(), Asterisk));
                    // The rows of the probe, itself read from `query`'s range.
                    let found =
                        read_rows(db, db.get_database_backend().build(&probe), decode).await?;
                    if found.len() as u64 >= need {
                        found
                    } else {
                        let direct = range(query.clone().filter(filter.clone()), KeyOrder::Index);
                        read_all(db, direct.limit(need), decode).await?
                    }
                }
                Read::Probing(filter, window) => {
                    self.probing(
                        db,
                        query.clone(),
                        filter,
                        *window,
                        (*segment, &from, scan_ascending, need),
                        decode,
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
    pub(super) async fn probing<M: Send + Sync>(
        &self,
        db: &impl ConnectionTrait,
        query: Select<E>,
        filter: &Condition,
        window: u64,
        (segment, from, ascending, need): (Range, &Option<Position>, bool, u64),
        decode: Decode<'_, M>,
    ) -> AppResult<Vec<M>> {
        let range = |query: Select<E>, order: KeyOrder| {
            self.segment(query, segment, from.clone(), ascending, order)
        };
        let rows_among = |select: Select<E>, ids: SelectStatement| {
            read_all(
                db,
                select.filter(Expr::col(self.id).in_subquery(ids)),
                decode,
            )
        };
        let select = range(query.clone().filter(filter.clone()), KeyOrder::Index);
        let window = range(whole(query.clone()), KeyOrder::Index)
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
        rows_among(select, sorted).await
    }

    /// The ids of the first `need` of `matches` (some rows of a range, as a
    /// subquery of id and sort key) in scan order, when there are at most
    /// `cap` of them; none when there are more.
    pub(super) fn first_of_few(
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
            first.order_by((E::default(), Alias::new(SORT_KEY)), order.clone());
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
    pub(super) fn probe(
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
            ids.order_by_expr(self.sort.expr(), order.clone());
        }
        ids.order_by((E::default(), self.id), order)
            .limit(need)
            .to_owned()
    }
}

/// The rows of `select`, each made by `decode`.
async fn read_all<E: EntityTrait, M>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    decode: Decode<'_, M>,
) -> AppResult<Vec<M>> {
    read_rows(db, select.build(db.get_database_backend()), decode).await
}

/// The rows of `statement`, each made by `decode`.
async fn read_rows<M>(
    db: &impl ConnectionTrait,
    statement: Statement,
    decode: Decode<'_, M>,
) -> AppResult<Vec<M>> {
    let found = db.query_all_raw(statement).await?;
    Ok(found.iter().map(decode).collect::<Result<_, DbErr>>()?)
}

/// `query` selecting every column of its table: a window that a filter is
/// tested on holds the columns the filter names, whichever a page reads.
fn whole<E: EntityTrait>(query: Select<E>) -> Select<E> {
    query.select_only().columns(E::Column::iter())
}

/// `read` on PostgreSQL; on SQLite, which plans without statistics, a
/// page is read directly.
fn on_postgres(db: &impl ConnectionTrait, read: Read) -> Read {
    if db.get_database_backend() == DbBackend::Postgres {
        read
    } else {
        Read::Direct
    }
}

/// `statement` with its `LIMIT rows` written into its text when that is its
/// last bound value (else as it is). PostgreSQL costs a generic plan as if
/// a bound `LIMIT` kept a tenth of the rows, so a statement with one is
/// planned anew at each execution, even where nothing else it is given
/// could change its plan (planning is most of a page of customers' cost).
/// With the number written, it keeps one plan per connection after its
/// fifth execution, as it does for statements without a `LIMIT`. Each
/// page size is then a statement of its own, and clients ask for few.
fn written_limit(mut statement: Statement, rows: u64) -> Statement {
    let Some(values) = statement.values.as_mut() else {
        return statement;
    };
    // The highest placeholder: no other begins with it.
    let bound = format!(" LIMIT ${}", values.0.len());
    if values.0.last() == Some(&Value::BigUnsigned(Some(rows)))
        && let Some(at) = statement.sql.rfind(&bound)
    {
        values.0.pop();
        statement
            .sql
            .replace_range(at..at + bound.len(), &format!(" LIMIT {rows}"));
    }
    statement
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{Alias, PostgresQueryBuilder, Query};

    use super::*;

    fn built(query: &SelectStatement) -> Statement {
        let (sql, values) = query.build(PostgresQueryBuilder);
        Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
    }

    #[test]
    fn the_last_bound_limit_is_written_into_the_statement() {
        let t = Alias::new("t");
        let mut ids = Query::select();
        ids.column(Alias::new("id"))
            .from(t.clone())
            .and_where(Expr::col(Alias::new("tenant")).eq("a"))
            .limit(26);
        let mut page = Query::select();
        page.column(Asterisk)
            .from(t)
            .and_where(Expr::col(Alias::new("tenant")).eq("a"))
            .and_where(Expr::col(Alias::new("id")).in_subquery(ids));
        let written = written_limit(built(&page), 26);
        assert!(written.sql.ends_with("LIMIT 26)"), "{}", written.sql);
        assert_eq!(written.values.map(|v| v.0.len()), Some(2));
    }

    #[test]
    fn a_limit_that_is_not_the_last_value_stays_bound() {
        let mut query = Query::select();
        query
            .column(Asterisk)
            .from(Alias::new("t"))
            .and_where(
                Expr::col(Alias::new("id")).in_subquery(
                    Query::select()
                        .column(Alias::new("id"))
                        .from(Alias::new("u"))
                        .limit(26)
                        .to_owned(),
                ),
            )
            .and_where(Expr::col(Alias::new("tenant")).eq("a"));
        let kept = written_limit(built(&query), 26);
        assert!(kept.sql.contains("LIMIT $1"), "{}", kept.sql);
        assert_eq!(kept.values.map(|v| v.0.len()), Some(2));
    }
}
