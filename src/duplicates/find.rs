//! Finding pairs: for the customers a write changed ([`refresh`]), or for
//! a whole tenant from scratch ([`rebuild`]).

use std::collections::{HashMap, HashSet};

use entity::{customer, duplicate_pair as pair};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryOrder as _, QuerySelect as _};

use super::likeness::{self, Person};
use super::person;
use super::repo::{self, Filed};
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
    let filed: Vec<Filed> = people
        .iter()
        .flat_map(|(key, person)| filing(key, person))
        .collect();
    let mut wanted: Vec<String> = filed.iter().map(|f| f.key.clone()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    repo::replace_keys(db, tenant, keys, filed.clone()).await?;
    // Blocks known to be too large are not read; one found so now is
    // marked, and not read again.
    let common = repo::common_of(db, tenant, &wanted).await?;
    wanted.retain(|key| !common.contains(key));
    let members = repo::block_members(db, tenant, &wanted, BLOCK_LIMIT + 1).await?;
    let (blocks, large) = split_blocks(members);
    repo::mark_common(db, tenant, large).await?;
    let mut candidates: HashSet<(String, String)> = HashSet::new();
    for ours in &filed {
        for theirs in blocks.get(&ours.key).into_iter().flatten() {
            if theirs.customer != ours.customer && may_pair(ours, theirs) {
                candidates.insert(ordered(&ours.customer, &theirs.customer));
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
    // The marks of changes committed by now: the reads below see them. A
    // change after this marks its customer again.
    repo::forget_pending(db, tenant).await?;
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
            for entry in filing(&row.id, &person) {
                blocks
                    .entry(entry.key.clone())
                    .or_default()
                    .push(row.id.clone());
                filed.push(entry);
            }
            people.insert(row.id, person);
        }
        repo::insert_keys(&txn, tenant, filed).await?;
    }
    let large = blocks
        .iter()
        .filter(|(_, members)| members.len() > BLOCK_LIMIT)
        .map(|(key, _)| key.clone());
    repo::mark_common(&txn, tenant, large).await?;
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

/// A customer's blocking keys, its compared name beside the `s:` one.
fn filing(customer: &str, person: &Person) -> Vec<Filed> {
    let signature = likeness::name_signature(person);
    likeness::blocking_keys(person)
        .into_iter()
        .map(|key| Filed {
            customer: customer.to_owned(),
            name: key.starts_with("s:").then(|| signature.clone()).flatten(),
            key,
        })
        .collect()
}

/// Whether two customers filed under one key can make a pair: in a
/// sound-alike block only those whose names are the same or similar (the
/// others are never read), under any other key all.
fn may_pair(ours: &Filed, theirs: &Filed) -> bool {
    match (&ours.name, &theirs.name) {
        (Some(a), Some(b)) => likeness::close_signatures(a, b),
        _ => true,
    }
}

/// The members of each block of at most [`BLOCK_LIMIT`] customers, and
/// the keys of the larger blocks.
fn split_blocks(members: Vec<Filed>) -> (HashMap<String, Vec<Filed>>, Vec<String>) {
    let mut blocks: HashMap<String, Vec<Filed>> = HashMap::new();
    for member in members {
        blocks.entry(member.key.clone()).or_default().push(member);
    }
    let large: Vec<String> = blocks
        .iter()
        .filter(|(_, members)| members.len() > BLOCK_LIMIT)
        .map(|(key, _)| key.clone())
        .collect();
    for key in &large {
        blocks.remove(key);
    }
    (blocks, large)
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
