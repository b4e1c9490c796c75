//! Turning a request's API key into its [`Viewer`] without a database
//! round trip on the hot path: what a key's hash resolved to (a key, or
//! nothing) is kept in a bounded cache. Revoking a key empties the cache on
//! every instance (an event on the bus), as does an instance that lost
//! events for a while; entries also age out, so nothing stale lives long.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lru::LruCache;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::{repo, secret};
use crate::auth::{ScopeSet, Viewer};
use crate::error::AppError;
use crate::events::{Change, EventBus};
use crate::ids::{self, Kind};
use crate::tenancy::TenantId;

/// Hashes remembered at once.
const ENTRIES: usize = 10_000;
/// How long a found key is trusted without reading it again.
const FOUND_FOR: Duration = Duration::from_secs(300);
/// How long a hash that matched no live key is refused without a read.
const MISSING_FOR: Duration = Duration::from_secs(60);
/// `lastUsedAt` is written at most this often per key.
const TOUCH_EVERY: Duration = Duration::from_secs(60);
/// The `exp` a viewer of a key without expiry carries.
const NO_EXPIRY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A live key, as a request needs it.
#[derive(Clone)]
struct Key {
    tenant: TenantId,
    id: String,
    scopes: ScopeSet,
    expires_at: Option<DateTime<Utc>>,
    /// The location (row key) the key is confined to.
    location: Option<String>,
}

struct Entry {
    key: Option<Key>,
    read_at: Instant,
    touched_at: Option<Instant>,
}

/// The API keys of every tenant, as requests present them.
pub struct ApiKeys {
    db: DatabaseConnection,
    cache: Mutex<LruCache<String, Entry>>,
    /// Counts the times the cache was emptied: WebSockets opened with a key
    /// check it again then.
    forgotten: watch::Sender<u64>,
}

impl ApiKeys {
    pub fn new(db: DatabaseConnection) -> Arc<Self> {
        let entries = NonZeroUsize::new(ENTRIES).expect("a positive size");
        Arc::new(ApiKeys {
            db,
            cache: Mutex::new(LruCache::new(entries)),
            forgotten: watch::Sender::new(0),
        })
    }

    /// The viewer of a key, or the same `UNAUTHENTICATED` as for a bad
    /// token whether the key is malformed, unknown, revoked or expired.
    pub async fn authenticate(&self, credential: &str) -> Result<Viewer, AppError> {
        if !secret::looks_like_key(credential) {
            return Err(AppError::Unauthenticated);
        }
        let hash = secret::hash(credential);
        let key = match self.cached(&hash) {
            Some(key) => key,
            None => {
                let row = repo::find_by_hash(&self.db, &hash).await?;
                let key = row.filter(|row| row.revoked_at.is_none()).map(|row| Key {
                    tenant: TenantId::parse(&row.tenant_id).expect("a stored tenant is valid"),
                    scopes: ScopeSet::parse(&row.scopes),
                    expires_at: row.expires_at,
                    location: row.location_id,
                    id: row.id,
                });
                self.remember(hash.clone(), key.clone());
                key
            }
        };
        let key = key.ok_or(AppError::Unauthenticated)?;
        let now = Utc::now();
        if key.expires_at.is_some_and(|at| at <= now) {
            return Err(AppError::Unauthenticated);
        }
        self.touch(&hash, &key);
        let expires_at = key
            .expires_at
            .map_or(now.timestamp() as u64 + NO_EXPIRY.as_secs(), |at| {
                at.timestamp() as u64
            });
        let viewer = Viewer {
            sub: ids::encode(Kind::ApiKey, &key.id).0,
            tenant: key.tenant,
            scopes: key.scopes,
            expires_at,
        };
        Ok(match &key.location {
            Some(location) => viewer.confined_to(location),
            None => viewer,
        })
    }

    /// What `hash` resolved to, if that is recent enough to trust: `None`
    /// when it must be read.
    fn cached(&self, hash: &str) -> Option<Option<Key>> {
        let mut cache = self.cache.lock().expect("the key cache is never poisoned");
        let entry = cache.get(hash)?;
        let trusted_for = if entry.key.is_some() {
            FOUND_FOR
        } else {
            MISSING_FOR
        };
        (entry.read_at.elapsed() < trusted_for).then(|| entry.key.clone())
    }

    fn remember(&self, hash: String, key: Option<Key>) {
        let entry = Entry {
            key,
            read_at: Instant::now(),
            touched_at: None,
        };
        self.cache
            .lock()
            .expect("the key cache is never poisoned")
            .put(hash, entry);
    }

    /// Writes `lastUsedAt` in the background, at most once a minute a key
    /// and instance: a request never waits for it.
    fn touch(&self, hash: &str, key: &Key) {
        {
            let mut cache = self.cache.lock().expect("the key cache is never poisoned");
            let Some(entry) = cache.get_mut(hash) else {
                return;
            };
            if entry
                .touched_at
                .is_some_and(|at| at.elapsed() < TOUCH_EVERY)
            {
                return;
            }
            entry.touched_at = Some(Instant::now());
        }
        let (db, tenant, id) = (self.db.clone(), key.tenant.clone(), key.id.clone());
        tokio::spawn(async move {
            if let Err(err) = repo::touch(&db, &tenant, &id).await {
                tracing::warn!(error = ?err, "an API key's last use was not recorded");
            }
        });
    }

    /// Forgets every key: the next request of each reads it again, and
    /// every socket opened with one checks it again.
    pub fn forget_all(&self) {
        self.cache
            .lock()
            .expect("the key cache is never poisoned")
            .clear();
        self.forgotten.send_modify(|times| *times += 1);
    }

    /// Changes whenever the cache is emptied (a key may have been revoked).
    pub fn forgotten(&self) -> watch::Receiver<u64> {
        self.forgotten.subscribe()
    }

    /// Empties the cache whenever any instance revokes a key, or when this
    /// one may have missed that (its events were interrupted, or it fell
    /// behind). Runs until the bus closes.
    pub fn forget_on_revocation(
        self: Arc<Self>,
        bus: &dyn EventBus,
    ) -> tokio::task::JoinHandle<()> {
        let mut events = bus.watch();
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                match events.recv().await {
                    Ok(heard) => {
                        if matches!(
                            heard.event.change,
                            Change::ApiKeyRevoked | Change::Interrupted
                        ) {
                            self.forget_all();
                        }
                    }
                    Err(RecvError::Lagged(_)) => self.forget_all(),
                    Err(RecvError::Closed) => return,
                }
            }
        })
    }
}
