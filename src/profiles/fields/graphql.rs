//! `customFieldDefinitions` and the mutations that create, change and
//! archive a definition, under the customers' scopes.

use async_graphql::{Context, MaybeUndefined, Object, Result};
use entity::custom_field;
use sea_orm::SqlErr;
use serde_json::Value;

use super::definition::{
    CustomFieldDefinition, CustomFieldDefinitionInput, CustomFieldDefinitionUpdateInput,
    check_description, check_key, check_label, check_options,
};
use super::{MAX_DEFINITIONS, index, repo};
use crate::auth::Scope;
use crate::db::begin_write;
use crate::error::{AppResult, bad_input, conflict, not_found};
use crate::graphql::{ContextExt, ScopeGuard, TenantGuard};
use crate::jobs;
use crate::tenancy::TenantId;

#[derive(Default)]
pub struct CustomFieldQuery;

#[Object]
impl CustomFieldQuery {
    /// The tenant's custom field definitions, by key. Needs
    /// `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn custom_field_definitions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Include archived definitions.", default_with = "Some(false)")]
        include_archived: Option<bool>,
    ) -> Result<Vec<CustomFieldDefinition>> {
        let session = ctx.session()?;
        let include_archived = include_archived.unwrap_or(false);
        let rows = repo::list(&session.db, session.tenant(), include_archived).await?;
        Ok(rows.into_iter().map(CustomFieldDefinition).collect())
    }
}

#[derive(Default)]
pub struct CustomFieldMutation;

#[Object]
impl CustomFieldMutation {
    /// Defines a custom field: from now on, customers' values under its key
    /// in `metadata` are checked against its type (values written before
    /// stay as they are). At most 100 definitions a tenant. Needs
    /// `write:customers`.
    #[graphql(guard = "TenantGuard(Scope::WriteCustomers)")]
    async fn create_custom_field_definition(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new field.")] input: CustomFieldDefinitionInput,
    ) -> Result<CustomFieldDefinition> {
        let session = ctx.session()?;
        Ok(CustomFieldDefinition(
            create(&session.db, session.tenant(), input).await?,
        ))
    }

    /// Changes a definition's label, options, required flag or
    /// description, or brings an archived one back. Needs
    /// `write:customers`.
    #[graphql(guard = "TenantGuard(Scope::WriteCustomers)")]
    async fn update_custom_field_definition(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The field's key.")] key: String,
        #[graphql(desc = "What changes.")] input: CustomFieldDefinitionUpdateInput,
    ) -> Result<CustomFieldDefinition> {
        let session = ctx.session()?;
        Ok(CustomFieldDefinition(
            update(&session.db, session.tenant(), &key, input).await?,
        ))
    }

    /// Archives a definition: its key becomes free metadata again (nothing
    /// checks it, nothing filters or sorts on it), its values stay.
    /// `updateCustomFieldDefinition` with `archived: false` brings it back.
    /// Needs `write:customers`.
    #[graphql(guard = "TenantGuard(Scope::WriteCustomers)")]
    async fn archive_custom_field_definition(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The field's key.")] key: String,
    ) -> Result<CustomFieldDefinition> {
        let session = ctx.session()?;
        let archive = CustomFieldDefinitionUpdateInput {
            archived: Some(true),
            ..Default::default()
        };
        Ok(CustomFieldDefinition(
            update(&session.db, session.tenant(), &key, archive).await?,
        ))
    }
}

async fn create(
    db: &sea_orm::DatabaseConnection,
    tenant: &TenantId,
    input: CustomFieldDefinitionInput,
) -> AppResult<custom_field::Model> {
    let (key, field_type, required, checked) = input.check()?;
    let taken = || {
        conflict(
            "input.key",
            format!("a custom field with the key {key:?} exists"),
        )
    };
    let txn = begin_write(db).await?;
    if repo::find_for_update(&txn, tenant, &key).await?.is_some() {
        return Err(taken());
    }
    if repo::count(&txn, tenant).await? >= MAX_DEFINITIONS as u64 {
        return Err(bad_input(
            "input",
            format!("a tenant has at most {MAX_DEFINITIONS} custom field definitions"),
        ));
    }
    let now = crate::db::now();
    let row = custom_field::Model {
        tenant_id: tenant.as_str().to_owned(),
        key: key.clone(),
        label: checked.label,
        field_type,
        options: Value::from(checked.options),
        required,
        description: checked.description,
        archived: false,
        created_at: now,
        updated_at: now,
    };
    let row = match repo::insert(&txn, row).await {
        Ok(row) => row,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(taken());
        }
        Err(err) => return Err(err.into()),
    };
    jobs::enqueue(&txn, vec![index::job(tenant, &row.key)]).await?;
    txn.commit().await?;
    Ok(row)
}

async fn update(
    db: &sea_orm::DatabaseConnection,
    tenant: &TenantId,
    key: &str,
    input: CustomFieldDefinitionUpdateInput,
) -> AppResult<custom_field::Model> {
    check_key("key", key).map_err(|_| not_found("custom field definition"))?;
    let txn = begin_write(db).await?;
    let mut row = repo::find_for_update(&txn, tenant, key)
        .await?
        .ok_or(not_found("custom field definition"))?;
    if let Some(label) = input.label {
        row.label = check_label("input.label", label)?;
    }
    if let Some(options) = input.options {
        row.options = Value::from(check_options("input.options", row.field_type, options)?);
    }
    if let Some(required) = input.required {
        row.required = required;
    }
    match input.description {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => row.description = None,
        MaybeUndefined::Value(d) => row.description = check_description("input.description", d)?,
    }
    if let Some(archived) = input.archived {
        if row.archived && !archived {
            // Back in force: its index may not exist yet (it was archived
            // before the index was made).
            jobs::enqueue(&txn, vec![index::job(tenant, &row.key)]).await?;
        }
        row.archived = archived;
    }
    row.updated_at = crate::db::now();
    let row = repo::save(&txn, row).await?;
    txn.commit().await?;
    Ok(row)
}
