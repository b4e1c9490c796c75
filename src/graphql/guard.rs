//! Scopes as GraphQL guards.

use async_graphql::{Context, Guard};

use super::ContextExt;
use crate::auth::Scope;
use crate::error::AppError;

/// Refuses a field with `FORBIDDEN` unless the viewer holds the scope.
pub struct ScopeGuard(pub Scope);

impl Guard for ScopeGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        if ctx.session()?.viewer.scopes.contains(self.0) {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                scope: self.0.as_str(),
            }
            .into())
        }
    }
}

/// [`ScopeGuard`] for the tenant's shared setup (custom field definitions,
/// companies, locations, delete rules): also refused with `FORBIDDEN` to a
/// viewer confined to a location.
pub struct TenantGuard(pub Scope);

impl Guard for TenantGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        ScopeGuard(self.0).check(ctx).await?;
        if ctx.session()?.viewer.location().is_some() {
            return Err(AppError::Confined.into());
        }
        Ok(())
    }
}
