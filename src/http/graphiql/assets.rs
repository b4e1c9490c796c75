//! `GET /assets/…`: the scripts and styles of the GraphiQL page, embedded
//! at build time from `assets/graphiql/dist/` (production builds copied
//! from the npm packages pinned beside it), so the page needs no network.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One embedded file: its path under `/assets/` (laid out like unpkg.com,
/// so `CRM_GRAPHIQL_ASSETS` can point at a mirror instead) and its type.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $content_type:expr) => {
        Asset {
            path: $path,
            content_type: $content_type,
            body: include_bytes!(concat!("../../../assets/graphiql/dist/", $path)),
        }
    };
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

const CSS: &str = "text/css; charset=utf-8";

static ASSETS: [Asset; 4] = [
    asset!("graphiql@4/graphiql.min.js", JAVASCRIPT),
    asset!("graphiql@4/graphiql.min.css", CSS),
    asset!("react@18/umd/react.production.min.js", JAVASCRIPT),
    asset!("react-dom@18/umd/react-dom.production.min.js", JAVASCRIPT),
];

/// The file, cached by browsers for a day (the pinned versions change
/// only with the binary); an unknown path is a coded 404.
pub async fn get(Path(path): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.path == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        asset.body,
    )
        .into_response()
}
