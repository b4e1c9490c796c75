//! `duplicateCustomers` and `dismissDuplicate`.

use std::borrow::Cow;

use async_graphql::{Context, ID, Object, Result};
use entity::duplicate_pair as pair;
use futures_util::FutureExt as _;
use sea_orm::{ColumnTrait as _, QueryFilter as _, Select};

use super::repo;
use crate::auth::Scope;
use crate::error::{bad_input, not_found};
use crate::graphql::pagination::{
    self, KeyColumn, KeyKind, KeyRead, KeyValue, Keyset, ListConnection, Page, SortKey, TotalCount,
};
use crate::graphql::scalars::DateTime;
use crate::graphql::{ContextExt, ScopeGuard};
use crate::ids::CustomerId;
use crate::profiles::Customer;
use crate::profiles::loader;
use crate::tenancy::{self, TenantId};

/// Two customers likely to be one person.
pub struct Duplicate(pub pair::Model);

/// Two customers of the tenant likely to be one person, with how likely
/// and why. `customer` is the one with the smaller ID.
#[Object]
impl Duplicate {
    /// One of the two.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        either(ctx, &self.0.customer_id).await
    }

    /// The other.
    async fn other(&self, ctx: &Context<'_>) -> Result<Customer> {
        either(ctx, &self.0.other_id).await
    }

    /// How likely they are one person, from 0.6 to 1: 0.95 and more for a
    /// shared email or phone with a matching name, 0.85 for the same name
    /// with a second signal, 0.75 for a similar name with one.
    async fn score(&self) -> f64 {
        self.0.score
    }

    /// The signals found: `SAME_EMAIL`, `SAME_PHONE`, `SAME_NAME`,
    /// `SIMILAR_NAME`, `SAME_EMAIL_DOMAIN`, `SAME_EMAIL_LOCAL`,
    /// `SIMILAR_PHONE`, `SAME_ADDRESS`, `SAME_COMPANY`.
    async fn reasons(&self) -> Vec<String> {
        self.0
            .reasons
            .as_array()
            .map(|reasons| {
                reasons
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// When the pair was last scored (as either customer last changed).
    async fn found_at(&self) -> DateTime {
        DateTime(self.0.found_at)
    }
}

async fn either(ctx: &Context<'_>, key: &str) -> Result<Customer> {
    loader::customer(ctx, key)
        .await?
        .ok_or_else(|| not_found("customer").into())
}

pub type DuplicateConnection = ListConnection<Duplicate>;

fn score_of(row: &pair::Model) -> KeyValue {
    serde_json::Number::from_f64(row.score).map_or(KeyValue::Null, KeyValue::Number)
}

/// Best first, by `(score, id)`.
static SCORE: SortKey<pair::Entity> = SortKey {
    name: Cow::Borrowed("score"),
    column: KeyColumn::Column(pair::Column::Score),
    kind: KeyKind::Float,
    nullable: false,
    value: KeyRead::Row(score_of),
};

fn keyset(page: &Page) -> Keyset<'_, pair::Entity> {
    Keyset {
        sort: &SCORE,
        id: pair::Column::Id,
        ascending: false,
        page,
        id_of: |row| row.id.as_str(),
    }
}

/// The tenant's pairs scoring at least `min`; a viewer confined to a
/// location sees the pairs of two of its customers.
fn pairs(tenant: &TenantId, min: f64) -> Select<pair::Entity> {
    let query = tenancy::select::<pair::Entity>(tenant).filter(repo::at_least(min));
    match tenant.location() {
        Some(location) => query
            .filter(pair::Column::OtherId.in_subquery(tenancy::location_members(tenant, location))),
        None => query,
    }
}

#[derive(Default)]
pub struct DuplicateQuery;

#[Object]
impl DuplicateQuery {
    /// Pairs of customers likely to be one person, most likely first;
    /// kept current as customers change, without pairs dismissed with
    /// `dismissDuplicate`. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn duplicate_customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Only pairs scoring at least this (0–1); every pair proposed (0.6 and up) by default."
        )]
        min_score: Option<f64>,
    ) -> Result<DuplicateConnection> {
        let session = ctx.session()?;
        let min = min_score.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&min) {
            return Err(bad_input("minScore", "a score is between 0 and 1").into());
        }
        let page = Page::from_params(first, after, None, None)?;
        let keyset = keyset(&page);
        let rows = keyset
            .fetch(&session.db, pairs(session.tenant(), min))
            .await?;
        let (db, tenant) = (session.db.clone(), session.tenant().clone());
        let total = TotalCount::new(move || {
            let (db, tenant) = (db.clone(), tenant.clone());
            async move { Ok(pagination::count(&db, pairs(&tenant, min), pair::Column::Id).await?) }
                .boxed()
        });
        Ok(keyset.connection(rows, Duplicate, total))
    }

    /// How many customers written by an import the finder has yet to
    /// compare (it does so in the background, usually within seconds):
    /// until this is 0, pairs involving them may be missing from
    /// `duplicateCustomers` or stale. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn duplicate_customers_pending(&self, ctx: &Context<'_>) -> Result<i64> {
        let session = ctx.session()?;
        let pending = repo::pending(&session.db, session.tenant()).await?;
        Ok(i64::try_from(pending).unwrap_or(i64::MAX))
    }
}

#[derive(Default)]
pub struct DuplicateMutation;

#[Object]
impl DuplicateMutation {
    /// Says two customers are not one person: the pair is no longer
    /// proposed, whatever changes. True once dismissed (also when it
    /// already was). Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn dismiss_duplicate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One of the two (`cus_…`).")] customer_id: ID,
        #[graphql(desc = "The other (`cus_…`); not `customerId`.")] other_id: ID,
    ) -> Result<bool> {
        let session = ctx.session()?;
        let (a, b) = (
            CustomerId::require(&customer_id)?,
            CustomerId::require(&other_id)?,
        );
        if a.as_str() == b.as_str() {
            return Err(bad_input("otherId", "a customer is not its own duplicate").into());
        }
        let keys = [a.as_str().to_owned(), b.as_str().to_owned()];
        let txn = crate::db::begin_write(&session.db).await?;
        let found =
            tenancy::find_many::<entity::customer::Entity>(&txn, session.tenant(), &keys).await?;
        if found.len() != 2 {
            return Err(not_found("customer").into());
        }
        let (first, second) = if keys[0] < keys[1] {
            (&keys[0], &keys[1])
        } else {
            (&keys[1], &keys[0])
        };
        repo::dismiss(&txn, &session.tenant().whole(), (first, second)).await?;
        txn.commit().await?;
        Ok(true)
    }
}
