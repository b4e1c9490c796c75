//! One row of a customer CSV as a customer input: its columns read (the
//! header names and their aliases are listed in the module above), its
//! company found by domain or made.

use std::collections::HashMap;

use async_graphql::{ID, Json};
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};

use crate::companies::graphql::find_or_create;
use crate::companies::input::CompanyInput;
use crate::error::AppError;
use crate::ids::CompanyId;
use crate::profiles::consent::{ConsentInput, ConsentState};
use crate::profiles::input::{AddressInput, CustomerInput, CustomerStatus};
use crate::tenancy::TenantId;

/// A consent cell: a state (`subscribed`, `unsubscribed`, `pending`,
/// `not_subscribed`), or `yes`/`no` as exports of other stores write it.
fn consent(column: &str, cell: &str) -> Result<ConsentInput, String> {
    let state = match cell.to_ascii_lowercase().replace([' ', '-'], "_").as_str() {
        "subscribed" | "yes" | "true" => ConsentState::Subscribed,
        "unsubscribed" | "no" | "false" => ConsentState::Unsubscribed,
        "pending" => ConsentState::Pending,
        "not_subscribed" => ConsentState::NotSubscribed,
        _ => {
            return Err(format!(
                "{column}: {cell:?} is not subscribed, unsubscribed, pending or not_subscribed"
            ));
        }
    };
    Ok(ConsentInput {
        state,
        opt_in_level: None,
        source: None,
    })
}

/// Values of one cell, separated by `;` or `|`.
fn list(cell: &str) -> Vec<String> {
    cell.split([';', '|'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One CSV row as read: the customer input and the domain of the company
/// it belongs to.
#[derive(Default)]
struct Row {
    input: CustomerInput,
    company_domain: Option<String>,
}

/// One CSV row as a customer input (its company by domain found, or made
/// with the `company` column's name), or why it cannot be imported.
pub(super) async fn resolve(
    db: &DatabaseConnection,
    tenant: &TenantId,
    companies: &mut HashMap<String, ID>,
    headers: &[String],
    record: &csv::StringRecord,
) -> anyhow::Result<Result<CustomerInput, String>> {
    let Row {
        mut input,
        company_domain,
    } = match to_input(headers, record) {
        Ok(row) => row,
        Err(reason) => return Ok(Err(reason)),
    };
    let Some(domain) = company_domain else {
        return Ok(Ok(input));
    };
    let key = domain.trim().to_lowercase();
    if let Some(id) = companies.get(&key) {
        input.company_id = Some(id.clone());
        return Ok(Ok(input));
    }
    let company = CompanyInput {
        name: input.company_name.clone().unwrap_or_else(|| domain.clone()),
        domain: Some(domain),
        ..CompanyInput::default()
    };
    let found = match find_or_create(db, tenant, company).await {
        Ok(found) => found,
        Err(AppError::BadUserInput { field, message }) => {
            return Ok(Err(format!("{field}: {message}")));
        }
        Err(other) => return Err(other.into_anyhow()),
    };
    let id = CompanyId::of_row(found.id).id();
    companies.insert(key, id.clone());
    input.company_id = Some(id);
    Ok(Ok(input))
}

/// One CSV row as read, or why it cannot be imported.
fn to_input(headers: &[String], record: &csv::StringRecord) -> Result<Row, String> {
    let mut input = CustomerInput::default();
    let mut company_domain = None;
    let mut address = AddressInput::default();
    let mut metadata = Map::new();
    for (header, value) in headers.iter().zip(record.iter()) {
        if value.is_empty() {
            continue;
        }
        let value = value.to_owned();
        match header.as_str() {
            "name" | "full_name" => input.name = Some(value),
            "first_name" | "firstname" => input.first_name = Some(value),
            "last_name" | "lastname" => input.last_name = Some(value),
            "email" => input.email = Some(value),
            "phone" => input.phone = Some(value),
            "company_name" | "company" => input.company_name = Some(value),
            "company_domain" | "domain" | "website" => company_domain = Some(value),
            "additional_emails" | "other_emails" => input.additional_emails = Some(list(&value)),
            "additional_phones" | "other_phones" => input.additional_phones = Some(list(&value)),
            "avatar_url" => input.avatar_url = Some(value),
            "source" => input.source = Some(value),
            "locale" | "language" => input.locale = Some(value),
            "currency" => input.currency = Some(value),
            "email_consent" | "accepts_email_marketing" => {
                input.email_consent = Some(consent(header, &value)?);
            }
            "sms_consent" | "accepts_sms_marketing" => {
                input.sms_consent = Some(consent(header, &value)?);
            }
            "status" => {
                input.status = Some(match value.to_ascii_uppercase().as_str() {
                    "ACTIVE" => CustomerStatus::Active,
                    "ARCHIVED" => CustomerStatus::Archived,
                    _ => return Err(format!("status: {value:?} is not ACTIVE or ARCHIVED")),
                })
            }
            "tags" => input.add_tags = Some(list(&value)),
            "address_line1" | "line1" | "address" => address.line1 = Some(value),
            "address_line2" | "line2" => address.line2 = Some(value),
            "city" => address.city = Some(value),
            "state" | "province" | "region" => address.state = Some(value),
            "postal_code" | "zip" | "postcode" => address.postal_code = Some(value),
            "country" => address.country = Some(value),
            other => {
                metadata.insert(other.to_owned(), Value::String(value));
            }
        }
    }
    if input.email.is_none() && input.phone.is_none() {
        return Err("needs an email or a phone, so that importing again finds it".into());
    }
    if address.line1.is_some()
        || address.line2.is_some()
        || address.city.is_some()
        || address.state.is_some()
        || address.postal_code.is_some()
        || address.country.is_some()
    {
        input.address = Some(address);
    }
    if !metadata.is_empty() {
        input.metadata = Some(Json(Value::Object(metadata)));
    }
    Ok(Row {
        input,
        company_domain,
    })
}
