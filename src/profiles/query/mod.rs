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

impl QueryError {
    /// The error on the argument `field` (`query`, `input.query`).
    pub fn on(self, field: &str) -> AppError {
        AppError::BadQuery {
            field: field.to_owned(),
            message: self.message,
            position: self.position,
        }
    }
}

/// Whether reading `text` needs the tenant's custom field definitions.
pub fn names_fields(text: &str) -> bool {
    text.contains("field.")
}

/// Whether `text` may name the RFM segment, which needs the tenant's
/// breakpoints.
pub fn names_rfm(text: &str) -> bool {
    text.contains("rfm")
}

/// The filter a query means, its custom fields typed by `fields`; errors
/// name `field`.
pub fn read(text: &str, fields: &Fields, field: &str) -> AppResult<CustomerFilter> {
    syntax::parse(text)
        .and_then(|node| lower::lower(&node, fields))
        .map_err(|e| e.on(field))
}

/// A `filter` and the filter a query means (`queried`, read from `text`)
/// as one filter: both hold. The query joins the filter's `and`; a
/// `segment:` or search at its top moves to the top where the filter has
/// none.
pub fn combine(
    filter: Option<CustomerFilter>,
    mut queried: CustomerFilter,
    text: &str,
    field: &str,
) -> AppResult<CustomerFilter> {
    let Some(mut filter) = filter else {
        return Ok(queried);
    };
    if queried.segment_id.is_some() && filter.segment_id.is_some() {
        let at = text.find("segment").unwrap_or(0);
        return Err(QueryError::new(at, "the filter names a segment already").on(field));
    }
    if filter.segment_id.is_none() {
        filter.segment_id = queried.segment_id.take();
    }
    if filter.search.is_none() {
        filter.search = queried.search.take();
    }
    filter.and.get_or_insert_with(Vec::new).push(queried);
    Ok(filter)
}

/// The `filter` and `query` arguments of a list or count as one filter,
/// the filter checked as given ([`CustomerFilter::check_given`]) and the
/// query read with the tenant's custom field definitions when it names
/// one (`field.<key>:`).
pub async fn with_query(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    filter: Option<CustomerFilter>,
    query: Option<&str>,
) -> AppResult<Option<CustomerFilter>> {
    if let Some(given) = &filter {
        given.check_given("filter")?;
    }
    let Some(text) = query else {
        return Ok(filter);
    };
    let fields = Fields::when(names_fields(text), db, tenant).await?;
    let queried = read(text, &fields, "query")?;
    combine(filter, queried, text, "query").map(Some)
}
