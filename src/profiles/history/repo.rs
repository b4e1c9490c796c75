//! Field history rows: written with the change, paged per customer,
//! stripped of their values by an erasure.

use std::borrow::Cow;

use entity::customer_field_change as change;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait as _, Condition, ConnectionTrait, QueryFilter as _};

use super::{Actor, ChangedField};
use crate::error::AppResult;
use crate::graphql::pagination::{KeyColumn, KeyKind, KeyRead, KeyValue, Keyset, Page, SortKey};
use crate::ids;
use crate::tenancy::{self, TenantId};

/// Rows a multi-row insert writes (nine columns a row).
const ROWS_PER_STATEMENT: usize = 1_000;

/// Writes the changes of many customers (key, changes), all by `actor`.
pub async fn insert_many(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    actor: &Actor,
    changes: &[(String, Vec<ChangedField>)],
) -> AppResult<()> {
    let now = crate::db::now();
    let rows: Vec<change::Model> = changes
        .iter()
        .flat_map(|(customer, fields)| {
            fields.iter().map(move |field| change::Model {
                tenant_id: tenant.as_str().to_owned(),
                customer_id: customer.clone(),
                id: ids::new_key(),
                field: field.field.clone().into_owned(),
                old_value: field.old.clone(),
                new_value: field.new.clone(),
                actor: actor.sub.clone(),
                source: actor.source.as_str().to_owned(),
                changed_at: now,
            })
        })
        .collect();
    crate::db::insert_rows::<change::Entity>(db, &rows, ROWS_PER_STATEMENT, crate::db::Taken::Fail)
        .await?;
    Ok(())
}

/// Clears the values of every entry of the customers `keys`, keeping who
/// changed which field when: what an erasure leaves.
pub async fn erase_values(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<u64> {
    let result = tenancy::update::<change::Entity>(tenant)
        .col_expr(change::Column::OldValue, Expr::val(Option::<String>::None))
        .col_expr(change::Column::NewValue, Expr::val(Option::<String>::None))
        .filter(change::Column::CustomerId.is_in(keys.iter().cloned()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Moves a merged duplicate's history to the customer kept.
pub async fn reassign(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    from: &str,
    to: &str,
) -> AppResult<()> {
    tenancy::update::<change::Entity>(tenant)
        .col_expr(change::Column::CustomerId, Expr::val(to))
        .filter(change::Column::CustomerId.eq(from))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the history of the customers `keys` (deleted customers).
pub async fn delete(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<()> {
    tenancy::delete::<change::Entity>(tenant)
        .filter(change::Column::CustomerId.is_in(keys.iter().cloned()))
        .exec(db)
        .await?;
    Ok(())
}

/// Only the field `name` and the fields under it (`address` holds
/// `address.city`): the names from `name.` up to `name/`, `/` being the
/// character after `.`.
pub fn field_condition(name: &str) -> Condition {
    Condition::any().add(change::Column::Field.eq(name)).add(
        Condition::all()
            .add(change::Column::Field.gt(format!("{name}.")))
            .add(change::Column::Field.lt(format!("{name}/"))),
    )
}

fn changed_at(row: &change::Model) -> KeyValue {
    KeyValue::time(&row.changed_at)
}

/// The history's order: newest first, by `(changed_at, id)`.
static CHANGED_AT: SortKey<change::Entity> = SortKey {
    name: Cow::Borrowed("changed_at"),
    column: KeyColumn::Column(change::Column::ChangedAt),
    kind: KeyKind::Time,
    nullable: false,
    value: KeyRead::Row(changed_at),
};

pub fn keyset(page: &Page) -> Keyset<'_, change::Entity> {
    Keyset {
        sort: &CHANGED_AT,
        id: change::Column::Id,
        ascending: false,
        page,
        id_of: |row| row.id.as_str(),
    }
}
