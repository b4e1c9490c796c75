//! Tokens already verified, kept by their exact text in a bounded cache: a
//! client sends the same token with each of its requests, and checking its
//! signature and claims costs more than the rest of a small request's
//! handling. Only successes are kept, so a refused token is checked anew
//! each time; a kept token is still refused once it has expired.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;

use super::Viewer;

/// Tokens kept per instance.
const ENTRIES: usize = 4096;

pub(super) struct Verified {
    cache: Mutex<LruCache<Box<str>, Viewer>>,
    /// Clock skew tolerated on `exp`, as when the token was verified.
    leeway: u64,
}

impl Verified {
    pub(super) fn new(leeway: u64) -> Self {
        let entries = NonZeroUsize::new(ENTRIES).unwrap_or(NonZeroUsize::MIN);
        Verified {
            cache: Mutex::new(LruCache::new(entries)),
            leeway,
        }
    }

    /// The viewer of `token` when it was verified before and has not
    /// expired by `now` (seconds since the Unix epoch).
    pub(super) fn get(&self, token: &str, now: u64) -> Option<Viewer> {
        let mut cache = self.lock();
        let viewer = cache.get(token)?;
        if viewer.expires_at.saturating_add(self.leeway) < now {
            cache.pop(token);
            return None;
        }
        Some(viewer.clone())
    }

    /// Keeps `token`, just verified into `viewer`.
    pub(super) fn keep(&self, token: &str, viewer: &Viewer) {
        self.lock().put(Box::from(token), viewer.clone());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Box<str>, Viewer>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::ScopeSet;
    use crate::tenancy::TenantId;

    fn viewer(expires_at: u64) -> Viewer {
        Viewer {
            tenant: TenantId::parse("acme").expect("a tenant"),
            sub: "ana".into(),
            scopes: ScopeSet::parse(""),
            expires_at,
        }
    }

    #[test]
    fn a_kept_token_answers_until_it_expires_past_the_leeway() {
        let verified = Verified::new(60);
        verified.keep("t", &viewer(1_000));
        assert_eq!(verified.get("t", 1_060).map(|v| v.sub), Some("ana".into()));
        assert!(verified.get("t", 1_061).is_none());
        // Dropped once expired: not kept again by a later lookup.
        assert!(verified.get("t", 1_000).is_none());
    }

    #[test]
    fn only_the_exact_token_is_found() {
        let verified = Verified::new(60);
        verified.keep("abc", &viewer(1_000));
        assert!(verified.get("abd", 0).is_none());
        assert!(verified.get("ab", 0).is_none());
    }
}
