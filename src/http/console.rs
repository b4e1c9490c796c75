//! `GET /console/…`: the reference console's built files (`CRM_CONSOLE`),
//! with `index.html` for any other path under it so the console's own
//! routes survive a reload.

use std::path::Path;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};

use super::state::AppState;

/// The routes of the console served from `dir`.
pub fn routes(dir: &Path) -> Router<AppState> {
    let files = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .nest_service("/console/", files)
}
