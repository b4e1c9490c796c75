//! The customer list: a page of customers by filter, sort and keyset
//! cursor, with a total counted only when asked.

use async_graphql::{Context, Result};
use entity::customer;
use futures_util::FutureExt as _;
use sea_orm::{Condition, DbBackend};

use super::Customer;
use super::counts::{self, Counting, TenantSizes};
use super::fields::Fields;
use super::filter::CustomerFilter;
use super::repo;
use super::sort::{CustomerSort, SortDirection};
use crate::error::{AppResult, bad_input};
use crate::graphql::pagination::{Keyset, ListConnection, Page, TotalCount};
use crate::graphql::{ContextExt, Count};

pub type CustomerConnection = ListConnection<Customer>;

/// A page of the customers that meet `scope` (all of them when `None`) and
/// the filter, in the sort's order: `customers`, and `Segment.members` with
/// the segment as scope. The filter's `segmentId` is the caller's to turn
/// into `scope` (segments are a feature above this one).
pub async fn customer_connection(
    ctx: &Context<'_>,
    page: Page,
    filter: Option<CustomerFilter>,
    sort: Option<CustomerSort>,
    scope: Option<Condition>,
) -> Result<CustomerConnection> {
    let session = ctx.session()?;
    let sort = sort.unwrap_or_default();
    let counting = Counting::of(filter.as_ref(), scope.is_some());
    let searched = filter.as_ref().is_some_and(CustomerFilter::searches);
    let backend = session.db.get_database_backend();
    let needs_fields =
        filter.as_ref().is_some_and(CustomerFilter::needs_fields) || sort.needs_fields();
    let fields = Fields::when(needs_fields, &session.db, session.tenant()).await?;
    let condition = Condition::all()
        .add(scope.unwrap_or_else(Condition::all))
        .add(
            filter
                .unwrap_or_default()
                .compile(backend, session.tenant(), &fields)?,
        );
    let key = sort.key(&fields, backend)?;
    let keyset = Keyset {
        sort: &key,
        id: customer::Column::Id,
        ascending: sort.direction == SortDirection::Asc,
        page: &page,
        id_of: |m: &customer::Model| m.id.as_str(),
    };
    let listing = if searched && session.db.get_database_backend() == DbBackend::Postgres {
        let sizes = ctx.data::<TenantSizes>()?;
        repo::Listing::Searched {
            tenant_size: sizes.of(&session.db, session.tenant()).await?,
        }
    } else {
        repo::Listing::Filtered
    };
    let rows = repo::list(
        &session.db,
        session.tenant(),
        condition.clone(),
        listing,
        &keyset,
    )
    .await?;
    let (db, tenant) = (session.db.clone(), session.tenant().clone());
    let total = TotalCount::new(move || {
        let (db, tenant, condition) = (db.clone(), tenant.clone(), condition.clone());
        let counting = counting.clone();
        async move { Ok(counts::count(&db, &tenant, &counting, condition).await?) }.boxed()
    });
    Ok(keyset.connection(rows, Customer::from, total))
}

/// How many customers meet `scope` (all when `None`) and the filter,
/// counted no further than `limit` ([`counts::count_up_to`]):
/// `customersCount`, and a segment preview's count.
pub async fn customer_count_up_to(
    ctx: &Context<'_>,
    filter: Option<&CustomerFilter>,
    scope: Option<Condition>,
    limit: u64,
) -> Result<Count> {
    let session = ctx.session()?;
    let counting = Counting::of(filter, scope.is_some());
    let needs_fields = filter.is_some_and(CustomerFilter::needs_fields);
    let fields = Fields::when(needs_fields, &session.db, session.tenant()).await?;
    let condition = filter
        .cloned()
        .unwrap_or_default()
        .compile(session.db.get_database_backend(), session.tenant(), &fields)?
        .add(scope.unwrap_or_else(Condition::all));
    Ok(counts::count_up_to(&session.db, session.tenant(), &counting, condition, limit).await?)
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
