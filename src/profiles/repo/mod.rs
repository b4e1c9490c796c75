//! Customer rows: every function takes the tenant and starts from the
//! tenant-scoped queries of [`crate::tenancy`].

use std::collections::HashMap;

use entity::{customer, customer_tag};
use sea_orm::sea_query::{Expr, ExprTrait as _, Func, NullOrdering, Order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, FromQueryResult,
    IntoActiveModel, QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait as _, Select,
};

use crate::error::AppResult;
use crate::graphql::pagination::{self, Keyset, Reading};
use crate::ids::{self, CustomerId};
use crate::profiles::additional;
use crate::profiles::contact::{Email, Phone};
use crate::tenancy::{self, TenantId};

mod bulk;

pub use bulk::{
    add_tags, insert_many, insert_new_many, lock_by_emails_or_phones, lock_many,
    lock_many_to_delete, replace_tags_many, write_many,
};

/// A new, empty customer row of the tenant.
pub fn blank(tenant: &TenantId) -> customer::Model {
    let now = crate::db::now();
    customer::Model {
        tenant_id: tenant.as_str().to_owned(),
        id: ids::new_key(),
        name: None,
        first_name: None,
        last_name: None,
        sort_name: None,
        email: None,
        phone: None,
        company_name: None,
        avatar_url: None,
        status: "ACTIVE".to_owned(),
        source: None,
        address_line1: None,
        address_line2: None,
        city: None,
        state: None,
        postal_code: None,
        country: None,
        metadata: serde_json::json!({}),
        search_text: String::new(),
        total_orders: 0,
        total_spent_cents: 0,
        last_order_at: None,
        first_order_at: None,
        created_at: now,
        updated_at: now,
        email_consent: customer::ConsentState::NotSubscribed,
        email_consent_level: None,
        email_consent_at: None,
        email_consent_source: None,
        sms_consent: customer::ConsentState::NotSubscribed,
        sms_consent_level: None,
        sms_consent_at: None,
        sms_consent_source: None,
        locale: None,
        currency: None,
        default_address_id: None,
        company_id: None,
        additional_emails: serde_json::Value::Array(Vec::new()),
        additional_phones: serde_json::Value::Array(Vec::new()),
    }
}

pub async fn find(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &CustomerId,
) -> AppResult<Option<customer::Model>> {
    tenancy::find::<customer::Entity>(db, tenant, key.as_str()).await
}

/// Like [`find`], locking the row until the transaction ends for a write
/// that keeps it ([`lock_many`]; SQLite write transactions already hold
/// the database lock), so concurrent read-modify-writes of one customer
/// queue up instead of losing each other's changes.
pub async fn find_for_update(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &CustomerId,
) -> AppResult<Option<customer::Model>> {
    Ok(lock_many(db, tenant, &[key.as_str().to_owned()])
        .await?
        .pop())
}

/// Sets `updated_at` of these customers; their rows after.
pub async fn touch(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<Vec<customer::Model>> {
    Ok(tenancy::update::<customer::Entity>(tenant)
        .col_expr(customer::Column::UpdatedAt, Expr::val(crate::db::now()))
        .filter(customer::Column::Id.is_in(keys.iter().cloned()))
        .exec_with_returning(db)
        .await?)
}

/// Removes these tags from these customers.
pub async fn remove_tags(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
    tags: &[String],
) -> AppResult<()> {
    if keys.is_empty() || tags.is_empty() {
        return Ok(());
    }
    tenancy::delete::<customer_tag::Entity>(tenant)
        .filter(customer_tag::Column::CustomerId.is_in(keys.iter().cloned()))
        .filter(customer_tag::Column::Tag.is_in(tags.iter().cloned()))
        .exec(db)
        .await?;
    Ok(())
}

/// A customer's row read with its tags ([`tag_list`]).
#[derive(FromQueryResult)]
struct WithTags {
    #[sea_orm(nested)]
    row: customer::Model,
    /// A JSON array of the tags.
    tag_list: String,
}

impl WithTags {
    /// The row and its tags, alphabetically.
    fn split(self) -> AppResult<(customer::Model, Vec<String>)> {
        Ok((self.row, parse_tag_list(&self.tag_list)?))
    }
}

/// The tags of a row read with them ([`tag_list`]), alphabetically.
pub fn tags_of(row: &QueryResult) -> Result<Vec<String>, DbErr> {
    parse_tag_list(&row.try_get::<String>("", TAG_LIST)?)
}

fn parse_tag_list(list: &str) -> Result<Vec<String>, DbErr> {
    serde_json::from_str(list).map_err(|e| DbErr::Type(format!("{TAG_LIST}: {e}")))
}

/// The name of the tags' column beside a row's ([`tag_list`]).
const TAG_LIST: &str = "tag_list";

/// The customer `key` read with only `columns` (and its tags when
/// `tags`, [`tags_of`]), made by `decode`; `None` when there is none.
pub async fn find_as<M>(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
    (columns, tags): (&[customer::Column], bool),
    decode: pagination::Decode<'_, M>,
) -> AppResult<Option<M>> {
    let mut select = tenancy::select::<customer::Entity>(tenant)
        .select_only()
        .columns(columns.iter().copied())
        .filter(customer::Column::Id.eq(key));
    if tags {
        select = select.expr_as(tag_list(tenant, db.get_database_backend()), TAG_LIST);
    }
    let row = db.query_one(&select.into_query()).await?;
    Ok(row.as_ref().map(decode).transpose()?)
}

/// [`find_many`], each row with its tags (alphabetically) in the same
/// statement: a subquery per row reads them from the tags' primary key.
pub async fn find_many_with_tags(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<Vec<(customer::Model, Vec<String>)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows = tenancy::select::<customer::Entity>(tenant)
        .filter(customer::Column::Id.is_in(keys.iter().cloned()))
        .expr_as(tag_list(tenant, db.get_database_backend()), TAG_LIST)
        .into_model::<WithTags>()
        .all(db)
        .await?;
    rows.into_iter().map(WithTags::split).collect()
}

/// The customer's tags as a JSON array in tag order, for the row of the
/// outer query. PostgreSQL collects them with `ARRAY(…)` in the order of
/// their primary key, which costs less than aggregating them as JSON.
fn tag_list(tenant: &TenantId, backend: DbBackend) -> Expr {
    use customer_tag::Column as T;
    let mut tags = tenancy::subquery::<customer_tag::Entity>(tenant)
        .and_where(
            Expr::col((customer_tag::Entity, T::CustomerId))
                .equals((customer::Entity, customer::Column::Id)),
        )
        .to_owned();
    match backend {
        DbBackend::Postgres => {
            tags.column((customer_tag::Entity, T::Tag))
                .order_by((customer_tag::Entity, T::Tag), Order::Asc);
            Expr::cust_with_expr(
                "array_to_json(ARRAY $1)::text",
                Expr::SubQuery(None, Box::new(tags.into())),
            )
        }
        _ => {
            tags.expr(Expr::cust(
                r#"json_group_array("customer_tags"."tag" ORDER BY "customer_tags"."tag")"#,
            ));
            Expr::SubQuery(None, Box::new(tags.into()))
        }
    }
}

/// By email, case-insensitively (served by the `lower(email)` unique index),
/// primary first, then additional.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    email: &Email,
) -> AppResult<Option<customer::Model>> {
    let primary = tenancy::select::<customer::Entity>(tenant)
        .filter(Expr::expr(Func::lower(Expr::col(customer::Column::Email))).eq(email.as_str()))
        .one(db)
        .await?;
    match primary {
        Some(row) => Ok(Some(row)),
        None => match additional::owner_of_email(db, tenant, email).await? {
            Some(key) => Ok(tenancy::find::<customer::Entity>(db, tenant, &key).await?),
            None => Ok(None),
        },
    }
}

/// By E.164 phone, primary first, then additional.
pub async fn find_by_phone(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    phone: &Phone,
) -> AppResult<Option<customer::Model>> {
    let primary = tenancy::select::<customer::Entity>(tenant)
        .filter(customer::Column::Phone.eq(phone.as_str()))
        .one(db)
        .await?;
    match primary {
        Some(row) => Ok(Some(row)),
        None => match additional::owner_of_phone(db, tenant, phone).await? {
            Some(key) => Ok(tenancy::find::<customer::Entity>(db, tenant, &key).await?),
            None => Ok(None),
        },
    }
}

/// How a customer list is read.
pub enum Listing {
    /// Every customer of the tenant, through the sort's index.
    All,
    /// Through the sort's index, the filter tested on the way.
    Filtered,
    /// As `Filtered`, whole rows in one statement: for a filter an index
    /// other than the sort's answers (an email prefix), whose rows are
    /// read anyway, so that reading the page's ids first would read them
    /// twice.
    Direct,
    /// As `Direct`, for a filter PostgreSQL plans without its values: an
    /// email prefix written as the range of the email index
    /// ([`crate::profiles::FilterEnv`]'s `prefix_range`), so that one plan
    /// is kept for every prefix.
    Range,
    /// The filter's matches are not foreseen by the planner (on
    /// PostgreSQL a search, an `or` or a `not`; on SQLite, which plans
    /// without statistics, tags or branches: [`Keyset::fetch_searched`]),
    /// in a tenant of this many customers; `rare_first` for a search whose
    /// terms a trigram index answers, which are mostly rare.
    Unforeseen { tenant_size: u64, rare_first: bool },
}

impl Listing {
    /// The rows of a page (the tenant's `rows` narrowed by `filter`) and
    /// how they are read.
    fn reading(
        self,
        rows: Select<customer::Entity>,
        filter: Condition,
    ) -> (Select<customer::Entity>, Reading) {
        match self {
            Listing::Unforeseen {
                tenant_size,
                rare_first,
            } => (
                rows,
                Reading::Searched {
                    filter,
                    size: tenant_size,
                    rare_first,
                },
            ),
            Listing::All => (rows, Reading::Unfiltered),
            Listing::Filtered => (rows.filter(filter), Reading::Deferred),
            Listing::Direct => (rows.filter(filter), Reading::Direct),
            Listing::Range => (rows.filter(filter), Reading::OnePlan),
        }
    }
}

/// One page of every customer of the tenant ([`Listing::All`]), each row
/// with its tags (alphabetically) in the same statement.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn list_all_with_tags(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keyset: &Keyset<'_, customer::Entity>,
) -> AppResult<Vec<(customer::Model, Vec<String>)>> {
    let tenant_rows = tenancy::select::<customer::Entity>(tenant)
        .expr_as(tag_list(tenant, db.get_database_backend()), TAG_LIST);
    let rows: Vec<WithTags> = keyset.fetch_unfiltered(db, tenant_rows).await?;
    rows.into_iter().map(WithTags::split).collect()
}

/// One page of the customers matching `filter`.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    filter: Condition,
    listing: Listing,
    keyset: &Keyset<'_, customer::Entity>,
) -> AppResult<Vec<customer::Model>> {
    let (rows, reading) = listing.reading(tenancy::select::<customer::Entity>(tenant), filter);
    keyset.fetch_as(db, rows, reading, &pagination::model).await
}

/// [`list`] reading only `columns` (with the sort's key among them), each
/// row made by `decode`; on a page of every customer ([`Listing::All`]),
/// with its tags when `tags` ([`tags_of`]).
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn list_as<M: Send + Sync>(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    (filter, listing): (Condition, Listing),
    keyset: &Keyset<'_, customer::Entity>,
    (columns, tags): (&[customer::Column], bool),
    decode: pagination::Decode<'_, M>,
) -> AppResult<Vec<M>> {
    let mut rows = tenancy::select::<customer::Entity>(tenant)
        .select_only()
        .columns(columns.iter().copied());
    if tags && matches!(listing, Listing::All) {
        rows = rows.expr_as(tag_list(tenant, db.get_database_backend()), TAG_LIST);
    }
    let (rows, reading) = listing.reading(rows, filter);
    keyset.fetch_as(db, rows, reading, decode).await
}

/// How many of the tenant's customers meet `filter`. `by_matches` on SQLite,
/// for a search in a large tenant: the search index's matches drive the
/// count and the tenant is tested on each ([`tenancy::select_tested`]),
/// rather than the tenant read whole.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn count(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    filter: Condition,
    by_matches: bool,
) -> AppResult<u64> {
    let rows = if by_matches {
        tenancy::select_tested::<customer::Entity>(tenant)
    } else {
        tenancy::select::<customer::Entity>(tenant)
    };
    pagination::count(db, rows.filter(filter), customer::Column::Id).await
}

/// Which rows a count that stops at a limit reads first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountFirst {
    /// Whichever the plan finds cheapest.
    Any,
    /// The search index's matches, testing the tenant on each (`by_matches`
    /// of [`count`]).
    SearchMatches,
    /// The oldest last orders: where a churn risk above a threshold is met
    /// most, so that the count reaches its limit in few rows.
    OldestOrders,
    /// The newest last orders: where a churn risk below a threshold is met
    /// most.
    NewestOrders,
}

/// [`count`] reading no more than `limit` rows, `first` where it begins.
pub async fn count_up_to(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    filter: Condition,
    first: CountFirst,
    limit: u64,
) -> AppResult<u64> {
    let rows = match first {
        CountFirst::Any => tenancy::select::<customer::Entity>(tenant),
        CountFirst::SearchMatches => tenancy::select_tested::<customer::Entity>(tenant),
        // The `last_order_at` index's order (NULL first) or its reverse, so
        // that the index is read in place; customers without an order fail
        // the churn test anyway.
        CountFirst::OldestOrders => tenancy::select::<customer::Entity>(tenant)
            .order_by_with_nulls(
                customer::Column::LastOrderAt,
                Order::Asc,
                NullOrdering::First,
            ),
        CountFirst::NewestOrders => tenancy::select::<customer::Entity>(tenant)
            .order_by_with_nulls(
                customer::Column::LastOrderAt,
                Order::Desc,
                NullOrdering::Last,
            ),
    };
    pagination::count_up_to(db, rows.filter(filter), customer::Column::Id, limit).await
}

/// Inserts a row built by [`blank`]; a unique violation is left to the
/// caller (it means a concurrent writer won).
pub async fn insert(
    db: &impl ConnectionTrait,
    row: customer::Model,
) -> Result<customer::Model, DbErr> {
    row.into_active_model().reset_all().insert(db).await
}

/// Writes every column of an existing row (found through the scoped
/// queries above, so it is the tenant's), bumping `updated_at`.
pub async fn save(
    db: &impl ConnectionTrait,
    mut row: customer::Model,
) -> Result<customer::Model, DbErr> {
    row.updated_at = crate::db::now();
    row.into_active_model().reset_all().update(db).await
}

/// Deletes a customer (its tags go with it); false when there was none.
pub async fn delete(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &CustomerId,
) -> AppResult<bool> {
    let result = tenancy::delete::<customer::Entity>(tenant)
        .filter(customer::Column::Id.eq(key.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// The tags of each customer, alphabetically. Sorted here: asked to sort
/// them, SQLite (which plans without statistics) reads every tag of the
/// tenant through the `(tenant_id, tag)` index instead of the customers'
/// rows of the primary key.
pub async fn tags(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<HashMap<String, Vec<String>>> {
    let rows = tenancy::select::<customer_tag::Entity>(tenant)
        .filter(customer_tag::Column::CustomerId.is_in(keys.iter().cloned()))
        .all(db)
        .await?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        out.entry(row.customer_id).or_default().push(row.tag);
    }
    for tags in out.values_mut() {
        tags.sort_unstable();
    }
    Ok(out)
}

/// Replaces a customer's tags.
pub async fn replace_tags(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
    tags: &[String],
) -> AppResult<()> {
    replace_tags_many(db, tenant, &[(key.to_owned(), tags.to_vec())]).await
}

/// A customer's paid orders, summed up: what the customer row keeps of
/// them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub orders: i64,
    pub spent_cents: i64,
    pub first_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Writes a customer's order totals (recomputed from its paid orders by
/// the caller), bumping `updated_at`.
pub async fn set_totals(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
    totals: &Totals,
) -> AppResult<()> {
    tenancy::update::<customer::Entity>(tenant)
        .col_expr(customer::Column::TotalOrders, Expr::val(totals.orders))
        .col_expr(
            customer::Column::TotalSpentCents,
            Expr::val(totals.spent_cents),
        )
        .col_expr(customer::Column::FirstOrderAt, Expr::val(totals.first_at))
        .col_expr(customer::Column::LastOrderAt, Expr::val(totals.last_at))
        .col_expr(customer::Column::UpdatedAt, Expr::val(crate::db::now()))
        .filter(customer::Column::Id.eq(key))
        .exec(db)
        .await?;
    Ok(())
}
