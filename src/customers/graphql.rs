//! The customer part of the schema: the `Customer` type, its queries and
//! its mutations. Resolvers are thin: validation is in `input`, SQL in
//! `repo`, writes in `upsert`.

use async_graphql::{Context, ID, Json, Object, Result, SimpleObject};
use entity::customer;
use futures_util::FutureExt as _;

use super::counts::{self, Counting, TenantSizes};
use super::filter::{CustomerFilter, CustomerSort, SortDirection};
use super::import::{self, ImportMode, ImportPayload};
use super::input::{
    CustomerField, CustomerInput, CustomerStatus, CustomerUpdateInput, Patch, display_name, email,
    has_address, phone,
};
use super::loader::TagLoader;
use super::repo;
use super::upsert::{self, Written};
use super::{input, merge, tagging};
use crate::activity::{ActivityConnection, ActivityType, customer_activity};
use crate::auth::Scope;
use crate::error::{bad_input, not_found};
use crate::graphql::ScopeGuard;
use crate::graphql::pagination::ListConnection;
use crate::graphql::pagination::{Keyset, Page, TotalCount};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::graphql::{ContextExt, DeletePayload};
use crate::ids::{self, Kind, MAX_IDS};
use crate::metrics::{CustomerMetrics, customer_metrics};
use crate::notes::{NoteConnection, customer_notes};
use crate::orders::{OrderConnection, customer_orders};
use crate::segments::{Segment, customer_segments, segment_filter};
use sea_orm::{Condition, DbBackend};

/// A person or company the tenant does business with.
#[derive(Clone)]
pub struct Customer {
    pub row: customer::Model,
    /// The tags, when they were read with the row.
    tags: Option<Vec<String>>,
}

impl From<customer::Model> for Customer {
    fn from(row: customer::Model) -> Self {
        Customer { row, tags: None }
    }
}

impl Customer {
    /// A row read with its tags (alphabetically).
    pub fn with_tags(row: customer::Model, tags: Vec<String>) -> Self {
        Customer {
            row,
            tags: Some(tags),
        }
    }
}

/// A postal address.
#[derive(SimpleObject)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    pub country: Option<String>,
}

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

    async fn first_name(&self) -> Option<&str> {
        self.row.first_name.as_deref()
    }

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

    async fn company_name(&self) -> Option<&str> {
        self.row.company_name.as_deref()
    }

    async fn avatar_url(&self) -> Option<&str> {
        self.row.avatar_url.as_deref()
    }

    async fn status(&self) -> CustomerStatus {
        CustomerStatus::from_db(&self.row.status)
    }

    /// Where the customer came from.
    async fn source(&self) -> Option<&str> {
        self.row.source.as_deref()
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

    async fn address(&self) -> Option<Address> {
        let m = &self.row;
        has_address(m).then(|| Address {
            line1: m.address_line1.clone(),
            line2: m.address_line2.clone(),
            city: m.city.clone(),
            state: m.state.clone(),
            postal_code: m.postal_code.clone(),
            country: m.country.clone(),
        })
    }

    /// Custom fields: a JSON object.
    async fn metadata(&self) -> Json<&serde_json::Value> {
        Json(&self.row.metadata)
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.row.created_at)
    }

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

    async fn last_order_at(&self) -> Option<DateTime> {
        self.row.last_order_at.map(DateTime)
    }

    /// Order metrics: totals, rhythm, churn risk and RFM scores.
    async fn metrics(&self, ctx: &Context<'_>) -> Result<CustomerMetrics> {
        customer_metrics(ctx, &self.row).await
    }

    /// Orders, newest first.
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<OrderConnection> {
        customer_orders(ctx, &self.row.id, first, after, last, before).await
    }

    /// The timeline, newest first: `types` keeps only those kinds,
    /// `occurredAfter`/`occurredBefore` bound the time (both exclusive).
    async fn activity(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        types: Option<Vec<ActivityType>>,
        occurred_after: Option<DateTime>,
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

    /// Notes, newest first.
    async fn notes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<NoteConnection> {
        customer_notes(ctx, &self.row.id, first, after, last, before).await
    }

    /// The segments the customer belongs to now, by name.
    #[graphql(guard = "ScopeGuard(Scope::ReadSegments)")]
    async fn segments(&self, ctx: &Context<'_>) -> Result<Vec<Segment>> {
        customer_segments(ctx, &self.row.id).await
    }
}

/// The result of `createCustomer` and `upsertCustomer`.
#[derive(SimpleObject)]
pub struct CreateCustomerPayload {
    pub customer: Customer,
    /// False when an existing customer was returned (or updated).
    pub created: bool,
}

impl From<Written> for CreateCustomerPayload {
    fn from(written: Written) -> Self {
        match written {
            Written::Created(row) => CreateCustomerPayload {
                customer: Customer::from(row),
                created: true,
            },
            Written::Existing(row) => CreateCustomerPayload {
                customer: Customer::from(row),
                created: false,
            },
        }
    }
}

pub type CustomerConnection = ListConnection<Customer>;

/// The condition of a `CustomerFilter`, its `segmentId` included.
async fn filter_condition(ctx: &Context<'_>, filter: Option<CustomerFilter>) -> Result<Condition> {
    let session = ctx.session()?;
    let filter = filter.unwrap_or_default();
    let mut condition = filter.compile(session.db.get_database_backend(), session.tenant())?;
    if let Some(segment) = &filter.segment_id {
        condition = condition.add(segment_filter(ctx, segment).await?);
    }
    Ok(condition)
}

/// A page of the customers that meet `scope` (all of them when `None`) and
/// the filter, in the sort's order: `customers`, and `Segment.members` with
/// the segment as scope.
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
    let condition = Condition::all()
        .add(scope.unwrap_or_else(Condition::all))
        .add(filter_condition(ctx, filter).await?);
    let key = sort.field.key();
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

#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// A customer by ID; null when there is none in your tenant.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Customer>> {
        let Some(key) = ids::decode(Kind::Customer, &id) else {
            return Ok(None);
        };
        // Read at once rather than through the loader: a root field has no
        // siblings of its level to wait for but its own aliases.
        let session = ctx.session()?;
        let found = repo::find_many_with_tags(&session.db, session.tenant(), &[key]).await?;
        Ok(found
            .into_iter()
            .next()
            .map(|(row, tags)| Customer::with_tags(row, tags)))
    }

    /// A customer by email (case-insensitive), else by phone.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customer_lookup(
        &self,
        ctx: &Context<'_>,
        email: Option<String>,
        phone: Option<String>,
    ) -> Result<Option<Customer>> {
        let session = ctx.session()?;
        let (db, tenant) = (&session.db, session.tenant());
        let email = email
            .as_deref()
            .map(|e| self::email("email", e))
            .transpose()?
            .flatten();
        let phone = phone
            .as_deref()
            .map(|p| self::phone("phone", p))
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

    /// Customers, filtered and sorted (newest first by default), with keyset
    /// cursors.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    #[expect(
        clippy::too_many_arguments,
        reason = "the Relay and filter arguments of the field"
    )]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<CustomerFilter>,
        sort: Option<CustomerSort>,
    ) -> Result<CustomerConnection> {
        let page = Page::from_params(first, after, last, before)?;
        customer_connection(ctx, page, filter, sort, None).await
    }

    /// How many customers match the filter.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customer_count(
        &self,
        ctx: &Context<'_>,
        filter: Option<CustomerFilter>,
    ) -> Result<i64> {
        let session = ctx.session()?;
        let counting = Counting::of(filter.as_ref(), false);
        let condition = filter_condition(ctx, filter).await?;
        let n = counts::count(&session.db, session.tenant(), &counting, condition).await?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    /// Creates a customer. When the email (or phone) already belongs to a
    /// customer, returns that one with `created: false` and changes nothing.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        input: CustomerInput,
    ) -> Result<CreateCustomerPayload> {
        let session = ctx.session()?;
        let patch = Patch::from_input(input, "input", false)?;
        if patch.identifies_nobody() {
            return Err(bad_input(
                "input",
                "a customer needs at least one of name, firstName, lastName, email or phone",
            )
            .into());
        }
        Ok(upsert::create(&session.db, session.tenant(), patch)
            .await?
            .into())
    }

    /// Finds a customer by email, then phone, and updates it, or creates
    /// one. `doNotUpdate` lists fields an existing customer keeps;
    /// `input.addTags` adds tags; `input.metadata` merges into the existing
    /// custom fields.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn upsert_customer(
        &self,
        ctx: &Context<'_>,
        input: CustomerInput,
        do_not_update: Option<Vec<CustomerField>>,
    ) -> Result<CreateCustomerPayload> {
        let session = ctx.session()?;
        let patch = Patch::from_input(input, "input", true)?;
        let skip = do_not_update.unwrap_or_default();
        Ok(upsert::upsert(&session.db, session.tenant(), patch, &skip)
            .await?
            .into())
    }

    /// Changes a customer: an absent field is unchanged, an explicit `null`
    /// clears it.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CustomerUpdateInput,
    ) -> Result<Customer> {
        let session = ctx.session()?;
        let key = ids::decode(Kind::Customer, &id).ok_or(not_found("customer"))?;
        let patch = Patch::from_update(input, "input")?;
        Ok(upsert::update(&session.db, session.tenant(), &key, patch)
            .await?
            .into())
    }

    /// Imports up to 1,000 customers in one transaction. `UPSERT` (the
    /// default) updates the customers their email, then phone, names;
    /// `CREATE_ONLY` skips them. A bad row fails alone, with its index and
    /// field, and the others go in; a row that changes nothing is skipped.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn import_customers(
        &self,
        ctx: &Context<'_>,
        customers: Vec<CustomerInput>,
        #[graphql(default_with = "Some(ImportMode::Upsert)")] mode: Option<ImportMode>,
    ) -> Result<ImportPayload> {
        let session = ctx.session()?;
        let mode = mode.unwrap_or(ImportMode::Upsert);
        Ok(import::import(&session.db, session.tenant(), customers, mode).await?)
    }

    /// Adds and removes tags on up to 250 customers at once, keeping their
    /// other tags.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn tag_customers(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
        add: Option<Vec<String>>,
        remove: Option<Vec<String>>,
    ) -> Result<Vec<Customer>> {
        let session = ctx.session()?;
        if ids.len() > MAX_IDS {
            return Err(bad_input("ids", format!("at most {MAX_IDS} IDs")).into());
        }
        let keys = ids
            .iter()
            .map(|id| ids::decode(Kind::Customer, id).ok_or(not_found("customer")))
            .collect::<Result<Vec<_>, _>>()?;
        let add = input::tags("add", add.unwrap_or_default())?;
        let remove = input::tags("remove", remove.unwrap_or_default())?;
        let rows = tagging::tag(&session.db, session.tenant(), &keys, &add, &remove).await?;
        Ok(rows.into_iter().map(Customer::from).collect())
    }

    /// Merges `mergeId` into `keepId`: the kept customer takes the other's
    /// tags (and orders, activity, notes and segment memberships), fills its
    /// empty fields from it, and the other is deleted.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn merge_customers(
        &self,
        ctx: &Context<'_>,
        keep_id: ID,
        merge_id: ID,
    ) -> Result<Customer> {
        let session = ctx.session()?;
        let keep = ids::decode(Kind::Customer, &keep_id).ok_or(not_found("customer"))?;
        let merged = ids::decode(Kind::Customer, &merge_id).ok_or(not_found("customer"))?;
        Ok(merge::merge(&session.db, session.tenant(), &keep, &merged)
            .await?
            .into())
    }

    /// Deletes a customer and its tags.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn delete_customer(&self, ctx: &Context<'_>, id: ID) -> Result<DeletePayload> {
        let session = ctx.session()?;
        let key = ids::decode(Kind::Customer, &id).ok_or(not_found("customer"))?;
        upsert::delete(&session.db, session.tenant(), &key).await?;
        Ok(DeletePayload { deleted_id: id })
    }
}
