//! `GET /`: GraphiQL.

use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use axum::extract::State;
use axum::response::Html;

use super::state::AppState;
use crate::auth::Scope;

/// GraphiQL, wired to `/graphql` and `/graphql/ws`. When the server runs on
/// its development secret, the page carries a fresh token for tenant
/// `demo`, so the first query just works.
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
    let authorization = token.map(|t| format!("Bearer {t}"));
    let mut source = GraphiQLSource::build()
        .endpoint("/graphql")
        .subscription_endpoint("/graphql/ws")
        .title("crm-graphql");
    if let Some(value) = &authorization {
        source = source
            .header("Authorization", value)
            .ws_connection_param("Authorization", value);
    }
    let mut page = source.finish();
    let assets = app.config.graphiql_assets.trim_end_matches('/');
    if assets != "https://unpkg.com" {
        page = page.replace("https://unpkg.com", assets);
    }
    Html(page)
}
