//! Making a key: its checked input, its secret and its row.

use chrono::{DateTime, Utc};
use entity::api_key;
use sea_orm::DatabaseConnection;

use super::{repo, secret};
use crate::auth::{Scope, ScopeSet};
use crate::db::begin_write;
use crate::error::{AppResult, bad_input};
use crate::graphql::input;
use crate::tenancy::{self, TenantId};

const MAX_NAME: usize = 100;
/// Most keys a tenant may have that are not revoked.
pub const MAX_KEYS: u64 = 100;

/// A checked request for a key.
pub struct NewKey {
    pub name: String,
    /// The scopes, in their canonical order.
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The location (row key) it is confined to, if any.
    pub location: Option<String>,
}

impl NewKey {
    /// Checks the input of `createApiKey` (or `crm api-key create`): a
    /// name; known scopes, each held by the creator (`granted`), all of
    /// the creator's when none are named; an expiry in the future. Errors
    /// name `{path}.name`, `{path}.scopes.N` or `{path}.expiresAt`.
    pub fn check(
        path: &str,
        name: String,
        scopes: Option<Vec<String>>,
        expires_at: Option<DateTime<Utc>>,
        granted: ScopeSet,
    ) -> AppResult<Self> {
        let name = input::text(&format!("{path}.name"), name, MAX_NAME)?
            .ok_or_else(|| bad_input(format!("{path}.name"), "give the key a name"))?;
        let scopes: Vec<Scope> = match scopes {
            None => Scope::ALL
                .into_iter()
                .filter(|s| granted.contains(*s))
                .collect(),
            Some(names) => {
                let mut wanted = ScopeSet::default();
                for (i, name) in names.iter().enumerate() {
                    let field = format!("{path}.scopes.{i}");
                    let scope = Scope::ALL
                        .into_iter()
                        .find(|s| s.as_str() == name)
                        .ok_or_else(|| bad_input(&field, format!("unknown scope {name:?}")))?;
                    if !granted.contains(scope) {
                        return Err(bad_input(
                            &field,
                            format!("a key cannot grant {name}, which your credential lacks"),
                        ));
                    }
                    wanted = wanted.with(scope);
                }
                Scope::ALL
                    .into_iter()
                    .filter(|s| wanted.contains(*s))
                    .collect()
            }
        };
        if scopes.is_empty() {
            return Err(bad_input(
                format!("{path}.scopes"),
                "grant at least one scope",
            ));
        }
        if expires_at.is_some_and(|at| at <= Utc::now()) {
            return Err(bad_input(
                format!("{path}.expiresAt"),
                "must be in the future",
            ));
        }
        Ok(NewKey {
            name,
            scopes,
            expires_at,
            location: None,
        })
    }

    /// Confines the key to a location (`loc_…`, named by `field`): one of
    /// the tenant's, and for a creator confined to a location, its own.
    /// A confined creator's key is confined to its location even when
    /// none is named.
    pub async fn within(
        mut self,
        db: &DatabaseConnection,
        tenant: &TenantId,
        field: &str,
        location: Option<&str>,
    ) -> AppResult<Self> {
        let key = match location {
            None => tenant.location().map(str::to_owned),
            Some(id) => {
                let key = crate::ids::decode(crate::ids::Kind::Location, id)
                    .ok_or_else(|| bad_input(field, "not a location ID (`loc_…`)"))?;
                if tenant.location().is_some_and(|own| own != key) {
                    return Err(bad_input(
                        field,
                        "your credential is confined to another location",
                    ));
                }
                if tenancy::find::<entity::location::Entity>(db, tenant, &key)
                    .await?
                    .is_none()
                {
                    return Err(bad_input(field, "no location of your tenant has this ID"));
                }
                Some(key)
            }
        };
        if let Some(key) = key {
            // Confined keys keep the scopes a location keeps.
            let kept = ScopeSet::default();
            let kept = self.scopes.iter().fold(kept, |set, s| set.with(*s));
            let kept = kept.within_location();
            self.scopes.retain(|s| kept.contains(*s));
            if self.scopes.is_empty() {
                return Err(bad_input(
                    field,
                    "a key confined to a location grants only customer, data request and segment-reading scopes; name one of them",
                ));
            }
            self.location = Some(key);
        }
        Ok(self)
    }

    /// Stores the key for `tenant`; returns its row and its secret, which
    /// exists nowhere else from then on.
    pub async fn create(
        self,
        db: &DatabaseConnection,
        tenant: &TenantId,
        created_by: &str,
    ) -> AppResult<(api_key::Model, String)> {
        let secret = secret::generate();
        let txn = begin_write(db).await?;
        if repo::count(&txn, tenant, false).await? >= MAX_KEYS {
            return Err(bad_input(
                "input",
                format!(
                    "a tenant has at most {MAX_KEYS} keys that are not revoked: revoke one first"
                ),
            ));
        }
        let row = repo::insert(
            &txn,
            api_key::Model {
                tenant_id: tenant.as_str().to_owned(),
                id: crate::ids::new_key(),
                name: self.name,
                prefix: secret::shown(&secret).to_owned(),
                secret_hash: secret::hash(&secret),
                scopes: self
                    .scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                created_by: created_by.to_owned(),
                created_at: crate::db::now(),
                expires_at: self.expires_at,
                last_used_at: None,
                revoked_at: None,
                location_id: self.location,
            },
        )
        .await?;
        txn.commit().await?;
        Ok((row, secret))
    }
}
