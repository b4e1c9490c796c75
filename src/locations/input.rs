//! What the location mutations take, checked: every error is
//! `BAD_USER_INPUT` naming the input path (`input.timezone`).

use async_graphql::{InputObject, Json, MaybeUndefined};
use entity::location;
use serde_json::{Map, Value};

use crate::error::{AppResult, bad_input};
use crate::graphql::input::text;
use crate::profiles::checks::{self, Address};
use crate::profiles::input::{AddressInput, MAX_TEXT_CHARS};

/// A new location.
#[derive(InputObject, Clone, Debug, Default)]
pub struct LocationInput {
    /// Its name: 1–255 characters.
    pub name: String,
    /// Its postal address.
    pub address: Option<AddressInput>,
    /// Its IANA time zone (`Europe/Madrid`); `UTC` when absent.
    pub timezone: Option<String>,
    /// Its own custom fields: a JSON object of at most 16 KiB.
    pub metadata: Option<Json<Value>>,
}

/// A change to a location; absent fields stay, null clears.
#[derive(InputObject, Clone, Debug, Default)]
pub struct LocationUpdateInput {
    /// The new name.
    pub name: Option<String>,
    /// The new address, as a whole.
    pub address: MaybeUndefined<AddressInput>,
    /// The new time zone.
    pub timezone: Option<String>,
    /// The new custom fields, as a whole.
    pub metadata: MaybeUndefined<Json<Value>>,
}

fn name(value: String) -> AppResult<String> {
    text("input.name", value, MAX_TEXT_CHARS)?
        .ok_or_else(|| bad_input("input.name", "a name is 1-255 characters"))
}

/// An IANA time zone name, as the tz database spells it.
fn timezone(value: &str) -> AppResult<String> {
    value
        .trim()
        .parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| {
            bad_input(
                "input.timezone",
                "must be an IANA time zone such as Europe/Madrid",
            )
        })
}

fn metadata(value: Value) -> AppResult<Value> {
    checks::metadata("input.metadata", value).map(Value::Object)
}

fn set_address(row: &mut location::Model, a: Address) {
    row.address_line1 = a.line1;
    row.address_line2 = a.line2;
    row.city = a.city;
    row.state = a.state;
    row.postal_code = a.postal_code;
    row.country = a.country;
}

fn address(a: AddressInput) -> AppResult<Address> {
    Ok(checks::address("input.address", a)?.unwrap_or_default())
}

impl LocationInput {
    /// Applies the input to a new location's row.
    pub fn apply(self, row: &mut location::Model) -> AppResult<()> {
        row.name = name(self.name)?;
        if let Some(a) = self.address {
            set_address(row, address(a)?);
        }
        row.timezone = match self.timezone {
            Some(tz) => timezone(&tz)?,
            None => "UTC".to_owned(),
        };
        row.metadata = match self.metadata {
            Some(Json(v)) => metadata(v)?,
            None => Value::Object(Map::new()),
        };
        Ok(())
    }
}

impl LocationUpdateInput {
    /// Applies the change to a location's row.
    pub fn apply(self, row: &mut location::Model) -> AppResult<()> {
        if let Some(n) = self.name {
            row.name = name(n)?;
        }
        match self.address {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => set_address(row, Address::default()),
            MaybeUndefined::Value(a) => set_address(row, address(a)?),
        }
        if let Some(tz) = self.timezone {
            row.timezone = timezone(&tz)?;
        }
        match self.metadata {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => row.metadata = Value::Object(Map::new()),
            MaybeUndefined::Value(Json(v)) => row.metadata = metadata(v)?,
        }
        Ok(())
    }
}
