//! What a seeded tenant is described by besides its customers: the custom
//! field definitions its customers' metadata follows, and the companies
//! some of them belong to. Written once; a run again changes nothing.

use entity::{company, custom_field};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use super::data::{CHANNELS, COMPANIES, PLANS};
use crate::companies::input::derive;
use crate::db::{Taken, insert_rows};
use crate::profiles::fields::column;
use crate::profiles::fields::filter::class_of;
use crate::tenancy::TenantId;

/// The definitions of the seeded metadata: `plan`, `seats`,
/// `signup_channel`, `newsletter`, `renewal_date`.
pub(super) async fn define_fields(
    db: &DatabaseConnection,
    tenant: &TenantId,
) -> anyhow::Result<()> {
    use custom_field::FieldType as T;
    let now = crate::db::now();
    let define = |key: &str, label: &str, field_type: T, options: &[&str], description: &str| {
        custom_field::Model {
            tenant_id: tenant.as_str().to_owned(),
            key: key.to_owned(),
            label: label.to_owned(),
            field_type,
            options: json!(options),
            required: false,
            description: Some(description.to_owned()),
            archived: false,
            created_at: now,
            updated_at: now,
        }
    };
    let rows = [
        define(
            "plan",
            "Plan",
            T::SingleSelect,
            PLANS,
            "The plan the customer pays for.",
        ),
        define("seats", "Seats", T::Number, &[], "Licensed seats."),
        define(
            "signup_channel",
            "Sign-up channel",
            T::SingleSelect,
            CHANNELS,
            "Where the customer signed up.",
        ),
        define(
            "newsletter",
            "Newsletter",
            T::Boolean,
            &[],
            "Reads the newsletter.",
        ),
        define(
            "renewal_date",
            "Renewal date",
            T::Date,
            &[],
            "When the plan renews.",
        ),
    ];
    insert_rows::<custom_field::Entity>(db, &rows, rows.len(), Taken::Skip).await?;
    Ok(())
}

/// The defined fields' indexes ([`crate::profiles::fields::index`]),
/// made once the rows are in (faster than keeping them during the load).
pub(super) async fn index_fields(db: &DatabaseConnection, tenant: &TenantId) -> anyhow::Result<()> {
    use sea_orm::ConnectionTrait as _;
    for definition in crate::profiles::fields::repo::list(db, tenant, false)
        .await
        .map_err(crate::error::AppError::into_anyhow)?
    {
        if let Some(class) = class_of(definition.field_type) {
            let (_, statement) = column::index(&definition.key, class, db.get_database_backend());
            db.execute_unprepared(&statement).await?;
        }
    }
    Ok(())
}

/// The seeded companies, `(name, key)` in [`COMPANIES`] order, each with
/// a domain; the keys follow from the seed and the tenant.
pub(super) async fn companies(
    db: &DatabaseConnection,
    tenant: &TenantId,
    seed: u64,
    tenant_hash: u64,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let now = crate::db::now();
    let mut rows = Vec::with_capacity(COMPANIES.len());
    for (j, name) in COMPANIES.iter().enumerate() {
        let bits = (u128::from(seed ^ tenant_hash) << 64) | j as u128;
        let key = uuid::Builder::from_unix_timestamp_millis(
            super::ID_EPOCH_MS,
            &bits.to_le_bytes()[..10].try_into()?,
        )
        .into_uuid()
        .simple()
        .to_string();
        let slug: String = name
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-");
        let mut row = company::Model {
            tenant_id: tenant.as_str().to_owned(),
            id: key,
            name: (*name).to_owned(),
            sort_name: String::new(),
            domain: Some(format!("{slug}.example")),
            industry: Some(["Retail", "Software", "Manufacturing", "Health"][j % 4].to_owned()),
            size: Some(20 * (j as i32 + 1)),
            address_line1: None,
            address_line2: None,
            city: None,
            state: None,
            postal_code: None,
            country: None,
            metadata: Value::Object(serde_json::Map::new()),
            search_text: String::new(),
            created_at: now,
            updated_at: now,
        };
        derive(&mut row);
        rows.push(row);
    }
    insert_rows::<company::Entity>(db, &rows, rows.len(), Taken::Skip).await?;
    Ok(COMPANIES
        .iter()
        .copied()
        .zip(rows.into_iter().map(|r| r.id))
        .collect())
}
