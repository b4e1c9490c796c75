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
