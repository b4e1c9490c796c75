//! Opaque, prefixed, time-ordered IDs: `cus_` + a UUIDv7 in 32 hex digits.
//! The database keeps the hex part; the prefix is added and checked here.

use async_graphql::ID;

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
}

impl Kind {
    const ALL: [Kind; 9] = [
        Kind::Customer,
        Kind::Order,
        Kind::Activity,
        Kind::Note,
        Kind::Segment,
        Kind::DataRequest,
        Kind::WebhookEndpoint,
        Kind::WebhookDelivery,
        Kind::WebhookEvent,
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
        }
    }
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
