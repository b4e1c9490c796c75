//! `GET /`: GraphiQL, with its scripts and styles served by the binary
//! itself (`assets`) unless `CRM_GRAPHIQL_ASSETS` names a mirror.

pub mod assets;

use std::time::Duration;

use axum::extract::State;
use axum::response::Html;
use serde_json::json;

use super::state::AppState;
use crate::auth::Scope;

const PAGE: &str = include_str!("page.html");

/// Where the page loads its scripts from when no mirror is configured.
const EMBEDDED: &str = "/assets/";

/// GraphiQL, wired to `/graphql` and `/graphql/ws`. When the server runs on
/// its development secret, the page carries a fresh token for tenant
/// `demo` in its headers and WebSocket connection parameters, so the first
/// query just works.
pub async fn graphiql(State(app): State<AppState>) -> Html<String> {
    let token = app.dev_secret.as_ref().and_then(|_| {
        app.keys
            .mint(
                "demo",
                "developer",
                &Scope::all_joined(),
                Duration::from_secs(24 * 3600).min(app.config.auth.jwt_max_ttl),
            )
            .ok()
    });
    let headers = match token {
        Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    let assets = match &app.config.graphiql_assets {
        Some(base) => format!("{}/", base.trim_end_matches('/')),
        None => EMBEDDED.to_owned(),
    };
    // `<` escaped so the JSON cannot close its `<script>` element.
    let headers = headers.to_string().replace('<', "\\u003c");
    Html(
        PAGE.replace("{{assets}}", &assets)
            .replace("{{headers}}", &headers),
    )
}
