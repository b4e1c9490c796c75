//! What the company mutations take, checked: every error is
//! `BAD_USER_INPUT` naming the input path (`input.domain`).

use async_graphql::{InputObject, Json, MaybeUndefined};
use entity::company;
use serde_json::{Map, Value};

use crate::error::{AppResult, bad_input};
use crate::graphql::input::text;
use crate::profiles::checks::{self, Address};
use crate::profiles::input::{AddressInput, MAX_TEXT_CHARS};
use crate::profiles::row::fold;

/// Most employees a company's `size` says.
const MAX_SIZE: i32 = 10_000_000;

/// A new company.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CompanyInput {
    /// The company's name: 1–255 characters.
    pub name: String,
    /// Its web domain (`acme.com`; a URL is cut down to its host, `www.`
    /// dropped); unique in the tenant.
    pub domain: Option<String>,
    /// Its industry; at most 255 characters.
    pub industry: Option<String>,
    /// Its number of employees.
    pub size: Option<i32>,
    /// Its postal address.
    pub address: Option<AddressInput>,
    /// Custom fields: a JSON object of at most 16 KiB.
    pub metadata: Option<Json<Value>>,
}

/// A change to a company; absent fields stay, null clears.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CompanyUpdateInput {
    /// The new name; the company's customers take it as `companyName`.
    pub name: Option<String>,
    /// The new domain.
    pub domain: MaybeUndefined<String>,
    /// The new industry.
    pub industry: MaybeUndefined<String>,
    /// The new number of employees.
    pub size: MaybeUndefined<i32>,
    /// The new address, as a whole.
    pub address: MaybeUndefined<AddressInput>,
    /// The new custom fields, as a whole.
    pub metadata: MaybeUndefined<Json<Value>>,
}

/// A web domain in its stored form: `https://www.Acme.com/about` is
/// `acme.com`.
pub fn domain(field: &str, value: &str) -> AppResult<Option<String>> {
    let mut d = value.trim().to_lowercase();
    if d.is_empty() {
        return Ok(None);
    }
    for scheme in ["https://", "http://"] {
        if let Some(rest) = d.strip_prefix(scheme) {
            d = rest.to_owned();
        }
    }
    if let Some(end) = d.find(['/', '?', '#']) {
        d.truncate(end);
    }
    let d = d
        .strip_prefix("www.")
        .unwrap_or(&d)
        .trim_end_matches('.')
        .to_owned();
    let valid = d.len() <= 253
        && d.contains('.')
        && url::Url::parse(&format!("http://{d}/"))
            .ok()
            .and_then(|u| u.host_str().map(|h| h == d))
            .unwrap_or(false)
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if !valid {
        return Err(bad_input(field, "must be a web domain such as acme.com"));
    }
    Ok(Some(d))
}

fn name(field: &str, value: String) -> AppResult<String> {
    text(field, value, MAX_TEXT_CHARS)?
        .ok_or_else(|| bad_input(field, "a name is 1-255 characters"))
}

fn size(field: &str, value: i32) -> AppResult<i32> {
    if (0..=MAX_SIZE).contains(&value) {
        Ok(value)
    } else {
        Err(bad_input(
            field,
            format!("a size is 0-{MAX_SIZE} employees"),
        ))
    }
}

fn set_address(row: &mut company::Model, a: Address) {
    row.address_line1 = a.line1;
    row.address_line2 = a.line2;
    row.city = a.city;
    row.state = a.state;
    row.postal_code = a.postal_code;
    row.country = a.country;
}

/// The columns derived from the name and domain.
pub fn derive(row: &mut company::Model) {
    row.sort_name = fold(&row.name);
    row.search_text = [Some(row.name.as_str()), row.domain.as_deref()]
        .into_iter()
        .flatten()
        .map(fold)
        .collect::<Vec<_>>()
        .join("\n");
}

impl CompanyInput {
    /// Applies the input to a new company's row.
    pub fn apply(self, row: &mut company::Model) -> AppResult<()> {
        row.name = name("input.name", self.name)?;
        row.domain = self
            .domain
            .map(|d| domain("input.domain", &d))
            .transpose()?
            .flatten();
        row.industry = self
            .industry
            .map(|v| text("input.industry", v, MAX_TEXT_CHARS))
            .transpose()?
            .flatten();
        row.size = self.size.map(|v| size("input.size", v)).transpose()?;
        if let Some(a) = self.address {
            set_address(
                row,
                checks::address("input.address", a)?.unwrap_or_default(),
            );
        }
        row.metadata = match self.metadata {
            Some(Json(v)) => Value::Object(checks::metadata("input.metadata", v)?),
            None => Value::Object(Map::new()),
        };
        derive(row);
        Ok(())
    }
}

impl CompanyUpdateInput {
    /// Applies the change to a company's row.
    pub fn apply(self, row: &mut company::Model) -> AppResult<()> {
        if let Some(n) = self.name {
            row.name = name("input.name", n)?;
        }
        match self.domain {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => row.domain = None,
            MaybeUndefined::Value(d) => row.domain = domain("input.domain", &d)?,
        }
        match self.industry {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => row.industry = None,
            MaybeUndefined::Value(v) => row.industry = text("input.industry", v, MAX_TEXT_CHARS)?,
        }
        match self.size {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => row.size = None,
            MaybeUndefined::Value(v) => row.size = Some(size("input.size", v)?),
        }
        match self.address {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => set_address(row, Address::default()),
            MaybeUndefined::Value(a) => {
                set_address(
                    row,
                    checks::address("input.address", a)?.unwrap_or_default(),
                );
            }
        }
        match self.metadata {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => row.metadata = Value::Object(Map::new()),
            MaybeUndefined::Value(Json(v)) => {
                row.metadata = Value::Object(checks::metadata("input.metadata", v)?);
            }
        }
        derive(row);
        Ok(())
    }
}
