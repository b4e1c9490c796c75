//! The text form of a customer filter (`customers(query: "…")`): field
//! terms (`tag:vip`, `total_spent:>100`, `orders:2..5`, `email:ali*`),
//! bare words and "quoted phrases" searched, `-` or `NOT`, `OR`, `AND` or
//! terms side by side, and parentheses. A query is read ([`syntax`]) and
//! turned into the filter tree it means ([`lower`]), which compiles to SQL
//! as any filter does: the two forms cannot disagree.

pub mod fields;
mod graphql;
mod lower;
mod syntax;

pub use fields::{FilterField, FilterFieldType, FilterOperator};
pub use graphql::FilterFieldQuery;

use sea_orm::ConnectionTrait;

use super::fields::Fields;
use super::filter::CustomerFilter;
use crate::error::{AppError, AppResult};
use crate::tenancy::TenantId;

/// A query that cannot be read: `BAD_USER_INPUT` on `query`, with the
/// character it points at (`extensions.position`, from 0).
#[derive(Debug, PartialEq)]
pub struct QueryError {
    pub position: usize,
    pub message: String,
}

impl QueryError {
    fn new(position: usize, message: impl Into<String>) -> Self {
        QueryError {
            position,
            message: message.into(),
        }
    }
}

impl From<QueryError> for AppError {
    fn from(e: QueryError) -> Self {
        AppError::BadQuery {
            field: "query".into(),
            message: e.message,
            position: e.position,
        }
    }
}

/// The filter a query means, read with the tenant's custom field
/// definitions when it names one (`field.<key>:`).
pub async fn parse(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    text: &str,
) -> AppResult<CustomerFilter> {
    let node = syntax::parse(text)?;
    let fields = Fields::when(text.contains("field."), db, tenant).await?;
    Ok(lower::lower(&node, &fields)?)
}

/// The `filter` and `query` arguments of a list or count as one filter:
/// both hold. The query joins the filter's `and`; a `segment:` or search
/// it holds at its top stays at the top where the filter has none.
pub async fn with_query(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    filter: Option<CustomerFilter>,
    query: Option<&str>,
) -> AppResult<Option<CustomerFilter>> {
    let Some(text) = query else {
        return Ok(filter);
    };
    let mut queried = parse(db, tenant, text).await?;
    let Some(mut filter) = filter else {
        return Ok(Some(queried));
    };
    if queried.segment_id.is_some() && filter.segment_id.is_some() {
        return Err(AppError::BadQuery {
            field: "query".into(),
            message: "the filter names a segment already".into(),
            position: text.find("segment").unwrap_or(0),
        });
    }
    if filter.segment_id.is_none() {
        filter.segment_id = queried.segment_id.take();
    }
    if filter.search.is_none() {
        filter.search = queried.search.take();
    }
    filter.and.get_or_insert_with(Vec::new).push(queried);
    Ok(Some(filter))
}
