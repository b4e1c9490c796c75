//! The mechanics every feature's GraphQL surface uses: the request's
//! session and loaders, when batches run, pagination, per-parent child
//! lists, scalars, input checks and live event streams. Names no feature:
//! the schema is assembled above the features, in `schema/`.

pub mod children;
mod context;
mod count;
mod dispatch;
pub mod events;
mod guard;
pub mod input;
mod loaders;
pub mod pagination;
pub mod ready;
pub mod scalars;

pub use context::{ContextExt, Session};
pub use count::{Count, CountPrecision};
pub use dispatch::Dispatch;
pub use guard::{ScopeGuard, TenantGuard};
pub(crate) use loaders::tenant_loaders;
pub use loaders::{Loaders, TenantLoader};

use async_graphql::{ID, SimpleObject};

/// The result of a delete.
#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The ID of the object deleted.
    pub deleted_id: ID,
}

/// The server's settings that resolvers read.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub introspection: bool,
    /// Webhook URLs may point at loopback, private and link-local addresses.
    pub webhook_allow_private: bool,
    /// How long an export's `downloadUrl` stays valid.
    pub export_link_ttl: std::time::Duration,
    /// The base of absolute links (`downloadUrl`); relative without it.
    pub public_url: Option<String>,
    /// How long a merge can be undone.
    pub merge_undo_window: std::time::Duration,
}
