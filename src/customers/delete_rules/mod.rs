//! What stands in the way of deleting a customer: an open data request and
//! unpaid orders always, and the rules the tenant turned on (`HAS_ORDERS`,
//! `HAS_NOTES`). `Customer.canDelete` and `deleteBlockers` read them for a
//! page of customers at once; `deleteCustomer` checks them in its own
//! transaction and refuses with `CONFLICT`. Archiving stays open.

pub mod graphql;
pub mod loader;
mod settings;

use std::collections::HashMap;

use async_graphql::Enum;
use entity::data_request::RequestStatus;
use entity::{data_request, note, order};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::{AppError, AppResult};
use crate::tenancy::{self, TenantId};

/// A rule a tenant may turn on.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[graphql(name = "CustomerDeleteRule")]
pub enum DeleteRule {
    /// A customer with any order (of any status) cannot be deleted.
    HasOrders,
    /// A customer with notes cannot be deleted.
    HasNotes,
}

impl DeleteRule {
    pub const ALL: [DeleteRule; 2] = [DeleteRule::HasOrders, DeleteRule::HasNotes];

    pub fn as_str(self) -> &'static str {
        match self {
            DeleteRule::HasOrders => "HAS_ORDERS",
            DeleteRule::HasNotes => "HAS_NOTES",
        }
    }
}

/// Why a customer cannot be deleted now, as `deleteBlockers` names it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Blocker {
    /// A data request about the customer is pending or processing.
    OpenDataRequest,
    /// The customer has orders not paid yet (`PENDING`).
    PendingOrders,
    /// The tenant's `HAS_ORDERS` rule: the customer has orders.
    HasOrders,
    /// The tenant's `HAS_NOTES` rule: the customer has notes.
    HasNotes,
}

impl Blocker {
    pub fn as_str(self) -> &'static str {
        match self {
            Blocker::OpenDataRequest => "OPEN_DATA_REQUEST",
            Blocker::PendingOrders => "PENDING_ORDERS",
            Blocker::HasOrders => "HAS_ORDERS",
            Blocker::HasNotes => "HAS_NOTES",
        }
    }
}

/// The blockers of each of `keys` (customers without any are absent),
/// each list in [`Blocker`]'s order: one statement per check, whatever
/// the number of customers.
pub async fn blockers(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<HashMap<String, Vec<Blocker>>> {
    let mut found: HashMap<String, Vec<Blocker>> = HashMap::new();
    if keys.is_empty() {
        return Ok(found);
    }
    let rules = settings::rules(db, tenant).await?;
    let mut note = |customers: Vec<String>, blocker: Blocker| {
        for customer in customers {
            found.entry(customer).or_default().push(blocker);
        }
    };
    let open = tenancy::select::<data_request::Entity>(tenant)
        .filter(data_request::Column::CustomerId.is_in(keys))
        .filter(
            data_request::Column::Status.is_in([RequestStatus::Pending, RequestStatus::Processing]),
        );
    note(
        customers_of(db, open, data_request::Column::CustomerId).await?,
        Blocker::OpenDataRequest,
    );
    let orders =
        tenancy::select::<order::Entity>(tenant).filter(order::Column::CustomerId.is_in(keys));
    note(
        customers_of(
            db,
            orders.clone().filter(order::Column::Status.eq("PENDING")),
            order::Column::CustomerId,
        )
        .await?,
        Blocker::PendingOrders,
    );
    if rules.contains(&DeleteRule::HasOrders) {
        note(
            customers_of(db, orders, order::Column::CustomerId).await?,
            Blocker::HasOrders,
        );
    }
    if rules.contains(&DeleteRule::HasNotes) {
        let notes =
            tenancy::select::<note::Entity>(tenant).filter(note::Column::CustomerId.is_in(keys));
        note(
            customers_of(db, notes, note::Column::CustomerId).await?,
            Blocker::HasNotes,
        );
    }
    for list in found.values_mut() {
        list.sort();
    }
    Ok(found)
}

/// The distinct customers of the rows `query` finds.
async fn customers_of<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: sea_orm::Select<E>,
    column: E::Column,
) -> AppResult<Vec<String>> {
    let customers: Vec<Option<String>> = query
        .select_only()
        .column(column)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    Ok(customers.into_iter().flatten().collect())
}

/// `CONFLICT` on `id` naming the blockers, unless there are none.
pub fn refuse(blockers: &[Blocker]) -> AppResult<()> {
    if blockers.is_empty() {
        return Ok(());
    }
    let names: Vec<&'static str> = blockers.iter().map(|b| b.as_str()).collect();
    Err(AppError::Blocked {
        field: "id".to_owned(),
        message: format!(
            "the customer cannot be deleted ({}); archive it instead (`status: ARCHIVED`)",
            names.join(", ")
        ),
        blockers: names,
    })
}
