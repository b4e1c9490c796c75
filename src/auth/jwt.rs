//! JWT verification and minting (API.md §2, RFC 8725).
//!
//! The algorithm is pinned by configuration and the key is used with that
//! algorithm only; `alg: none` cannot even be parsed. Tokens are screened
//! for size and characters before any signature work, and every refusal is
//! the same `UNAUTHENTICATED` error, so nothing tells a caller which check
//! failed.

use std::time::Duration;

use anyhow::{Context as _, bail};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::verified::Verified;
use super::{ScopeSet, Viewer};
use crate::error::AppError;
use crate::tenancy::TenantId;

/// Tokens longer than this are refused before they are decoded.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 60;
/// RFC 7518 §3.2: an HS256 key must be at least 256 bits.
pub const MIN_SECRET_BYTES: usize = 32;
/// The longest lifetime a token may have, unless configured otherwise.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum JwtAlgorithm {
    HS256,
    RS256,
    ES256,
}

impl From<JwtAlgorithm> for Algorithm {
    fn from(alg: JwtAlgorithm) -> Self {
        match alg {
            JwtAlgorithm::HS256 => Algorithm::HS256,
            JwtAlgorithm::RS256 => Algorithm::RS256,
            JwtAlgorithm::ES256 => Algorithm::ES256,
        }
    }
}

/// Whether the token's header lists critical extensions (`crit`): none is
/// understood here, so RFC 7515 §4.1.11 says to refuse the token.
fn has_critical_extensions(token: &str) -> bool {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap_or_default();
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header) else {
        // Not a header at all: the signature check refuses it.
        return false;
    };
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes)
        .is_ok_and(|fields| fields.contains_key("crit"))
}

/// The claims crm-graphql reads and writes.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub tenant: String,
    pub sub: String,
    #[serde(default)]
    pub scope: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<serde_json::Value>,
    /// The location (`loc_…`) the bearer is confined to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// The verification key (and, where known, the signing key) of the server.
pub struct Keys {
    algorithm: Algorithm,
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
    /// Tokens whose `exp` lies further ahead are refused.
    max_ttl: Duration,
    verified: Verified,
}

impl Keys {
    /// HS256 with a shared secret of at least 32 bytes.
    pub fn hs256(
        secret: &[u8],
        issuer: Option<String>,
        audience: Option<String>,
    ) -> anyhow::Result<Self> {
        if secret.len() < MIN_SECRET_BYTES {
            bail!(
                "CRM_JWT_SECRET is {} bytes long; an HS256 secret needs at least {MIN_SECRET_BYTES} random bytes",
                secret.len()
            );
        }
        Ok(Self::new(
            Algorithm::HS256,
            DecodingKey::from_secret(secret),
            Some(EncodingKey::from_secret(secret)),
            issuer,
            audience,
        ))
    }

    /// RS256 or ES256 with a PEM public key; tokens are minted elsewhere
    /// unless a private key is added with [`Keys::with_private_pem`].
    pub fn public_pem(
        algorithm: JwtAlgorithm,
        pem: &[u8],
        issuer: Option<String>,
        audience: Option<String>,
    ) -> anyhow::Result<Self> {
        let decoding = match algorithm {
            JwtAlgorithm::RS256 => DecodingKey::from_rsa_pem(pem),
            JwtAlgorithm::ES256 => DecodingKey::from_ec_pem(pem),
            JwtAlgorithm::HS256 => bail!("HS256 takes CRM_JWT_SECRET, not a public key"),
        }
        .context("CRM_JWT_PUBLIC_KEY is not a valid PEM public key for the algorithm")?;
        Ok(Self::new(
            algorithm.into(),
            decoding,
            None,
            issuer,
            audience,
        ))
    }

    /// Adds the private key that lets `crm token` sign RS256/ES256 tokens.
    pub fn with_private_pem(mut self, pem: &[u8]) -> anyhow::Result<Self> {
        let key = match self.algorithm {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(pem),
            Algorithm::ES256 => EncodingKey::from_ec_pem(pem),
            _ => bail!("a private key is only used with RS256 or ES256"),
        }
        .context("the private key is not a valid PEM key for the algorithm")?;
        self.encoding = Some(key);
        Ok(self)
    }

    /// Refuses tokens valid for longer than `max_ttl` from now (and will
    /// not mint them).
    pub fn with_max_ttl(mut self, max_ttl: Duration) -> Self {
        self.max_ttl = max_ttl;
        self
    }

    fn new(
        algorithm: Algorithm,
        decoding: DecodingKey,
        encoding: Option<EncodingKey>,
        issuer: Option<String>,
        audience: Option<String>,
    ) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if let Some(iss) = &issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        match &audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            // With no audience configured, a token's `aud` is not checked.
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Self {
            algorithm,
            decoding,
            encoding,
            validation,
            issuer,
            audience,
            max_ttl: DEFAULT_MAX_TTL,
            verified: Verified::new(LEEWAY_SECONDS),
        }
    }

    /// Verifies a bearer token into the viewer it speaks for: once, then
    /// from the tokens kept verified until it expires.
    pub fn verify(&self, token: &str) -> Result<Viewer, AppError> {
        let now = jsonwebtoken::get_current_timestamp();
        if let Some(viewer) = self.verified.get(token, now) {
            return Ok(viewer);
        }
        let viewer = self.check(token)?;
        self.verified.keep(token, &viewer);
        Ok(viewer)
    }

    /// The signature and claims of a token, checked.
    fn check(&self, token: &str) -> Result<Viewer, AppError> {
        let well_formed = token.len() <= MAX_TOKEN_BYTES
            && token.bytes().filter(|b| *b == b'.').count() == 2
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !well_formed || has_critical_extensions(token) {
            return Err(AppError::Unauthenticated);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|err| {
                tracing::debug!(error = %err, "token refused");
                AppError::Unauthenticated
            })?;
        let claims = data.claims;
        let latest = jsonwebtoken::get_current_timestamp()
            .saturating_add(self.max_ttl.as_secs())
            .saturating_add(LEEWAY_SECONDS);
        if claims.exp > latest {
            return Err(AppError::Unauthenticated);
        }
        let tenant = TenantId::parse(&claims.tenant).ok_or(AppError::Unauthenticated)?;
        if claims.sub.trim().is_empty() || claims.sub.len() > 255 {
            return Err(AppError::Unauthenticated);
        }
        let viewer = Viewer {
            tenant,
            sub: claims.sub,
            scopes: ScopeSet::parse(&claims.scope),
            expires_at: claims.exp,
        };
        match claims.location {
            None => Ok(viewer),
            Some(id) => {
                let location = crate::ids::decode(crate::ids::Kind::Location, &id)
                    .ok_or(AppError::Unauthenticated)?;
                Ok(viewer.confined_to(&location))
            }
        }
    }

    /// Signs a token for `tenant`, acting as `sub`, valid for `ttl`.
    pub fn mint(
        &self,
        tenant: &str,
        sub: &str,
        scopes: &str,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        self.mint_in(tenant, None, sub, scopes, ttl)
    }

    /// [`Keys::mint`] for a bearer confined to a location (`loc_…`), when
    /// one is given.
    pub fn mint_in(
        &self,
        tenant: &str,
        location: Option<&str>,
        sub: &str,
        scopes: &str,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        if let Some(id) = location
            && crate::ids::decode(crate::ids::Kind::Location, id).is_none()
        {
            bail!("{id:?} is not a location ID (loc_…)");
        }
        let Some(key) = &self.encoding else {
            bail!(
                "no signing key: {:?} needs --private-key to mint tokens",
                self.algorithm
            );
        };
        TenantId::parse(tenant).context("a tenant is 1-64 letters, digits, '-', '_' or '.'")?;
        if ttl > self.max_ttl {
            bail!(
                "a token valid for {} would be refused: tokens live at most {} (CRM_JWT_MAX_TTL)",
                humantime::format_duration(ttl),
                humantime::format_duration(self.max_ttl)
            );
        }
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            tenant: tenant.to_owned(),
            sub: sub.to_owned(),
            scope: scopes.to_owned(),
            exp: now + ttl.as_secs(),
            iat: Some(now),
            nbf: None,
            iss: self.issuer.clone(),
            aud: self.audience.clone().map(serde_json::Value::String),
            location: location.map(str::to_owned),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(self.algorithm),
            &claims,
            key,
        )?)
    }
}
