//! Relay global object identification: `node(id:)` and `nodes(ids:)`
//! resolve any ID by its prefix, within the viewer's tenant and scopes.

use async_graphql::{Context, ID, Interface, Object, Result};

use crate::activity::Activity;
use crate::activity::loader::Timeline;
use crate::auth::Scope;
use crate::bulk::BulkOperation;
use crate::companies::Company;
use crate::companies::loader::CompanyLoader;
use crate::data_requests::RemovalRequest;
use crate::data_requests::loader::DataRequestLoader;
use crate::error::{AppError, bad_input};
use crate::graphql::ContextExt;
use crate::graphql::children::ChildLoader;
use crate::ids::{self, Kind, MAX_IDS};
use crate::locations::Location;
use crate::locations::loader::LocationLoader;
use crate::notes::Note;
use crate::notes::loader::Notes;
use crate::orders::Order;
use crate::orders::loader::Orders;
use crate::profiles::Customer;
use crate::profiles::loader::CustomerLoader;
use crate::segments::Segment;
use crate::segments::loader::SegmentLoader;
use crate::tenancy;
use crate::webhooks::WebhookEndpoint;
use crate::webhooks::loader::WebhookEndpointLoader;

/// An object with a global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The object's global ID."))]
#[expect(
    clippy::large_enum_variant,
    reason = "one short-lived value per resolved ID"
)]
pub enum Node {
    Customer(Customer),
    Company(Company),
    Location(Location),
    Order(Order),
    Activity(Activity),
    Note(Note),
    Segment(Segment),
    RemovalRequest(RemovalRequest),
    WebhookEndpoint(WebhookEndpoint),
    BulkOperation(BulkOperation),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its ID; null when there is none in your tenant. Needs
    /// the read scope of the object's type (`read:customers` for customers,
    /// orders, activities and notes).
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The object's ID (`cus_…`, `com_…`, `loc_…`, `ord_…`, `act_…`, `note_…`, `seg_…`, `drr_…`, `whk_…` or `bop_…`)."
        )]
        id: ID,
    ) -> Result<Option<Node>> {
        resolve(ctx, &id).await
    }

    /// Objects by ID, in the order asked (null where there is none); at most
    /// 250. Needs the read scope of each object's type, as `node` does.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The objects' IDs; at most 250.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_IDS {
            return Err(bad_input("ids", format!("at most {MAX_IDS} IDs")).into());
        }
        let found =
            futures_util::future::try_join_all(ids.iter().map(|id| resolve(ctx, id))).await?;
        Ok(found)
    }
}

async fn resolve(ctx: &Context<'_>, id: &ID) -> Result<Option<Node>> {
    let session = ctx.session()?;
    let Some((kind, key)) = ids::decode_any(id) else {
        return Ok(None);
    };
    // Customers, and what hangs off them, are read with one scope.
    let scope = match kind {
        Kind::Customer
        | Kind::Company
        | Kind::Location
        | Kind::Order
        | Kind::Activity
        | Kind::Note
        | Kind::BulkOperation => Scope::ReadCustomers,
        Kind::Segment => Scope::ReadSegments,
        Kind::DataRequest => Scope::ReadDataRequests,
        Kind::WebhookEndpoint => Scope::ReadWebhooks,
        // Deliveries, events and addresses are read through what holds
        // them; API keys through `apiKey`.
        Kind::WebhookDelivery | Kind::WebhookEvent | Kind::Address | Kind::ApiKey => {
            return Ok(None);
        }
    };
    if !session.viewer.scopes.contains(scope) {
        return Err(AppError::Forbidden {
            scope: scope.as_str(),
        }
        .into());
    }
    let loaders = &session.loaders;
    Ok(match kind {
        Kind::Customer => loaders
            .get::<CustomerLoader>()
            .load_one(key)
            .await?
            .map(Node::Customer),
        Kind::Company => loaders
            .get::<CompanyLoader>()
            .load_one(key)
            .await?
            .map(|r| Node::Company(Company(r))),
        Kind::Location => loaders
            .get::<LocationLoader>()
            .load_one(key)
            .await?
            .map(|r| Node::Location(Location(r))),
        Kind::Order => loaders
            .get::<ChildLoader<Orders>>()
            .load_one(key)
            .await?
            .map(|r| Node::Order(Order(r))),
        Kind::Activity => loaders
            .get::<ChildLoader<Timeline>>()
            .load_one(key)
            .await?
            .map(|r| Node::Activity(Activity(r))),
        Kind::Note => loaders
            .get::<ChildLoader<Notes>>()
            .load_one(key)
            .await?
            .map(|r| Node::Note(Note(r))),
        Kind::Segment => loaders
            .get::<SegmentLoader>()
            .load_one(key)
            .await?
            .map(|r| Node::Segment(Segment(r))),
        Kind::DataRequest => loaders
            .get::<DataRequestLoader>()
            .load_one(key)
            .await?
            .map(|r| Node::RemovalRequest(RemovalRequest(r))),
        Kind::WebhookEndpoint => loaders
            .get::<WebhookEndpointLoader>()
            .load_one(key)
            .await?
            .map(|row| Node::WebhookEndpoint(WebhookEndpoint { row, secret: None })),
        Kind::BulkOperation => {
            tenancy::find::<entity::bulk_operation::Entity>(&session.db, session.tenant(), &key)
                .await?
                .map(|r| Node::BulkOperation(BulkOperation(r)))
        }
        Kind::WebhookDelivery | Kind::WebhookEvent | Kind::Address | Kind::ApiKey => None,
    })
}
