//! Who is calling: a verified JWT becomes a [`Viewer`], and the viewer's
//! tenant confines every read and write of the request.

mod jwt;
mod scope;
mod verified;

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

impl Viewer {
    /// The viewer confined to one location of its tenant (a row key), as a
    /// token's `location` claim or a key's location makes it: every query
    /// reads and writes that location's customers only, and the scopes of
    /// the tenant's shared setup (segment definitions, webhooks, API keys)
    /// are dropped.
    pub fn confined_to(mut self, location: &str) -> Self {
        self.tenant = self.tenant.narrowed_to(location);
        self.scopes = self.scopes.within_location();
        self
    }

    /// The location the viewer is confined to, if any.
    pub fn location(&self) -> Option<&str> {
        self.tenant.location()
    }
}

/// The bearer token of an `Authorization` header value, if it has one.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}
