//! A customer's company as a write sets it: the key and the company's name
//! (`companyName`), or no company (the name stays as it was).

use std::collections::HashMap;

use entity::{company, customer};
use sea_orm::ConnectionTrait;

use super::repo;
use crate::error::{AppResult, bad_input};
use crate::ids::CompanyId;
use crate::profiles::checks::Change;
use crate::profiles::patch::path;
use crate::profiles::row::derive;
use crate::tenancy::TenantId;

/// The companies a set of changes names, by key.
pub async fn companies<'a>(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    changes: impl IntoIterator<Item = &'a Change<CompanyId>>,
) -> AppResult<HashMap<String, company::Model>> {
    let mut keys: Vec<String> = changes
        .into_iter()
        .filter_map(|c| c.value().map(|k| k.as_str().to_owned()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = repo::find_many(db, tenant, &keys).await?;
    Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
}

/// Applies `change` to `row` (as it is after the rest of its patch, which
/// started as `before`), given the companies it may name. A customer with
/// a company has the company's name: a write that changes `companyName`
/// alone is refused.
pub fn apply(
    companies: &HashMap<String, company::Model>,
    before: &customer::Model,
    row: &mut customer::Model,
    change: &Change<CompanyId>,
    prefix: &str,
) -> AppResult<()> {
    match change {
        Change::Set(key) => {
            let company = companies.get(key.as_str()).ok_or_else(|| {
                bad_input(
                    path(prefix, "companyId"),
                    "no company in this tenant has this ID",
                )
            })?;
            row.company_id = Some(company.id.clone());
            row.company_name = Some(company.name.clone());
            derive(row);
        }
        Change::Clear => row.company_id = None,
        Change::Keep => {
            if row.company_id.is_some() && row.company_name != before.company_name {
                return Err(bad_input(
                    path(prefix, "companyName"),
                    "the customer belongs to a company, whose name it has; rename the company or change companyId",
                ));
            }
        }
    }
    Ok(())
}

/// [`apply`] reading the one company `change` may name.
pub async fn apply_one(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    before: &customer::Model,
    row: &mut customer::Model,
    change: &Change<CompanyId>,
    prefix: &str,
) -> AppResult<()> {
    let known = companies(db, tenant, [change]).await?;
    apply(&known, before, row, change, prefix)
}
