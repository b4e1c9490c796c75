//! The per-tenant cost budget: a leaky bucket in the style of Shopify's.
//! A tenant's bucket holds up to `bucket` points and refills at `restore`
//! points a second; a request takes its cost, or is refused when the
//! bucket lacks it.
//!
//! On SQLite (one server) the buckets live in this process. On PostgreSQL
//! they live in the database (`rate_buckets`, one atomic upsert a request,
//! measured by the database's clock), so every instance draws on the same
//! budget; that statement runs on a small pool of its own.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use sea_orm::DatabaseConnection;

use crate::error::AppError;

/// The bucket's size and refill rate.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub bucket: f64,
    pub restore: f64,
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

pub enum Buckets {
    Memory(Mutex<HashMap<String, (f64, Instant)>>),
    Database(DatabaseConnection),
}

impl Buckets {
    pub fn memory() -> Self {
        Buckets::Memory(Mutex::new(HashMap::new()))
    }

    /// Takes `cost` from the tenant's bucket when it holds that much.
    pub async fn take(
        &self,
        budget: Budget,
        tenant: &str,
        cost: u64,
    ) -> Result<Throttle, AppError> {
        let cost = cost as f64;
        match self {
            Buckets::Memory(buckets) => {
                let now = Instant::now();
                let mut buckets = buckets.lock().unwrap_or_else(|e| e.into_inner());
                let (available, updated) = buckets
                    .entry(tenant.to_owned())
                    .or_insert((budget.bucket, now));
                let refilled = (*available
                    + budget.restore * now.duration_since(*updated).as_secs_f64())
                .min(budget.bucket);
                let granted = refilled >= cost;
                *available = if granted { refilled - cost } else { refilled };
                *updated = now;
                Ok(Throttle {
                    granted,
                    available: *available,
                })
            }
            Buckets::Database(db) => {
                let (available, granted) =
                    crate::db::take_from_bucket(db, tenant, budget.bucket, budget.restore, cost)
                        .await?;
                Ok(Throttle { granted, available })
            }
        }
    }
}
