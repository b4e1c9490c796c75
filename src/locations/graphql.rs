//! `location`, `locations` and the mutations that create, change and
//! delete a location, under the customers' scopes.

use async_graphql::{Context, ID, Object, Result};
use entity::location;
use futures_util::FutureExt as _;
use serde_json::{Map, Value};

use super::input::{LocationInput, LocationUpdateInput};
use super::loader::LocationLoader;
use super::object::{Location, LocationConnection};
use super::repo;
use crate::auth::Scope;
use crate::db::begin_write;
use crate::error::{bad_input, not_found};
use crate::graphql::pagination::{Page, TotalCount};
use crate::graphql::{ContextExt, DeletePayload, ScopeGuard, TenantGuard};
use crate::ids::{self, LocationId};

/// Most locations a tenant may have.
pub const MAX_LOCATIONS: u64 = 1_000;

#[derive(Default)]
pub struct LocationQuery;

#[Object]
impl LocationQuery {
    /// A location by ID; null when there is none in your tenant. Needs
    /// `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn location(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The location's ID (`loc_…`).")] id: ID,
    ) -> Result<Option<Location>> {
        let Some(key) = LocationId::decode(&id) else {
            return Ok(None);
        };
        let loaders = &ctx.session()?.loaders;
        Ok(loaders
            .get::<LocationLoader>()
            .load_one(key.into_string())
            .await?
            .map(Location))
    }

    /// Your tenant's locations, in the order they were created. Needs
    /// `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn locations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<LocationConnection> {
        let session = ctx.session()?;
        let page = Page::from_params(first, after, last, before)?;
        let keyset = repo::keyset(&page);
        let rows = repo::list(&session.db, session.tenant(), &keyset).await?;
        let (db, tenant) = (session.db.clone(), session.tenant().clone());
        let total = TotalCount::new(move || {
            let (db, tenant) = (db.clone(), tenant.clone());
            async move { Ok(repo::count(&db, &tenant).await?) }.boxed()
        });
        Ok(keyset.connection(rows, Location, total))
    }
}

#[derive(Default)]
pub struct LocationMutation;

#[Object]
impl LocationMutation {
    /// Creates a location. A tenant has at most 1,000. Needs
    /// `write:customers`.
    #[graphql(guard = "TenantGuard(Scope::WriteCustomers)")]
    async fn create_location(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The location to create.")] input: LocationInput,
    ) -> Result<Location> {
        let session = ctx.session()?;
        let tenant = session.tenant();
        let now = crate::db::now();
        let mut row = location::Model {
            tenant_id: tenant.as_str().to_owned(),
            id: ids::new_key(),
            name: String::new(),
            address_line1: None,
            address_line2: None,
            city: None,
            state: None,
            postal_code: None,
            country: None,
            timezone: String::new(),
            metadata: Value::Object(Map::new()),
            created_at: now,
            updated_at: now,
        };
        input.apply(&mut row)?;
        let txn = begin_write(&session.db).await?;
        if repo::count(&txn, tenant).await? >= MAX_LOCATIONS {
            return Err(bad_input(
                "input",
                format!("a tenant has at most {MAX_LOCATIONS} locations"),
            )
            .into());
        }
        let row = repo::insert(&txn, row).await?;
        txn.commit().await?;
        Ok(Location(row))
    }

    /// Changes a location. Needs `write:customers`.
    #[graphql(guard = "TenantGuard(Scope::WriteCustomers)")]
    async fn update_location(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The location's ID (`loc_…`).")] id: ID,
        #[graphql(desc = "What changes.")] input: LocationUpdateInput,
    ) -> Result<Location> {
        let session = ctx.session()?;
        let key = LocationId::require(&id)?;
        let txn = begin_write(&session.db).await?;
        let mut row = crate::tenancy::find_for_update::<location::Entity>(
            &txn,
            session.tenant(),
            key.as_str(),
        )
        .await?
        .ok_or(not_found("location"))?;
        input.apply(&mut row)?;
        let row = repo::save(&txn, row).await?;
        txn.commit().await?;
        Ok(Location(row))
    }

    /// Deletes a location; its customers stay, no longer in it. Needs
    /// `write:customers`.
    #[graphql(guard = "TenantGuard(Scope::WriteCustomers)")]
    async fn delete_location(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The location's ID (`loc_…`).")] id: ID,
    ) -> Result<DeletePayload> {
        let session = ctx.session()?;
        let key = LocationId::require(&id)?;
        let txn = begin_write(&session.db).await?;
        if !repo::delete(&txn, session.tenant(), key.as_str()).await? {
            return Err(not_found("location").into());
        }
        txn.commit().await?;
        Ok(DeletePayload { deleted_id: id })
    }
}
