//! The schema, assembled above the features: the query, mutation and
//! subscription roots merged from theirs, Relay's `Node`, and the SDL.

mod export;
mod mutation;
mod node;
mod query;
mod subscription;

pub use export::SchemaQueries;
pub use mutation::Mutation;
pub use node::Node;
pub use query::Query;
pub use subscription::Subscription;

use async_graphql::{Schema, SchemaBuilder};

use crate::activity::Activity;
use crate::api_keys::ApiKey;
use crate::bulk::BulkOperation;
use crate::companies::Company;
use crate::data_requests::RemovalRequest;
use crate::duplicates::Duplicate;
use crate::graphql::Settings;
use crate::graphql::pagination::ListConnection;
use crate::locations::Location;
use crate::notes::Note;
use crate::orders::Order;
use crate::profiles::Customer;
use crate::profiles::addresses::CustomerAddress;
use crate::profiles::history::FieldChange;
use crate::segments::Segment;
use crate::webhooks::{WebhookDelivery, WebhookEndpoint};

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema; per-request data (the [`crate::graphql::Session`])
/// is added by the HTTP layer.
pub fn build_schema(settings: Settings) -> AppSchema {
    // At most 5 directives on one field.
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_directives(5);
    builder = describe_connections(builder);
    // Resolver spans (target `async_graphql::graphql`) only when the log
    // filter (`CRM_LOG`) asks for them: the extension wraps every resolved
    // field, whether or not its spans are kept.
    if tracing::enabled!(target: "async_graphql::graphql", tracing::Level::INFO) {
        builder = builder.extension(async_graphql::extensions::Tracing);
    }
    if !settings.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder
        .data(settings)
        .data(crate::profiles::counts::TenantSizes::default())
        .finish()
}

/// Describes each connection as a page of its nodes: async-graphql's
/// `Connection` type takes no description from a doc comment.
macro_rules! describe_pages {
    ($builder:expr, $($node:ty => $noun:literal),+ $(,)?) => {
        $builder$(.override_output_type_description::<ListConnection<$node>>(concat!(
            "A page of ", $noun, ": `edges` (each with its cursor) or `nodes`,\n",
            "`pageInfo` to page on, and the list's `totalCount`."
        )))+
    };
}

fn describe_connections(
    builder: SchemaBuilder<Query, Mutation, Subscription>,
) -> SchemaBuilder<Query, Mutation, Subscription> {
    describe_pages!(builder,
        Customer => "customers",
        Order => "orders",
        Activity => "timeline entries",
        Note => "notes",
        Segment => "segments",
        RemovalRequest => "data requests",
        WebhookEndpoint => "webhook endpoints",
        WebhookDelivery => "webhook deliveries",
        CustomerAddress => "addresses",
        Company => "companies",
        Location => "locations",
        ApiKey => "API keys",
        BulkOperation => "bulk operations",
        FieldChange => "field changes",
        Duplicate => "likely duplicates",
    )
}

/// The SDL that `crm schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    build_schema(Settings {
        introspection: true,
        ..Settings::default()
    })
    .sdl()
}
