//! The finder's rows: blocking keys, pairs and dismissals, all of one
//! tenant.

use std::collections::HashSet;

use entity::{
    common_match_key as common, customer, customer_match_key as match_key,
    dismissed_duplicate as dismissed, duplicate_pair as pair, duplicate_refresh as refresh_mark,
};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ColumnTrait as _, Condition, ConnectionTrait, DbBackend, PaginatorTrait as _, QueryFilter as _,
    Statement,
};

use crate::db::Taken;
use crate::error::AppResult;
use crate::profiles::merges::Dismissal;
use crate::tenancy::{self, TenantId};

/// Rows a multi-row insert writes.
const ROWS_PER_STATEMENT: usize = 1_000;
/// Keys an `IN` list holds.
const KEYS_PER_STATEMENT: usize = 1_000;

/// A customer filed under a key, with its compared name beside an `s:`
/// key.
#[derive(Clone, Debug)]
pub struct Filed {
    pub customer: String,
    pub key: String,
    pub name: Option<String>,
}

/// Replaces the blocking keys of the customers `customers` with `keys`.
pub async fn replace_keys(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customers: &[String],
    keys: Vec<Filed>,
) -> AppResult<()> {
    for chunk in customers.chunks(KEYS_PER_STATEMENT) {
        tenancy::delete::<match_key::Entity>(tenant)
            .filter(match_key::Column::CustomerId.is_in(chunk.iter().cloned()))
            .exec(db)
            .await?;
    }
    insert_keys(db, tenant, keys).await
}

/// Adds blocking keys.
pub async fn insert_keys(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: Vec<Filed>,
) -> AppResult<()> {
    let rows: Vec<match_key::Model> = keys
        .into_iter()
        .map(|filed| match_key::Model {
            tenant_id: tenant.as_str().to_owned(),
            match_key: filed.key,
            customer_id: filed.customer,
            name: filed.name,
        })
        .collect();
    crate::db::insert_rows::<match_key::Entity>(db, &rows, ROWS_PER_STATEMENT, Taken::Skip).await?;
    Ok(())
}

/// The customers filed under each of `keys`, at most
/// `limit` a key on PostgreSQL (SQLite reads whole blocks, which the
/// caller keeps small by leaving out the keys marked common).
pub async fn block_members(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
    limit: usize,
) -> AppResult<Vec<Filed>> {
    let mut out = Vec::new();
    if db.get_database_backend() == DbBackend::Postgres {
        // One index probe a key, whatever the planner's statistics say
        // about the table (a tenant's keys grow from nothing in an import).
        for chunk in keys.chunks(KEYS_PER_STATEMENT) {
            let statement = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT k.match_key, m.customer_id, m.name \
                 FROM json_array_elements_text($2::json) AS k(match_key) \
                 CROSS JOIN LATERAL (SELECT customer_id, name FROM customer_match_keys \
                   WHERE tenant_id = $1 AND match_key = k.match_key LIMIT $3) m",
                [
                    tenant.as_str().into(),
                    serde_json::Value::from(chunk.to_vec()).to_string().into(),
                    i64::try_from(limit).unwrap_or(i64::MAX).into(),
                ],
            );
            for row in db.query_all_raw(statement).await? {
                out.push(Filed {
                    key: row.try_get("", "match_key")?,
                    customer: row.try_get("", "customer_id")?,
                    name: row.try_get("", "name")?,
                });
            }
        }
        return Ok(out);
    }
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let rows = tenancy::select::<match_key::Entity>(tenant)
            .filter(match_key::Column::MatchKey.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|m| Filed {
            key: m.match_key,
            customer: m.customer_id,
            name: m.name,
        }));
    }
    Ok(out)
}

/// Which of `keys` were found too common to compare by.
pub async fn common_of(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<HashSet<String>> {
    let mut out = HashSet::new();
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let rows = tenancy::select::<common::Entity>(tenant)
            .filter(common::Column::MatchKey.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|row| row.match_key));
    }
    Ok(out)
}

/// Marks keys too common to compare by: their blocks are not read again.
pub async fn mark_common(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: impl IntoIterator<Item = String>,
) -> AppResult<()> {
    let rows: Vec<common::Model> = keys
        .into_iter()
        .map(|match_key| common::Model {
            tenant_id: tenant.as_str().to_owned(),
            match_key,
        })
        .collect();
    crate::db::insert_rows::<common::Entity>(db, &rows, ROWS_PER_STATEMENT, Taken::Skip).await?;
    Ok(())
}

/// The pairs among `customers` and anyone that were dismissed, as
/// (smaller key, larger key).
pub async fn dismissed_of(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customers: &[String],
) -> AppResult<HashSet<(String, String)>> {
    let mut out = HashSet::new();
    for chunk in customers.chunks(KEYS_PER_STATEMENT) {
        let rows = tenancy::select::<dismissed::Entity>(tenant)
            .filter(
                Condition::any()
                    .add(dismissed::Column::CustomerId.is_in(chunk.iter().cloned()))
                    .add(dismissed::Column::OtherId.is_in(chunk.iter().cloned())),
            )
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|r| (r.customer_id, r.other_id)));
    }
    Ok(out)
}

/// The dismissals of pairs with `customer`, as they were recorded.
pub async fn dismissals_with(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customer: &str,
) -> AppResult<Vec<Dismissal>> {
    let rows = tenancy::select::<dismissed::Entity>(tenant)
        .filter(
            Condition::any()
                .add(dismissed::Column::CustomerId.eq(customer))
                .add(dismissed::Column::OtherId.eq(customer)),
        )
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Dismissal {
            customer_id: r.customer_id,
            other_id: r.other_id,
            dismissed_at: r.dismissed_at,
        })
        .collect())
}

/// Records `dismissals` again, as they were, but those of a customer that
/// is gone, and forgets their pairs.
pub async fn restore_dismissals(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    dismissals: &[Dismissal],
) -> AppResult<()> {
    let named: Vec<String> = dismissals
        .iter()
        .flat_map(|d| [d.customer_id.clone(), d.other_id.clone()])
        .collect();
    let present: HashSet<String> = tenancy::find_many::<customer::Entity>(db, tenant, &named)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let rows: Vec<dismissed::Model> = dismissals
        .iter()
        .filter(|d| present.contains(&d.customer_id) && present.contains(&d.other_id))
        .map(|d| dismissed::Model {
            tenant_id: tenant.as_str().to_owned(),
            customer_id: d.customer_id.clone(),
            other_id: d.other_id.clone(),
            dismissed_at: d.dismissed_at,
        })
        .collect();
    crate::db::insert_rows::<dismissed::Entity>(db, &rows, 1, Taken::Skip).await?;
    let pairs: Vec<String> = rows
        .iter()
        .map(|r| pair_key(&r.customer_id, &r.other_id))
        .collect();
    for chunk in pairs.chunks(KEYS_PER_STATEMENT) {
        tenancy::delete::<pair::Entity>(tenant)
            .filter(pair::Column::Id.is_in(chunk.iter().cloned()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Every dismissed pair of the tenant.
pub async fn all_dismissed(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
) -> AppResult<HashSet<(String, String)>> {
    let rows = tenancy::select::<dismissed::Entity>(tenant).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.customer_id, r.other_id))
        .collect())
}

/// Records a dismissal (of an ordered pair) and forgets the pair.
pub async fn dismiss(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    (customer_id, other_id): (&str, &str),
) -> AppResult<()> {
    let row = dismissed::Model {
        tenant_id: tenant.as_str().to_owned(),
        customer_id: customer_id.to_owned(),
        other_id: other_id.to_owned(),
        dismissed_at: crate::db::now(),
    };
    crate::db::insert_rows::<dismissed::Entity>(db, &[row], 1, Taken::Skip).await?;
    tenancy::delete::<pair::Entity>(tenant)
        .filter(pair::Column::Id.eq(pair_key(customer_id, other_id)))
        .exec(db)
        .await?;
    Ok(())
}

/// The key of an ordered pair.
pub fn pair_key(customer_id: &str, other_id: &str) -> String {
    format!("{customer_id}{other_id}")
}

/// Deletes the pairs of the customers `customers`, from either side.
pub async fn delete_pairs_of(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customers: &[String],
) -> AppResult<()> {
    for chunk in customers.chunks(KEYS_PER_STATEMENT) {
        for column in [pair::Column::CustomerId, pair::Column::OtherId] {
            tenancy::delete::<pair::Entity>(tenant)
                .filter(column.is_in(chunk.iter().cloned()))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// Deletes every key, mark and pair of the tenant (a rebuild).
pub async fn clear(db: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<()> {
    tenancy::delete::<pair::Entity>(tenant).exec(db).await?;
    tenancy::delete::<match_key::Entity>(tenant)
        .exec(db)
        .await?;
    Ok(())
}

/// Writes pairs; one already there is left as it is.
pub async fn insert_pairs(db: &impl ConnectionTrait, rows: &[pair::Model]) -> AppResult<()> {
    crate::db::insert_rows::<pair::Entity>(db, rows, ROWS_PER_STATEMENT, Taken::Skip).await?;
    Ok(())
}

/// Keeps pairs with a score of at least `min`.
pub fn at_least(min: f64) -> Condition {
    Condition::all().add(Expr::col(pair::Column::Score).gte(min))
}

/// How many of the tenant's customers wait to be filed by the worker.
pub async fn pending(db: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<u64> {
    Ok(tenancy::select::<refresh_mark::Entity>(tenant)
        .count(db)
        .await?)
}

/// Forgets the customers waiting to be filed (a rebuild that reads every
/// customer after this files them).
pub async fn forget_pending(db: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<()> {
    tenancy::delete::<refresh_mark::Entity>(tenant)
        .exec(db)
        .await?;
    Ok(())
}
