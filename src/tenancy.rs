//! Tenant confinement by construction.
//!
//! The tenant comes from the verified token ([`crate::auth::Viewer`]) and
//! nowhere else. Every query of a tenant-owned table starts from [`select`]
//! (or [`select_tested`]), [`update`] or [`delete`] here, which add
//! `tenant_id = ?`, or is a [`subquery`], which does the same.
//! No other module starts a query from an entity (a test scans the source
//! for it); the few statements written as SQL text (the PostgreSQL search,
//! bulk inserts) bind the tenant as a parameter the same way. Inserts take
//! the tenant from the same [`TenantId`].

use sea_orm::sea_query::{Expr, ExprTrait as _, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DeleteMany, EntityTrait, IdenStatic, QueryFilter, QuerySelect,
    Select, UpdateMany,
};

use crate::error::AppResult;

/// A tenant's identifier, as carried by the token's `tenant` claim, and
/// the location it may be narrowed to.
///
/// Narrowed ([`TenantId::narrowed_to`]), every query made from here of the
/// tenant's customers, and of the rows that hang off a customer (orders,
/// notes, the timeline, tags, …), reads only that location's customers'.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TenantId {
    id: String,
    /// A location's row key.
    location: Option<String>,
}

impl TenantId {
    /// 1–64 characters of letters, digits, `-`, `_` or `.`.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        ok.then(|| TenantId {
            id: raw.to_owned(),
            location: None,
        })
    }

    /// The tenant's identifier (never the location).
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The same tenant narrowed to one of its locations (a row key). A
    /// tenant narrowed already stays narrowed: to the same location, or,
    /// asked for another, to none (no key is empty).
    pub fn narrowed_to(&self, location: &str) -> Self {
        let location = match &self.location {
            Some(current) if current != location => String::new(),
            _ => location.to_owned(),
        };
        TenantId {
            id: self.id.clone(),
            location: Some(location),
        }
    }

    /// The whole tenant, for what is unique in it whatever the location:
    /// finding the customer that has an email or phone before a write in a
    /// location joins it there. Never for reading a customer's data.
    pub fn whole(&self) -> Self {
        TenantId {
            id: self.id.clone(),
            location: None,
        }
    }

    /// The location the tenant is narrowed to, if any.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)
    }
}

/// An entity whose rows belong to a tenant.
pub trait TenantOwned: EntityTrait {
    /// The `tenant_id` column.
    fn tenant_column() -> Self::Column;

    /// The column naming the customer a row belongs to (`id` for
    /// customers themselves), by which a narrowed tenant's queries keep to
    /// its location's customers; `None` for rows of the whole tenant.
    fn customer_column() -> Option<Self::Column> {
        None
    }

    /// The column naming the location a row is of (`id` for locations
    /// themselves), by which a narrowed tenant's queries keep to its own
    /// location; `None` for rows of no location.
    fn location_column() -> Option<Self::Column> {
        None
    }
}

/// A tenant-owned entity whose rows have their own key (`id`).
pub trait Keyed: TenantOwned {
    /// The key column (`id`, or a definition's `key`).
    fn key_column() -> Self::Column;
}

/// Custom field definitions are keyed by their `key`.
impl Keyed for entity::custom_field::Entity {
    fn key_column() -> Self::Column {
        entity::custom_field::Column::Key
    }
}

/// `impl TenantOwned` for tables whose tenant column is `tenant_id` (with
/// the column naming their customer after `=>`), and `impl Keyed` for
/// those of them keyed by `id`.
macro_rules! tenant_tables {
    (
        keyed: [$($keyed:ident $(=> $keyed_customer:ident)?),* $(,)?],
        unkeyed: [$($unkeyed:ident $(=> $unkeyed_customer:ident)?),* $(,)?] $(,)?
    ) => {
        $(
            impl TenantOwned for entity::$keyed::Entity {
                fn tenant_column() -> Self::Column {
                    entity::$keyed::Column::TenantId
                }
                $(
                    fn customer_column() -> Option<Self::Column> {
                        Some(entity::$keyed::Column::$keyed_customer)
                    }
                )?
            }

            impl Keyed for entity::$keyed::Entity {
                fn key_column() -> Self::Column {
                    entity::$keyed::Column::Id
                }
            }
        )*
        $(
            impl TenantOwned for entity::$unkeyed::Entity {
                fn tenant_column() -> Self::Column {
                    entity::$unkeyed::Column::TenantId
                }
                $(
                    fn customer_column() -> Option<Self::Column> {
                        Some(entity::$unkeyed::Column::$unkeyed_customer)
                    }
                )?
            }
        )*
    };
}

tenant_tables!(
    keyed: [
        api_key,
        bulk_operation,
        company,
        customer => Id,
        customer_address => CustomerId,
        customer_field_change => CustomerId,
        order => CustomerId,
        activity => CustomerId,
        note => CustomerId,
        segment,
        data_request => CustomerId,
        duplicate_pair => CustomerId,
        job,
        webhook_endpoint,
        webhook_event,
        webhook_delivery,
    ],
    unkeyed: [
        bulk_export_chunk,
        custom_field,
        customer_contact => CustomerId,
        common_match_key,
        customer_match_key => CustomerId,
        customer_merge => KeepId,
        dismissed_duplicate => CustomerId,
        duplicate_refresh => CustomerId,
        customer_tag => CustomerId,
        customer_count,
        rfm_breakpoints,
        segment_member => CustomerId,
        segment_membership => CustomerId,
        segment_recheck => CustomerId,
        tenant_setting,
        erasure_audit,
        export => CustomerId,
        webhook_attempt,
    ],
);

/// Locations: a narrowed tenant sees its own.
impl TenantOwned for entity::location::Entity {
    fn tenant_column() -> Self::Column {
        entity::location::Column::TenantId
    }

    fn location_column() -> Option<Self::Column> {
        Some(entity::location::Column::Id)
    }
}

impl Keyed for entity::location::Entity {
    fn key_column() -> Self::Column {
        entity::location::Column::Id
    }
}

/// Memberships: a narrowed tenant sees its own location's.
impl TenantOwned for entity::customer_location::Entity {
    fn tenant_column() -> Self::Column {
        entity::customer_location::Column::TenantId
    }

    fn location_column() -> Option<Self::Column> {
        Some(entity::customer_location::Column::LocationId)
    }
}

/// `SELECT customer_id FROM customer_locations WHERE tenant_id = ? AND
/// location_id = ?`: the customers of a location.
pub fn location_members(tenant: &TenantId, location: &str) -> SelectStatement {
    use entity::customer_location::{Column as C, Entity as Members};
    Query::select()
        .column((Members, C::CustomerId))
        .from(Members)
        .and_where(Expr::col((Members, C::TenantId)).eq(tenant.as_str()))
        .and_where(Expr::col((Members, C::LocationId)).eq(location))
        .to_owned()
}

/// `customers.id IN (…)`: the customers of a location, as `tenant` sees
/// them (a tenant narrowed to another location sees none there).
pub fn in_location(tenant: &TenantId, location: &str) -> sea_orm::sea_query::SimpleExpr {
    let narrowed = tenant.narrowed_to(location);
    let location = narrowed.location().unwrap_or_default();
    Expr::col((entity::customer::Entity, entity::customer::Column::Id))
        .in_subquery(location_members(&narrowed, location))
}

/// What keeps a narrowed tenant's query of `E` to its location (its
/// customers' rows, or its own location's); `None` when the tenant is
/// whole or `E` belongs to neither.
fn narrowing<E: TenantOwned>(tenant: &TenantId) -> Option<sea_orm::sea_query::SimpleExpr> {
    let location = tenant.location()?;
    if let Some(column) = E::location_column() {
        return Some(Expr::col((E::default(), column)).eq(location));
    }
    let column = E::customer_column()?;
    Some(Expr::col((E::default(), column)).in_subquery(location_members(tenant, location)))
}

/// `q` with the narrowing of `E`, if any.
fn narrowed<E: TenantOwned, Q: QueryFilter>(tenant: &TenantId, q: Q) -> Q {
    match narrowing::<E>(tenant) {
        Some(condition) => q.filter(condition),
        None => q,
    }
}

/// `SELECT … WHERE tenant_id = ?`, narrowed to the tenant's location if it
/// has one.
pub fn select<E: TenantOwned>(tenant: &TenantId) -> Select<E> {
    narrowed::<E, _>(
        tenant,
        E::find().filter(E::tenant_column().eq(tenant.as_str())),
    )
}

/// The tenant's row with this key.
pub async fn find<E: Keyed>(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
) -> AppResult<Option<E::Model>> {
    Ok(select::<E>(tenant)
        .filter(E::key_column().eq(key))
        .one(db)
        .await?)
}

/// The tenant's row with this key, locked until the transaction ends
/// (PostgreSQL `FOR UPDATE`; a SQLite write transaction holds the whole
/// database already), so read-modify-writes of one row queue up.
pub async fn find_for_update<E: Keyed>(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
) -> AppResult<Option<E::Model>> {
    Ok(select::<E>(tenant)
        .filter(E::key_column().eq(key))
        .lock_exclusive()
        .one(db)
        .await?)
}

/// The tenant's rows with these keys (in no particular order).
pub async fn find_many<E: Keyed>(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<Vec<E::Model>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    Ok(select::<E>(tenant)
        .filter(E::key_column().is_in(keys.iter().map(String::as_str)))
        .all(db)
        .await?)
}

/// `SELECT … WHERE +tenant_id = ?`, for SQLite: the unary `+` keeps the
/// tenant from choosing an index, so that another condition (the search
/// index's matches) drives the query and the tenant is tested on each row
/// it finds. Without statistics, which SQLite does not keep here, the
/// planner takes any tenant for a handful of rows and reads it whole.
pub fn select_tested<E: TenantOwned>(tenant: &TenantId) -> Select<E> {
    let column = format!(
        r#"+"{}"."{}" = ?"#,
        E::default().table_name(),
        E::tenant_column().as_str()
    );
    narrowed::<E, _>(
        tenant,
        E::find().filter(Expr::cust_with_values(column, [tenant.as_str()])),
    )
}

/// `UPDATE … WHERE tenant_id = ?`, narrowed as [`select`] is.
pub fn update<E: TenantOwned>(tenant: &TenantId) -> UpdateMany<E> {
    narrowed::<E, _>(
        tenant,
        E::update_many().filter(E::tenant_column().eq(tenant.as_str())),
    )
}

/// `DELETE … WHERE tenant_id = ?`, narrowed as [`select`] is.
pub fn delete<E: TenantOwned>(tenant: &TenantId) -> DeleteMany<E> {
    narrowed::<E, _>(
        tenant,
        E::delete_many().filter(E::tenant_column().eq(tenant.as_str())),
    )
}

/// `SELECT …` over every tenant's rows: only for server maintenance (the
/// RFM refresher) and for finding the tenant an API key belongs to, never
/// for a request's data.
pub fn across_tenants<E: TenantOwned>() -> Select<E> {
    E::find()
}

/// `UPDATE …` over every tenant's rows: only for server maintenance (the
/// job queue's worker claiming due jobs), never for a request.
pub fn across_tenants_update<E: TenantOwned>() -> UpdateMany<E> {
    E::update_many()
}

/// `DELETE …` over every tenant's rows: only for server maintenance
/// (removing expired export archives), never for a request.
pub fn across_tenants_delete<E: TenantOwned>() -> DeleteMany<E> {
    E::delete_many()
}

/// `SELECT … FROM e WHERE e.tenant_id = ?`, for a subquery (`id IN (…)`);
/// the caller adds the columns.
pub fn subquery<E: TenantOwned>(tenant: &TenantId) -> SelectStatement {
    let mut query = Query::select()
        .from(E::default())
        .and_where(Expr::col((E::default(), E::tenant_column())).eq(tenant.as_str()))
        .to_owned();
    if let Some(condition) = narrowing::<E>(tenant) {
        query.and_where(condition);
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrowed_tenant_cannot_widen() {
        let tenant = TenantId::parse("acme").expect("a valid tenant");
        let here = tenant.narrowed_to("a");
        assert_eq!(here.location(), Some("a"));
        assert_eq!(here.narrowed_to("a"), here);
        assert_eq!(here.narrowed_to("b").location(), Some(""));
        assert_eq!(here.as_str(), "acme");
    }

    #[test]
    fn tenant_ids_are_a_safe_alphabet() {
        assert!(TenantId::parse("acme-shop_1.eu").is_some());
        for bad in ["", "a b", "x'; --", &"a".repeat(65), "ünï"] {
            assert!(TenantId::parse(bad).is_none(), "{bad:?}");
        }
    }
}
