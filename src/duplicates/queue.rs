//! Customers the finder files in the background: an import marks the
//! customers it wrote ([`mark`], one small row each, in its transaction)
//! instead of filing them there, and the job worker files them in
//! batches ([`Refreshes`]) once the import has paused ([`DELAY`]), their
//! pairs current seconds after it ends. Writes of one customer file it
//! in their own transaction ([`super::refresh`]).

use std::time::Duration;

use entity::{duplicate_refresh as refresh_mark, job};
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::db::{TenantWork, begin_write};
use crate::error::AppResult;
use crate::jobs::{
    self,
    marks::{self, Delay, Marks},
};
use crate::tenancy::TenantId;

/// The kind of the tenant's filing job.
pub const KIND: &str = "duplicate_refresh";

/// Customers a run files at once.
const BATCH: u64 = 2_000;

/// Filing starts once an import has written no batch for 2 s (so it does
/// not slow the import down), and at most a minute after its first.
const DELAY: Delay = Delay {
    settle: Duration::from_secs(2),
    at_most: Duration::from_secs(60),
};

/// Marks `keys` to be filed by the worker, in the caller's transaction.
pub async fn mark(db: &impl ConnectionTrait, tenant: &TenantId, keys: &[String]) -> AppResult<()> {
    let tenant = &tenant.whole();
    let rows: Vec<refresh_mark::Model> = keys
        .iter()
        .map(|key| refresh_mark::Model {
            tenant_id: tenant.as_str().to_owned(),
            customer_id: key.clone(),
        })
        .collect();
    marks::mark::<refresh_mark::Entity>(db, tenant, KIND, &rows, DELAY).await
}

/// Files marked customers: the worker's handler of their tenant's job.
pub struct Refreshes {
    db: DatabaseConnection,
    marks: Marks<refresh_mark::Entity>,
}

impl Refreshes {
    pub fn new(db: DatabaseConnection) -> Self {
        Refreshes {
            db,
            marks: Marks::new(refresh_mark::Column::CustomerId, BATCH),
        }
    }
}

impl jobs::Handler for Refreshes {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, job: &'a job::Model) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(file(self, job))
    }
}

async fn file(handler: &Refreshes, job: &job::Model) -> AppResult<()> {
    let db = &handler.db;
    let Some(tenant) = jobs::tenant_of(job) else {
        jobs::finish(db, job).await?;
        return Ok(());
    };
    let txn = begin_write(db).await?;
    let Some(txn) = marks::one_at_a_time(txn, job, TenantWork::DuplicateRefresh, &tenant).await?
    else {
        return Ok(());
    };
    let batch = handler.marks.take(&txn, &tenant).await?;
    super::refresh(&txn, &tenant, &batch.keys).await?;
    handler.marks.remove(&txn, &tenant, &batch).await?;
    if !marks::end(&txn, job, &batch).await? {
        return Ok(());
    }
    txn.commit().await?;
    handler.marks.advance(&tenant, &batch);
    if batch.more {
        keep_statistics(db, &tenant).await;
    }
    Ok(())
}

/// Keeps PostgreSQL's statistics of the blocking keys in step while the
/// worker files a backlog (an import's customers arrive with none): once
/// filed, every customer has a key, so a planner expecting fewer keys than
/// customers is working from a table that has since grown, and may plan
/// the replacement of a customer's keys as a scan of every key of the
/// tenant. Gathered again then; a failure only costs speed.
async fn keep_statistics(db: &DatabaseConnection, tenant: &TenantId) {
    let refreshed = async {
        let (Some(keys), Some(customers)) = (
            crate::db::planned_match_keys(db, tenant.as_str()).await?,
            crate::db::planned_customers(db, tenant.as_str()).await?,
        ) else {
            return Ok::<bool, sea_orm::DbErr>(false);
        };
        if keys >= customers {
            return Ok(false);
        }
        crate::db::analyze(db, crate::db::Analyzed::MatchKeys).await
    };
    match refreshed.await {
        Ok(true) => tracing::info!(tenant = %tenant, "refreshed blocking key statistics"),
        Ok(false) => {}
        Err(err) => {
            tracing::warn!(tenant = %tenant, error = %err, "checking blocking key statistics failed")
        }
    }
}
