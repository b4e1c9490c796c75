//! Liveness and readiness probes, and the Prometheus metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::state::AppState;

/// 200 while the process runs.
pub async fn healthz() -> &'static str {
    "ok"
}

/// 200 when the database answers and migrations are applied, else 503.
pub async fn readyz(State(app): State<AppState>) -> (StatusCode, &'static str) {
    if crate::db::ready(&app.db).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

/// Prometheus text format; the gauges are read at each scrape.
pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    let metrics = crate::telemetry::metrics();
    let (size, idle) = if app.config.db.is_sqlite() {
        let pool = app.db.get_sqlite_connection_pool();
        (pool.size(), pool.num_idle())
    } else {
        let pool = app.db.get_postgres_connection_pool();
        (pool.size(), pool.num_idle())
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    metrics
        .db_connections_in_use
        .set(i64::from(size.saturating_sub(idle)));
    metrics.db_connections_idle.set(i64::from(idle));
    metrics
        .subscriptions_open
        .set(i64::try_from(app.fanout.subscribers()).unwrap_or(i64::MAX));
    match crate::jobs::due(&app.db).await {
        Ok(due) => {
            metrics.jobs_due.set(i64::try_from(due).unwrap_or(i64::MAX));
        }
        Err(err) => tracing::warn!(error = ?err, "the job queue could not be counted"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.encode(),
    )
}
