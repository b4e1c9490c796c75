//! Segment rows and static memberships; the counts and matches of many
//! segments, each in one statement. Every function takes the tenant and
//! starts from the tenant-scoped queries of [`crate::tenancy`].

use std::borrow::Cow;

use std::collections::HashMap;

use entity::{customer, segment, segment_member};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait as _, Func, OnConflict, PostgresQueryBuilder, Query,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::compile::Env;
use super::rule::Rule;
use crate::error::AppResult;
use crate::graphql::pagination::{
    self, KeyColumn, KeyKind, KeyRead, KeyValue, Keyset, Page, SortKey,
};
use crate::ids::{CustomerId, SegmentId};
use crate::tenancy::{self, TenantId};

type Time = chrono::DateTime<chrono::Utc>;

/// Segments compiled into one statement at most.
const PER_STATEMENT: usize = 100;
/// Bound values in one statement at most (SQLite allows 32,766,
/// PostgreSQL 65,535).
const MAX_PARAMETERS: usize = 30_000;

/// Conditions in groups that each fit one statement: at most
/// [`PER_STATEMENT`] of them and [`MAX_PARAMETERS`] bound values.
fn statements(conditions: &[(String, Condition)]) -> Vec<&[(String, Condition)]> {
    let weight = |cond: &Condition| {
        Query::select()
            .cond_where(cond.clone())
            .to_owned()
            .build(PostgresQueryBuilder)
            .1
            .0
            .len()
    };
    let mut groups = Vec::new();
    let (mut start, mut params) = (0, 0);
    for (i, (_, cond)) in conditions.iter().enumerate() {
        let w = weight(cond);
        if i > start && (i - start >= PER_STATEMENT || params + w > MAX_PARAMETERS) {
            groups.push(&conditions[start..i]);
            (start, params) = (i, 0);
        }
        params += w;
    }
    if start < conditions.len() {
        groups.push(&conditions[start..]);
    }
    groups
}

fn created_at(row: &segment::Model) -> KeyValue {
    KeyValue::time(&row.created_at)
}

/// Segments, newest first, by `(created_at, id)`.
pub static CREATED_AT: SortKey<segment::Entity> = SortKey {
    name: Cow::Borrowed("created_at"),
    column: KeyColumn::Column(segment::Column::CreatedAt),
    kind: KeyKind::Time,
    nullable: false,
    value: KeyRead::Row(created_at),
};

pub fn keyset(page: &Page) -> Keyset<'_, segment::Entity> {
    Keyset {
        sort: &CREATED_AT,
        id: segment::Column::Id,
        ascending: false,
        page,
        id_of: |row| row.id.as_str(),
    }
}

pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keyset: &Keyset<'_, segment::Entity>,
) -> AppResult<Vec<segment::Model>> {
    keyset
        .fetch(db, tenancy::select::<segment::Entity>(tenant))
        .await
}

pub async fn count(db: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<u64> {
    pagination::count(
        db,
        tenancy::select::<segment::Entity>(tenant),
        segment::Column::Id,
    )
    .await
}

/// The segment, locked for the transaction on PostgreSQL.
pub async fn find_for_update(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &SegmentId,
) -> AppResult<Option<segment::Model>> {
    tenancy::find_for_update::<segment::Entity>(db, tenant, key.as_str()).await
}

/// Every segment of the tenant, by name.
pub async fn all(db: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<Vec<segment::Model>> {
    Ok(tenancy::select::<segment::Entity>(tenant)
        .order_by_asc(segment::Column::Name)
        .order_by_asc(segment::Column::Id)
        .all(db)
        .await?)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: segment::Model,
) -> Result<segment::Model, sea_orm::DbErr> {
    row.into_active_model().reset_all().insert(db).await
}

pub async fn save(
    db: &impl ConnectionTrait,
    row: segment::Model,
) -> Result<segment::Model, sea_orm::DbErr> {
    row.into_active_model().reset_all().update(db).await
}

/// Deletes a segment (its members go with it); false when there was none.
pub async fn delete(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &SegmentId,
) -> AppResult<bool> {
    let result = tenancy::delete::<segment::Entity>(tenant)
        .filter(segment::Column::Id.eq(key.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Adds customers to a static segment, keeping those already in it.
pub async fn add_members(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    segment: &SegmentId,
    customers: &[CustomerId],
    now: Time,
) -> AppResult<()> {
    if customers.is_empty() {
        return Ok(());
    }
    let rows = customers.iter().map(|customer| {
        segment_member::Model {
            tenant_id: tenant.as_str().to_owned(),
            segment_id: segment.as_str().to_owned(),
            customer_id: customer.as_str().to_owned(),
            added_at: now,
        }
        .into_active_model()
        .reset_all()
    });
    segment_member::Entity::insert_many(rows)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn remove_members(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    segment: &SegmentId,
    customers: &[CustomerId],
) -> AppResult<()> {
    tenancy::delete::<segment_member::Entity>(tenant)
        .filter(segment_member::Column::SegmentId.eq(segment.as_str()))
        .filter(segment_member::Column::CustomerId.is_in(customers.iter().map(CustomerId::as_str)))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives `to` the static memberships of `from` (a merge; `from`'s own rows
/// go when it is deleted).
pub async fn copy_memberships(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    from: &str,
    to: &str,
    now: Time,
) -> AppResult<()> {
    let segments: Vec<String> = tenancy::select::<segment_member::Entity>(tenant)
        .filter(segment_member::Column::CustomerId.eq(from))
        .select_only()
        .column(segment_member::Column::SegmentId)
        .into_tuple()
        .all(db)
        .await?;
    for segment_key in segments {
        let customer = CustomerId::of_row(to.to_owned());
        add_members(
            db,
            tenant,
            &SegmentId::of_row(segment_key),
            &[customer],
            now,
        )
        .await?;
    }
    Ok(())
}

/// `(customer, segment)` pairs of static memberships of these customers.
pub async fn listed_memberships(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customer_keys: &[String],
) -> AppResult<Vec<(String, String)>> {
    Ok(tenancy::select::<segment_member::Entity>(tenant)
        .filter(segment_member::Column::CustomerId.is_in(customer_keys.iter().cloned()))
        .select_only()
        .column(segment_member::Column::CustomerId)
        .column(segment_member::Column::SegmentId)
        .into_tuple()
        .all(db)
        .await?)
}

/// Members of each static segment, in one `GROUP BY`.
pub async fn listed_counts(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    segment_keys: &[String],
) -> AppResult<HashMap<String, i64>> {
    if segment_keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, i64)> = tenancy::select::<segment_member::Entity>(tenant)
        .filter(segment_member::Column::SegmentId.is_in(segment_keys.iter().cloned()))
        .select_only()
        .column(segment_member::Column::SegmentId)
        .column_as(Expr::col(segment_member::Column::CustomerId).count(), "n")
        .group_by(segment_member::Column::SegmentId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The customers each condition matches, counted in one pass over the
/// tenant's customers per statement's worth of conditions.
pub async fn counts(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    conditions: &[(String, Condition)],
) -> AppResult<HashMap<String, i64>> {
    let mut counts = HashMap::new();
    for chunk in statements(conditions) {
        let mut select = tenancy::select::<customer::Entity>(tenant).select_only();
        for (i, (_, cond)) in chunk.iter().enumerate() {
            let sum = Func::cast_as(
                Func::sum(Expr::case(cond.clone(), 1).finally(0)),
                Alias::new("BIGINT"),
            );
            select = select.column_as(Expr::from(sum), format!("c{i}"));
        }
        let Some(row) = db.query_one(&select.into_query()).await? else {
            continue;
        };
        for (i, (key, _)) in chunk.iter().enumerate() {
            let n: Option<i64> = row.try_get_by_index(i)?;
            counts.insert(key.clone(), n.unwrap_or(0));
        }
    }
    Ok(counts)
}

/// Which of these customers each condition matches: one statement per
/// statement's worth of conditions, a `CASE` column per condition.
pub async fn matches(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customer_keys: &[String],
    conditions: &[(String, Condition)],
) -> AppResult<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    if customer_keys.is_empty() {
        return Ok(pairs);
    }
    for chunk in statements(conditions) {
        let mut select = tenancy::select::<customer::Entity>(tenant)
            .filter(customer::Column::Id.is_in(customer_keys.iter().cloned()))
            .select_only()
            .column(customer::Column::Id);
        for (i, (_, cond)) in chunk.iter().enumerate() {
            let hit: Expr = Expr::case(cond.clone(), 1).finally(0).into();
            select = select.column_as(hit, format!("m{i}"));
        }
        for row in db.query_all(&select.into_query()).await? {
            let customer: String = row.try_get_by_index(0)?;
            for (i, (key, _)) in chunk.iter().enumerate() {
                let hit: i32 = row.try_get_by_index(i + 1)?;
                if hit == 1 {
                    pairs.push((customer.clone(), key.clone()));
                }
            }
        }
    }
    Ok(pairs)
}

/// Whether one customer meets each rule; `None` when there is no such
/// customer in the tenant.
pub async fn rule_matches(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customer: &CustomerId,
    rules: &[Rule],
    env: &Env,
) -> AppResult<Option<(customer::Model, Vec<bool>)>> {
    let Some(row) = crate::profiles::repo::find(db, tenant, customer).await? else {
        return Ok(None);
    };
    let conditions = rules
        .iter()
        .enumerate()
        .map(|(i, r)| Ok((i.to_string(), super::rule_filter::rule_condition(r, env)?)))
        .collect::<AppResult<Vec<(String, Condition)>>>()?;
    let hits = matches(db, tenant, &[customer.as_str().to_owned()], &conditions).await?;
    let matched = (0..rules.len())
        .map(|i| hits.iter().any(|(_, k)| *k == i.to_string()))
        .collect();
    Ok(Some((row, matched)))
}

#[cfg(test)]
mod tests {
    use sea_orm::ColumnTrait as _;

    use super::*;

    #[test]
    fn statements_stay_under_the_bound_value_limits() {
        let wide = |i: usize| {
            let values: Vec<String> = (0..5_000).map(|v| format!("{i}-{v}")).collect();
            (
                i.to_string(),
                Condition::all().add(customer::Column::Email.is_in(values)),
            )
        };
        let conditions: Vec<(String, Condition)> = (0..10).map(wide).collect();
        let groups = statements(&conditions);
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [6, 4]);

        let narrow: Vec<(String, Condition)> = (0..250)
            .map(|i| {
                (
                    i.to_string(),
                    Condition::all().add(customer::Column::TotalOrders.gt(1)),
                )
            })
            .collect();
        let groups = statements(&narrow);
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [100, 100, 50]
        );
    }
}
