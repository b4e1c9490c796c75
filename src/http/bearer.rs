//! The viewer of a request: a signed token or an API key, from
//! `Authorization: Bearer …` or `X-API-Key: crm_live_…`.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, header};

use super::state::AppState;
use crate::api_keys::secret;
use crate::auth::{Viewer, bearer};
use crate::error::AppError;

/// The header an API key may come in instead of `Authorization`.
pub const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// The verified viewer, or why there is none (missing header, another
/// scheme, a bad, revoked or expired token or key): one 401 answer for
/// every reason, which the route gives in its own format.
pub struct Bearer(pub Result<Viewer, AppError>);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Infallible> {
        Ok(Bearer(viewer(app, &parts.headers).await))
    }
}

async fn viewer(app: &AppState, headers: &HeaderMap) -> Result<Viewer, AppError> {
    let header = |name| headers.get(name).map(|v| v.to_str().ok());
    let credential = match (header(API_KEY_HEADER), header(header::AUTHORIZATION)) {
        (Some(key), _) => key,
        (None, Some(authorization)) => authorization.and_then(bearer),
        (None, None) => None,
    };
    authenticate(app, credential.ok_or(AppError::Unauthenticated)?).await
}

/// The viewer of a credential: an API key when it has a key's prefix, a
/// signed token otherwise.
pub async fn authenticate(app: &AppState, credential: &str) -> Result<Viewer, AppError> {
    if credential.starts_with(secret::PREFIX) {
        app.api_keys.authenticate(credential).await
    } else {
        app.keys.verify(credential)
    }
}
