//! The `Customer` object: the profile's own fields, and its edges to every
//! feature (orders, notes, the timeline, metrics, segments). The record it
//! wraps lives below, in `profiles`, so that those features can name it.

use async_graphql::{Context, ID, Json, Object, Result};

use super::delete_rules::loader::DeleteBlockersLoader;
use crate::activity::{ActivityConnection, ActivityType, customer_activity};
use crate::analytics::{CustomerMetrics, customer_metrics};
use crate::auth::Scope;
use crate::companies::Company;
use crate::companies::loader::CompanyLoader;
use crate::graphql::pagination::{ListConnection, Page, memory};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::graphql::{ContextExt, ScopeGuard};
use crate::ids::{self, Kind};
use crate::locations::Location;
use crate::locations::loader::{CustomerLocationsLoader, LocationLoader};
use crate::notes::{NoteConnection, customer_notes};
use crate::orders::{OrderConnection, customer_orders};
use crate::profiles::Customer;
use crate::profiles::additional::{self, Kind as ContactKind};
use crate::profiles::addresses::{AddressLoader, CustomerAddress};
use crate::profiles::consent::{Channel, Consent};
use crate::profiles::history::{FieldChangeConnection, customer_history};
use crate::profiles::input::CustomerStatus;
use crate::profiles::loader::TagLoader;
use crate::profiles::row::display_name;
use crate::segments::{Segment, customer_segments};

/// A person or company the tenant does business with: a profile with
/// tags, an address and custom fields, and its orders, timeline, notes,
/// metrics and segments.
#[Object]
impl Customer {
    /// `cus_` followed by a time-ordered key.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Customer, &self.row.id)
    }

    /// Display name; "first last" when only those are set.
    async fn name(&self) -> Option<String> {
        display_name(&self.row)
    }

    /// Given name.
    async fn first_name(&self) -> Option<&str> {
        self.row.first_name.as_deref()
    }

    /// Family name.
    async fn last_name(&self) -> Option<&str> {
        self.row.last_name.as_deref()
    }

    /// Lower-cased; unique per tenant.
    async fn email(&self) -> Option<&str> {
        self.row.email.as_deref()
    }

    /// E.164; unique per tenant.
    async fn phone(&self) -> Option<&str> {
        self.row.phone.as_deref()
    }

    /// Every email of the customer: `email` first, then the additional
    /// ones; each unique in the tenant.
    async fn emails(&self) -> Vec<String> {
        self.row
            .email
            .iter()
            .cloned()
            .chain(additional::list(&self.row, ContactKind::Email))
            .collect()
    }

    /// Every phone of the customer: `phone` first, then the additional
    /// ones; each unique in the tenant.
    async fn phones(&self) -> Vec<String> {
        self.row
            .phone
            .iter()
            .cloned()
            .chain(additional::list(&self.row, ContactKind::Phone))
            .collect()
    }

    /// The name of the customer's company (its company's name when it
    /// belongs to one).
    async fn company_name(&self) -> Option<&str> {
        self.row.company_name.as_deref()
    }

    /// The company the customer belongs to.
    async fn company(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
        let Some(key) = &self.row.company_id else {
            return Ok(None);
        };
        let loaders = &ctx.session()?.loaders;
        Ok(loaders
            .get::<CompanyLoader>()
            .load_one(key.clone())
            .await?
            .map(Company))
    }

    /// The locations the customer was created or upserted in, in the order
    /// it joined them.
    async fn locations(&self, ctx: &Context<'_>) -> Result<Vec<Location>> {
        let loaders = &ctx.session()?.loaders;
        let keys = loaders
            .get::<CustomerLocationsLoader>()
            .load_one(self.row.id.clone())
            .await?
            .unwrap_or_default();
        let found = loaders
            .get::<LocationLoader>()
            .load_many(keys.clone())
            .await?;
        Ok(keys
            .into_iter()
            .filter_map(|key| found.get(&key).cloned().map(Location))
            .collect())
    }

    /// Whether the customer agreed to marketing by email.
    async fn email_consent(&self) -> Consent {
        Channel::Email.of(&self.row)
    }

    /// Whether the customer agreed to marketing by SMS.
    async fn sms_consent(&self) -> Consent {
        Channel::Sms.of(&self.row)
    }

    /// The language to write to: a BCP 47 tag such as `en` or `pt-BR`.
    async fn locale(&self) -> Option<&str> {
        self.row.locale.as_deref()
    }

    /// The preferred currency: an ISO 4217 code such as `EUR`.
    async fn currency(&self) -> Option<&str> {
        self.row.currency.as_deref()
    }

    /// An http(s) URL of the customer's picture.
    async fn avatar_url(&self) -> Option<&str> {
        self.row.avatar_url.as_deref()
    }

    /// Whether the customer is active or archived.
    async fn status(&self) -> CustomerStatus {
        CustomerStatus::from_db(&self.row.status)
    }

    /// Where the customer came from.
    async fn source(&self) -> Option<&str> {
        self.row.source.as_deref()
    }

    /// Whether `deleteCustomer` would delete the customer now: false while
    /// anything in `deleteBlockers` stands in the way.
    async fn can_delete(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.delete_blockers(ctx).await?.is_empty())
    }

    /// What keeps `deleteCustomer` from deleting the customer now, by
    /// name: `OPEN_DATA_REQUEST` (a data request about it is pending or
    /// processing) and `PENDING_ORDERS` (orders not paid yet) always,
    /// `HAS_ORDERS` and `HAS_NOTES` when the tenant turned those rules on
    /// (`setCustomerDeleteRules`). Empty when it can be deleted; archiving
    /// is always open.
    async fn delete_blockers(&self, ctx: &Context<'_>) -> Result<Vec<&'static str>> {
        let blockers = ctx
            .session()?
            .loaders
            .get::<DeleteBlockersLoader>()
            .load_one(self.row.id.clone())
            .await?;
        Ok(blockers
            .unwrap_or_default()
            .into_iter()
            .map(|b| b.as_str())
            .collect())
    }

    /// Tags, alphabetically.
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        if let Some(tags) = &self.tags {
            return Ok(tags.clone());
        }
        let loaded = ctx
            .session()?
            .loaders
            .get::<TagLoader>()
            .load_one(self.row.id.clone())
            .await?;
        Ok(loaded.unwrap_or_default())
    }

    /// The default address (the same as `defaultAddress`); null when the
    /// customer has none.
    async fn address(&self) -> Option<CustomerAddress> {
        CustomerAddress::default_of(&self.row)
    }

    /// The address used unless another is chosen: the one `address`,
    /// filters and segment rules on country and city look at.
    async fn default_address(&self) -> Option<CustomerAddress> {
        CustomerAddress::default_of(&self.row)
    }

    /// Every address of the customer, the default one included, oldest
    /// first.
    async fn addresses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
    ) -> Result<ListConnection<CustomerAddress>> {
        let page = Page::from_params(first, after, None, None)?;
        let others = ctx
            .session()?
            .loaders
            .get::<AddressLoader>()
            .load_one(self.row.id.clone())
            .await?
            .unwrap_or_default();
        let mut all: Vec<CustomerAddress> =
            others.into_iter().map(CustomerAddress::other).collect();
        all.extend(CustomerAddress::default_of(&self.row));
        all.extend(self.demoted_address.clone());
        all.sort_by(|a, b| a.key.cmp(&b.key));
        let items = all.into_iter().map(|a| (a.key.clone(), a)).collect();
        Ok(memory::connection(&page, items)?)
    }

    /// Custom fields: a JSON object.
    async fn metadata(&self) -> Json<&serde_json::Value> {
        Json(&self.row.metadata)
    }

    /// When the customer was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.row.created_at)
    }

    /// When the customer last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.row.updated_at)
    }

    /// Paid orders.
    async fn total_orders(&self) -> i64 {
        self.row.total_orders
    }

    /// Sum of paid orders.
    async fn total_spent(&self) -> Decimal {
        Decimal::from(self.row.total_spent_cents)
    }

    /// When the latest paid order was placed; null without a paid order.
    async fn last_order_at(&self) -> Option<DateTime> {
        self.row.last_order_at.map(DateTime)
    }

    /// Order metrics: totals, rhythm, churn risk and RFM scores.
    async fn metrics(&self, ctx: &Context<'_>) -> Result<CustomerMetrics> {
        customer_metrics(ctx, &self.row).await
    }

    /// Orders, newest first. Needs `read:customers` (a write's payload
    /// does not read past its scope).
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<OrderConnection> {
        customer_orders(ctx, &self.row.id, first, after, last, before).await
    }

    /// The timeline, newest first: `types` keeps only those kinds,
    /// `occurredAfter`/`occurredBefore` bound the time (both exclusive).
    /// Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Only entries of these kinds; every kind when absent.")] types: Option<
            Vec<ActivityType>,
        >,
        #[graphql(desc = "Only entries that occurred after this time (exclusive).")]
        occurred_after: Option<DateTime>,
        #[graphql(desc = "Only entries that occurred before this time (exclusive).")]
        occurred_before: Option<DateTime>,
    ) -> Result<ActivityConnection> {
        customer_activity(
            ctx,
            &self.row.id,
            first,
            after,
            types,
            occurred_after,
            occurred_before,
        )
        .await
    }

    /// Every change to the customer's fields, newest first: each field's
    /// value before and after, who changed it and through what. `field`
    /// keeps one field and the fields under it (`address` keeps
    /// `address.city`, `metadata` every custom field). A new customer's
    /// history starts at its first change. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Only this field and the fields under it (`address`, `metadata`).")]
        field: Option<String>,
    ) -> Result<FieldChangeConnection> {
        customer_history(ctx, &self.row.id, first, after, field).await
    }

    /// Notes, newest first. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn notes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NoteConnection> {
        customer_notes(ctx, &self.row.id, first, after, last, before).await
    }

    /// The segments the customer belongs to now, by name. Needs
    /// `read:segments`.
    #[graphql(guard = "ScopeGuard(Scope::ReadSegments)")]
    async fn segments(&self, ctx: &Context<'_>) -> Result<Vec<Segment>> {
        customer_segments(ctx, &self.row.id).await
    }
}
