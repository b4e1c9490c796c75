//! `company`, `companyByDomain`, `companies` and the mutations that
//! create, change and delete a company, under the customers' scopes.

use async_graphql::{Context, ID, Object, Result};
use entity::company;
use futures_util::FutureExt as _;
use sea_orm::{DatabaseConnection, DbErr, SqlErr};
use serde_json::{Map, Value};

use super::input::{CompanyInput, CompanyUpdateInput, domain};
use super::loader::CompanyLoader;
use super::object::Company;
use super::repo;
use crate::auth::Scope;
use crate::db::begin_write;
use crate::error::{AppError, AppResult, conflict, not_found};
use crate::graphql::pagination::{ListConnection, Page, TotalCount};
use crate::graphql::{ContextExt, DeletePayload, ScopeGuard, TenantGuard};
use crate::ids::{self, CompanyId};
use crate::tenancy::TenantId;

/// Longest search term.
const MAX_SEARCH_CHARS: usize = 255;

#[derive(Default)]
pub struct CompanyQuery;

#[Object]
impl CompanyQuery {
    /// A company by ID; null when there is none in your tenant. Needs
    /// `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn company(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company's ID (`com_…`).")] id: ID,
    ) -> Result<Option<Company>> {
        let Some(key) = CompanyId::decode(&id) else {
            return Ok(None);
        };
        let loaders = &ctx.session()?.loaders;
        Ok(loaders
            .get::<CompanyLoader>()
            .load_one(key.into_string())
            .await?
            .map(Company))
    }

    /// The company with this web domain (`acme.com`, or a URL of it); null
    /// when there is none. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn company_by_domain(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The domain.")] domain: String,
    ) -> Result<Option<Company>> {
        let session = ctx.session()?;
        let Some(domain) = super::input::domain("domain", &domain)? else {
            return Ok(None);
        };
        Ok(repo::find_by_domain(&session.db, session.tenant(), &domain)
            .await?
            .map(Company))
    }

    /// The tenant's companies by name, A first. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn companies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
        #[graphql(
            desc = "Only companies whose name or domain holds this text, ignoring case and accents; at most 255 characters."
        )]
        search: Option<String>,
    ) -> Result<ListConnection<Company>> {
        let session = ctx.session()?;
        if search
            .as_ref()
            .is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS)
        {
            return Err(crate::error::bad_input(
                "search",
                format!("at most {MAX_SEARCH_CHARS} characters"),
            )
            .into());
        }
        let page = Page::from_params(first, after, last, before)?;
        let keyset = repo::keyset(&page);
        let rows = repo::list(&session.db, session.tenant(), search.as_deref(), &keyset).await?;
        let (db, tenant) = (session.db.clone(), session.tenant().clone());
        let total = TotalCount::new(move || {
            let (db, tenant, search) = (db.clone(), tenant.clone(), search.clone());
            async move { Ok(repo::count(&db, &tenant, search.as_deref()).await?) }.boxed()
        });
        Ok(keyset.connection(rows, Company, total))
    }
}

#[derive(Default)]
pub struct CompanyMutation;

#[Object]
impl CompanyMutation {
    /// Creates a company. Needs `write:customers`.
    #[graphql(guard = "TenantGuard(Scope::WriteCustomers)")]
    async fn create_company(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new company.")] input: CompanyInput,
    ) -> Result<Company> {
        let session = ctx.session()?;
        Ok(Company(create(&session.db, session.tenant(), input).await?))
    }

    /// Changes a company; a new name becomes its customers' `companyName`.
    /// Needs `write:customers`.
    #[graphql(guard = "TenantGuard(Scope::WriteCustomers)")]
    async fn update_company(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company's ID (`com_…`).")] id: ID,
        #[graphql(desc = "What changes.")] input: CompanyUpdateInput,
    ) -> Result<Company> {
        let session = ctx.session()?;
        let key = CompanyId::require(&id)?;
        Ok(Company(
            update(&session.db, session.tenant(), &key, input).await?,
        ))
    }

    /// Deletes a company. Its customers stay, without a company, keeping
    /// the name as their `companyName`. Needs `write:customers`.
    #[graphql(guard = "TenantGuard(Scope::WriteCustomers)")]
    async fn delete_company(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company's ID (`com_…`).")] id: ID,
    ) -> Result<DeletePayload> {
        let session = ctx.session()?;
        let key = CompanyId::require(&id)?;
        let txn = begin_write(&session.db).await?;
        if !repo::delete(&txn, session.tenant(), &key).await? {
            return Err(not_found("company").into());
        }
        txn.commit().await?;
        Ok(DeletePayload { deleted_id: id })
    }
}

/// A domain another company of the tenant has.
fn taken(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

fn domain_taken() -> AppError {
    conflict("input.domain", "another company has this domain")
}

async fn create(
    db: &DatabaseConnection,
    tenant: &TenantId,
    input: CompanyInput,
) -> AppResult<company::Model> {
    let now = crate::db::now();
    let mut row = company::Model {
        tenant_id: tenant.as_str().to_owned(),
        id: ids::new_key(),
        name: String::new(),
        sort_name: String::new(),
        domain: None,
        industry: None,
        size: None,
        address_line1: None,
        address_line2: None,
        city: None,
        state: None,
        postal_code: None,
        country: None,
        metadata: Value::Object(Map::new()),
        search_text: String::new(),
        created_at: now,
        updated_at: now,
    };
    input.apply(&mut row)?;
    let txn = begin_write(db).await?;
    if let Some(d) = &row.domain
        && repo::find_by_domain(&txn, tenant, d).await?.is_some()
    {
        return Err(domain_taken());
    }
    let row = repo::insert(&txn, row)
        .await
        .map_err(|e| if taken(&e) { domain_taken() } else { e.into() })?;
    txn.commit().await?;
    Ok(row)
}

/// The tenant's company with the input's domain, created from the input
/// when there is none (the CSV import's `company_domain` column).
pub async fn find_or_create(
    db: &DatabaseConnection,
    tenant: &TenantId,
    input: CompanyInput,
) -> AppResult<company::Model> {
    let domain = input
        .domain
        .as_deref()
        .map(|d| domain("company_domain", d))
        .transpose()?
        .flatten();
    if let Some(d) = &domain
        && let Some(found) = repo::find_by_domain(db, tenant, d).await?
    {
        return Ok(found);
    }
    match create(db, tenant, input).await {
        // Created meanwhile by another import.
        Err(AppError::Conflict { .. }) if domain.is_some() => {
            let d = domain.unwrap_or_default();
            repo::find_by_domain(db, tenant, &d)
                .await?
                .ok_or(not_found("company"))
        }
        created => created,
    }
}

async fn update(
    db: &DatabaseConnection,
    tenant: &TenantId,
    key: &CompanyId,
    input: CompanyUpdateInput,
) -> AppResult<company::Model> {
    let txn = begin_write(db).await?;
    let mut row = repo::find_for_update(&txn, tenant, key)
        .await?
        .ok_or(not_found("company"))?;
    let before = row.clone();
    input.apply(&mut row)?;
    if row.domain != before.domain
        && let Some(d) = &row.domain
        && repo::find_by_domain(&txn, tenant, d).await?.is_some()
    {
        return Err(domain_taken());
    }
    let row = repo::save(&txn, row)
        .await
        .map_err(|e| if taken(&e) { domain_taken() } else { e.into() })?;
    if row.name != before.name {
        repo::rename_customers(&txn, tenant, &row).await?;
    }
    txn.commit().await?;
    Ok(row)
}
