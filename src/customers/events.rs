//! The `CUSTOMER` timeline entries a customer's own changes add. They name
//! what changed (API field names), never the values, so the timeline holds
//! no second copy of the profile; a consent change is the exception, kept
//! with its state before and after as the record of what was agreed.
//! The values themselves go to the field history, which [`Changes`]
//! writes beside the entries, from the same diff.

use entity::customer;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::activity::{self, NewActivity};
use crate::error::AppResult;
use crate::ids::{self, Kind};
use crate::profiles::consent::{Channel, Consent, ConsentState, OptInLevel};
use crate::profiles::history::{self, Actor, ChangedField, diff};
use crate::tenancy::TenantId;

pub fn created(row: &customer::Model) -> NewActivity {
    let mut data = json!({ "action": "created" });
    let consent = consent_changes(None, row);
    if !consent.is_empty() {
        data["consent"] = Value::Array(consent);
    }
    NewActivity::customer(&row.id, "Customer created", data)
}

/// What a write records of the customers it changed: their timeline
/// entries, and each changed field's values in the field history.
#[derive(Default)]
pub struct Changes {
    entries: Vec<NewActivity>,
    history: Vec<(String, Vec<ChangedField>)>,
}

impl Changes {
    /// A new customer: its timeline entry (the history starts at its first
    /// change).
    pub fn created(&mut self, row: &customer::Model) {
        self.entries.push(created(row));
    }

    /// A customer's change from `before` to `after`; nothing when nothing
    /// the API shows changed.
    pub fn updated(
        &mut self,
        before: &customer::Model,
        after: &customer::Model,
        tags_before: &[String],
        tags_after: &[String],
    ) {
        let fields = diff(before, after, tags_before, tags_after);
        if fields.is_empty() {
            return;
        }
        self.entries.push(updated(before, after, &fields));
        self.history.push((after.id.clone(), fields));
    }

    /// Writes what was recorded, the history under `actor`'s name.
    pub async fn write(
        self,
        db: &impl ConnectionTrait,
        tenant: &TenantId,
        actor: &Actor,
    ) -> AppResult<()> {
        activity::repo::insert_many(db, tenant, self.entries).await?;
        history::repo::insert_many(db, tenant, actor, &self.history).await
    }
}

/// The timeline entry of a change: the top-level names of the fields it
/// changed, and the consent it changed with its states.
fn updated(
    before: &customer::Model,
    after: &customer::Model,
    changes: &[ChangedField],
) -> NewActivity {
    let mut fields: Vec<&str> = Vec::new();
    for change in changes {
        if fields.last() != Some(&change.top()) {
            fields.push(change.top());
        }
    }
    let mut data = json!({ "action": "updated", "fields": fields });
    let consent = consent_changes(Some(before), after);
    if !consent.is_empty() {
        data["consent"] = Value::Array(consent);
    }
    NewActivity::customer(&after.id, "Customer updated", data)
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
