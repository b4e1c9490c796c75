//! Opaque, prefixed, time-ordered IDs: `cus_` + a UUIDv7 in 32 hex digits.
//! The database keeps the hex part; the prefix is added and checked here.
//!
//! An ID a client sends becomes a typed key (`CustomerId`, `NoteId`, …) at
//! the resolver, and the functions below take that type: a note's key
//! cannot reach a query for customers, nor an unchecked string a query at
//! all.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use async_graphql::ID;

use crate::error::{AppResult, not_found};

/// Most IDs one argument takes at once (`nodes`, `customers(ids:)`, bulk
/// mutations).
pub const MAX_IDS: usize = 250;

/// The kinds of object that have an ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Customer,
    Order,
    Activity,
    Note,
    Segment,
    DataRequest,
    WebhookEndpoint,
    WebhookDelivery,
    WebhookEvent,
    Address,
    Company,
    ApiKey,
    Location,
    BulkOperation,
}

impl Kind {
    const ALL: [Kind; 14] = [
        Kind::Customer,
        Kind::Order,
        Kind::Activity,
        Kind::Note,
        Kind::Segment,
        Kind::DataRequest,
        Kind::WebhookEndpoint,
        Kind::WebhookDelivery,
        Kind::WebhookEvent,
        Kind::Address,
        Kind::Company,
        Kind::ApiKey,
        Kind::Location,
        Kind::BulkOperation,
    ];

    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Customer => "cus_",
            Kind::Order => "ord_",
            Kind::Activity => "act_",
            Kind::Note => "note_",
            Kind::Segment => "seg_",
            Kind::DataRequest => "drr_",
            Kind::WebhookEndpoint => "whk_",
            Kind::WebhookDelivery => "whd_",
            Kind::WebhookEvent => "evt_",
            Kind::Address => "adr_",
            Kind::Company => "com_",
            Kind::ApiKey => "key_",
            Kind::Location => "loc_",
            Kind::BulkOperation => "bop_",
        }
    }
}

/// A kind of object whose keys are typed: its `Kind` and the noun a
/// `NOT_FOUND` error names.
pub trait Keyed {
    const KIND: Kind;
    const NOUN: &'static str;
}

/// The row key of one kind of object.
pub struct Key<K> {
    key: String,
    kind: PhantomData<fn() -> K>,
}

impl<K: Keyed> Key<K> {
    /// The key of an ID of this kind; `None` for anything else.
    pub fn decode(id: &str) -> Option<Self> {
        decode(K::KIND, id).map(Self::of_row)
    }

    /// The key of an ID of this kind; `NOT_FOUND` for anything else, exactly
    /// as for an ID of this kind that names no row.
    pub fn require(id: &str) -> AppResult<Self> {
        Self::decode(id).ok_or(not_found(K::NOUN))
    }

    /// The public ID.
    pub fn id(&self) -> ID {
        encode(K::KIND, &self.key)
    }
}

impl<K> Key<K> {
    /// A key read from a row of this kind (or a column that references one).
    pub fn of_row(key: String) -> Self {
        Key {
            key,
            kind: PhantomData,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.key
    }

    pub fn into_string(self) -> String {
        self.key
    }
}

// By hand: derives would ask the marker types for these too.
impl<K> Clone for Key<K> {
    fn clone(&self) -> Self {
        Key::of_row(self.key.clone())
    }
}

impl<K> PartialEq for Key<K> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<K> Eq for Key<K> {}

impl<K> PartialOrd for Key<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Key<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

impl<K> Hash for Key<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl<K> fmt::Debug for Key<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.key, f)
    }
}

impl<K> From<Key<K>> for String {
    fn from(key: Key<K>) -> String {
        key.key
    }
}

macro_rules! keyed {
    ($($marker:ident => $alias:ident, $kind:ident, $noun:literal;)*) => {
        /// The marker types of typed keys.
        pub mod of {
            $(pub enum $marker {})*
        }
        $(
            impl Keyed for of::$marker {
                const KIND: Kind = Kind::$kind;
                const NOUN: &'static str = $noun;
            }
            pub type $alias = Key<of::$marker>;
        )*
    };
}

keyed! {
    Customer => CustomerId, Customer, "customer";
    Note => NoteId, Note, "note";
    Segment => SegmentId, Segment, "segment";
    DataRequest => DataRequestId, DataRequest, "removal request";
    WebhookEndpoint => WebhookEndpointId, WebhookEndpoint, "webhook endpoint";
    Address => AddressId, Address, "address";
    Company => CompanyId, Company, "company";
    ApiKey => ApiKeyId, ApiKey, "API key";
    Location => LocationId, Location, "location";
    BulkOperation => BulkOperationId, BulkOperation, "bulk operation";
}

/// A new time-ordered key for a row.
pub fn new_key() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// The public ID of a row key.
pub fn encode(kind: Kind, key: &str) -> ID {
    ID(format!("{}{key}", kind.prefix()))
}

/// The row key of an ID of `kind`; `None` for anything else (another kind,
/// a malformed value), which callers answer exactly like an unknown ID.
pub fn decode(kind: Kind, id: &str) -> Option<String> {
    let key = id.strip_prefix(kind.prefix())?;
    let well_formed = key.len() == 32
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    well_formed.then(|| key.to_owned())
}

/// The kind and row key of any ID.
pub fn decode_any(id: &str) -> Option<(Kind, String)> {
    Kind::ALL
        .into_iter()
        .find_map(|kind| decode(kind, id).map(|key| (kind, key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_time_ordered() {
        let (a, b) = (new_key(), new_key());
        assert!(a < b);
        let id = encode(Kind::Customer, &a);
        assert!(id.starts_with("cus_"));
        assert_eq!(decode(Kind::Customer, &id), Some(a.clone()));
        assert_eq!(decode_any(&id), Some((Kind::Customer, a)));
    }

    #[test]
    fn typed_keys_take_only_their_own_kind() {
        let key = new_key();
        let id = encode(Kind::Customer, &key);
        assert_eq!(CustomerId::decode(&id).map(Key::into_string), Some(key));
        assert_eq!(
            CustomerId::require(&id).map(|k| k.id()).ok(),
            Some(id.clone())
        );
        assert!(NoteId::decode(&id).is_none());
        assert!(matches!(
            NoteId::require(&id),
            Err(crate::error::AppError::NotFound { kind: "note" })
        ));
    }

    #[test]
    fn malformed_ids_decode_to_nothing() {
        for bad in [
            "",
            "cus_",
            "cus_xyz",
            "ord_0193",
            "CUS_0193aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert_eq!(decode(Kind::Customer, bad), None, "{bad}");
        }
    }
}
