//! `segmentPreview`: who a filter would hold as a segment, before it is
//! saved, with the same pagination and count as a list, and `explain`
//! for one customer.

use async_graphql::{Context, ID, Object, Result};

use super::StoredFilter;
use super::members::{env_with, filter_scope};
use super::object::{RuleMatch, explained};
use crate::auth::Scope;
use crate::graphql::pagination::Page;
use crate::graphql::{ContextExt, Count, ScopeGuard};
use crate::ids::CustomerId;
use crate::profiles::{
    CustomerConnection, CustomerFilter, count_limit, customer_connection, customer_count_up_to,
    query,
};

/// A filter seen as a segment would be: its customers and their count.
pub struct SegmentPreview {
    /// The filter and query as given, for `explain`.
    given: StoredFilter,
    /// The one filter they mean.
    filter: Option<CustomerFilter>,
    page: Page,
}

/// The customers a filter holds, as a segment of it would, before it is
/// saved.
#[Object]
impl SegmentPreview {
    /// How many customers the filter holds: `EXACT` up to 10,000,
    /// `AT_LEAST` 10,000 above.
    async fn count(&self, ctx: &Context<'_>) -> Result<Count> {
        let scope = filter_scope(ctx, self.filter.as_ref()).await?;
        customer_count_up_to(ctx, self.filter.as_ref(), scope, count_limit(None)?).await
    }

    /// The customers, newest first, paged by the preview's `first` and
    /// `after`.
    async fn customers(&self, ctx: &Context<'_>) -> Result<CustomerConnection> {
        let scope = filter_scope(ctx, self.filter.as_ref()).await?;
        customer_connection(ctx, self.page.clone(), self.filter.clone(), None, scope).await
    }

    /// Condition by condition, whether the customer meets the filter and
    /// the query, as `Segment.explain` answers for a saved segment: each
    /// `rule.field` is the condition's path (`filter.or[1].country`,
    /// `query.and[0].tags`), `rule.operator` is `filter`, `rule.value`
    /// what it holds, and `actual` null. `NOT_FOUND` for a customer your
    /// tenant does not have.
    async fn explain(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's ID (`cus_…`).")] customer_id: ID,
    ) -> Result<Vec<RuleMatch>> {
        let session = ctx.session()?;
        let key = CustomerId::require(&customer_id)?;
        let given = &self.given;
        let env = env_with(session, given.needs_breakpoints(), given.needs_fields()).await?;
        explained(&session.db, session.tenant(), &key, given, &env).await
    }
}

#[derive(Default)]
pub struct SegmentPreviewQuery;

#[Object]
impl SegmentPreviewQuery {
    /// The customers a filter would hold as a segment, and their count,
    /// without saving anything. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn segment_preview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The filter; every customer when absent.")] filter: Option<CustomerFilter>,
        #[graphql(
            desc = "The same in text, both holding when both are given: `tag:vip -status:archived total_spent:>100 email:ali*` (docs/query-language.md)."
        )]
        query: Option<String>,
        #[graphql(desc = "Returns the first n customers (1–100; 25 by default).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Returns the customers after this cursor.")] after: Option<String>,
    ) -> Result<SegmentPreview> {
        let page = Page::from_params(first, after, None, None)?;
        let session = ctx.session()?;
        let given = StoredFilter {
            filter: filter.clone(),
            query: query.clone(),
        };
        let filter =
            query::with_query(&session.db, session.tenant(), filter, query.as_deref()).await?;
        // Checked once here: `count` and `customers` both compile it, and
        // would each report the same error.
        if let Some(filter) = &filter {
            let env = env_with(session, filter.needs_breakpoints(), filter.needs_fields()).await?;
            filter.compile_named("filter", &env.filter_env())?;
        }
        Ok(SegmentPreview {
            given,
            filter,
            page,
        })
    }
}
