//! Automatic persisted queries (Apollo APQ): a client sends
//! `extensions.persistedQuery { version: 1, sha256Hash }` without the
//! query; when this instance knows the hash it runs the query it stands
//! for, else it answers `PersistedQueryNotFound` and the client sends the
//! query with its hash once, to be remembered.
//!
//! Queries are remembered per tenant (a hash never tells one tenant what
//! another asked), in a bounded LRU cache of each instance; with several
//! instances a client may be asked for the full query once per instance.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// Queries remembered per instance.
const ENTRIES: usize = 2048;
/// Longer queries run but are not remembered.
const MAX_QUERY_BYTES: usize = 32 * 1024;

/// What is wrong with a request's persisted query.
#[derive(Debug, PartialEq, Eq)]
pub enum Problem {
    /// The hash is unknown here: send the query with it.
    NotFound,
    /// The hash is not the query's SHA-256.
    Mismatch,
    /// `persistedQuery` is not `{ version: 1, sha256Hash }`.
    Malformed,
}

impl Problem {
    pub fn message(&self) -> &'static str {
        match self {
            // The exact text Apollo's clients look for.
            Problem::NotFound => "PersistedQueryNotFound",
            Problem::Mismatch => "provided sha256Hash does not match the query",
            Problem::Malformed => {
                "extensions.persistedQuery must be { version: 1, sha256Hash: <64 hex digits> }"
            }
        }
    }
}

/// A tenant and a query's SHA-256.
type Key = (String, [u8; 32]);

pub struct PersistedQueries {
    cache: Mutex<LruCache<Key, Arc<str>>>,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        let entries = NonZeroUsize::new(ENTRIES).unwrap_or(NonZeroUsize::MIN);
        PersistedQueries {
            cache: Mutex::new(LruCache::new(entries)),
        }
    }
}

impl PersistedQueries {
    /// The query to run: the one sent (remembered under its hash when a
    /// hash came with it), or the one a sent hash stands for.
    pub fn resolve(
        &self,
        tenant: &str,
        query: Option<String>,
        extensions: Option<&Value>,
    ) -> Result<Option<String>, Problem> {
        let Some(persisted) = extensions.and_then(|e| e.get("persistedQuery")) else {
            return Ok(query);
        };
        let hash = persisted
            .get("sha256Hash")
            .and_then(Value::as_str)
            .and_then(|h| <[u8; 32]>::try_from(hex::decode(h).ok()?).ok());
        let (Some(hash), Some(1)) = (hash, persisted.get("version").and_then(Value::as_u64)) else {
            return Err(Problem::Malformed);
        };
        let key = (tenant.to_owned(), hash);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        match query {
            Some(query) => {
                if Sha256::digest(query.as_bytes())[..] != hash[..] {
                    return Err(Problem::Mismatch);
                }
                if query.len() <= MAX_QUERY_BYTES {
                    cache.put(key, Arc::from(query.as_str()));
                }
                Ok(Some(query))
            }
            None => cache
                .get(&key)
                .map(|q| Some(q.to_string()))
                .ok_or(Problem::NotFound),
        }
    }
}
