//! The columns an export writes, each read from the customer's row (and
//! its tags) as the API shows it.

use async_graphql::Enum;
use entity::customer;
use sea_orm::ActiveEnum as _;
use serde_json::{Value, json};

use crate::graphql::scalars::Decimal;
use crate::ids::{self, Kind};
use crate::profiles::row::display_name;

/// A column of a bulk export.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "BulkExportColumn")]
pub enum Column {
    /// `cus_…`.
    Id,
    /// The email address.
    Email,
    /// The display name.
    Name,
    /// The first name.
    FirstName,
    /// The last name.
    LastName,
    /// The phone, E.164.
    Phone,
    /// The company name as given.
    CompanyName,
    /// `ACTIVE` or `ARCHIVED`.
    Status,
    /// Where the customer came from.
    Source,
    /// The tags, `;`-separated in CSV, a list in JSON Lines.
    Tags,
    /// The address's city.
    City,
    /// The address's country code.
    Country,
    /// The number of paid orders.
    TotalOrders,
    /// A decimal string.
    TotalSpent,
    /// When the first paid order was placed (RFC 3339).
    FirstOrderAt,
    /// When the last paid order was placed (RFC 3339).
    LastOrderAt,
    /// When the customer was created (RFC 3339).
    CreatedAt,
    /// When the customer last changed (RFC 3339).
    UpdatedAt,
    /// The email consent state.
    EmailConsent,
    /// The SMS consent state.
    SmsConsent,
    /// The custom fields, as a JSON object.
    Metadata,
}

const ALL: [Column; 21] = [
    Column::Id,
    Column::Email,
    Column::Name,
    Column::FirstName,
    Column::LastName,
    Column::Phone,
    Column::CompanyName,
    Column::Status,
    Column::Source,
    Column::Tags,
    Column::City,
    Column::Country,
    Column::TotalOrders,
    Column::TotalSpent,
    Column::FirstOrderAt,
    Column::LastOrderAt,
    Column::CreatedAt,
    Column::UpdatedAt,
    Column::EmailConsent,
    Column::SmsConsent,
    Column::Metadata,
];

impl Column {
    /// The name a header row (or a JSON Lines key) gives the column.
    pub fn name(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::Email => "email",
            Column::Name => "name",
            Column::FirstName => "firstName",
            Column::LastName => "lastName",
            Column::Phone => "phone",
            Column::CompanyName => "companyName",
            Column::Status => "status",
            Column::Source => "source",
            Column::Tags => "tags",
            Column::City => "city",
            Column::Country => "country",
            Column::TotalOrders => "totalOrders",
            Column::TotalSpent => "totalSpent",
            Column::FirstOrderAt => "firstOrderAt",
            Column::LastOrderAt => "lastOrderAt",
            Column::CreatedAt => "createdAt",
            Column::UpdatedAt => "updatedAt",
            Column::EmailConsent => "emailConsent",
            Column::SmsConsent => "smsConsent",
            Column::Metadata => "metadata",
        }
    }

    /// The column a stored name names.
    pub fn named(name: &str) -> Option<Column> {
        // `firstOrderAt`, `FIRST_ORDER_AT` and `first_order_at` alike.
        let folded = |name: &str| name.replace('_', "").to_lowercase();
        ALL.into_iter().find(|c| folded(c.name()) == folded(name))
    }

    /// Every column's name, as [`Column::named`] reads them.
    pub fn names() -> Vec<&'static str> {
        ALL.into_iter().map(Column::name).collect()
    }

    /// The customer's value, as JSON.
    pub fn value(self, row: &customer::Model, tags: &[String]) -> Value {
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map_or(Value::Null, |t| {
                json!(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            })
        };
        match self {
            Column::Id => json!(ids::encode(Kind::Customer, &row.id).0),
            Column::Email => json!(row.email),
            Column::Name => json!(display_name(row)),
            Column::FirstName => json!(row.first_name),
            Column::LastName => json!(row.last_name),
            Column::Phone => json!(row.phone),
            Column::CompanyName => json!(row.company_name),
            Column::Status => json!(row.status),
            Column::Source => json!(row.source),
            Column::Tags => json!(tags),
            Column::City => json!(row.city),
            Column::Country => json!(row.country),
            Column::TotalOrders => json!(row.total_orders),
            Column::TotalSpent => json!(Decimal::from(row.total_spent_cents).to_string()),
            Column::FirstOrderAt => time(row.first_order_at),
            Column::LastOrderAt => time(row.last_order_at),
            Column::CreatedAt => time(Some(row.created_at)),
            Column::UpdatedAt => time(Some(row.updated_at)),
            Column::EmailConsent => json!(row.email_consent.to_value()),
            Column::SmsConsent => json!(row.sms_consent.to_value()),
            Column::Metadata => row.metadata.clone(),
        }
    }
}

/// One customer as a line of the file (with its newline).
pub fn line(csv: bool, columns: &[Column], row: &customer::Model, tags: &[String]) -> String {
    if !csv {
        // Written key by key: the object keeps the columns' order.
        let mut line = String::from("{");
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(&Value::String(c.name().to_owned()).to_string());
            line.push(':');
            line.push_str(&c.value(row, tags).to_string());
        }
        line.push_str("}\n");
        return line;
    }
    let cells: Vec<String> = columns
        .iter()
        .map(|c| {
            let text = match c.value(row, tags) {
                Value::Null => String::new(),
                Value::String(s) => s,
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(";"),
                other => other.to_string(),
            };
            defused(text)
        })
        .collect();
    record(&cells)
}

/// The header row of a CSV file.
pub fn header(columns: &[Column]) -> String {
    record(
        &columns
            .iter()
            .map(|c| c.name().to_owned())
            .collect::<Vec<_>>(),
    )
}

/// One CSV record (RFC 4180: quoted where needed, CRLF-terminated).
fn record(cells: &[String]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(cells);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`) gets
/// a leading quote mark (OWASP's advice on CSV injection).
fn defused(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}
