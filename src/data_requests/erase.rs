//! ERASURE: every row that holds a customer's personal data, removed in
//! the caller's transaction. This is the one list of where such data
//! lives; a table that starts holding customer data joins it.

use entity::data_request::RequestStatus;
use entity::{
    activity, customer_address, customer_tag, data_request, export, note, segment_member,
    webhook_event,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::error::AppResult;
use crate::ids::CustomerId;
use crate::profiles::history;
use crate::tenancy::{self, TenantId};

/// What an erasure removed: counts only, as the audit record keeps them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    /// The profile (0 when it was already deleted).
    pub customers: u64,
    pub tags: u64,
    pub notes: u64,
    /// Timeline entries, with their titles and data.
    pub activities: u64,
    pub segment_memberships: u64,
    /// Orders kept for revenue statistics, unlinked from the customer.
    pub orders_anonymized: u64,
    /// Webhook events about the customer, queued or sent, with their
    /// deliveries.
    pub webhook_events: u64,
    /// Export archives of the customer.
    pub exports: u64,
    /// Addresses, the default one included (absent from audits written
    /// before there were several).
    #[serde(default)]
    pub addresses: u64,
    /// Field history entries whose values were removed (the entries stay:
    /// who changed which field when); absent from older audits.
    #[serde(default)]
    pub field_history: u64,
}

/// Removes the customer and everything that names them, keeping the
/// amounts of their orders (unlinked), and clears the free text of every
/// request about them (which may quote them). Whether the customer still
/// existed is `removed.customers`.
pub async fn erase(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customer: &CustomerId,
) -> AppResult<Removed> {
    let key = customer.as_str();
    let row = crate::profiles::repo::lock_many_to_delete(db, tenant, &[key.to_owned()])
        .await?
        .pop();
    let default_address = row.is_some_and(|row| row.default_address_id.is_some());
    tenancy::update::<data_request::Entity>(tenant)
        .col_expr(
            data_request::Column::Reason,
            Expr::val(Option::<String>::None),
        )
        .filter(data_request::Column::CustomerId.eq(key))
        .exec(db)
        .await?;
    let removed = Removed {
        addresses: tenancy::delete::<customer_address::Entity>(tenant)
            .filter(customer_address::Column::CustomerId.eq(key))
            .exec(db)
            .await?
            .rows_affected
            + u64::from(default_address),
        tags: tenancy::delete::<customer_tag::Entity>(tenant)
            .filter(customer_tag::Column::CustomerId.eq(key))
            .exec(db)
            .await?
            .rows_affected,
        notes: tenancy::delete::<note::Entity>(tenant)
            .filter(note::Column::CustomerId.eq(key))
            .exec(db)
            .await?
            .rows_affected,
        activities: tenancy::delete::<activity::Entity>(tenant)
            .filter(activity::Column::CustomerId.eq(key))
            .exec(db)
            .await?
            .rows_affected,
        segment_memberships: tenancy::delete::<segment_member::Entity>(tenant)
            .filter(segment_member::Column::CustomerId.eq(key))
            .exec(db)
            .await?
            .rows_affected,
        orders_anonymized: crate::orders::repo::detach(db, tenant, key).await?,
        webhook_events: tenancy::delete::<webhook_event::Entity>(tenant)
            .filter(webhook_event::Column::CustomerId.eq(key))
            .exec(db)
            .await?
            .rows_affected,
        exports: super::repo::delete_exports_of(db, tenant, key).await?,
        field_history: history::repo::erase_values(db, tenant, &[key.to_owned()]).await?,
        customers: u64::from(crate::profiles::repo::delete(db, tenant, customer).await?),
    };
    Ok(removed)
}

/// What deleting a customer (`deleteCustomer`) removes beyond the rows
/// that cascade: the webhook events about them (profile snapshots), their
/// export archives and their field history.
pub async fn forget_copies(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
) -> AppResult<()> {
    tenancy::delete::<webhook_event::Entity>(tenant)
        .filter(webhook_event::Column::CustomerId.eq(key))
        .exec(db)
        .await?;
    super::repo::delete_exports_of(db, tenant, key).await?;
    history::repo::delete(db, tenant, &[key.to_owned()]).await?;
    Ok(())
}

/// A merge: what names the duplicate `from` now names the customer kept,
/// `to`, so that an erasure of either finds it all: webhook events about
/// them, their export archives, and their requests not yet carried out.
pub async fn reassign(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    from: &str,
    to: &str,
) -> AppResult<()> {
    tenancy::update::<webhook_event::Entity>(tenant)
        .col_expr(webhook_event::Column::CustomerId, Expr::val(to))
        .filter(webhook_event::Column::CustomerId.eq(from))
        .exec(db)
        .await?;
    tenancy::update::<export::Entity>(tenant)
        .col_expr(export::Column::CustomerId, Expr::val(to))
        .filter(export::Column::CustomerId.eq(from))
        .exec(db)
        .await?;
    tenancy::update::<data_request::Entity>(tenant)
        .col_expr(data_request::Column::CustomerId, Expr::val(to))
        .filter(data_request::Column::CustomerId.eq(from))
        .filter(
            data_request::Column::Status.is_in([RequestStatus::Pending, RequestStatus::Processing]),
        )
        .exec(db)
        .await?;
    Ok(())
}
