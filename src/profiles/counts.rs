//! `customerCount` (and `totalCount`) for the filters answered by the
//! maintained counts (`customer_counts`, kept by triggers): no filter, one
//! status, one country or one tag; a count that stops at a limit knows an
//! `or` of such filters passes it when one of them does. Any other filter
//! counts the matching rows; on SQLite a search in a large tenant counts
//! from the search index's matches.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use entity::customer_count;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, QueryFilter, QuerySelect,
};

use super::checks::country;
use super::filter::CustomerFilter;
use super::repo::{self, CountFirst};
use crate::config::DatabaseArgs;
use crate::error::AppResult;
use crate::graphql::Count;
use crate::tenancy::{self, TenantId};

/// One key of `customer_counts`.
#[derive(Clone, Debug)]
pub struct Facet {
    facet: &'static str,
    value: String,
}

impl Facet {
    /// The key that counts all of a tenant's customers.
    pub fn all() -> Facet {
        Facet {
            facet: "all",
            value: String::new(),
        }
    }

    /// The key that counts exactly the customers `filter` matches (all of
    /// them when there is no filter), when there is one. `filter` is
    /// compiled too (which rejects what is invalid).
    pub fn of(filter: Option<&CustomerFilter>) -> Option<Facet> {
        let Some(filter) = filter else {
            return Some(Facet::all());
        };
        let CustomerFilter {
            search: _,
            email: None,
            email_starts_with: None,
            tags,
            tags_any,
            has_tags: None,
            status,
            created_after: None,
            created_before: None,
            last_order_after: None,
            last_order_before: None,
            updated_after: None,
            updated_before: None,
            first_order_after: None,
            first_order_before: None,
            min_orders: None,
            max_orders: None,
            city: None,
            source: None,
            min_total_spent: None,
            max_total_spent: None,
            min_average_order_value: None,
            max_average_order_value: None,
            rfm_segment: None,
            churn_risk_above: None,
            churn_risk_below: None,
            country: country_code,
            metadata: None,
            segment_id: None,
            email_consent: None,
            sms_consent: None,
            fields: None,
            text: None,
            metadata_paths: None,
            custom_fields: None,
            location_id: None,
            and: None,
            or: None,
            not: None,
        } = filter
        else {
            return None;
        };
        if filter.searches() {
            return None;
        }
        let single_tag = |list: &Option<Vec<String>>| match list.as_deref() {
            None => Ok(None),
            Some([tag]) => Ok(Some(tag.trim().to_owned())),
            Some(_) => Err(()),
        };
        let (Ok(tag), Ok(tag_any)) = (single_tag(tags), single_tag(tags_any)) else {
            return None;
        };
        let country_code = match country_code {
            Some(code) => Some(country("", code).ok()?.unwrap_or_default()),
            None => None,
        };
        let facets = [
            tag.map(|value| ("tag", value)),
            tag_any.map(|value| ("tag", value)),
            status.map(|s| ("status", s.as_str().to_owned())),
            country_code.map(|value| ("country", value)),
        ];
        let mut given = facets.into_iter().flatten();
        let (facet, value) = given.next().unwrap_or(("all", String::new()));
        given.next().is_none().then_some(Facet { facet, value })
    }

    /// The keys that count the branches of `filter`'s `or`, when that `or`
    /// is all the filter says: the customers it matches are at least as
    /// many as any one branch's. Only the branches a key counts exactly.
    pub fn of_branches(filter: &CustomerFilter) -> Option<Vec<Facet>> {
        let mut rest = filter.clone();
        let branches = rest.or.take()?;
        says_nothing(&rest).then_some(())?;
        let facets: Vec<Facet> = branches.iter().filter_map(|b| Facet::of(Some(b))).collect();
        (!facets.is_empty()).then_some(facets)
    }
}

/// Whether `filter` matches every customer: the key of all of them counts it.
fn says_nothing(filter: &CustomerFilter) -> bool {
    Facet::of(Some(filter)).is_some_and(|facet| facet.facet == "all")
}

/// How a count of customers is answered.
#[derive(Clone, Debug)]
pub enum Counting {
    /// Read from the maintained counts.
    Kept(Facet),
    /// Counted row by row.
    Rows,
    /// Counted row by row; up to a limit, once no branch of the filter's
    /// `or` has more customers than the limit by the maintained counts
    /// ([`Facet::of_branches`]): a count past it is known without a row.
    AnyOf(Vec<Facet>),
    /// Counted row by row; up to a limit, from the oldest last orders
    /// ([`CountFirst::OldestOrders`]): the filter is a churn risk above a
    /// threshold.
    Overdue,
    /// Counted row by row; up to a limit, from the newest last orders
    /// ([`CountFirst::NewestOrders`]): the filter is a churn risk below a
    /// threshold.
    Recent,
    /// Counted row by row; on SQLite, once the tenant has
    /// [`MATCHES_FROM`] customers, from the search index's matches.
    Matches,
}

impl Counting {
    /// How the customers `filter` matches are counted; `scoped` when a
    /// further condition (a segment's) narrows them, which the maintained
    /// counts do not know.
    pub fn of(filter: Option<&CustomerFilter>, scoped: bool) -> Counting {
        if !scoped && let Some(facet) = Facet::of(filter) {
            return Counting::Kept(facet);
        }
        if !scoped && let Some(facets) = filter.and_then(Facet::of_branches) {
            return Counting::AnyOf(facets);
        }
        if filter.is_some_and(CustomerFilter::searches_fts) {
            Counting::Matches
        } else {
            filter
                .and_then(Counting::churn_only)
                .unwrap_or(Counting::Rows)
        }
    }

    /// Whether `filter` says nothing but a churn-risk threshold (or two):
    /// such a count reads the last orders where its matches are. Beside
    /// another condition (a rare tag) that condition's index may find them
    /// sooner, and the plan is left to choose.
    fn churn_only(filter: &CustomerFilter) -> Option<Counting> {
        let mut rest = filter.clone();
        let (above, below) = (rest.churn_risk_above.take(), rest.churn_risk_below.take());
        says_nothing(&rest).then_some(())?;
        match (above, below) {
            (Some(_), _) => Some(Counting::Overdue),
            (None, Some(_)) => Some(Counting::Recent),
            (None, None) => None,
        }
    }
}

/// From this many customers in a tenant, SQLite counts a search by looking
/// each of the search index's matches up (a cost per match, whatever the
/// tenant) rather than by reading the tenant's index and testing each
/// entry against the matches (a tenth of that cost per customer, but for
/// every customer). Below it, reading the tenant is cheap either way.
pub const MATCHES_FROM: u64 = 10_000;

/// How many of the tenant's customers meet `condition`, compiled from the
/// filter `counting` was made of.
pub async fn count(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    counting: &Counting,
    condition: Condition,
) -> AppResult<u64> {
    let by_matches = match counting {
        // The kept counts are the whole tenant's.
        Counting::Kept(facet) if tenant.location().is_none() => {
            return kept(db, tenant, facet).await;
        }
        Counting::Kept(_)
        | Counting::Rows
        | Counting::AnyOf(_)
        | Counting::Overdue
        | Counting::Recent => false,
        Counting::Matches => {
            db.get_database_backend() == DbBackend::Sqlite
                && kept(db, tenant, &Facet::all()).await? >= MATCHES_FROM
        }
    };
    repo::count(db, tenant, condition, by_matches).await
}

/// [`count`] that stops at `limit`: exact up to it, and `limit` as a lower
/// bound above it. A count the tenant keeps is exact at any size.
pub async fn count_up_to(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    counting: &Counting,
    condition: Condition,
    limit: u64,
) -> AppResult<Count> {
    let first = match counting {
        Counting::Kept(facet) if tenant.location().is_none() => {
            return Ok(Count::exact(kept(db, tenant, facet).await?));
        }
        Counting::Kept(_) | Counting::Rows => CountFirst::Any,
        // The kept counts are the whole tenant's.
        Counting::AnyOf(facets) if tenant.location().is_none() => {
            for facet in facets {
                if kept(db, tenant, facet).await? > limit {
                    return Ok(Count::up_to(limit + 1, limit));
                }
            }
            CountFirst::Any
        }
        Counting::AnyOf(_) => CountFirst::Any,
        Counting::Overdue => CountFirst::OldestOrders,
        Counting::Recent => CountFirst::NewestOrders,
        Counting::Matches => {
            if db.get_database_backend() == DbBackend::Sqlite
                && kept(db, tenant, &Facet::all()).await? >= MATCHES_FROM
            {
                CountFirst::SearchMatches
            } else {
                CountFirst::Any
            }
        }
    };
    let found = repo::count_up_to(db, tenant, condition, first, limit + 1).await?;
    Ok(Count::up_to(found, limit))
}

/// The tenant's count of `facet`: the sum of its key's rows.
async fn kept(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    facet: &Facet,
) -> AppResult<u64> {
    use customer_count::Column as C;
    let n: Option<Option<i64>> = tenancy::select::<customer_count::Entity>(tenant)
        .filter(C::Facet.eq(facet.facet))
        .filter(C::Value.eq(facet.value.as_str()))
        .select_only()
        .column_as(Expr::col(C::N).sum().cast_as("BIGINT"), "n")
        .into_tuple()
        .one(db)
        .await?;
    Ok(u64::try_from(n.flatten().unwrap_or(0)).unwrap_or(0))
}

/// How long a tenant's size, once read, is taken as it is.
const SIZE_KEPT_FOR: Duration = Duration::from_secs(30);

/// How many customers each tenant has, read from the maintained counts and
/// kept for [`SIZE_KEPT_FOR`]: how a searched page is read depends on it
/// (never which rows it holds), and a size a little stale reads it as well.
#[derive(Debug, Default)]
pub struct TenantSizes(Mutex<HashMap<TenantId, (u64, Instant)>>);

impl TenantSizes {
    pub async fn of(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        tenant: &TenantId,
    ) -> AppResult<u64> {
        let kept_size = {
            let sizes = self.0.lock().unwrap_or_else(|e| e.into_inner());
            sizes
                .get(tenant)
                .filter(|(_, at)| at.elapsed() < SIZE_KEPT_FOR)
                .map(|(n, _)| *n)
        };
        if let Some(n) = kept_size {
            return Ok(n);
        }
        let n = kept(db, tenant, &Facet::all()).await?;
        let mut sizes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        sizes.insert(tenant.clone(), (n, Instant::now()));
        Ok(n)
    }
}

/// How often the server compacts PostgreSQL's delta rows.
pub const COMPACT_EVERY: Duration = Duration::from_secs(5);

/// Compacts the delta rows of `customer_counts` every [`COMPACT_EVERY`], so that a
/// count sums a few rows however many writes came before (PostgreSQL;
/// SQLite keeps one row per key). Compactions run on a connection of their
/// own, outside the request pool (whose statements the server counts).
pub async fn compact_forever(args: DatabaseArgs) {
    if args.is_sqlite() {
        return;
    }
    let own = DatabaseArgs {
        database_url: args.database_url,
        db_pool: Some(1),
    };
    let mut ticks = tokio::time::interval(COMPACT_EVERY);
    let mut db = None;
    loop {
        ticks.tick().await;
        if db.is_none() {
            match crate::db::connect(&own).await {
                Ok(connected) => db = Some(connected),
                Err(err) => {
                    tracing::warn!(error = %err, "no connection to compact customer counts");
                    continue;
                }
            }
        }
        if let Some(db) = &db
            && let Err(err) = compact_customer_counts(db).await
        {
            tracing::warn!(error = %err, "compacting customer counts failed");
        }
    }
}

/// Compacts each key's delta rows of `customer_counts` into one
/// (PostgreSQL; `customer_counts_fold()`, see the migration that made the
/// table). Returns how many keys were compacted; 0 when another server was
/// compacting at the time.
pub async fn compact_customer_counts(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT customer_counts_fold() AS folded",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("customer_counts_fold".into()))?;
    row.try_get("", "folded")
}
