//! The background worker of `crm serve`: takes due jobs from the queue and
//! runs each as its own task, a few at a time, renewing its lease while it
//! runs; when the server stops it takes no more and waits for the jobs it
//! holds. Housekeeping (each handler's, and SQLite's WAL) runs every
//! minute.
//!
//! The worker knows no job: features register a [`Handler`] per kind at
//! start-up, each holding only what it needs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use entity::job;
use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::Wake;
use crate::error::AppResult;
use crate::events::EventBus;

/// Jobs run at once by one worker.
const CONCURRENCY: usize = 8;
/// How often housekeeping runs.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// The retry delay of a job whose run failed unexpectedly is this doubled
/// per attempt, up to [`RETRY_CAP`].
const RETRY_BASE: Duration = Duration::from_secs(1);
const RETRY_CAP: Duration = Duration::from_secs(300);

/// Runs the jobs of one kind.
pub trait Handler: Send + Sync + 'static {
    /// The jobs' `kind`.
    fn kind(&self) -> &'static str;

    /// Carries out a held job, finishing it (or rescheduling it) in the
    /// transaction of its own writes. Events it records are published when
    /// it returns ([`crate::events::publishing`]); an error retries it
    /// after a backoff.
    fn run<'a>(&'a self, job: &'a job::Model) -> BoxFuture<'a, AppResult<()>>;

    /// Housekeeping of the kind's tables, every minute; none by default.
    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// What the worker needs: the queue, the handlers, and where events go.
pub struct Worker {
    pub db: DatabaseConnection,
    pub bus: Arc<dyn EventBus>,
    pub wake: Wake,
    pub handlers: Vec<Arc<dyn Handler>>,
    /// How often the queue is looked at without a wake-up.
    pub poll: Duration,
    /// How long a taken job is held before another worker may take it.
    pub lease: Duration,
}

impl Worker {
    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let owner = crate::ids::new_key();
        let this = Arc::new(self);
        let by_kind: HashMap<&'static str, Arc<dyn Handler>> = this
            .handlers
            .iter()
            .map(|handler| (handler.kind(), handler.clone()))
            .collect();
        tracing::info!(worker = %owner, "background worker started");
        let mut running: JoinSet<()> = JoinSet::new();
        // Housekeeping first at start: a server started after a pause
        // catches up at once.
        let now = tokio::time::Instant::now();
        let mut swept = now.checked_sub(SWEEP_EVERY).unwrap_or(now);
        loop {
            if *stop.borrow() {
                break;
            }
            let free = CONCURRENCY - running.len();
            if free > 0 {
                match super::claim(&this.db, &owner, this.lease, free as u64).await {
                    Ok(jobs) => {
                        for job in jobs {
                            let handler = by_kind.get(job.kind.as_str()).cloned();
                            running.spawn(this.clone().run_one(handler, job));
                        }
                    }
                    Err(err) => tracing::warn!(error = ?err, "taking jobs failed"),
                }
            }
            if swept.elapsed() >= SWEEP_EVERY {
                swept = tokio::time::Instant::now();
                this.housekeeping().await;
            }
            // At capacity, the next chance is a job ending; otherwise also
            // a wake-up or the poll interval.
            let full = running.len() >= CONCURRENCY;
            tokio::select! {
                () = this.wake.woken(), if !full => {}
                () = tokio::time::sleep(this.poll), if !full => {}
                Some(done) = running.join_next(), if !running.is_empty() => {
                    if let Err(err) = done {
                        tracing::error!(error = %err, "a job's task failed");
                    }
                }
                _ = stop.changed() => {}
            }
        }
        while let Some(done) = running.join_next().await {
            if let Err(err) = done {
                tracing::error!(error = %err, "a job's task failed");
            }
        }
        tracing::info!(worker = %owner, "background worker stopped");
    }

    async fn housekeeping(&self) {
        for handler in &self.handlers {
            handler.sweep().await;
        }
        crate::db::scrub_free_space(&self.db).await;
    }

    async fn run_one(self: Arc<Self>, handler: Option<Arc<dyn Handler>>, job: job::Model) {
        let Some(handler) = handler else {
            tracing::warn!(job = %job.id, kind = %job.kind, "dropping a job of unknown kind");
            if let Err(err) = super::finish(&self.db, &job).await {
                tracing::warn!(job = %job.id, error = ?err, "dropping a job failed");
            }
            return;
        };
        let heartbeat = tokio::spawn(renew(self.db.clone(), job.clone(), self.lease));
        let (outcome, _) = crate::events::publishing(&self.bus, handler.run(&job)).await;
        heartbeat.abort();
        if let Err(err) = outcome {
            let delay = super::backoff(RETRY_BASE, job.attempts, RETRY_CAP);
            tracing::error!(job = %job.id, kind = %job.kind, attempts = job.attempts, error = ?err, "job failed; retrying in {delay:?}");
            let at = crate::db::now() + chrono::Duration::from_std(delay).unwrap_or_default();
            if let Err(err) = super::reschedule(&self.db, &job, at).await {
                tracing::warn!(job = %job.id, error = ?err, "rescheduling failed; the job is due again when its lease ends");
            }
        }
    }
}

/// Renews a running job's lease every third of it, so a long job (a large
/// export) is not taken by another worker while this one is alive.
async fn renew(db: DatabaseConnection, job: job::Model, lease: Duration) {
    let mut every = tokio::time::interval((lease / 3).max(Duration::from_millis(100)));
    every.tick().await;
    loop {
        every.tick().await;
        match super::extend(&db, &job, lease).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => tracing::warn!(job = %job.id, error = ?err, "renewing a lease failed"),
        }
    }
}
