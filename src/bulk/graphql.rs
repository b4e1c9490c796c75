//! `bulkOperation`, `bulkOperations`, `startBulkOperation` and
//! `cancelBulkOperation`.

use std::borrow::Cow;

use async_graphql::{Context, ID, Object, Result};
use entity::bulk_operation::{self, BulkAction};
use entity::segment::SegmentKind;
use futures_util::FutureExt as _;

use super::input::{BulkOperationInput, plan};
use super::object::BulkOperation;
use crate::auth::Scope;
use crate::error::{AppError, bad_input, not_found};
use crate::graphql::pagination::{
    self, KeyColumn, KeyKind, KeyRead, KeyValue, Keyset, ListConnection, Page, SortKey, TotalCount,
};
use crate::graphql::{ContextExt, ScopeGuard, TenantGuard};
use crate::ids::BulkOperationId;
use crate::tenancy;

fn created_at(row: &bulk_operation::Model) -> KeyValue {
    KeyValue::time(&row.created_at)
}

/// Newest first.
static CREATED_AT: SortKey<bulk_operation::Entity> = SortKey {
    name: Cow::Borrowed("created_at"),
    column: KeyColumn::Column(bulk_operation::Column::CreatedAt),
    kind: KeyKind::Time,
    nullable: false,
    value: KeyRead::Row(created_at),
};

#[derive(Default)]
pub struct BulkOperationQuery;

#[Object]
impl BulkOperationQuery {
    /// A bulk operation by ID; null when there is none in your tenant.
    /// Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn bulk_operation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The operation's ID (`bop_…`).")] id: ID,
    ) -> Result<Option<BulkOperation>> {
        let Some(key) = BulkOperationId::decode(&id) else {
            return Ok(None);
        };
        let session = ctx.session()?;
        Ok(
            tenancy::find::<bulk_operation::Entity>(&session.db, session.tenant(), key.as_str())
                .await?
                .map(BulkOperation),
        )
    }

    /// Your tenant's bulk operations, newest first. Needs
    /// `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn bulk_operations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<ListConnection<BulkOperation>> {
        let session = ctx.session()?;
        let page = Page::from_params(first, after, last, before)?;
        let keyset = Keyset {
            sort: &CREATED_AT,
            id: bulk_operation::Column::Id,
            ascending: false,
            page: &page,
            id_of: |row: &bulk_operation::Model| row.id.as_str(),
        };
        let rows = keyset
            .fetch(
                &session.db,
                tenancy::select::<bulk_operation::Entity>(session.tenant()),
            )
            .await?;
        let (db, tenant) = (session.db.clone(), session.tenant().clone());
        let total = TotalCount::new(move || {
            let (db, tenant) = (db.clone(), tenant.clone());
            async move {
                Ok(pagination::count(
                    &db,
                    tenancy::select::<bulk_operation::Entity>(&tenant),
                    bulk_operation::Column::Id,
                )
                .await?)
            }
            .boxed()
        });
        Ok(keyset.connection(rows, BulkOperation, total))
    }
}

#[derive(Default)]
pub struct BulkOperationMutation;

#[Object]
impl BulkOperationMutation {
    /// Starts an action on every customer a selection holds, run by the
    /// worker in batches; follow it with `bulkOperation` or
    /// `bulkOperationUpdated`. Needs `write:customers` (and
    /// `write:segments` to change a segment's members); a credential
    /// confined to a location cannot start one.
    #[graphql(guard = "TenantGuard(Scope::WriteCustomers)")]
    async fn start_bulk_operation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action and its selection.")] input: BulkOperationInput,
    ) -> Result<BulkOperation> {
        let session = ctx.session()?;
        let planned = plan(input)?;
        if let Some(segment) = &planned.segment {
            if !session.viewer.scopes.contains(Scope::WriteSegments) {
                return Err(AppError::Forbidden {
                    scope: Scope::WriteSegments.as_str(),
                }
                .into());
            }
            let row = tenancy::find::<entity::segment::Entity>(
                &session.db,
                session.tenant(),
                segment.as_str(),
            )
            .await?
            .ok_or(not_found("segment"))?;
            if row.kind != SegmentKind::Static {
                return Err(bad_input(
                    "input.segmentId",
                    "a dynamic segment's members follow its definition",
                )
                .into());
            }
        }
        if planned.action == BulkAction::Delete
            && !session.viewer.scopes.contains(Scope::WriteCustomers)
        {
            return Err(AppError::Forbidden {
                scope: Scope::WriteCustomers.as_str(),
            }
            .into());
        }
        // The selection must compile now: a bad filter, query or segment is
        // refused before anything is stored.
        super::check(&session.db, session.tenant(), &planned).await?;
        let row = super::start(
            &session.db,
            session.tenant(),
            &session.viewer.sub,
            planned,
            true,
        )
        .await?;
        Ok(BulkOperation(row))
    }

    /// Cancels a queued or running operation: the batch under way ends,
    /// no other starts, what was done stays done. One that has ended is
    /// `BAD_USER_INPUT`. Needs `write:customers`.
    #[graphql(guard = "TenantGuard(Scope::WriteCustomers)")]
    async fn cancel_bulk_operation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The operation's ID (`bop_…`).")] id: ID,
    ) -> Result<BulkOperation> {
        let session = ctx.session()?;
        let key = BulkOperationId::require(&id)?;
        Ok(BulkOperation(
            super::cancel(&session.db, session.tenant(), &key).await?,
        ))
    }
}
