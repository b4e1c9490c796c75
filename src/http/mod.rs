//! The HTTP surface: routes and the layers around them.

mod answer;
mod bearer;
mod console;
mod errors;
mod exports;
pub mod fanout;
mod format;
mod graphiql;
mod graphql;
mod health;
mod params;
pub mod persisted;
mod run;
mod state;
mod ws;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use state::{App, AppState};

/// Largest request body accepted (larger: 413).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let cors = cors(&state.config.cors_origins);
    let mut routes = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::upgrade))
        .route("/", get(graphiql::graphiql))
        .route("/assets/{*path}", get(graphiql::assets::get))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/exports/{id}", get(exports::get))
        .route("/bulk-exports/{id}", get(exports::get_bulk));
    if state.config.console {
        routes = routes.merge(console::routes(&state.config.console_dir));
    }
    routes
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(errors::coded))
        .layer(cors)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(CatchPanicLayer::custom(errors::panicked))
        .with_state(state)
}

/// The span of a request: its id (`x-request-id`, the client's or a new
/// UUID, echoed in the response) and, once known, its operation.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
        request_id = id,
        operation = tracing::field::Empty,
    )
}

/// Refuses a `CRM_CORS_ORIGINS` entry that is not an `http(s)://host[:port]`
/// origin, so a typo cannot silently turn browser access off.
pub fn check_cors_origins(origins: &[String]) -> anyhow::Result<()> {
    for origin in origins {
        let origin = origin.trim();
        let valid = url::Url::parse(origin).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.has_host()
                && u.path() == "/"
                && !origin.ends_with('/')
        }) && HeaderValue::from_str(origin).is_ok();
        if !valid {
            anyhow::bail!(
                "CRM_CORS_ORIGINS: {origin:?} is not an origin such as https://app.example.com"
            );
        }
    }
    Ok(())
}

/// Browser access for the configured origins only.
fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            bearer::API_KEY_HEADER,
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
        .max_age(Duration::from_secs(600))
}
