//! What the customer mutations take: the input types and their limits.
//! They are parsed once into a validated [`Patch`](super::patch::Patch).

use async_graphql::{Enum, ID, InputObject, Json, MaybeUndefined};
use serde_json::Value;

use super::consent::ConsentInput;

pub const MAX_TAGS: usize = 100;
pub const MAX_TAG_CHARS: usize = 64;
pub const MAX_METADATA_BYTES: usize = 16 * 1024;
pub const MAX_TEXT_CHARS: usize = 255;
pub(super) const MAX_URL_CHARS: usize = 2048;
/// Longest language tag taken (BCP 47 sets no limit; real ones are short).
pub(super) const MAX_LOCALE_CHARS: usize = 64;

/// Whether a customer is current or archived.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CustomerStatus {
    /// A current customer (the default).
    Active,
    /// Kept on record but no longer current.
    Archived,
}

impl CustomerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerStatus::Active => "ACTIVE",
            CustomerStatus::Archived => "ARCHIVED",
        }
    }

    pub fn from_db(s: &str) -> Self {
        if s == "ARCHIVED" {
            CustomerStatus::Archived
        } else {
            CustomerStatus::Active
        }
    }
}

/// A customer field, as named by `upsertCustomer(doNotUpdate:)`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CustomerField {
    /// `name`.
    Name,
    /// `firstName`.
    FirstName,
    /// `lastName`.
    LastName,
    /// `email`.
    Email,
    /// `phone`.
    Phone,
    /// `companyName`.
    CompanyName,
    /// `avatarUrl`.
    AvatarUrl,
    /// `status`.
    Status,
    /// `source`.
    Source,
    /// `tags` and `addTags`: the customer keeps its tags.
    Tags,
    /// `address`, as a whole.
    Address,
    /// `metadata`: the custom fields are neither replaced nor merged.
    Metadata,
    /// `emailConsent`.
    EmailConsent,
    /// `smsConsent`.
    SmsConsent,
    /// `locale`.
    Locale,
    /// `currency`.
    Currency,
    /// `companyId`.
    Company,
    /// `additionalEmails`.
    AdditionalEmails,
    /// `additionalPhones`.
    AdditionalPhones,
}

/// A postal address.
#[derive(InputObject, Clone, Debug, Default)]
pub struct AddressInput {
    /// The first line of the street address; at most 255 characters.
    pub line1: Option<String>,
    /// The second line of the street address; at most 255 characters.
    pub line2: Option<String>,
    /// The city or town; at most 255 characters.
    pub city: Option<String>,
    /// The state, province or region; at most 255 characters.
    pub state: Option<String>,
    /// The postal or ZIP code; at most 255 characters.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 code, e.g. `DE`.
    pub country: Option<String>,
}

/// A customer's profile, for `createCustomer`, `upsertCustomer` and
/// `importCustomers`. Absent fields are left as they are.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CustomerInput {
    /// Display name; "first last" is used when only those are given.
    pub name: Option<String>,
    /// Given name; at most 255 characters.
    pub first_name: Option<String>,
    /// Family name; at most 255 characters.
    pub last_name: Option<String>,
    /// A valid address; unique per tenant, case-insensitively.
    pub email: Option<String>,
    /// A phone number with country code; stored in E.164, unique per tenant.
    pub phone: Option<String>,
    /// The name of the customer's company; at most 255 characters. A
    /// customer with a company (`companyId`) has the company's name.
    pub company_name: Option<String>,
    /// The company the customer belongs to (`com_…`); `companyName` becomes
    /// its name.
    pub company_id: Option<ID>,
    /// The location (`loc_…`) the customer is created or upserted in: it
    /// joins the customer's locations (a customer of several locations
    /// belongs to each it was written in).
    pub location_id: Option<ID>,
    /// Emails besides `email` (at most 10), each unique in the tenant as
    /// `email` is; replaces the list.
    pub additional_emails: Option<Vec<String>>,
    /// Phones besides `phone` (at most 10), each unique in the tenant as
    /// `phone` is; replaces the list.
    pub additional_phones: Option<Vec<String>>,
    /// An http(s) URL.
    pub avatar_url: Option<String>,
    /// `ACTIVE` for a new customer unless given.
    pub status: Option<CustomerStatus>,
    /// Where the customer came from (`shopify`, `import`, …).
    pub source: Option<String>,
    /// Replaces the customer's tags.
    pub tags: Option<Vec<String>>,
    /// Adds tags, keeping the existing ones.
    pub add_tags: Option<Vec<String>>,
    /// Replaces the whole address.
    pub address: Option<AddressInput>,
    /// Custom fields: a JSON object of at most 16 KiB. `upsertCustomer`
    /// merges its keys into the existing ones.
    pub metadata: Option<Json<Value>>,
    /// Marketing consent by email; left as it is when absent.
    pub email_consent: Option<ConsentInput>,
    /// Marketing consent by SMS; left as it is when absent.
    pub sms_consent: Option<ConsentInput>,
    /// The language to write to: a BCP 47 tag such as `en` or `pt-BR`.
    pub locale: Option<String>,
    /// The preferred currency: an ISO 4217 code such as `EUR`.
    pub currency: Option<String>,
}

/// A patch for `updateCustomer`: an absent field is unchanged, an explicit
/// `null` clears it.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CustomerUpdateInput {
    /// Display name; at most 255 characters.
    pub name: MaybeUndefined<String>,
    /// Given name; at most 255 characters.
    pub first_name: MaybeUndefined<String>,
    /// Family name; at most 255 characters.
    pub last_name: MaybeUndefined<String>,
    /// A valid address; unique per tenant, case-insensitively.
    pub email: MaybeUndefined<String>,
    /// A phone number with country code; stored in E.164, unique per tenant.
    pub phone: MaybeUndefined<String>,
    /// The name of the customer's company; at most 255 characters. A
    /// customer with a company (`companyId`) has the company's name.
    pub company_name: MaybeUndefined<String>,
    /// The company the customer belongs to (`com_…`); `null` takes it out
    /// of its company (keeping `companyName`).
    pub company_id: MaybeUndefined<ID>,
    /// Emails besides `email` (at most 10), each unique in the tenant;
    /// replaces the list, `null` empties it.
    pub additional_emails: MaybeUndefined<Vec<String>>,
    /// Phones besides `phone` (at most 10), each unique in the tenant;
    /// replaces the list, `null` empties it.
    pub additional_phones: MaybeUndefined<Vec<String>>,
    /// An http(s) URL.
    pub avatar_url: MaybeUndefined<String>,
    /// Cannot be cleared.
    pub status: MaybeUndefined<CustomerStatus>,
    /// Where the customer came from; at most 255 characters.
    pub source: MaybeUndefined<String>,
    /// Replaces the tags; `null` removes them all.
    pub tags: MaybeUndefined<Vec<String>>,
    /// Adds tags, keeping the existing ones.
    pub add_tags: Option<Vec<String>>,
    /// Replaces the whole address; `null` removes it.
    pub address: MaybeUndefined<AddressInput>,
    /// Replaces the custom fields; `null` empties them.
    pub metadata: MaybeUndefined<Json<Value>>,
    /// Marketing consent by email; cannot be cleared (say
    /// `NOT_SUBSCRIBED` or `UNSUBSCRIBED`).
    pub email_consent: Option<ConsentInput>,
    /// Marketing consent by SMS; cannot be cleared.
    pub sms_consent: Option<ConsentInput>,
    /// A BCP 47 language tag; `null` clears it.
    pub locale: MaybeUndefined<String>,
    /// An ISO 4217 currency code; `null` clears it.
    pub currency: MaybeUndefined<String>,
}
