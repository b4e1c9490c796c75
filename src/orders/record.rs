//! `recordOrder`: insert or update an order by its external ID, recompute
//! the customer's totals from its paid orders, and add an `ORDER` entry to
//! the timeline, all in one transaction.

use entity::order;
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::repo;
use crate::activity::{self, NewActivity};
use crate::db::{Attempt, begin_write, retry_on_race};
use crate::error::{AppError, AppResult, bad_input, conflict, not_found};
use crate::graphql::scalars::Decimal;
use crate::ids::CustomerId;
use crate::ids::{self, Kind};
use crate::profiles::repo as customers;
use crate::tenancy::TenantId;

const ATTEMPTS: usize = 4;

/// An order as recorded, checked.
#[derive(Clone, Debug)]
pub struct NewOrder {
    pub external_id: String,
    pub amount_cents: i64,
    pub currency: String,
    pub status: &'static str,
    pub placed_at: chrono::DateTime<chrono::Utc>,
}

#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn record(
    db: &DatabaseConnection,
    tenant: &TenantId,
    customer: &CustomerId,
    order: NewOrder,
) -> AppResult<order::Model> {
    retry_on_race(
        ATTEMPTS,
        || attempt(db, tenant, customer, &order),
        || {
            conflict(
                "input.externalId",
                "the order is being recorded concurrently; try again",
            )
        },
    )
    .await
}

async fn attempt(
    db: &DatabaseConnection,
    tenant: &TenantId,
    customer: &CustomerId,
    order: &NewOrder,
) -> Result<order::Model, Attempt> {
    let customer_key = customer.as_str();
    let txn = begin_write(db).await?;
    // The customer's row lock queues concurrent orders of one customer, so
    // each recomputes the totals with the others' orders in view.
    customers::find_for_update(&txn, tenant, customer)
        .await?
        .ok_or(not_found("customer"))?;
    let now = crate::db::now();
    let (row, event) = match repo::lock_by_external_id(&txn, tenant, &order.external_id).await? {
        Some(existing) if existing.customer_id.as_deref() != Some(customer_key) => {
            return Err(conflict(
                "input.externalId",
                "an order with this externalId belongs to another customer",
            )
            .into());
        }
        Some(existing) => {
            let mut changed = existing.clone();
            changed.amount_cents = order.amount_cents;
            changed.currency.clone_from(&order.currency);
            changed.status = order.status.to_owned();
            changed.placed_at = order.placed_at;
            if changed == existing {
                txn.commit().await.map_err(AppError::from)?;
                return Ok(existing);
            }
            changed.updated_at = now;
            let title = if changed.status == existing.status {
                format!("Order {} changed", order.external_id)
            } else {
                format!(
                    "Order {} {}",
                    order.external_id,
                    changed.status.to_lowercase()
                )
            };
            let row = repo::save(&txn, changed).await?;
            (row, (title, now))
        }
        None => {
            let row = order::Model {
                tenant_id: tenant.as_str().to_owned(),
                id: ids::new_key(),
                customer_id: Some(customer_key.to_owned()),
                external_id: order.external_id.clone(),
                amount_cents: order.amount_cents,
                currency: order.currency.clone(),
                status: order.status.to_owned(),
                placed_at: order.placed_at,
                created_at: now,
                updated_at: now,
            };
            let row = repo::insert(&txn, row).await?;
            let title = format!("Order {} placed", order.external_id);
            (row, (title, order.placed_at))
        }
    };
    let totals = repo::paid_totals(&txn, tenant, customer_key).await?;
    if totals.spent_cents > super::MAX_PAID_CENTS {
        return Err(bad_input(
            "input.amount",
            format!(
                "the customer's paid orders would add up to more than {}",
                Decimal::from(super::MAX_PAID_CENTS)
            ),
        )
        .into());
    }
    customers::set_totals(&txn, tenant, customer_key, &totals).await?;
    let (title, occurred_at) = event;
    let entry = NewActivity {
        customer_id: customer_key.to_owned(),
        kind: activity::ActivityType::Order,
        title: Some(title),
        data: Some(json!({
            "orderId": ids::encode(Kind::Order, &row.id).0,
            "externalId": row.external_id,
            "amount": Decimal::from(row.amount_cents).to_string(),
            "currency": row.currency,
            "status": row.status,
        })),
        occurred_at,
    };
    activity::repo::insert(&txn, tenant, entry).await?;
    txn.commit().await.map_err(AppError::from)?;
    Ok(row)
}
