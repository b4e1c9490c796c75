//! ERASURE: every row that holds a customer's personal data, removed in
//! the caller's transaction. This is the one list of where such data
//! lives; a table that starts holding customer data joins it.

use entity::{activity, customer, customer_tag, note, segment_member, webhook_event};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::error::AppResult;
use crate::tenancy::{self, TenantId};

/// What an erasure removed: counts only, as the audit record keeps them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    /// The profile (0 when it was already deleted).
    pub customers: u64,
    pub tags: u64,
    pub notes: u64,
    /// Timeline entries, with their titles and data.
    pub activities: u64,
    pub segment_memberships: u64,
    /// Orders kept for revenue statistics, unlinked from the customer.
    pub orders_anonymized: u64,
    /// Webhook events about the customer, queued or sent, with their
    /// deliveries.
    pub webhook_events: u64,
    /// Export archives of the customer.
    pub exports: u64,
}

/// Removes the customer `key` and everything that names them, keeping the
/// amounts of their orders (unlinked). The customer row is read first so
/// that the caller can redact it from the request's own text.
pub async fn erase(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
) -> AppResult<(Option<customer::Model>, Removed)> {
    let profile = crate::customers::repo::find_for_update(db, tenant, key).await?;
    let removed = Removed {
        tags: tenancy::delete::<customer_tag::Entity>(tenant)
            .filter(customer_tag::Column::CustomerId.eq(key))
            .exec(db)
            .await?
            .rows_affected,
        notes: tenancy::delete::<note::Entity>(tenant)
            .filter(note::Column::CustomerId.eq(key))
            .exec(db)
            .await?
            .rows_affected,
        activities: tenancy::delete::<activity::Entity>(tenant)
            .filter(activity::Column::CustomerId.eq(key))
            .exec(db)
            .await?
            .rows_affected,
        segment_memberships: tenancy::delete::<segment_member::Entity>(tenant)
            .filter(segment_member::Column::CustomerId.eq(key))
            .exec(db)
            .await?
            .rows_affected,
        orders_anonymized: crate::orders::repo::detach(db, tenant, key).await?,
        webhook_events: tenancy::delete::<webhook_event::Entity>(tenant)
            .filter(webhook_event::Column::CustomerId.eq(key))
            .exec(db)
            .await?
            .rows_affected,
        exports: super::repo::delete_exports_of(db, tenant, key).await?,
        customers: u64::from(crate::customers::repo::delete(db, tenant, key).await?),
    };
    Ok((profile, removed))
}

/// The request's free text with any of the customer's identifying values
/// replaced, so the request itself holds none of them afterwards.
pub fn redact(text: &str, profile: &customer::Model) -> String {
    let mut out = text.to_owned();
    let values = [
        &profile.name,
        &profile.first_name,
        &profile.last_name,
        &profile.email,
        &profile.phone,
        &profile.company_name,
        &profile.address_line1,
        &profile.address_line2,
        &profile.postal_code,
    ];
    for value in values.into_iter().flatten() {
        if value.chars().count() >= 2 {
            out = replace_ignoring_case(&out, value, "[redacted]");
        }
    }
    out
}

fn replace_ignoring_case(text: &str, needle: &str, with: &str) -> String {
    let (lower_text, lower_needle) = (text.to_lowercase(), needle.to_lowercase());
    // Lower-casing can change byte lengths outside ASCII; fall back to an
    // exact replacement then.
    if lower_text.len() != text.len() || lower_needle.len() != needle.len() {
        return text.replace(needle, with);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in lower_text.match_indices(&lower_needle) {
        if at < rest {
            continue;
        }
        out.push_str(&text[rest..at]);
        out.push_str(with);
        rest = at + needle.len();
    }
    out.push_str(&text[rest..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_occurrence_ignoring_case() {
        assert_eq!(
            replace_ignoring_case("Ask ANA, then ana.", "ana", "[x]"),
            "Ask [x], then [x]."
        );
        assert_eq!(
            replace_ignoring_case("MARÍA y María", "maría", "[x]"),
            "[x] y [x]"
        );
    }
}
