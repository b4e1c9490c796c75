//! The background worker of `crm serve`: takes due jobs from the queue and
//! runs each as its own task, a few at a time, renewing its lease while it
//! runs; when the server stops it takes no more and waits for the jobs it
//! holds. Housekeeping (expired archives, old webhook events, SQLite's
//! WAL) runs every minute.

use std::sync::Arc;
use std::time::Duration;

use entity::job;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::JobKind;
use crate::app::App;

/// Jobs run at once by one worker.
const CONCURRENCY: usize = 8;
/// How often housekeeping runs.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// The retry delay of a job whose run failed unexpectedly is this doubled
/// per attempt, up to [`RETRY_CAP`].
const RETRY_BASE: Duration = Duration::from_secs(1);
const RETRY_CAP: Duration = Duration::from_secs(300);

/// Runs until `stop` turns true.
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let owner = crate::graphql::id::new_key();
    let poll = app.config.jobs.worker_poll;
    tracing::info!(worker = %owner, "background worker started");
    let mut running: JoinSet<()> = JoinSet::new();
    let mut swept = tokio::time::Instant::now();
    loop {
        if *stop.borrow() {
            break;
        }
        let free = CONCURRENCY - running.len();
        if free > 0 {
            let lease = app.config.jobs.job_lease;
            match super::claim(&app.db, &owner, lease, free as u64).await {
                Ok(jobs) => {
                    for job in jobs {
                        running.spawn(run_one(app.clone(), job));
                    }
                }
                Err(err) => tracing::warn!(error = ?err, "taking jobs failed"),
            }
        }
        if swept.elapsed() >= SWEEP_EVERY {
            swept = tokio::time::Instant::now();
            housekeeping(&app).await;
        }
        // At capacity, the next chance is a job ending; otherwise also a
        // wake-up or the poll interval.
        let full = running.len() >= CONCURRENCY;
        tokio::select! {
            () = super::woken(), if !full => {}
            () = tokio::time::sleep(poll), if !full => {}
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

async fn housekeeping(app: &App) {
    if let Err(err) = crate::data_requests::sweep_expired_exports(&app.db).await {
        tracing::warn!(error = ?err, "removing expired exports failed");
    }
    if let Err(err) = crate::webhooks::sweep_old_events(&app.db).await {
        tracing::warn!(error = ?err, "removing old webhook events failed");
    }
    crate::db::scrub_free_space(&app.db).await;
}

async fn run_one(app: Arc<App>, job: job::Model) {
    let heartbeat = tokio::spawn(renew(app.clone(), job.clone()));
    let outcome = match JobKind::parse(&job.kind) {
        Some(JobKind::DataRequest) => crate::data_requests::process(&app, &job).await,
        Some(JobKind::WebhookDelivery) => crate::webhooks::deliver(&app, &job).await,
        None => {
            tracing::warn!(job = %job.id, kind = %job.kind, "dropping a job of unknown kind");
            super::finish(&app.db, &job).await.map(|_| ())
        }
    };
    heartbeat.abort();
    if let Err(err) = outcome {
        let delay = super::backoff(RETRY_BASE, job.attempts, RETRY_CAP);
        tracing::error!(job = %job.id, kind = %job.kind, attempts = job.attempts, error = ?err, "job failed; retrying in {delay:?}");
        let at = crate::db::now() + chrono::Duration::from_std(delay).unwrap_or_default();
        if let Err(err) = super::reschedule(&app.db, &job, at).await {
            tracing::warn!(job = %job.id, error = ?err, "rescheduling failed; the job is due again when its lease ends");
        }
    }
}

/// Renews a running job's lease every third of it, so a long job (a large
/// export) is not taken by another worker while this one is alive.
async fn renew(app: Arc<App>, job: job::Model) {
    let lease = app.config.jobs.job_lease;
    let mut every = tokio::time::interval((lease / 3).max(Duration::from_millis(100)));
    every.tick().await;
    loop {
        every.tick().await;
        match super::extend(&app.db, &job, lease).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => tracing::warn!(job = %job.id, error = ?err, "renewing a lease failed"),
        }
    }
}
