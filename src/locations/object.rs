//! The `Location` object.

use async_graphql::{Context, ID, Json, Object, Result};
use entity::location;
use serde_json::Value;

use crate::companies::PostalAddress;
use crate::graphql::pagination::{ListConnection, Page};
use crate::graphql::scalars::DateTime;
use crate::ids::LocationId;
use crate::profiles::{CustomerConnection, CustomerFilter, CustomerSort, customer_connection};
use crate::segments::filter_scope;

pub struct Location(pub location::Model);

pub type LocationConnection = ListConnection<Location>;

/// A place the tenant does business in: a store, a clinic, an office.
#[Object]
impl Location {
    /// The location's ID (`loc_…`).
    pub async fn id(&self) -> ID {
        LocationId::of_row(self.0.id.clone()).id()
    }

    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Its postal address; null when none was given.
    async fn address(&self) -> Option<PostalAddress> {
        let r = &self.0;
        PostalAddress::of(
            &r.address_line1,
            &r.address_line2,
            &r.city,
            &r.state,
            &r.postal_code,
            &r.country,
        )
    }

    /// Its IANA time zone (`Europe/Madrid`).
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }

    /// Its own custom fields, a JSON object.
    async fn metadata(&self) -> Json<Value> {
        Json(self.0.metadata.clone())
    }

    /// When the location was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }

    /// The location's customers: the `customers` list with `locationId`
    /// set to this location.
    #[expect(
        clippy::too_many_arguments,
        reason = "the Relay and filter arguments of the field"
    )]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which of its customers to list; all when absent.")] filter: Option<
            CustomerFilter,
        >,
        #[graphql(desc = "The order; newest first (`CREATED_AT`, `DESC`) when absent.")]
        sort: Option<CustomerSort>,
    ) -> Result<CustomerConnection> {
        let page = Page::from_params(first, after, last, before)?;
        let mut filter = filter.unwrap_or_default();
        filter.location_id = Some(LocationId::of_row(self.0.id.clone()).id());
        let scope = filter_scope(ctx, Some(&filter)).await?;
        customer_connection(ctx, page, Some(filter), sort, scope).await
    }
}
