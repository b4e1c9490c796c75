//! Signed, expiring links to export archives.
//!
//! A link is `/exports/drr_…?tenant=T&expires=E&sig=S` where `S` is the hex
//! HMAC-SHA256, keyed with the archive's own random key (kept beside it and
//! never shown), of `T.drr_….E`. The key goes with the archive, so links
//! die with it; no server-wide secret is needed, and every instance on the
//! database can check any link.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ids::{self, Kind};
use crate::tenancy::TenantId;

type HmacSha256 = Hmac<Sha256>;

/// A new random key for an archive's links: 32 bytes, as hex.
pub fn new_link_key() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Where the files of a kind are served: export archives at `/exports`,
/// bulk exports at `/bulk-exports`.
fn route(kind: Kind) -> &'static str {
    match kind {
        Kind::BulkOperation => "bulk-exports",
        _ => "exports",
    }
}

fn mac(
    link_key: &str,
    kind: Kind,
    tenant: &TenantId,
    request_key: &str,
    expires: i64,
) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(link_key.as_bytes()).ok()?;
    let id = ids::encode(kind, request_key).0;
    mac.update(format!("{tenant}.{id}.{expires}").as_bytes());
    Some(mac)
}

/// The link to a file of `kind` (an export archive, a bulk export), valid
/// until `expires` (Unix seconds).
pub fn link(
    base: &str,
    kind: Kind,
    tenant: &TenantId,
    request_key: &str,
    link_key: &str,
    expires: i64,
) -> String {
    let sig = mac(link_key, kind, tenant, request_key, expires)
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        .unwrap_or_default();
    let id = ids::encode(kind, request_key).0;
    format!(
        "{}/{}/{id}?tenant={tenant}&expires={expires}&sig={sig}",
        base.trim_end_matches('/'),
        route(kind)
    )
}

/// Whether `sig` signs this archive's link until `expires` (compared in
/// constant time).
pub fn verify(
    link_key: &str,
    kind: Kind,
    tenant: &TenantId,
    request_key: &str,
    expires: i64,
    sig: &str,
) -> bool {
    let (Some(mac), Ok(sig)) = (
        mac(link_key, kind, tenant, request_key, expires),
        hex::decode(sig),
    ) else {
        return false;
    };
    mac.verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_verify_only_as_signed() {
        let tenant = TenantId::parse("acme").unwrap_or_else(|| unreachable!());
        let key = new_link_key();
        let d = Kind::DataRequest;
        let url = link("", d, &tenant, "0123", &key, 1_900_000_000);
        let sig = url.rsplit("sig=").next().unwrap_or_default();
        assert!(verify(&key, d, &tenant, "0123", 1_900_000_000, sig));
        assert!(!verify(&key, d, &tenant, "0123", 1_900_000_001, sig));
        assert!(!verify(&key, d, &tenant, "0124", 1_900_000_000, sig));
        // The same key of another kind is another file.
        assert!(!verify(
            &key,
            Kind::BulkOperation,
            &tenant,
            "0123",
            1_900_000_000,
            sig
        ));
        let other = TenantId::parse("other").unwrap_or_else(|| unreachable!());
        assert!(!verify(&key, d, &other, "0123", 1_900_000_000, sig));
        assert!(!verify(
            &new_link_key(),
            d,
            &tenant,
            "0123",
            1_900_000_000,
            sig
        ));
        assert!(!verify(&key, d, &tenant, "0123", 1_900_000_000, "zz"));
    }
}
