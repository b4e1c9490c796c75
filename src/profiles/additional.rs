//! Additional emails and phones: the lists on the customer row (read with
//! it, searched with it) and their rows in `customer_contacts`, which keep
//! each value unique in the tenant and find its customer.
//!
//! A value is another customer's neither as a primary nor as an
//! additional one: the table's key guards the additional ones against each
//! other, the checks of the writes (which look both up) the rest.

use entity::{customer, customer_contact};
use sea_orm::{ColumnTrait as _, ConnectionTrait, DbErr, QueryFilter as _, QuerySelect as _};
use serde_json::Value;

use super::contact::{Email, Phone};
use crate::error::AppResult;
use crate::tenancy::{self, TenantId};

/// Most additional emails, and most additional phones, of a customer.
pub const MAX_ADDITIONAL: usize = 10;

/// Which list a value belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Email,
    Phone,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
        }
    }
}

/// The values of one of a row's lists.
pub fn list(row: &customer::Model, kind: Kind) -> Vec<String> {
    let value = match kind {
        Kind::Email => &row.additional_emails,
        Kind::Phone => &row.additional_phones,
    };
    values(value)
}

/// The strings of one of a row's lists, as its column holds them (a JSON
/// array of strings).
pub fn values(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Whether a row has any additional email or phone.
pub fn has_any(row: &customer::Model) -> bool {
    !list(row, Kind::Email).is_empty() || !list(row, Kind::Phone).is_empty()
}

/// Sets one of a row's lists.
pub fn set(row: &mut customer::Model, kind: Kind, values: Vec<String>) {
    let value = Value::from(values);
    match kind {
        Kind::Email => row.additional_emails = value,
        Kind::Phone => row.additional_phones = value,
    }
}

/// A row's additional emails.
pub fn emails(row: &customer::Model) -> Vec<Email> {
    list(row, Kind::Email)
        .into_iter()
        .map(Email::stored)
        .collect()
}

/// A row's additional phones.
pub fn phones(row: &customer::Model) -> Vec<Phone> {
    list(row, Kind::Phone)
        .into_iter()
        .map(Phone::stored)
        .collect()
}

/// The key of the customer with this additional email.
pub async fn owner_of_email(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    email: &Email,
) -> AppResult<Option<String>> {
    owner(db, tenant, Kind::Email, email.as_str()).await
}

/// The key of the customer with this additional phone.
pub async fn owner_of_phone(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    phone: &Phone,
) -> AppResult<Option<String>> {
    owner(db, tenant, Kind::Phone, phone.as_str()).await
}

async fn owner(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    kind: Kind,
    value: &str,
) -> AppResult<Option<String>> {
    use customer_contact::Column as C;
    Ok(tenancy::select::<customer_contact::Entity>(tenant)
        .filter(C::Kind.eq(kind.as_str()))
        .filter(C::Value.eq(value))
        .select_only()
        .column(C::CustomerId)
        .into_tuple::<String>()
        .one(db)
        .await?)
}

/// The keys of the customers with any of these as additional values.
pub async fn owners(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    emails: &[Email],
    phones: &[Phone],
) -> AppResult<Vec<String>> {
    use customer_contact::Column as C;
    let mut keys = Vec::new();
    for (kind, values) in [
        (
            Kind::Email,
            emails.iter().map(Email::as_str).collect::<Vec<_>>(),
        ),
        (
            Kind::Phone,
            phones.iter().map(Phone::as_str).collect::<Vec<_>>(),
        ),
    ] {
        if values.is_empty() {
            continue;
        }
        keys.extend(
            tenancy::select::<customer_contact::Entity>(tenant)
                .filter(C::Kind.eq(kind.as_str()))
                .filter(C::Value.is_in(values))
                .select_only()
                .column(C::CustomerId)
                .into_tuple::<String>()
                .all(db)
                .await?,
        );
    }
    Ok(keys)
}

/// Writes the additional values of new customers (which have none yet).
/// A value another customer holds fails on the table's key.
pub async fn insert(db: &impl ConnectionTrait, rows: &[&customer::Model]) -> Result<(), DbErr> {
    let contacts: Vec<customer_contact::Model> = rows
        .iter()
        .flat_map(|row| {
            [Kind::Email, Kind::Phone]
                .into_iter()
                .flat_map(move |kind| {
                    list(row, kind)
                        .into_iter()
                        .map(move |value| customer_contact::Model {
                            tenant_id: row.tenant_id.clone(),
                            kind: kind.as_str().to_owned(),
                            value,
                            customer_id: row.id.clone(),
                        })
                })
        })
        .collect();
    crate::db::insert_rows::<customer_contact::Entity>(db, &contacts, 5000, crate::db::Taken::Fail)
        .await
}

/// Makes the table hold exactly the rows' additional values (all of one
/// tenant): theirs are deleted, then written again. A value another
/// customer holds fails on the table's key.
pub async fn replace(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    rows: &[&customer::Model],
) -> Result<(), DbErr> {
    use customer_contact::Column as C;
    for keys in rows.chunks(500) {
        tenancy::delete::<customer_contact::Entity>(tenant)
            .filter(C::CustomerId.is_in(keys.iter().map(|r| r.id.as_str())))
            .exec(db)
            .await?;
    }
    insert(db, rows).await
}
