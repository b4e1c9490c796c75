//! Activity rows: every function takes the tenant and starts from the
//! tenant-scoped queries of [`crate::tenancy`].

use std::borrow::Cow;

use entity::activity;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};
use serde_json::Value;

use super::ActivityType;
use crate::error::AppResult;
use crate::events;
use crate::graphql::pagination::{KeyColumn, KeyKind, KeyRead, KeyValue, Keyset, Page, SortKey};
use crate::ids;
use crate::tenancy::TenantId;
use crate::webhooks::outbox::{self, CustomerChanged};

/// Rows per multi-row insert (9 columns, far under the bound-parameter
/// limits of both backends).
const ROWS_PER_STATEMENT: usize = 1000;

/// An entry to add to a customer's timeline.
#[derive(Clone, Debug)]
pub struct NewActivity {
    pub customer_id: String,
    pub kind: ActivityType,
    pub title: Option<String>,
    pub data: Option<Value>,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

impl NewActivity {
    /// A `CUSTOMER` entry happening now.
    pub fn customer(customer_id: &str, title: &str, data: Value) -> Self {
        NewActivity {
            customer_id: customer_id.to_owned(),
            kind: ActivityType::Customer,
            title: Some(title.to_owned()),
            data: Some(data),
            occurred_at: crate::db::now(),
        }
    }
}

/// The timeline's filter: types and an `occurredAt` window.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ActivityFilter {
    /// Sorted and deduplicated; `None` for every type.
    pub types: Option<Vec<ActivityType>>,
    pub occurred_after: Option<chrono::DateTime<chrono::Utc>>,
    pub occurred_before: Option<chrono::DateTime<chrono::Utc>>,
}

impl ActivityFilter {
    pub fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(types) = &self.types {
            condition =
                condition.add(activity::Column::Kind.is_in(types.iter().map(|t| t.as_str())));
        }
        if let Some(after) = self.occurred_after {
            condition = condition.add(activity::Column::OccurredAt.gt(after));
        }
        if let Some(before) = self.occurred_before {
            condition = condition.add(activity::Column::OccurredAt.lt(before));
        }
        condition
    }
}

fn occurred_at(row: &activity::Model) -> KeyValue {
    KeyValue::time(&row.occurred_at)
}

/// The timeline's order: newest first, by `(occurred_at, id)`.
pub static OCCURRED_AT: SortKey<activity::Entity> = SortKey {
    name: Cow::Borrowed("occurred_at"),
    column: KeyColumn::Column(activity::Column::OccurredAt),
    kind: KeyKind::Time,
    nullable: false,
    value: KeyRead::Row(occurred_at),
};

/// The keyset of a timeline page.
pub fn keyset(page: &Page) -> Keyset<'_, activity::Entity> {
    Keyset {
        sort: &OCCURRED_AT,
        id: activity::Column::Id,
        ascending: false,
        page,
        id_of: |row| row.id.as_str(),
    }
}

/// Adds entries to timelines in multi-row statements and returns them.
pub async fn insert_many(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    entries: Vec<NewActivity>,
) -> AppResult<Vec<activity::Model>> {
    let now = crate::db::now();
    let rows: Vec<activity::Model> = entries
        .into_iter()
        .map(|entry| activity::Model {
            tenant_id: tenant.as_str().to_owned(),
            id: ids::new_key(),
            customer_id: entry.customer_id,
            kind: entry.kind.as_str().to_owned(),
            title: entry.title,
            data: entry.data,
            occurred_at: entry.occurred_at,
            created_at: now,
        })
        .collect();
    crate::db::insert_rows::<activity::Entity>(
        db,
        &rows,
        ROWS_PER_STATEMENT,
        crate::db::Taken::Fail,
    )
    .await?;
    let changed: Vec<CustomerChanged> = rows
        .iter()
        .filter(|row| row.kind == ActivityType::Customer.as_str())
        .map(|row| CustomerChanged {
            customer: &row.customer_id,
            created: row.data.as_ref().is_some_and(|d| d["action"] == "created"),
        })
        .collect();
    outbox::customers_changed(db, tenant, &changed).await?;
    // A change to the customer or its orders may move it into or out of
    // a dynamic segment.
    let moved: Vec<&str> = rows
        .iter()
        .filter(|row| {
            row.kind == ActivityType::Customer.as_str() || row.kind == ActivityType::Order.as_str()
        })
        .map(|row| row.customer_id.as_str())
        .collect();
    crate::profiles::rechecks::mark(db, tenant, &moved).await?;
    for row in &rows {
        record_events(row);
    }
    Ok(rows)
}

/// The live event of a new entry (for a `CUSTOMER` entry, with the change
/// it records).
fn record_events(row: &activity::Model) {
    let customer = (row.kind == ActivityType::Customer.as_str()).then(|| {
        let data = row.data.as_ref();
        events::CustomerRecord {
            action: data
                .and_then(|d| d["action"].as_str())
                .unwrap_or("updated")
                .to_owned(),
            fields: data
                .and_then(|d| d["fields"].as_array())
                .map(|f| {
                    f.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        }
    });
    events::record(events::Event {
        tenant: row.tenant_id.clone(),
        customer: row.customer_id.clone(),
        change: events::Change::Activity {
            id: row.id.clone(),
            customer,
        },
    });
}

/// Adds one entry.
pub async fn insert(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    entry: NewActivity,
) -> AppResult<activity::Model> {
    let mut rows = insert_many(db, tenant, vec![entry]).await?;
    rows.pop()
        .ok_or_else(|| crate::error::AppError::Internal(anyhow::anyhow!("no activity written")))
}
