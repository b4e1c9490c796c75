//! The secret of an API key: `crm_live_` and 43 base62 characters (256
//! random bits), shown once; only its SHA-256 is stored.

use rand::Rng as _;
use rand::distr::Alphanumeric;
use sha2::{Digest as _, Sha256};

/// What every key starts with, so a request's credential is told apart
/// from a JWT (which cannot contain `_` before its first `.`) at a glance.
pub const PREFIX: &str = "crm_live_";
/// Base62 characters after the prefix: 43 × log2(62) ≥ 256 bits.
const RANDOM_CHARS: usize = 43;
/// Characters of the secret kept in clear to tell keys apart in lists.
const SHOWN_CHARS: usize = PREFIX.len() + 6;

/// A new secret.
pub fn generate() -> String {
    let random: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(RANDOM_CHARS)
        .map(char::from)
        .collect();
    format!("{PREFIX}{random}")
}

/// Whether `credential` is shaped like a key: the prefix and base62
/// characters, no longer than a key. Anything else is refused before
/// hashing or a lookup.
pub fn looks_like_key(credential: &str) -> bool {
    credential.strip_prefix(PREFIX).is_some_and(|rest| {
        rest.len() == RANDOM_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// The stored form: SHA-256, hex. The secret has 256 random bits, so a
/// plain hash cannot be reversed by guessing, and finding a key by its hash
/// needs no per-key salt.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The part shown in lists (`crm_live_AbC123`).
pub fn shown(secret: &str) -> &str {
    &secret[..SHOWN_CHARS]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_base62_and_distinct() {
        let (a, b) = (generate(), generate());
        assert!(looks_like_key(&a) && looks_like_key(&b));
        assert_ne!(a, b);
        assert_eq!(shown(&a).len(), PREFIX.len() + 6);
        assert_eq!(hash(&a).len(), 64);
    }

    #[test]
    fn other_credentials_are_not_keys() {
        let key = generate();
        for bad in [
            "crm_live_".to_owned(),
            format!("{key}x"),
            key.replace(PREFIX, "crm_test_"),
            format!("{}-", &key[..key.len() - 1]),
            "eyJhbGciOiJIUzI1NiJ9.e30.sig".to_owned(),
        ] {
            assert!(!looks_like_key(&bad), "{bad}");
        }
    }
}
