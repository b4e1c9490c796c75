//! The customer list: a page of customers by filter, sort and keyset
//! cursor, with a total counted only when asked.

use std::sync::Arc;

use async_graphql::{Context, Result};
use entity::customer;
use futures_util::FutureExt as _;
use sea_orm::{Condition, DbBackend, DbErr, IdenStatic as _, QueryResult};

use super::Customer;
use super::counts::{self, Counting, TenantSizes};
use super::fields::Fields;
use super::filter::{CustomerFilter, FilterEnv};
use super::metrics::Metrics;
use super::repo;
use super::sort::{CustomerSort, SortDirection};
use crate::error::{AppError, AppResult, bad_input};
use crate::graphql::pagination::{
    Decode, INDEX_FIRST_UP_TO, KeyedPage, Keyset, ListConnection, Page, SortKey, TotalCount,
};
use crate::graphql::{ContextExt, Count, Session};

pub type CustomerConnection = ListConnection<Customer>;

/// What the features above this one bring to a filter: the customers it
/// is confined to (the members of the segment it names in `segmentId`, or
/// of the segment being listed), and the derived metrics in SQL.
pub struct Scope {
    pub members: Option<Condition>,
    /// None where no filter is given that could name a metric.
    pub metrics: Option<Arc<dyn Metrics>>,
}

impl Scope {
    /// The customers meeting `members`, with no filter of their own.
    pub fn members(members: Condition) -> Scope {
        Scope {
            members: Some(members),
            metrics: None,
        }
    }
}

/// A filter compiled for a list or a count.
pub(super) struct Compiled {
    /// The filter's condition and the scope's.
    pub condition: Condition,
    pub counting: Counting,
    /// The definitions the filter or the sort named.
    pub fields: Fields,
}

/// Compiles `filter` within `scope`, reading the tenant's field
/// definitions when the filter (or the sort, `sort_fields`) names one; an
/// email prefix as an index range when `prefix_range` ([`FilterEnv`]).
pub(super) async fn compile(
    session: &Session,
    filter: Option<&CustomerFilter>,
    scope: Scope,
    (sort_fields, prefix_range): (bool, bool),
) -> AppResult<Compiled> {
    let counting = Counting::of(filter, scope.members.is_some());
    let needs_fields = sort_fields || filter.is_some_and(CustomerFilter::needs_fields);
    let fields = Fields::when(needs_fields, &session.reads, session.tenant()).await?;
    let env = FilterEnv {
        backend: session.db.get_database_backend(),
        tenant: session.tenant(),
        fields: &fields,
        metrics: scope.metrics.as_deref(),
        limits: crate::profiles::TreeLimits::GIVEN,
        prefix_range,
    };
    let own = match filter {
        Some(filter) => filter.compile(&env)?,
        None => Condition::all(),
    };
    let condition = Condition::all()
        .add(scope.members.unwrap_or_else(Condition::all))
        .add(own);
    Ok(Compiled {
        condition,
        counting,
        fields,
    })
}

/// A page of the customers that meet `scope` (all of them when `None`) and
/// the filter, in the sort's order: `customers`, and `Segment.members` with
/// the segment as scope. The filter's `segmentId` is the caller's to turn
/// into `scope` (segments are a feature above this one).
pub async fn customer_connection(
    ctx: &Context<'_>,
    page: Page,
    filter: Option<CustomerFilter>,
    sort: Option<CustomerSort>,
    scope: Scope,
) -> Result<CustomerConnection> {
    let session = ctx.session()?;
    let sort = sort.unwrap_or_default();
    let Planned {
        condition,
        counting,
        key,
        listing,
    } = plan(ctx, filter, &sort, scope).await?;
    let keyset = keyset_of(&key, &sort, &page);
    let rows: Vec<Customer> = match listing {
        repo::Listing::All if selects_tags(ctx) => {
            repo::list_all_with_tags(&session.reads, session.tenant(), &keyset)
                .await?
                .into_iter()
                .map(|(row, tags)| Customer::with_tags(row, tags))
                .collect()
        }
        listing => repo::list(
            &session.reads,
            session.tenant(),
            condition.clone(),
            listing,
            &keyset,
        )
        .await?
        .into_iter()
        .map(Customer::from)
        .collect(),
    };
    let (db, tenant) = (session.reads.clone(), session.tenant().clone());
    let total = TotalCount::new(move || {
        let (db, tenant, condition) = (db.clone(), tenant.clone(), condition.clone());
        let counting = counting.clone();
        async move { Ok(counts::count(&db, &tenant, &counting, condition).await?) }.boxed()
    });
    Ok(keyset.connection_of(rows, |c| &c.row, |c| c, total))
}

/// A customer of a page read with only some of its columns
/// ([`customer_rows`]).
pub struct ListedRow<R> {
    pub id: String,
    /// The tags, when they were read with the row.
    pub tags: Option<Vec<String>>,
    /// What the caller made of the row's columns.
    pub row: R,
}

impl<R> ListedRow<R> {
    /// A customer read with its id (and its tags when `tags`), the rest
    /// of its row made by `decode`.
    pub fn read(row: &QueryResult, tags: bool, decode: Decode<'_, R>) -> Result<Self, DbErr> {
        Ok(ListedRow {
            id: row.try_get::<String>("", customer::Column::Id.as_str())?,
            tags: tags.then(|| repo::tags_of(row)).transpose()?,
            row: decode(row)?,
        })
    }
}

/// The page [`customer_connection`] reads, each customer with only
/// `columns` (the id and the sort's key are read besides), made by
/// `decode`, and on a page of every customer with its tags when `tags`: for
/// a value built from the rows, where whole rows would be read for a
/// third of their columns. For a sort whose key is a column
/// ([`CustomerSort::plain`]).
pub async fn customer_rows<R: Send + Sync>(
    ctx: &Context<'_>,
    (page, filter, sort, scope): (Page, Option<CustomerFilter>, CustomerSort, Scope),
    (columns, tags): (&[customer::Column], bool),
    decode: Decode<'_, R>,
) -> Result<KeyedPage<ListedRow<R>>> {
    let session = ctx.session()?;
    let planned = plan(ctx, filter, &sort, scope).await?;
    let keyset = keyset_of(&planned.key, &sort, &page);
    let Some(key_column) = planned.key.plain_column() else {
        let sort = &planned.key.name;
        return Err(AppError::Internal(anyhow::anyhow!("sort {sort} is not a column")).into());
    };
    let mut read = vec![customer::Column::Id];
    for column in std::iter::once(&key_column).chain(columns) {
        if !read.iter().any(|c| c.as_str() == column.as_str()) {
            read.push(*column);
        }
    }
    let with_tags = tags && matches!(planned.listing, repo::Listing::All);
    let keyed = |row: &QueryResult| {
        Ok((
            planned.key.of_result(row)?,
            ListedRow::read(row, with_tags, decode)?,
        ))
    };
    let rows = repo::list_as(
        &session.reads,
        session.tenant(),
        (planned.condition, planned.listing),
        &keyset,
        (&read, with_tags),
        &keyed,
    )
    .await?;
    let page = keyset.keyed(rows, |(key, row)| (key.clone(), row.id.as_str()));
    Ok(KeyedPage {
        edges: page
            .edges
            .into_iter()
            .map(|(cursor, (_, row))| (cursor, row))
            .collect(),
        has_previous_page: page.has_previous_page,
        has_next_page: page.has_next_page,
    })
}

/// How a page of customers is read: the filter compiled, the sort's key,
/// and the read that suits them.
struct Planned {
    condition: Condition,
    counting: Counting,
    key: SortKey<customer::Entity>,
    listing: repo::Listing,
}

/// The keyset of a page under `sort`, whose key is `key`.
fn keyset_of<'a>(
    key: &'a SortKey<customer::Entity>,
    sort: &CustomerSort,
    page: &'a Page,
) -> Keyset<'a, customer::Entity> {
    Keyset {
        sort: key,
        id: customer::Column::Id,
        ascending: sort.direction == SortDirection::Asc,
        page,
        id_of: |m: &customer::Model| m.id.as_str(),
    }
}

/// The fewest characters of an email prefix read as its index's range
/// ([`FilterEnv`]'s `prefix_range`).
const RANGED_PREFIX_CHARS: usize = 3;

/// Plans the page of `filter` (within `scope`) under `sort`.
async fn plan(
    ctx: &Context<'_>,
    filter: Option<CustomerFilter>,
    sort: &CustomerSort,
    scope: Scope,
) -> Result<Planned> {
    let session = ctx.session()?;
    let everyone = filter.is_none() && scope.members.is_none();
    let searched = filter.as_ref().is_some_and(CustomerFilter::searches);
    let branched = filter.as_ref().is_some_and(CustomerFilter::branches_out);
    let backend = session.db.get_database_backend();
    let prefixed = filter
        .as_ref()
        .is_some_and(CustomerFilter::names_email_prefix);
    let unforeseen = match backend {
        DbBackend::Postgres => searched || branched,
        // A search reads through SQLite's FTS5 index, wherever it stands.
        _ => filter
            .as_ref()
            .is_some_and(|f| !f.searches_anywhere() && (f.branches_out() || f.names_tags())),
    };
    let sizes = ctx.data::<TenantSizes>()?;
    // A prefix of a few characters matches few enough customers of a
    // tenant that size for all of them to be read and sorted, whatever the
    // prefix: one plan then serves every prefix. A shorter one, or a larger
    // tenant, is planned for its prefix, which may walk the sort's index.
    let prefix_range = backend == DbBackend::Postgres
        && prefixed
        && !unforeseen
        && filter
            .as_ref()
            .and_then(CustomerFilter::shortest_email_prefix)
            .is_some_and(|n| n >= RANGED_PREFIX_CHARS)
        && sizes.of(&session.reads, session.tenant()).await? <= INDEX_FIRST_UP_TO;
    let Compiled {
        condition,
        counting,
        fields,
    } = compile(
        session,
        filter.as_ref(),
        scope,
        (sort.needs_fields(), prefix_range),
    )
    .await?;
    let key = sort.key(&fields, backend)?;
    let listing = if unforeseen {
        repo::Listing::Unforeseen {
            tenant_size: sizes.of(&session.reads, session.tenant()).await?,
            rare_first: searched
                && filter
                    .as_ref()
                    .is_some_and(CustomerFilter::searches_by_trigrams),
        }
    } else if everyone {
        repo::Listing::All
    } else if prefix_range {
        repo::Listing::Range
    } else if prefixed {
        repo::Listing::Direct
    } else {
        repo::Listing::Filtered
    };
    Ok(Planned {
        condition,
        counting,
        key,
        listing,
    })
}

/// Whether the list's nodes ask for their tags: a page of every customer
/// then reads them in its own statement instead of a second one.
fn selects_tags(ctx: &Context<'_>) -> bool {
    let list = ctx.look_ahead();
    list.field("nodes").field("tags").exists()
        || list.field("edges").field("node").field("tags").exists()
}

/// How many customers meet `scope` (all when `None`) and the filter,
/// counted no further than `limit` ([`counts::count_up_to`]):
/// `customersCount`, and a segment preview's count.
pub async fn customer_count_up_to(
    ctx: &Context<'_>,
    filter: Option<&CustomerFilter>,
    scope: Scope,
    limit: u64,
) -> Result<Count> {
    let session = ctx.session()?;
    let compiled = compile(session, filter, scope, (false, false)).await?;
    Ok(counts::count_up_to(
        &session.reads,
        session.tenant(),
        &compiled.counting,
        compiled.condition,
        limit,
    )
    .await?)
}

/// How many customers meet `scope` and the filter, exactly:
/// `customerCount`.
pub async fn customer_count(
    ctx: &Context<'_>,
    filter: Option<&CustomerFilter>,
    scope: Scope,
) -> Result<u64> {
    let session = ctx.session()?;
    let compiled = compile(session, filter, scope, (false, false)).await?;
    Ok(counts::count(
        &session.reads,
        session.tenant(),
        &compiled.counting,
        compiled.condition,
    )
    .await?)
}

/// The highest count limit.
const MAX_COUNT_LIMIT: u64 = 100_000;

/// A count's `limit` argument, checked: 1–100,000, 10,000 when null.
pub fn count_limit(limit: Option<i32>) -> AppResult<u64> {
    u64::try_from(limit.unwrap_or(10_000))
        .ok()
        .filter(|n| (1..=MAX_COUNT_LIMIT).contains(n))
        .ok_or_else(|| bad_input("limit", "between 1 and 100,000"))
}
