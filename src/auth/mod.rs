//! Who is calling: a verified JWT becomes a [`Viewer`], and the viewer's
//! tenant confines every read and write of the request.

mod jwt;
mod scope;

pub use jwt::{Claims, JwtAlgorithm, Keys, MAX_TOKEN_BYTES};
pub use scope::{Scope, ScopeSet};

use crate::tenancy::TenantId;

/// The verified caller of one request or WebSocket connection.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub tenant: TenantId,
    /// Who acts (the token's `sub`).
    pub sub: String,
    pub scopes: ScopeSet,
    /// When the token expires (`exp`, seconds since the Unix epoch): a
    /// WebSocket opened with it closes then.
    pub expires_at: u64,
}

/// The bearer token of an `Authorization` header value, if it has one.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}
