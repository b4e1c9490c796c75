//! The `CUSTOMER` timeline entries a customer's own changes add. They name
//! what changed (API field names), never the values, so the timeline holds
//! no second copy of the profile.

use entity::customer;
use serde_json::json;

use crate::activity::NewActivity;
use crate::ids::{self, Kind};

pub fn created(row: &customer::Model) -> NewActivity {
    NewActivity::customer(&row.id, "Customer created", json!({ "action": "created" }))
}

/// The entry for a change, or none when nothing the API shows changed.
pub fn updated(
    before: &customer::Model,
    after: &customer::Model,
    tags_before: &[String],
    tags_after: &[String],
) -> Option<NewActivity> {
    let mut fields = Vec::new();
    let mut check = |name: &'static str, changed: bool| {
        if changed {
            fields.push(name);
        }
    };
    check("name", before.name != after.name);
    check("firstName", before.first_name != after.first_name);
    check("lastName", before.last_name != after.last_name);
    check("email", before.email != after.email);
    check("phone", before.phone != after.phone);
    check("companyName", before.company_name != after.company_name);
    check("avatarUrl", before.avatar_url != after.avatar_url);
    check("status", before.status != after.status);
    check("source", before.source != after.source);
    check(
        "address",
        (
            &before.address_line1,
            &before.address_line2,
            &before.city,
            &before.state,
            &before.postal_code,
            &before.country,
        ) != (
            &after.address_line1,
            &after.address_line2,
            &after.city,
            &after.state,
            &after.postal_code,
            &after.country,
        ),
    );
    check("metadata", before.metadata != after.metadata);
    check("tags", tags_before != tags_after);
    (!fields.is_empty()).then(|| {
        NewActivity::customer(
            &after.id,
            "Customer updated",
            json!({ "action": "updated", "fields": fields }),
        )
    })
}

/// The entry on the kept customer of a merge.
pub fn merged(keep: &str, merged: &str) -> NewActivity {
    NewActivity::customer(
        keep,
        "Customer merged",
        json!({ "action": "merged", "mergedId": ids::encode(Kind::Customer, merged).0 }),
    )
}
