//! Company rows, and the customer columns that point at them: every
//! function takes the tenant and starts from the tenant-scoped queries of
//! [`crate::tenancy`].

use std::borrow::Cow;
use std::collections::HashMap;

use entity::{company, customer};
use sea_orm::sea_query::{Alias, Expr, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DbErr, FromQueryResult,
    IntoActiveModel as _, QueryFilter as _, QuerySelect as _, Select,
};

use crate::error::AppResult;
use crate::graphql::pagination::{
    self, KeyColumn, KeyKind, KeyRead, KeyValue, Keyset, Page, SortKey,
};
use crate::ids::CompanyId;
use crate::profiles::repo as customers;
use crate::profiles::row::{derive, fold};
use crate::tenancy::{self, TenantId};

/// Companies by folded name, A first, ties by id.
pub static NAME: SortKey<company::Entity> = SortKey {
    name: Cow::Borrowed("name"),
    column: KeyColumn::Column(company::Column::SortName),
    kind: KeyKind::Text,
    nullable: false,
    value: KeyRead::Row(|row: &company::Model| KeyValue::Text(row.sort_name.clone())),
};

pub fn keyset(page: &Page) -> Keyset<'_, company::Entity> {
    Keyset {
        sort: &NAME,
        id: company::Column::Id,
        ascending: true,
        page,
        id_of: |row| row.id.as_str(),
    }
}

/// The tenant's companies, those whose name or domain holds `search`
/// (folded: ignoring case and accents) when there is one.
fn searched(tenant: &TenantId, search: Option<&str>) -> Select<company::Entity> {
    let mut query = tenancy::select::<company::Entity>(tenant);
    if let Some(term) = search.map(str::trim).filter(|t| !t.is_empty()) {
        let escaped = fold(term)
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.filter(
            company::Column::SearchText.like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    query
}

/// A page of [`searched`] companies.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    search: Option<&str>,
    keyset: &Keyset<'_, company::Entity>,
) -> AppResult<Vec<company::Model>> {
    keyset.fetch(db, searched(tenant, search)).await
}

/// How many [`searched`] companies there are.
pub async fn count(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    search: Option<&str>,
) -> AppResult<u64> {
    pagination::count(db, searched(tenant, search), company::Column::Id).await
}

pub async fn find(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &CompanyId,
) -> AppResult<Option<company::Model>> {
    tenancy::find::<company::Entity>(db, tenant, key.as_str()).await
}

pub async fn find_for_update(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &CompanyId,
) -> AppResult<Option<company::Model>> {
    tenancy::find_for_update::<company::Entity>(db, tenant, key.as_str()).await
}

pub async fn find_many(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<Vec<company::Model>> {
    tenancy::find_many::<company::Entity>(db, tenant, keys).await
}

pub async fn find_by_domain(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    domain: &str,
) -> AppResult<Option<company::Model>> {
    Ok(tenancy::select::<company::Entity>(tenant)
        .filter(company::Column::Domain.eq(domain))
        .one(db)
        .await?)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: company::Model,
) -> Result<company::Model, DbErr> {
    row.into_active_model().reset_all().insert(db).await
}

pub async fn save(
    db: &impl ConnectionTrait,
    mut row: company::Model,
) -> Result<company::Model, DbErr> {
    row.updated_at = crate::db::now();
    row.into_active_model().reset_all().update(db).await
}

/// Deletes a company and unlinks its customers (who keep the name they
/// had); false when there was none.
pub async fn delete(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &CompanyId,
) -> AppResult<bool> {
    tenancy::update::<customer::Entity>(tenant)
        .col_expr(
            customer::Column::CompanyId,
            Expr::value(Option::<String>::None),
        )
        .filter(customer::Column::CompanyId.eq(key.as_str()))
        .exec(db)
        .await?;
    let deleted = tenancy::delete::<company::Entity>(tenant)
        .filter(company::Column::Id.eq(key.as_str()))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Gives the company's customers its new name (their search text with it).
pub async fn rename_customers(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    company: &company::Model,
) -> AppResult<()> {
    let rows = tenancy::select::<customer::Entity>(tenant)
        .filter(customer::Column::CompanyId.eq(company.id.as_str()))
        .all(db)
        .await?;
    let rows: Vec<customer::Model> = rows
        .into_iter()
        .map(|mut row| {
            row.company_name = Some(company.name.clone());
            derive(&mut row);
            row
        })
        .collect();
    if !rows.is_empty() {
        customers::write_many(db, rows).await?;
    }
    Ok(())
}

/// What a company's customers add up to.
#[derive(Clone, Debug, Default, FromQueryResult)]
pub struct Totals {
    pub company_id: String,
    pub customers: i64,
    pub orders: i64,
    pub spent_cents: i64,
    pub last_order_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The totals of each of `keys` that has customers, in one grouped read
/// of the `(tenant_id, company_id)` index.
pub async fn totals(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<HashMap<String, Totals>> {
    use customer::Column as C;
    let rows = tenancy::select::<customer::Entity>(tenant)
        .select_only()
        .column_as(C::CompanyId, "company_id")
        .column_as(Expr::from(Func::count(Expr::col(C::Id))), "customers")
        .column_as(
            Expr::from(Func::cast_as(
                Func::sum(Expr::col(C::TotalOrders)),
                Alias::new("BIGINT"),
            )),
            "orders",
        )
        .column_as(
            Expr::from(Func::cast_as(
                Func::sum(Expr::col(C::TotalSpentCents)),
                Alias::new("BIGINT"),
            )),
            "spent_cents",
        )
        .column_as(
            Expr::from(Func::max(Expr::col(C::LastOrderAt))),
            "last_order_at",
        )
        .filter(C::CompanyId.is_in(keys.iter().cloned()))
        .group_by(C::CompanyId)
        .into_model::<Totals>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|t| (t.company_id.clone(), t))
        .collect())
}
