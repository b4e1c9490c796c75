//! Cursors: base64 JSON of `(sort, key, id)`, like Shopify's, opaque to
//! clients by contract, not secret (a key is a value the client was shown).

use std::borrow::Cow;
use std::hash::Hash;

use async_graphql::connection::CursorType;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};

use super::SortKey;

/// A sort key's value in a cursor.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyValue {
    Null,
    Int(i64),
    /// A number with a fraction.
    Number(serde_json::Number),
    Text(String),
    /// Written as RFC 3339 text (to the microsecond), which a cursor reads
    /// back as `Text`.
    #[serde(serialize_with = "rfc3339", skip_deserializing)]
    Time(chrono::DateTime<chrono::Utc>),
}

impl KeyValue {
    pub fn time(t: &chrono::DateTime<chrono::Utc>) -> Self {
        KeyValue::Time(*t)
    }
}

fn rfc3339<S: serde::Serializer>(
    t: &chrono::DateTime<chrono::Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// The opaque position of a row in a sorted list. A connection holds one
/// per row and writes it out only when `cursor`, `startCursor` or
/// `endCursor` is asked for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort the cursor was made under.
    pub(super) s: Cow<'static, str>,
    pub(super) k: KeyValue,
    pub(super) i: String,
}

impl CursorType for Cursor {
    type Error = &'static str;

    fn decode_cursor(raw: &str) -> Result<Self, Self::Error> {
        Cursor::decode(raw).ok_or("the cursor is not valid")
    }

    fn encode_cursor(&self) -> String {
        self.encode()
    }
}

impl Cursor {
    /// The cursor of a row of a list sorted by `sort`.
    pub fn of<E: EntityTrait>(sort: &SortKey<E>, row: &E::Model, id: &str) -> Self {
        Cursor::keyed(sort, sort.of(row), id)
    }

    /// The cursor of a row whose key under `sort` is `key`.
    pub fn keyed<E: EntityTrait>(sort: &SortKey<E>, key: KeyValue, id: &str) -> Self {
        Cursor {
            s: sort.name.clone(),
            k: key,
            i: id.to_owned(),
        }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}
