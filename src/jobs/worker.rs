//! The background worker of `crm serve`: takes due jobs from the queue and
//! runs them, a few at a time, until the server stops (then it finishes
//! the jobs it holds and returns).

use std::sync::Arc;
use std::time::Duration;

use entity::job;
use tokio::sync::watch;

use super::JobKind;
use crate::app::App;

/// Jobs taken at once.
const BATCH: u64 = 8;
/// How often expired export archives and old webhook events are looked
/// for.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// The retry delay of a job whose run failed unexpectedly is this doubled
/// per attempt, up to [`RETRY_CAP`].
const RETRY_BASE: Duration = Duration::from_secs(1);
const RETRY_CAP: Duration = Duration::from_secs(300);

/// Runs until `stop` turns true.
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let owner = crate::graphql::id::new_key();
    let (lease, poll) = (app.config.jobs.job_lease, app.config.jobs.worker_poll);
    tracing::info!(worker = %owner, "background worker started");
    let mut swept = tokio::time::Instant::now();
    loop {
        if *stop.borrow() {
            break;
        }
        match super::claim(&app.db, &owner, lease, BATCH).await {
            Ok(jobs) if !jobs.is_empty() => {
                futures_util::future::join_all(jobs.into_iter().map(|job| run_one(&app, job)))
                    .await;
                continue;
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = ?err, "taking jobs failed"),
        }
        if swept.elapsed() >= SWEEP_EVERY {
            swept = tokio::time::Instant::now();
            if let Err(err) = crate::data_requests::sweep_expired_exports(&app.db).await {
                tracing::warn!(error = ?err, "removing expired exports failed");
            }
            if let Err(err) = crate::webhooks::sweep_old_events(&app.db).await {
                tracing::warn!(error = ?err, "removing old webhook events failed");
            }
        }
        tokio::select! {
            () = super::woken() => {}
            () = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
    tracing::info!(worker = %owner, "background worker stopped");
}

async fn run_one(app: &App, job: job::Model) {
    let outcome = match JobKind::parse(&job.kind) {
        Some(JobKind::DataRequest) => crate::data_requests::process(app, &job).await,
        Some(JobKind::WebhookDelivery) => crate::webhooks::deliver(app, &job).await,
        None => {
            tracing::warn!(job = %job.id, kind = %job.kind, "dropping a job of unknown kind");
            super::finish(&app.db, &job).await.map(|_| ())
        }
    };
    if let Err(err) = outcome {
        let delay = super::backoff(RETRY_BASE, job.attempts, RETRY_CAP);
        tracing::error!(job = %job.id, kind = %job.kind, attempts = job.attempts, error = ?err, "job failed; retrying in {delay:?}");
        let at = crate::db::now() + chrono::Duration::from_std(delay).unwrap_or_default();
        if let Err(err) = super::reschedule(&app.db, &job, at).await {
            tracing::warn!(job = %job.id, error = ?err, "rescheduling failed; the job is due again when its lease ends");
        }
    }
}
