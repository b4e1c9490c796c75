//! The `Company` object.

use async_graphql::{Context, ID, Json, Object, Result, SimpleObject};
use entity::{company, customer};
use sea_orm::{ColumnTrait as _, Condition};

use super::loader::CompanyTotalsLoader;
use super::repo::Totals;
use crate::graphql::ContextExt;
use crate::graphql::pagination::Page;
use crate::graphql::scalars::{DateTime, Decimal};
use crate::ids::CompanyId;
use crate::profiles::{CustomerConnection, CustomerSort, Scope, customer_connection};

/// A postal address without an identity of its own (a company's).
#[derive(SimpleObject, Clone, Debug)]
pub struct PostalAddress {
    /// The first line of the street address.
    pub line1: Option<String>,
    /// The second line of the street address.
    pub line2: Option<String>,
    /// The city or town.
    pub city: Option<String>,
    /// The state, province or region.
    pub state: Option<String>,
    /// The postal or ZIP code.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    pub country: Option<String>,
}

impl PostalAddress {
    /// The address of these stored parts; `None` when every part is empty.
    pub fn of(
        line1: &Option<String>,
        line2: &Option<String>,
        city: &Option<String>,
        state: &Option<String>,
        postal_code: &Option<String>,
        country: &Option<String>,
    ) -> Option<Self> {
        let parts = [line1, line2, city, state, postal_code, country];
        parts.iter().any(|p| p.is_some()).then(|| PostalAddress {
            line1: line1.clone(),
            line2: line2.clone(),
            city: city.clone(),
            state: state.clone(),
            postal_code: postal_code.clone(),
            country: country.clone(),
        })
    }
}

pub struct Company(pub company::Model);

impl Company {
    async fn totals(&self, ctx: &Context<'_>) -> Result<Totals> {
        let found = ctx
            .session()?
            .loaders
            .get::<CompanyTotalsLoader>()
            .load_one(self.0.id.clone())
            .await?;
        Ok(found.unwrap_or_default())
    }
}

/// An organisation the tenant's customers belong to (a customer to at
/// most one).
#[Object]
impl Company {
    /// The company's ID (`com_…`).
    pub async fn id(&self) -> ID {
        CompanyId::of_row(self.0.id.clone()).id()
    }

    /// The company's name; its customers' `companyName`.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Its web domain, lower-case (`acme.com`); unique in the tenant.
    async fn domain(&self) -> Option<&str> {
        self.0.domain.as_deref()
    }

    /// Its industry.
    async fn industry(&self) -> Option<&str> {
        self.0.industry.as_deref()
    }

    /// Its number of employees.
    async fn size(&self) -> Option<i32> {
        self.0.size
    }

    /// Its postal address; null when it has none.
    async fn address(&self) -> Option<PostalAddress> {
        let r = &self.0;
        PostalAddress::of(
            &r.address_line1,
            &r.address_line2,
            &r.city,
            &r.state,
            &r.postal_code,
            &r.country,
        )
    }

    /// Custom fields: a JSON object.
    async fn metadata(&self) -> Json<&serde_json::Value> {
        Json(&self.0.metadata)
    }

    /// The company's customers, newest first unless `sort` says otherwise.
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The order; newest first (`CREATED_AT`, `DESC`) when absent.")]
        sort: Option<CustomerSort>,
    ) -> Result<CustomerConnection> {
        let page = Page::from_params(first, after, last, before)?;
        let scope = Condition::all().add(customer::Column::CompanyId.eq(self.0.id.as_str()));
        customer_connection(ctx, page, None, sort, Scope::members(scope)).await
    }

    /// How many customers belong to the company.
    async fn customer_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(self.totals(ctx).await?.customers)
    }

    /// What its customers have spent to date (the sum of their paid
    /// orders).
    async fn total_spent(&self, ctx: &Context<'_>) -> Result<Decimal> {
        Ok(Decimal::from(self.totals(ctx).await?.spent_cents))
    }

    /// How many paid orders its customers have placed.
    async fn total_orders(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(self.totals(ctx).await?.orders)
    }

    /// When any of its customers last placed a paid order.
    async fn last_order_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime>> {
        Ok(self.totals(ctx).await?.last_order_at.map(DateTime))
    }

    /// When the company was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When the company last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}
