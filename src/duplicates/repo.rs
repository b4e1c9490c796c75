//! The finder's rows: blocking keys, pairs and dismissals, all of one
//! tenant.

use std::collections::HashSet;

use entity::{
    customer_match_key as match_key, dismissed_duplicate as dismissed, duplicate_pair as pair,
};
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait as _, Func, Order, Query, WindowStatement,
};
use sea_orm::{
    ColumnTrait as _, Condition, ConnectionTrait, FromQueryResult, QueryFilter as _,
    QueryTrait as _,
};

use crate::db::Taken;
use crate::error::AppResult;
use crate::tenancy::{self, TenantId};

/// Rows a multi-row insert writes.
const ROWS_PER_STATEMENT: usize = 1_000;
/// Keys an `IN` list holds.
const KEYS_PER_STATEMENT: usize = 1_000;

/// Replaces the blocking keys of the customers `customers` with `keys`
/// (customer, key).
pub async fn replace_keys(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customers: &[String],
    keys: Vec<(String, String)>,
) -> AppResult<()> {
    for chunk in customers.chunks(KEYS_PER_STATEMENT) {
        tenancy::delete::<match_key::Entity>(tenant)
            .filter(match_key::Column::CustomerId.is_in(chunk.iter().cloned()))
            .exec(db)
            .await?;
    }
    insert_keys(db, tenant, keys).await
}

/// Adds blocking keys (customer, key).
pub async fn insert_keys(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: Vec<(String, String)>,
) -> AppResult<()> {
    let rows: Vec<match_key::Model> = keys
        .into_iter()
        .map(|(customer_id, match_key)| match_key::Model {
            tenant_id: tenant.as_str().to_owned(),
            match_key,
            customer_id,
        })
        .collect();
    crate::db::insert_rows::<match_key::Entity>(db, &rows, ROWS_PER_STATEMENT, Taken::Skip).await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct Member {
    match_key: String,
    customer_id: String,
}

/// The customers filed under each of `keys` (key, customer), at most
/// `limit` + 1 a key: enough to tell a block that is too large.
pub async fn block_members(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
    limit: usize,
) -> AppResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let mut inner = tenancy::select::<match_key::Entity>(tenant)
            .filter(match_key::Column::MatchKey.is_in(chunk.iter().cloned()))
            .into_query();
        inner.expr_window_as(
            Func::cust("ROW_NUMBER"),
            WindowStatement::partition_by(match_key::Column::MatchKey.as_column_ref())
                .order_by(match_key::Column::CustomerId.as_column_ref(), Order::Asc)
                .to_owned(),
            "block_row",
        );
        let outer = Query::select()
            .column(Asterisk)
            .from_subquery(inner, "blocks")
            .and_where(Expr::col(Alias::new("block_row")).lte(limit as u64 + 1))
            .to_owned();
        let statement = db.get_database_backend().build(&outer);
        let rows = Member::find_by_statement(statement).all(db).await?;
        out.extend(rows.into_iter().map(|m| (m.match_key, m.customer_id)));
    }
    Ok(out)
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

/// Deletes every key and pair of the tenant (a rebuild).
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
