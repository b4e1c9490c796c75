//! The `CUSTOMER` timeline entries a customer's own changes add. They name
//! what changed (API field names), never the values, so the timeline holds
//! no second copy of the profile; a consent change is the exception, kept
//! with its state before and after as the record of what was agreed.

use entity::customer;
use serde_json::{Value, json};

use crate::activity::NewActivity;
use crate::ids::{self, Kind};
use crate::profiles::consent::{Channel, Consent, ConsentState, OptInLevel};

pub fn created(row: &customer::Model) -> NewActivity {
    let mut data = json!({ "action": "created" });
    let consent = consent_changes(None, row);
    if !consent.is_empty() {
        data["consent"] = Value::Array(consent);
    }
    NewActivity::customer(&row.id, "Customer created", data)
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
    check(
        "additionalEmails",
        before.additional_emails != after.additional_emails,
    );
    check(
        "additionalPhones",
        before.additional_phones != after.additional_phones,
    );
    check("companyName", before.company_name != after.company_name);
    check("companyId", before.company_id != after.company_id);
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
    check("locale", before.locale != after.locale);
    check("currency", before.currency != after.currency);
    check("tags", tags_before != tags_after);
    let consent = consent_changes(Some(before), after);
    for change in &consent {
        fields.push(match change["channel"].as_str() {
            Some("sms") => "smsConsent",
            _ => "emailConsent",
        });
    }
    (!fields.is_empty()).then(|| {
        let mut data = json!({ "action": "updated", "fields": fields });
        if !consent.is_empty() {
            data["consent"] = Value::Array(consent);
        }
        NewActivity::customer(&after.id, "Customer updated", data)
    })
}

/// Each channel whose consent changed from `before` (a new customer
/// starts `NOT_SUBSCRIBED`), with the state and level before and after and
/// where the change came from: the record of who agreed to what, and when.
fn consent_changes(before: Option<&customer::Model>, after: &customer::Model) -> Vec<Value> {
    let side = |c: &Consent| {
        json!({
            "state": c.state.as_str(),
            "optInLevel": c.opt_in_level.map(OptInLevel::as_str),
        })
    };
    Channel::ALL
        .into_iter()
        .filter_map(|channel| {
            let now = channel.of(after);
            let was = before.map(|row| channel.of(row));
            let unchanged = match &was {
                Some(was) => (was.state, was.opt_in_level) == (now.state, now.opt_in_level),
                None => now.state == ConsentState::NotSubscribed,
            };
            if unchanged {
                return None;
            }
            let before = was.as_ref().map_or_else(
                || json!({ "state": "NOT_SUBSCRIBED", "optInLevel": null }),
                side,
            );
            Some(json!({
                "channel": channel.as_str(),
                "before": before,
                "after": side(&now),
                "source": now.source,
            }))
        })
        .collect()
}

/// The entry on the kept customer of a merge.
pub fn merged(keep: &str, merged: &str) -> NewActivity {
    NewActivity::customer(
        keep,
        "Customer merged",
        json!({ "action": "merged", "mergedId": ids::encode(Kind::Customer, merged).0 }),
    )
}
