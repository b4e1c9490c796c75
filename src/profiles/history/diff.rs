//! What changed between two versions of a customer row, field by field,
//! under the names the API gives the fields.

use std::borrow::Cow;

use entity::customer;
use serde_json::Value;

use crate::ids::{self, Kind};
use crate::profiles::consent::{Channel, OptInLevel};

/// One field's change. Values are text: strings as they are, lists,
/// numbers and objects as JSON; `None` for an empty field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedField {
    /// The API's name: `email`, `address.city`, `metadata.<key>`,
    /// `emailConsent.state`, `tags`, …
    pub field: Cow<'static, str>,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl ChangedField {
    /// The field's top-level name, as the timeline names it (`address`
    /// for `address.city`).
    pub fn top(&self) -> &str {
        self.field.split('.').next().unwrap_or(&self.field)
    }
}

/// The fields that differ between `before` and `after` (tags given apart,
/// as they live in their own table), in the order the API lists them.
pub fn diff(
    before: &customer::Model,
    after: &customer::Model,
    tags_before: &[String],
    tags_after: &[String],
) -> Vec<ChangedField> {
    let mut changes = Vec::new();
    let c = &mut changes;
    text(c, "name", &before.name, &after.name);
    text(c, "firstName", &before.first_name, &after.first_name);
    text(c, "lastName", &before.last_name, &after.last_name);
    text(c, "email", &before.email, &after.email);
    text(c, "phone", &before.phone, &after.phone);
    let list = |value: &Value| {
        value
            .as_array()
            .filter(|items| !items.is_empty())
            .map(|_| value.to_string())
    };
    text(
        c,
        "additionalEmails",
        &list(&before.additional_emails),
        &list(&after.additional_emails),
    );
    text(
        c,
        "additionalPhones",
        &list(&before.additional_phones),
        &list(&after.additional_phones),
    );
    text(c, "companyName", &before.company_name, &after.company_name);
    let company = |row: &customer::Model| {
        row.company_id
            .as_deref()
            .map(|key| ids::encode(Kind::Company, key).0)
    };
    text(c, "companyId", &company(before), &company(after));
    text(c, "avatarUrl", &before.avatar_url, &after.avatar_url);
    text(
        c,
        "status",
        &Some(before.status.clone()),
        &Some(after.status.clone()),
    );
    text(c, "source", &before.source, &after.source);
    text(
        c,
        "address.line1",
        &before.address_line1,
        &after.address_line1,
    );
    text(
        c,
        "address.line2",
        &before.address_line2,
        &after.address_line2,
    );
    text(c, "address.city", &before.city, &after.city);
    text(c, "address.state", &before.state, &after.state);
    text(
        c,
        "address.postalCode",
        &before.postal_code,
        &after.postal_code,
    );
    text(c, "address.country", &before.country, &after.country);
    metadata(c, &before.metadata, &after.metadata);
    text(c, "locale", &before.locale, &after.locale);
    text(c, "currency", &before.currency, &after.currency);
    if tags_before != tags_after {
        let tags = |tags: &[String]| (!tags.is_empty()).then(|| Value::from(tags).to_string());
        c.push(ChangedField {
            field: Cow::Borrowed("tags"),
            old: tags(tags_before),
            new: tags(tags_after),
        });
    }
    for channel in Channel::ALL {
        let (was, now) = (channel.of(before), channel.of(after));
        let (state, level) = match channel {
            Channel::Email => ("emailConsent.state", "emailConsent.optInLevel"),
            Channel::Sms => ("smsConsent.state", "smsConsent.optInLevel"),
        };
        let level_text = |level: Option<OptInLevel>| level.map(|l| l.as_str().to_owned());
        for (field, old, new) in [
            (
                state,
                Some(was.state.as_str().to_owned()),
                Some(now.state.as_str().to_owned()),
            ),
            (
                level,
                level_text(was.opt_in_level),
                level_text(now.opt_in_level),
            ),
        ] {
            if old != new {
                c.push(ChangedField {
                    field: Cow::Borrowed(field),
                    old,
                    new,
                });
            }
        }
    }
    changes
}

/// A text field's change, if it changed.
fn text(
    changes: &mut Vec<ChangedField>,
    field: &'static str,
    old: &Option<String>,
    new: &Option<String>,
) {
    if old != new {
        changes.push(ChangedField {
            field: Cow::Borrowed(field),
            old: old.clone(),
            new: new.clone(),
        });
    }
}

/// Each custom field (metadata key) added, changed or removed, in key
/// order.
fn metadata(changes: &mut Vec<ChangedField>, before: &Value, after: &Value) {
    let empty = serde_json::Map::new();
    let (before, after) = (
        before.as_object().unwrap_or(&empty),
        after.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    let shown = |value: Option<&Value>| match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    for key in keys {
        let (old, new) = (before.get(key), after.get(key));
        if old != new {
            changes.push(ChangedField {
                field: Cow::Owned(format!("metadata.{key}")),
                old: shown(old),
                new: shown(new),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tenancy::TenantId;

    fn row() -> customer::Model {
        crate::profiles::repo::blank(&TenantId::parse("t").expect("tenant"))
    }

    #[test]
    fn names_each_changed_field_with_its_values() {
        let before = row();
        let mut after = before.clone();
        after.email = Some("ada@example.com".into());
        after.city = Some("Paris".into());
        after.metadata = json!({ "tier": 3, "plan": "pro" });
        let changes = diff(&before, &after, &[], &["vip".into()]);
        let named: Vec<(&str, Option<&str>, Option<&str>)> = changes
            .iter()
            .map(|c| (c.field.as_ref(), c.old.as_deref(), c.new.as_deref()))
            .collect();
        assert_eq!(
            named,
            [
                ("email", None, Some("ada@example.com")),
                ("address.city", None, Some("Paris")),
                ("metadata.plan", None, Some("pro")),
                ("metadata.tier", None, Some("3")),
                ("tags", None, Some("[\"vip\"]")),
            ]
        );
        assert_eq!(changes[1].top(), "address");
    }

    #[test]
    fn an_unchanged_row_has_no_changes() {
        let before = row();
        assert!(diff(&before, &before.clone(), &["a".into()], &["a".into()]).is_empty());
    }
}
