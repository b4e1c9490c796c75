//! What a resolver may reach: the request's [`Session`], and nothing global.

use std::sync::Arc;

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use super::Loaders;
use crate::auth::Viewer;
use crate::db::Reads;
use crate::error::AppError;
use crate::tenancy::TenantId;

/// One request's view of the data: the viewer, its tenant, and loaders
/// that batch within this request only.
pub struct Session {
    pub db: DatabaseConnection,
    /// Where the request's reads outside a transaction run.
    pub reads: Reads,
    pub viewer: Viewer,
    /// Shared with lazily counted `totalCount`s.
    pub loaders: Arc<Loaders>,
}

impl Session {
    pub fn new(db: DatabaseConnection, reads: Reads, viewer: Viewer) -> Self {
        let loaders = Arc::new(Loaders::new(&reads, &viewer.tenant));
        Self {
            db,
            reads,
            viewer,
            loaders,
        }
    }

    /// A session outside any request (a job's export, a subscription
    /// shared by several sockets): its reads run on the main pool.
    pub fn outside_request(db: DatabaseConnection, viewer: Viewer) -> Self {
        Self::new(db.clone(), Reads::Main(db), viewer)
    }

    pub fn tenant(&self) -> &TenantId {
        &self.viewer.tenant
    }
}

pub trait ContextExt {
    /// The request's session; a request without one is unauthenticated.
    fn session(&self) -> Result<&Session, AppError>;
}

impl ContextExt for Context<'_> {
    fn session(&self) -> Result<&Session, AppError> {
        self.data::<Session>()
            .map_err(|_| AppError::Unauthenticated)
    }
}
