//! What a customer row's profile derives: its display name, whether it
//! has an address (and that address's key), and the folded text it is
//! sorted and searched by.

use entity::customer;

use super::additional;
use super::checks::Address;

/// True when any part of the row's address is set.
pub fn has_address(row: &customer::Model) -> bool {
    [
        &row.address_line1,
        &row.address_line2,
        &row.city,
        &row.state,
        &row.postal_code,
        &row.country,
    ]
    .iter()
    .any(|v| v.is_some())
}

/// The row's address, when it has one.
pub fn address(row: &customer::Model) -> Option<Address> {
    has_address(row).then(|| Address {
        line1: row.address_line1.clone(),
        line2: row.address_line2.clone(),
        city: row.city.clone(),
        state: row.state.clone(),
        postal_code: row.postal_code.clone(),
        country: row.country.clone(),
    })
}

/// Puts `a` in the row's address columns (the default address).
pub fn set_address(row: &mut customer::Model, a: Address) {
    row.address_line1 = a.line1;
    row.address_line2 = a.line2;
    row.city = a.city;
    row.state = a.state;
    row.postal_code = a.postal_code;
    row.country = a.country;
}

/// Gives `to` the default address of `from` (its key included).
pub fn copy_address(to: &mut customer::Model, from: &customer::Model) {
    to.address_line1.clone_from(&from.address_line1);
    to.address_line2.clone_from(&from.address_line2);
    to.city.clone_from(&from.city);
    to.state.clone_from(&from.state);
    to.postal_code.clone_from(&from.postal_code);
    to.country.clone_from(&from.country);
    to.default_address_id.clone_from(&from.default_address_id);
}

/// The display name: `name`, or "first last".
pub fn display_name(row: &customer::Model) -> Option<String> {
    name_of(
        row.name.clone(),
        row.first_name.as_deref(),
        row.last_name.as_deref(),
    )
}

/// [`display_name`] of a row's `name`, `first_name` and `last_name`.
pub fn name_of(name: Option<String>, first: Option<&str>, last: Option<&str>) -> Option<String> {
    name.or_else(|| {
        let joined = [first, last]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!joined.is_empty()).then_some(joined)
    })
}

/// Folds text for search and sorting: accents removed, lower-cased
/// ("María" → "maria").
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// Recomputes `sort_name` and `search_text` from the profile, and keys
/// the default address: a new one gets a key, a removed one loses it.
pub fn derive(row: &mut customer::Model) {
    if !has_address(row) {
        row.default_address_id = None;
    } else if row.default_address_id.is_none() {
        row.default_address_id = Some(crate::ids::new_key());
    }
    // A value is primary or additional, never both.
    for (kind, primary) in [
        (additional::Kind::Email, row.email.clone()),
        (additional::Kind::Phone, row.phone.clone()),
    ] {
        let mut list = additional::list(row, kind);
        if let Some(primary) = primary
            && list.contains(&primary)
        {
            list.retain(|v| *v != primary);
            additional::set(row, kind, list);
        }
    }
    let display = display_name(row);
    row.sort_name = display.as_deref().map(fold);
    let digits: Option<String> = row
        .phone
        .as_deref()
        .map(|p| p.chars().filter(char::is_ascii_digit).collect());
    let parts = [
        display.as_deref(),
        row.first_name.as_deref(),
        row.last_name.as_deref(),
        row.email.as_deref(),
        row.phone.as_deref(),
        digits.as_deref(),
        row.company_name.as_deref(),
    ];
    let emails = additional::list(row, additional::Kind::Email);
    let phones = additional::list(row, additional::Kind::Phone);
    let phone_digits: Vec<String> = phones
        .iter()
        .map(|p| p.chars().filter(char::is_ascii_digit).collect())
        .collect();
    // Each part folded on its own: folding drops line breaks from text that
    // is not all ASCII, which would join the parts into one another.
    row.search_text = parts
        .into_iter()
        .flatten()
        .chain(emails.iter().map(String::as_str))
        .chain(phones.iter().map(String::as_str))
        .chain(phone_digits.iter().map(String::as_str))
        .map(fold)
        .collect::<Vec<_>>()
        .join("\n");
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folding_removes_accents_and_case() {
        assert_eq!(fold("María Ñúñez"), "maria nunez");
    }
}
