//! Finding pairs: for the customers a write changed ([`refresh`]), or for
//! a whole tenant from scratch ([`rebuild`]).

use std::collections::{HashMap, HashSet};

use entity::{customer, duplicate_pair as pair};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryOrder as _, QuerySelect as _};

use super::likeness::{self, Person};
use super::{person, repo};
use crate::db::begin_write;
use crate::error::AppResult;
use crate::tenancy::{self, TenantId};

/// Customers a blocking key may hold and still compare them: a key shared
/// by more (a very common name and initial) compares none by that key.
pub const BLOCK_LIMIT: usize = 50;

/// Customers a rebuild reads at a time.
const REBUILD_BATCH: u64 = 5_000;

/// Files the customers `keys` (changed, created or gone) under their
/// blocking keys again and replaces their pairs, in the caller's
/// transaction.
pub async fn refresh(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<()> {
    if keys.is_empty() {
        return Ok(());
    }
    // Pairs span the whole tenant, whichever location the writer is in.
    let tenant = &tenant.whole();
    let rows = tenancy::find_many::<customer::Entity>(db, tenant, keys).await?;
    let people: HashMap<String, Person> = rows
        .iter()
        .map(|row| (row.id.clone(), person::of(row)))
        .collect();
    let mut filed = Vec::new();
    for (key, person) in &people {
        filed.extend(
            likeness::blocking_keys(person)
                .into_iter()
                .map(|k| (key.clone(), k)),
        );
    }
    let mut wanted: Vec<String> = filed.iter().map(|(_, k)| k.clone()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    repo::replace_keys(db, tenant, keys, filed.clone()).await?;
    let members = repo::block_members(db, tenant, &wanted, BLOCK_LIMIT).await?;
    let blocks = small_blocks(members);
    let mut candidates: HashSet<(String, String)> = HashSet::new();
    for (key, match_key) in &filed {
        for other in blocks.get(match_key).into_iter().flatten() {
            if other != key {
                candidates.insert(ordered(key, other));
            }
        }
    }
    let mut others: Vec<String> = candidates
        .iter()
        .flat_map(|(a, b)| [a, b])
        .filter(|k| !people.contains_key(*k))
        .cloned()
        .collect();
    others.sort_unstable();
    others.dedup();
    let mut all = people;
    for row in tenancy::find_many::<customer::Entity>(db, tenant, &others).await? {
        all.insert(row.id.clone(), person::of(&row));
    }
    let dismissed = repo::dismissed_of(db, tenant, keys).await?;
    repo::delete_pairs_of(db, tenant, keys).await?;
    let pairs = scored(tenant, &all, candidates, &dismissed);
    repo::insert_pairs(db, &pairs).await
}

/// Files every customer of the tenant and finds every pair, replacing
/// what was there. One transaction: readers see the old pairs or the new.
pub async fn rebuild(db: &DatabaseConnection, tenant: &TenantId) -> AppResult<u64> {
    let tenant = &tenant.whole();
    let txn = begin_write(db).await?;
    repo::clear(&txn, tenant).await?;
    let mut people: HashMap<String, Person> = HashMap::new();
    let mut blocks: HashMap<String, Vec<String>> = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = tenancy::select::<customer::Entity>(tenant)
            .order_by_asc(customer::Column::Id)
            .limit(REBUILD_BATCH);
        if let Some(after) = &after {
            use sea_orm::{ColumnTrait as _, QueryFilter as _};
            query = query.filter(customer::Column::Id.gt(after.as_str()));
        }
        let rows = query.all(&txn).await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = Some(last.id.clone());
        let mut filed = Vec::new();
        for row in rows {
            let person = person::of(&row);
            for key in likeness::blocking_keys(&person) {
                blocks.entry(key.clone()).or_default().push(row.id.clone());
                filed.push((row.id.clone(), key));
            }
            people.insert(row.id, person);
        }
        repo::insert_keys(&txn, tenant, filed).await?;
    }
    let mut candidates = HashSet::new();
    for members in blocks
        .values()
        .filter(|m| (2..=BLOCK_LIMIT).contains(&m.len()))
    {
        for (i, a) in members.iter().enumerate() {
            for b in &members[i + 1..] {
                candidates.insert(ordered(a, b));
            }
        }
    }
    let dismissed = repo::all_dismissed(&txn, tenant).await?;
    let pairs = scored(tenant, &people, candidates, &dismissed);
    repo::insert_pairs(&txn, &pairs).await?;
    txn.commit().await?;
    Ok(pairs.len() as u64)
}

/// The members of each block of at most [`BLOCK_LIMIT`] customers.
fn small_blocks(members: Vec<(String, String)>) -> HashMap<String, Vec<String>> {
    let mut blocks: HashMap<String, Vec<String>> = HashMap::new();
    for (key, customer) in members {
        blocks.entry(key).or_default().push(customer);
    }
    blocks.retain(|_, members| members.len() <= BLOCK_LIMIT);
    blocks
}

fn ordered(a: &str, b: &str) -> (String, String) {
    if a < b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}

/// The candidates worth proposing, scored, leaving out dismissed pairs.
fn scored(
    tenant: &TenantId,
    people: &HashMap<String, Person>,
    candidates: HashSet<(String, String)>,
    dismissed: &HashSet<(String, String)>,
) -> Vec<pair::Model> {
    let now = crate::db::now();
    let mut pairs: Vec<pair::Model> = candidates
        .into_iter()
        .filter(|candidate| !dismissed.contains(candidate))
        .filter_map(|(a, b)| {
            let likeness = likeness::score(people.get(&a)?, people.get(&b)?)?;
            Some(pair::Model {
                tenant_id: tenant.as_str().to_owned(),
                id: repo::pair_key(&a, &b),
                customer_id: a,
                other_id: b,
                score: likeness.score,
                reasons: serde_json::Value::from(likeness.reasons),
                found_at: now,
            })
        })
        .collect();
    pairs.sort_by(|x, y| x.id.cmp(&y.id));
    pairs
}
