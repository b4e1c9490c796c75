//! What the finder compares of a customer row.

use entity::customer;

use super::likeness::Person;
use crate::profiles::additional::{self, Kind};

/// The row's names, contacts, company and default address.
pub fn of(row: &customer::Model) -> Person {
    let all = |primary: &Option<String>, kind: Kind| {
        primary
            .iter()
            .cloned()
            .chain(additional::list(row, kind))
            .collect()
    };
    Person {
        first_name: row.first_name.clone(),
        last_name: row.last_name.clone(),
        name: row.name.clone(),
        emails: all(&row.email, Kind::Email),
        phones: all(&row.phone, Kind::Phone),
        company: row.company_name.clone(),
        address_line1: row.address_line1.clone(),
        postal_code: row.postal_code.clone(),
        city: row.city.clone(),
        country: row.country.clone(),
    }
}
