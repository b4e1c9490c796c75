//! Liveness and readiness probes.

use axum::extract::State;
use axum::http::StatusCode;

use crate::app::AppState;

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
