//! The viewer of a request, from its `Authorization: Bearer …` header.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::state::AppState;
use crate::auth::{Viewer, bearer};
use crate::error::AppError;

/// The verified viewer, or why there is none (missing header, another
/// scheme, a bad token): one 401 answer for every reason, which the route
/// gives in its own format.
pub struct Bearer(pub Result<Viewer, AppError>);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Infallible> {
        let viewer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .ok_or(AppError::Unauthenticated)
            .and_then(|token| app.keys.verify(token));
        Ok(Bearer(viewer))
    }
}
