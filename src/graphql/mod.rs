//! The GraphQL schema: roots merged from the features, and the shared
//! mechanics (context, IDs, scalars, pagination, loaders).

pub mod children;
mod context;
pub mod id;
pub mod input;
mod loaders;
mod mutation;
mod node;
pub mod pagination;
mod query;
pub mod scalars;

pub use context::{ContextExt, Session};
pub use loaders::Loaders;
pub use mutation::Mutation;
pub use node::{MAX_IDS, Node};
pub use query::Query;

use async_graphql::{ID, Schema, SimpleObject};

use crate::events::EventSubscription;

/// The result of a delete.
#[derive(SimpleObject)]
pub struct DeletePayload {
    pub deleted_id: ID,
}

pub type AppSchema = Schema<Query, Mutation, EventSubscription>;

/// Builds the schema; per-request data (the [`Session`]) is added by the
/// HTTP layer.
pub fn build_schema(introspection: bool) -> AppSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EventSubscription);
    if !introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The SDL that `crm schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    build_schema(true).sdl()
}
