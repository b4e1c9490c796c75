//! The customer list by page number (`customersPage`), for numbered
//! tables: the same filter and sort as the cursor list, read at an offset
//! no deeper than [`MAX_DEPTH`] rows, with the total and the page count.

use async_graphql::{Context, Result, SimpleObject};
use entity::customer;
use sea_orm::sea_query::{NullOrdering, Order};
use sea_orm::{QueryFilter as _, QueryOrder as _, QuerySelect as _};

use super::Customer;
use super::counts;
use super::filter::CustomerFilter;
use super::listing::{Compiled, Scope, compile};
use super::sort::{CustomerSort, SortDirection};
use crate::error::bad_input;
use crate::graphql::ContextExt;
use crate::graphql::pagination::MAX_PAGE_SIZE;
use crate::tenancy;

/// The deepest row a numbered page may reach; beyond it, cursors
/// (`customers(after:)`) page on at the same cost at any depth.
pub const MAX_DEPTH: u64 = 10_000;

/// One numbered page of customers.
#[derive(SimpleObject)]
pub struct CustomerPage {
    /// The page's customers, in the sort's order.
    pub nodes: Vec<Customer>,
    /// How many customers match, on every page.
    pub total_count: i64,
    /// How many pages of `pageSize` hold them; 1 when none match (an empty
    /// first page).
    pub total_pages: i64,
    /// The page asked for, from 1.
    pub page: i32,
    /// Customers a page.
    pub page_size: i32,
}

/// `page` (from 1) of `page_size` (1–100) customers meeting `scope` and the
/// filter, in the sort's order (NULLs of a key first ascending, last
/// descending, as in the cursor list). A page reaching past
/// [`MAX_DEPTH`] rows is refused on `page`.
pub async fn customer_page(
    ctx: &Context<'_>,
    page: i32,
    page_size: i32,
    filter: Option<CustomerFilter>,
    sort: Option<CustomerSort>,
    scope: Scope,
) -> Result<CustomerPage> {
    let session = ctx.session()?;
    let size = u64::try_from(page_size)
        .ok()
        .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
        .ok_or_else(|| bad_input("pageSize", format!("between 1 and {MAX_PAGE_SIZE}")))?;
    let number = u64::try_from(page)
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| bad_input("page", "pages are numbered from 1"))?;
    let offset = (number - 1) * size;
    if offset + size > MAX_DEPTH {
        return Err(bad_input(
            "page",
            format!(
                "numbered pages reach the first {MAX_DEPTH} customers; page deeper with cursors: `customers(first:, after:)`"
            ),
        )
        .into());
    }
    let sort = sort.unwrap_or_default();
    let backend = session.db.get_database_backend();
    let Compiled {
        condition,
        counting,
        fields,
    } = compile(
        session,
        filter.as_ref(),
        scope,
        (sort.needs_fields(), false),
    )
    .await?;
    let key = sort.key(&fields, backend)?;
    let (order, nulls) = match sort.direction {
        SortDirection::Asc => (Order::Asc, NullOrdering::First),
        SortDirection::Desc => (Order::Desc, NullOrdering::Last),
    };
    let rows = tenancy::select::<customer::Entity>(session.tenant())
        .filter(condition.clone())
        .order_by_with_nulls(key.expr(), order.clone(), nulls)
        .order_by(customer::Column::Id, order)
        .offset(offset)
        .limit(size)
        .all(&session.db)
        .await?;
    let total = counts::count(&session.db, session.tenant(), &counting, condition).await?;
    let total = i64::try_from(total).unwrap_or(i64::MAX);
    let size = size as i64;
    Ok(CustomerPage {
        nodes: rows.into_iter().map(Customer::from).collect(),
        total_count: total,
        total_pages: ((total + size - 1) / size).max(1),
        page,
        page_size,
    })
}
