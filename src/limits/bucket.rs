//! The per-tenant cost budget: a leaky bucket in the style of Shopify's.
//! A tenant's bucket holds up to `bucket` points and refills at `restore`
//! points a second; a request takes its cost, or is refused when the
//! bucket lacks it.
//!
//! On SQLite (one server) the buckets live in this process. On PostgreSQL
//! every instance draws on one bucket per tenant in the database
//! (`rate_buckets`, measured by the database's clock), but not once a
//! request: an instance leases points from it a [`chunk`](Budget::chunk) at
//! a time and spends them in memory, so a read writes nothing. No instance
//! spends a point it has not taken from the shared bucket, so across
//! instances a tenant never gets more than the bucket and its refill; the
//! tolerance is the other way: points an instance leased and has not spent
//! (at most a chunk plus the cost of the request that leased them) are not
//! available to the tenant's requests on other instances.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sea_orm::{ConnectionTrait as _, DatabaseConnection, DbBackend, DbErr};

use crate::error::AppError;

/// The bucket's size and refill rate.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub bucket: f64,
    pub restore: f64,
}

impl Budget {
    /// How many points an instance leases from the shared bucket at once:
    /// a twentieth of the bucket (50 points, one second of refill, with
    /// the defaults).
    pub fn chunk(self) -> f64 {
        (self.bucket / 20.0).max(1.0)
    }

    /// What a bucket that held `available` at `since` holds now.
    fn refilled(self, available: f64, since: Instant) -> f64 {
        (available + self.restore * since.elapsed().as_secs_f64()).min(self.bucket)
    }
}

/// The state of a tenant's bucket after a request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Throttle {
    /// Whether the request's cost was taken.
    pub granted: bool,
    pub available: f64,
}

impl Throttle {
    /// Whole seconds until the bucket holds `cost` (at least 1).
    pub fn retry_after(&self, cost: u64, budget: Budget) -> u64 {
        let missing = (cost as f64 - self.available).max(0.0);
        ((missing / budget.restore).ceil() as u64).max(1)
    }
}

/// A tenant's bucket as this process holds it.
#[derive(Debug)]
struct Held {
    /// On SQLite the whole bucket; on PostgreSQL the points leased and not
    /// yet spent.
    points: f64,
    /// On PostgreSQL, what the shared bucket held after the last lease.
    shared: f64,
    /// When `points` (SQLite) or `shared` (PostgreSQL) was read.
    at: Instant,
}

/// Every tenant's bucket, as this process keeps it.
pub struct Buckets(Kept);

enum Kept {
    Memory(Mutex<HashMap<String, Held>>),
    Leased {
        db: DatabaseConnection,
        /// Per tenant, behind an async lock: one lease statement at a time
        /// per tenant on this instance; the tenant's other requests wait
        /// for it and spend what it brought.
        held: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Held>>>>,
    },
}

impl Buckets {
    pub fn memory() -> Self {
        Buckets(Kept::Memory(Mutex::new(HashMap::new())))
    }

    pub fn leased(db: DatabaseConnection) -> Self {
        Buckets(Kept::Leased {
            db,
            held: Mutex::new(HashMap::new()),
        })
    }

    /// Takes `cost` from the tenant's bucket when it holds that much.
    pub async fn take(
        &self,
        budget: Budget,
        tenant: &str,
        cost: u64,
    ) -> Result<Throttle, AppError> {
        let cost = cost as f64;
        match &self.0 {
            Kept::Memory(buckets) => {
                let mut buckets = buckets.lock().unwrap_or_else(|e| e.into_inner());
                let held = buckets.entry(tenant.to_owned()).or_insert_with(|| Held {
                    points: budget.bucket,
                    shared: 0.0,
                    at: Instant::now(),
                });
                let available = budget.refilled(held.points, held.at);
                let granted = available >= cost;
                held.points = if granted { available - cost } else { available };
                held.at = Instant::now();
                Ok(Throttle {
                    granted,
                    available: held.points,
                })
            }
            Kept::Leased { db, held } => {
                let lease = held
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(tenant.to_owned())
                    .or_insert_with(|| {
                        Arc::new(tokio::sync::Mutex::new(Held {
                            points: 0.0,
                            shared: budget.bucket,
                            at: Instant::now(),
                        }))
                    })
                    .clone();
                let mut lease = lease.lock().await;
                if lease.points < cost {
                    // A chunk and what this request lacks; when the shared
                    // bucket has less, just what it lacks.
                    let lacking = cost - lease.points;
                    for amount in [lacking + budget.chunk(), lacking] {
                        let (shared, granted) =
                            take_from_bucket(db, tenant, budget.bucket, budget.restore, amount)
                                .await?;
                        lease.shared = shared;
                        lease.at = Instant::now();
                        if granted {
                            lease.points += amount;
                            break;
                        }
                    }
                }
                let granted = lease.points >= cost;
                if granted {
                    lease.points -= cost;
                }
                Ok(Throttle {
                    granted,
                    available: Self::leased_view(budget, &lease),
                })
            }
        }
    }

    /// What the tenant's bucket holds now, as this process last saw it
    /// plus what has been restored since (no statement runs).
    pub fn peek(&self, budget: Budget, tenant: &str) -> f64 {
        match &self.0 {
            Kept::Memory(buckets) => {
                let buckets = buckets.lock().unwrap_or_else(|e| e.into_inner());
                buckets
                    .get(tenant)
                    .map_or(budget.bucket, |held| budget.refilled(held.points, held.at))
            }
            Kept::Leased { held, .. } => {
                let held = held.lock().unwrap_or_else(|e| e.into_inner());
                held.get(tenant)
                    .and_then(|lease| {
                        lease
                            .try_lock()
                            .ok()
                            .map(|lease| Self::leased_view(budget, &lease))
                    })
                    .unwrap_or(budget.bucket)
            }
        }
    }

    /// A leasing instance's view of the tenant's budget: its unspent lease
    /// and what the shared bucket held at the last lease, refilled since.
    fn leased_view(budget: Budget, lease: &Held) -> f64 {
        (lease.points + budget.refilled(lease.shared, lease.at)).min(budget.bucket)
    }
}

/// Takes `cost` from a tenant's shared cost budget (`rate_buckets`, on
/// PostgreSQL) in one atomic statement: first restores what `restore` per
/// second has refilled since the last request, up to `bucket`, then takes
/// the cost when it is all there. Returns what is left and whether it was
/// taken. The database's clock measures the refill, so every instance
/// agrees.
async fn take_from_bucket(
    db: &DatabaseConnection,
    tenant: &str,
    bucket: f64,
    restore: f64,
    cost: f64,
) -> Result<(f64, bool), DbErr> {
    const UPSERT: &str = r#"
        INSERT INTO rate_buckets AS b (tenant_id, available, granted, updated_at)
        VALUES ($1, GREATEST($2 - $4, 0), $4 <= $2, now())
        ON CONFLICT (tenant_id) DO UPDATE SET
            available = CASE
                WHEN LEAST($2, b.available + $3 * EXTRACT(EPOCH FROM now() - b.updated_at)) >= $4
                THEN LEAST($2, b.available + $3 * EXTRACT(EPOCH FROM now() - b.updated_at)) - $4
                ELSE LEAST($2, b.available + $3 * EXTRACT(EPOCH FROM now() - b.updated_at))
            END,
            granted = LEAST($2, b.available + $3 * EXTRACT(EPOCH FROM now() - b.updated_at)) >= $4,
            updated_at = now()
        RETURNING available, granted"#;
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            UPSERT,
            [tenant.into(), bucket.into(), restore.into(), cost.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("rate_buckets".into()))?;
    Ok((row.try_get("", "available")?, row.try_get("", "granted")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bucket_in_memory_grants_until_it_is_empty() {
        let budget = Budget {
            bucket: 10.0,
            restore: 0.001,
        };
        let buckets = Buckets::memory();
        for _ in 0..3 {
            assert!(buckets.take(budget, "t", 3).await.expect("take").granted);
        }
        let refused = buckets.take(budget, "t", 3).await.expect("take");
        assert!(!refused.granted);
        assert!(refused.available < 3.0);
        assert!(
            buckets
                .take(budget, "other", 3)
                .await
                .expect("take")
                .granted
        );
    }
}
