//! The order part of the schema: `Order`, `Customer.orders` and
//! `recordOrder`.

use std::collections::HashMap;

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use entity::order;

use super::loader::Orders;
use super::record::{self, NewOrder};
use super::repo;
use crate::auth::Scope;
use crate::error::{AppResult, bad_input};
use crate::graphql::ScopeGuard;
use crate::graphql::children;
use crate::graphql::pagination::ListConnection;
use crate::graphql::pagination::Page;
use crate::graphql::scalars::{DateTime, Decimal};
use crate::graphql::{ContextExt, input};
use crate::ids::CustomerId;
use crate::ids::{self, Kind};
use crate::profiles::Customer;
use crate::profiles::loader;

/// Where an order stands. Only `PAID` orders count toward spend.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Paid: counts toward the customer's totals and the statistics.
    Paid,
    /// Not paid yet; does not count.
    Pending,
    /// Refunded; no longer counts.
    Refunded,
    /// Cancelled; does not count.
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Paid => repo::PAID,
            OrderStatus::Pending => "PENDING",
            OrderStatus::Refunded => "REFUNDED",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }

    pub(super) fn from_db(s: &str) -> Self {
        match s {
            repo::PAID => OrderStatus::Paid,
            "REFUNDED" => OrderStatus::Refunded,
            "CANCELLED" => OrderStatus::Cancelled,
            _ => OrderStatus::Pending,
        }
    }
}

/// A customer's order.
pub struct Order(pub order::Model);

/// A customer's order, as recorded from the shop or billing system.
#[Object]
impl Order {
    /// `ord_` followed by a time-ordered key.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Order, &self.0.id)
    }

    /// The order's ID in the system it comes from; unique per tenant.
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    /// The order's total in `currency`.
    async fn amount(&self) -> Decimal {
        Decimal::from(self.0.amount_cents)
    }

    /// ISO 4217 code.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// Where the order stands; only `PAID` orders count toward spend.
    async fn status(&self) -> OrderStatus {
        OrderStatus::from_db(&self.0.status)
    }

    /// When the order was placed. `Customer.orders` is ordered by it,
    /// newest first.
    async fn placed_at(&self) -> DateTime {
        DateTime(self.0.placed_at)
    }

    /// Who placed it; null once that customer was deleted.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        let Some(key) = &self.0.customer_id else {
            return Ok(None);
        };
        loader::customer(ctx, key).await
    }
}

pub type OrderConnection = ListConnection<Order>;

/// `Customer.orders`: one page of the customer's orders, newest first,
/// loaded together with the pages of the other customers of the response.
pub async fn customer_orders(
    ctx: &Context<'_>,
    customer_key: &str,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<OrderConnection> {
    let page = Page::from_params(first, after, last, before)?;
    children::connection::<Orders, _>(ctx, customer_key, page, (), Order).await
}

/// `Customer.orders` of many customers at once, by customer key: the pages
/// a customer value built ahead is made of.
pub async fn orders_of_customers(
    ctx: &Context<'_>,
    customer_keys: &[&str],
    page: &Page,
) -> Result<HashMap<String, OrderConnection>> {
    children::connections::<Orders, _>(ctx, customer_keys, page, (), Order).await
}

/// An order for `recordOrder`.
#[derive(InputObject)]
pub struct OrderInput {
    /// The order's ID in your shop or billing system: recording the same
    /// `externalId` again updates that order.
    pub external_id: String,
    /// Zero or more.
    pub amount: Decimal,
    /// ISO 4217 code, such as `EUR`.
    pub currency: String,
    /// Where the order stands; `PAID` by default.
    #[graphql(default_with = "OrderStatus::Paid")]
    pub status: OrderStatus,
    /// When it was placed; now by default, and not in the future (a few
    /// minutes of clock difference aside).
    pub placed_at: Option<DateTime>,
}

impl OrderInput {
    fn check(self) -> AppResult<NewOrder> {
        let external_id = input::text("input.externalId", self.external_id, 255)?
            .ok_or_else(|| bad_input("input.externalId", "must not be empty"))?;
        if self.amount.0 < 0 {
            return Err(bad_input("input.amount", "must not be negative"));
        }
        if self.amount.0 > i128::from(super::MAX_ORDER_CENTS) {
            return Err(bad_input(
                "input.amount",
                format!("must be at most {}", Decimal::from(super::MAX_ORDER_CENTS)),
            ));
        }
        let currency = self.currency.trim().to_ascii_uppercase();
        if iso_currency::Currency::from_code(&currency).is_none() {
            return Err(bad_input(
                "input.currency",
                "must be an ISO 4217 currency code, such as EUR",
            ));
        }
        let now = crate::db::now();
        let placed_at = match self.placed_at {
            Some(t) if t.0 > now + chrono::Duration::minutes(5) => {
                return Err(bad_input("input.placedAt", "cannot be in the future"));
            }
            Some(t) => t.0,
            None => now,
        };
        Ok(NewOrder {
            external_id,
            amount_cents: self.amount.cents(),
            currency,
            status: self.status.as_str(),
            placed_at,
        })
    }
}

#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// Records an order, or updates the one with the same `externalId`
    /// (a status change such as `PAID` → `REFUNDED` moves the customer's
    /// spend). The customer's totals and metrics change in the same
    /// transaction, and an `ORDER` entry joins the timeline. An
    /// `externalId` recorded for another customer is `CONFLICT`. Needs
    /// `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn record_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's ID (`cus_…`).")] customer_id: ID,
        #[graphql(desc = "The order.")] input: OrderInput,
    ) -> Result<Order> {
        let session = ctx.session()?;
        let key = CustomerId::require(&customer_id)?;
        let order = input.check()?;
        Ok(Order(
            record::record(&session.db, session.tenant(), &key, order).await?,
        ))
    }
}
