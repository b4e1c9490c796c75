//! Per-request batch loaders: segments by key, member counts of many
//! segments, and the segments of many customers, each in a fixed number of
//! statements whatever the number of keys.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::segment;
use sea_orm::Condition;

use super::{Definition, Env, repo};
use crate::analytics::breakpoints;
use crate::error::AppResult;
use crate::profiles::fields::Fields;
use crate::profiles::repo as customers;
use crate::tenancy::{self, TenantId};

/// Segments by key.
pub struct SegmentLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for SegmentLoader {
    type Value = segment::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows =
            tenancy::find_many::<entity::segment::Entity>(&self.db, &self.tenant, keys).await?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
    }
}

/// The evaluation context of these segments: the tenant's breakpoints are
/// read only when a rule needs them.
pub(super) async fn env(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    defs: &[Definition],
) -> AppResult<Env> {
    let breakpoints = if defs.iter().any(Definition::needs_breakpoints) {
        Some(breakpoints::current(db, tenant).await?)
    } else {
        None
    };
    let fields = Fields::when(defs.iter().any(Definition::needs_fields), db, tenant).await?;
    Ok(Env::new(
        db.get_database_backend(),
        tenant,
        breakpoints,
        fields,
    ))
}

pub(super) fn dynamic_conditions(
    defs: &[Definition],
    env: &Env,
) -> AppResult<Vec<(String, Condition)>> {
    defs.iter()
        .filter(|d| d.dynamic)
        .map(|d| Ok((d.key.clone(), d.condition(env)?)))
        .collect()
}

/// Members of each segment: one `GROUP BY` for the static ones, one pass
/// over the tenant's customers for the dynamic ones.
pub struct MemberCountLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for MemberCountLoader {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows =
            tenancy::find_many::<entity::segment::Entity>(&self.db, &self.tenant, keys).await?;
        let defs = rows
            .iter()
            .map(Definition::of)
            .collect::<AppResult<Vec<_>>>()?;
        let listed: Vec<String> = defs
            .iter()
            .filter(|d| !d.dynamic)
            .map(|d| d.key.clone())
            .collect();
        let mut counts = repo::listed_counts(&self.db, &self.tenant, &listed).await?;
        let mut dynamic = dynamic_conditions(&defs, &env(&self.db, &self.tenant, &defs).await?)?;
        if let [(key, condition)] = dynamic.as_mut_slice() {
            // One segment: a plain `WHERE`, which its indexes can serve.
            let n = customers::count(&self.db, &self.tenant, condition.clone(), false).await?;
            counts.insert(std::mem::take(key), i64::try_from(n).unwrap_or(i64::MAX));
        } else if !dynamic.is_empty() {
            counts.extend(repo::counts(&self.db, &self.tenant, &dynamic).await?);
        }
        Ok(defs
            .iter()
            .map(|d| (d.key.clone(), counts.get(&d.key).copied().unwrap_or(0)))
            .collect())
    }
}

/// The segments each customer belongs to, by name: the tenant's segments,
/// the static memberships of the customers, and one statement that
/// evaluates every dynamic segment for all of them.
pub struct CustomerSegmentsLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for CustomerSegmentsLoader {
    type Value = Vec<segment::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let (db, tenant) = (&self.db, &self.tenant);
        let segments = repo::all(db, tenant).await?;
        let mut out: HashMap<String, Vec<segment::Model>> = HashMap::new();
        if segments.is_empty() {
            return Ok(out);
        }
        let defs = segments
            .iter()
            .map(Definition::of)
            .collect::<AppResult<Vec<_>>>()?;
        let mut pairs = repo::listed_memberships(db, tenant, keys).await?;
        let dynamic = dynamic_conditions(&defs, &env(db, tenant, &defs).await?)?;
        if !dynamic.is_empty() {
            pairs.extend(repo::matches(db, tenant, keys, &dynamic).await?);
        }
        // Each customer's segments in the tenant's name order.
        let position: HashMap<&str, usize> = segments
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        pairs.sort_by_key(|(_, s)| position.get(s.as_str()).copied());
        for (customer, key) in pairs {
            if let Some(&i) = position.get(key.as_str()) {
                out.entry(customer).or_default().push(segments[i].clone());
            }
        }
        Ok(out)
    }
}

crate::graphql::tenant_loaders!(SegmentLoader, MemberCountLoader, CustomerSegmentsLoader);
