//! The customer queries: one by ID or by email or phone, the list, the
//! count, and the preview of a merge.

use async_graphql::{Context, ID, Object, Result};

use super::merge;
use super::merge_overrides::{MergeOverrides, MergeOverridesInput};
use super::ready;
use crate::auth::Scope;
use crate::error::bad_input;
use crate::graphql::pagination::Page;
use crate::graphql::ready::Ready;
use crate::graphql::{ContextExt, Count, ScopeGuard};
use crate::ids::CustomerId;
use crate::profiles::contact::{Email, Phone};
use crate::profiles::{
    Customer, CustomerConnection, CustomerFilter, CustomerPage, CustomerSort, count_limit,
    customer_count, customer_count_up_to, customer_page, query, repo,
};
use crate::segments::filter_scope;

#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// A customer by ID; null when there is none in your tenant. Needs
    /// `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's ID (`cus_…`).")] id: ID,
    ) -> Result<Ready<Option<Customer>>> {
        let Some(key) = CustomerId::decode(&id) else {
            return Ok(Ready::deferred(None));
        };
        if let Some(built) = ready::one(ctx, key.as_str()).await? {
            return Ok(built);
        }
        // Read at once rather than through the loader: a root field has no
        // siblings of its level to wait for but its own aliases.
        let session = ctx.session()?;
        let found =
            repo::find_many_with_tags(&session.reads, session.tenant(), &[key.into_string()])
                .await?;
        let found = found
            .into_iter()
            .next()
            .map(|(row, tags)| Customer::with_tags(row, tags));
        Ok(Ready::deferred(found))
    }

    /// A customer by email (case-insensitive), else by phone; one of them
    /// is required. Null when no customer of your tenant has either.
    /// Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customer_lookup(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An email address, matched ignoring case.")] email: Option<String>,
        #[graphql(
            desc = "A phone number with its country code (`+34 612 345 678`); used when the email finds no one, or none is given."
        )]
        phone: Option<String>,
    ) -> Result<Option<Customer>> {
        let session = ctx.session()?;
        let (db, tenant) = (&session.db, session.tenant());
        let email = email
            .as_deref()
            .map(|e| Email::parse("email", e))
            .transpose()?
            .flatten();
        let phone = phone
            .as_deref()
            .map(|p| Phone::parse("phone", p))
            .transpose()?
            .flatten();
        if email.is_none() && phone.is_none() {
            return Err(bad_input("email", "give an email or a phone").into());
        }
        if let Some(email) = email
            && let Some(row) = repo::find_by_email(db, tenant, &email).await?
        {
            return Ok(Some(Customer::from(row)));
        }
        match phone {
            Some(phone) => Ok(repo::find_by_phone(db, tenant, &phone)
                .await?
                .map(Customer::from)),
            None => Ok(None),
        }
    }

    /// The customer `mergeCustomers` with the same arguments would leave,
    /// computed and not saved: its fields (the kept customer's, its empty
    /// ones filled from the duplicate's, `overrides` applied), its tags
    /// (both customers') and its order totals and metrics (both customers'
    /// orders together) are the merged record's, its default address
    /// included; the lists hanging off it (orders, notes, activity,
    /// history, segments, locations, and addresses besides the default)
    /// are the kept customer's until the merge runs (its former default
    /// among the addresses when the duplicate's takes its place). Refuses
    /// what the merge would refuse, with the same errors. Needs
    /// `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn merge_preview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer that would stay (`cus_…`).")] keep_id: ID,
        #[graphql(desc = "The duplicate that would be merged into it (`cus_…`); not `keepId`.")]
        merge_id: ID,
        #[graphql(
            desc = "Fields and custom-field keys that take the duplicate's value, as in `mergeCustomers`."
        )]
        overrides: Option<MergeOverridesInput>,
    ) -> Result<Customer> {
        let session = ctx.session()?;
        let keep = CustomerId::require(&keep_id)?;
        let merged = CustomerId::require(&merge_id)?;
        let overrides = MergeOverrides::parse(overrides)?;
        Ok(merge::preview(&session.db, session.tenant(), &keep, &merged, &overrides).await?)
    }

    /// Customers, filtered and sorted (newest first by default), with keyset
    /// cursors. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    #[expect(
        clippy::too_many_arguments,
        reason = "the Relay and filter arguments of the field"
    )]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which customers to list; every customer when absent.")] filter: Option<
            CustomerFilter,
        >,
        #[graphql(
            desc = "The same in text, both holding when both are given: `tag:vip -status:archived total_spent:>100 email:ali*` (docs/query-language.md)."
        )]
        query: Option<String>,
        #[graphql(desc = "The order; newest first (`CREATED_AT`, `DESC`) when absent.")]
        sort: Option<CustomerSort>,
    ) -> Result<Ready<CustomerConnection>> {
        let page = Page::from_params(first, after, last, before)?;
        let filter = queried(ctx, filter, query).await?;
        let scope = filter_scope(ctx, filter.as_ref()).await?;
        ready::connection(ctx, page, filter, sort, scope).await
    }

    /// Customers by page number, for numbered tables: the same filter and
    /// sort as `customers`, with the total and the number of pages. Pages
    /// reach the first 10,000 customers; deeper, `customers` pages on with
    /// cursors. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customers_page(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The page, from 1; 1 when null.", default = 1)] page: Option<i32>,
        #[graphql(desc = "Customers a page, 1–100; 25 when null.", default = 25)] page_size: Option<
            i32,
        >,
        #[graphql(desc = "Which customers to list; every customer when absent.")] filter: Option<
            CustomerFilter,
        >,
        #[graphql(
            desc = "The same in text, both holding when both are given: `tag:vip -status:archived total_spent:>100 email:ali*` (docs/query-language.md)."
        )]
        query: Option<String>,
        #[graphql(desc = "The order; newest first (`CREATED_AT`, `DESC`) when absent.")]
        sort: Option<CustomerSort>,
    ) -> Result<CustomerPage> {
        let filter = queried(ctx, filter, query).await?;
        let scope = filter_scope(ctx, filter.as_ref()).await?;
        let (page, page_size) = (page.unwrap_or(1), page_size.unwrap_or(25));
        customer_page(ctx, page, page_size, filter, sort, scope).await
    }

    /// How many customers match the filter, counted no further than
    /// `limit`: `EXACT` up to it, and `AT_LEAST` the limit above it, so a
    /// count of a frequent term over many customers stays cheap. A count
    /// the tenant keeps (no filter, or one status, country or tag) is
    /// exact at any size. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customers_count(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which customers to count; every customer when absent.")] filter: Option<
            CustomerFilter,
        >,
        #[graphql(
            desc = "The same in text, both holding when both are given: `tag:vip -status:archived total_spent:>100 email:ali*` (docs/query-language.md)."
        )]
        query: Option<String>,
        #[graphql(
            desc = "Where counting stops: 1–100,000; 10,000 when null.",
            default = 10000
        )]
        limit: Option<i32>,
    ) -> Result<Count> {
        let limit = count_limit(limit)?;
        let filter = queried(ctx, filter, query).await?;
        let scope = filter_scope(ctx, filter.as_ref()).await?;
        customer_count_up_to(ctx, filter.as_ref(), scope, limit).await
    }

    /// How many customers match the filter. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customer_count(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which customers to count; every customer when absent.")] filter: Option<
            CustomerFilter,
        >,
        #[graphql(
            desc = "The same in text, both holding when both are given: `tag:vip -status:archived total_spent:>100 email:ali*` (docs/query-language.md)."
        )]
        query: Option<String>,
    ) -> Result<i64> {
        let filter = queried(ctx, filter, query).await?;
        let scope = filter_scope(ctx, filter.as_ref()).await?;
        let n = customer_count(ctx, filter.as_ref(), scope).await?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// The `filter` and `query` arguments as one filter.
async fn queried(
    ctx: &Context<'_>,
    filter: Option<CustomerFilter>,
    query: Option<String>,
) -> Result<Option<CustomerFilter>> {
    let session = ctx.session()?;
    Ok(query::with_query(&session.db, session.tenant(), filter, query.as_deref()).await?)
}
