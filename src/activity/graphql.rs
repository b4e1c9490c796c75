//! The timeline part of the schema: `Activity`, `Customer.activity` and
//! `recordActivity`.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result};
use entity::activity;

use super::loader::Timeline;
use super::repo::{self, ActivityFilter, NewActivity};
use crate::auth::Scope;
use crate::db::begin_write;
use crate::error::{bad_input, not_found};
use crate::graphql::ScopeGuard;
use crate::graphql::children;
use crate::graphql::pagination::ListConnection;
use crate::graphql::pagination::Page;
use crate::graphql::scalars::DateTime;
use crate::graphql::{ContextExt, input};
use crate::ids::CustomerId;
use crate::ids::{self, Kind};
use crate::profiles::loader;
use crate::profiles::{Customer, repo as customers};

/// What kind of thing happened.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActivityType {
    /// An order was recorded or changed.
    Order,
    /// An email, sent to or received from the customer.
    Email,
    /// The customer viewed a page.
    PageView,
    /// A support conversation or ticket.
    Support,
    /// A note was added.
    Note,
    /// The customer was created or changed.
    Customer,
    /// Anything else: `title` and `data` say what.
    Custom,
}

impl ActivityType {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityType::Order => "ORDER",
            ActivityType::Email => "EMAIL",
            ActivityType::PageView => "PAGE_VIEW",
            ActivityType::Support => "SUPPORT",
            ActivityType::Note => "NOTE",
            ActivityType::Customer => "CUSTOMER",
            ActivityType::Custom => "CUSTOM",
        }
    }

    fn from_db(s: &str) -> Self {
        match s {
            "ORDER" => ActivityType::Order,
            "EMAIL" => ActivityType::Email,
            "PAGE_VIEW" => ActivityType::PageView,
            "SUPPORT" => ActivityType::Support,
            "NOTE" => ActivityType::Note,
            "CUSTOMER" => ActivityType::Customer,
            _ => ActivityType::Custom,
        }
    }
}

/// One entry of a customer's timeline.
pub struct Activity(pub activity::Model);

/// One entry of a customer's timeline: recorded with `recordActivity`, or
/// added by the API itself when a customer, order or note changes.
#[Object]
impl Activity {
    /// `act_` followed by a time-ordered key.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Activity, &self.0.id)
    }

    /// What kind of thing happened.
    #[graphql(name = "type")]
    async fn kind(&self) -> ActivityType {
        ActivityType::from_db(&self.0.kind)
    }

    /// A one-line summary (up to 500 characters), such as "Order A-1001
    /// placed"; null when none was given.
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }

    /// Details, as recorded.
    async fn data(&self) -> Option<Json<&serde_json::Value>> {
        self.0.data.as_ref().map(Json)
    }

    /// When it happened. The timeline is ordered by it, newest first.
    async fn occurred_at(&self) -> DateTime {
        DateTime(self.0.occurred_at)
    }

    /// The customer it happened with.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        loader::customer(ctx, &self.0.customer_id).await
    }
}

pub type ActivityConnection = ListConnection<Activity>;

/// `Customer.activity`: one page of the customer's timeline, newest first,
/// loaded together with the pages of the other customers of the response.
pub async fn customer_activity(
    ctx: &Context<'_>,
    customer_key: &str,
    first: Option<i32>,
    after: Option<String>,
    types: Option<Vec<ActivityType>>,
    occurred_after: Option<DateTime>,
    occurred_before: Option<DateTime>,
) -> Result<ActivityConnection> {
    let page = Page::from_params(first, after, None, None)?;
    let types = types.map(|mut types| {
        types.sort();
        types.dedup();
        types
    });
    let filter = ActivityFilter {
        types,
        occurred_after: occurred_after.map(|t| t.0),
        occurred_before: occurred_before.map(|t| t.0),
    };
    children::connection::<Timeline, _>(ctx, customer_key, page, filter, Activity).await
}

/// An entry for `recordActivity`.
#[derive(InputObject)]
pub struct ActivityInput {
    /// What kind of thing happened.
    #[graphql(name = "type")]
    pub kind: ActivityType,
    /// Up to 500 characters.
    pub title: Option<String>,
    /// When it happened; now by default, and not in the future (a few
    /// minutes of clock difference aside).
    pub occurred_at: Option<DateTime>,
    /// Any JSON value, up to 16 KiB.
    pub data: Option<Json<serde_json::Value>>,
}

/// Most characters of a title.
const MAX_TITLE: usize = 500;

#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
    /// Adds an entry to a customer's timeline. Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn record_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's ID (`cus_…`).")] customer_id: ID,
        #[graphql(desc = "The entry to add.")] input: ActivityInput,
    ) -> Result<Activity> {
        let session = ctx.session()?;
        let key = CustomerId::require(&customer_id)?;
        let title = input
            .title
            .map(|t| input::text("input.title", t, MAX_TITLE))
            .transpose()?
            .flatten();
        let data = input
            .data
            .map(|Json(v)| input::json("input.data", v))
            .transpose()?;
        let now = crate::db::now();
        let occurred_at = match input.occurred_at {
            Some(t) if t.0 > now + chrono::Duration::minutes(5) => {
                return Err(bad_input("input.occurredAt", "cannot be in the future").into());
            }
            Some(t) => t.0,
            None => now,
        };
        let txn = begin_write(&session.db).await?;
        customers::find(&txn, session.tenant(), &key)
            .await?
            .ok_or(not_found("customer"))?;
        let entry = NewActivity {
            customer_id: key.into_string(),
            kind: input.kind,
            title,
            data,
            occurred_at,
        };
        let row = repo::insert(&txn, session.tenant(), entry).await?;
        txn.commit().await?;
        Ok(Activity(row))
    }
}
