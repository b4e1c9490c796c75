//! How one row of a call applies to the customers the call holds (its
//! slots): checked against the tenant's fields, companies and locations,
//! and the call's index of emails and phones.

use std::collections::{HashMap, HashSet};

use entity::customer;

use crate::companies::link;
use crate::error::{AppResult, bad_input, conflict};
use crate::profiles::additional::{self, Kind};
use crate::profiles::fields::Fields;
use crate::profiles::patch::{Patch, final_tags};
use crate::profiles::repo;
use crate::tenancy::TenantId;

/// What the call's rows are checked against: the tenant's custom fields
/// and the companies and locations the rows name.
pub(super) struct Known<'a> {
    pub fields: &'a Fields,
    pub companies: &'a HashMap<String, entity::company::Model>,
    pub locations: &'a HashSet<String>,
    /// The location the viewer is confined to, which every row is written
    /// in.
    pub confined: Option<&'a str>,
}

/// One customer the call touches: its row as it will be written, and
/// how it started (`None` for a customer this call creates).
pub(super) struct Slot {
    pub row: customer::Model,
    pub original: Option<customer::Model>,
    pub tags: Vec<String>,
    pub original_tags: Vec<String>,
    /// The locations its rows were written in, which it joins.
    pub locations: Vec<String>,
}

/// Applies a row to a customer already in the call; the email and phone it
/// moves to must not belong to another one.
pub(super) fn update_slot(
    slots: &mut [Slot],
    slot: usize,
    patch: Patch,
    by_email: &HashMap<String, usize>,
    by_phone: &HashMap<String, usize>,
    known: &Known<'_>,
) -> AppResult<usize> {
    if let Some(email) = patch.email.value()
        && by_email
            .get(email.as_str())
            .is_some_and(|other| *other != slot)
    {
        return Err(conflict("email", "another customer has this email"));
    }
    if let Some(phone) = patch.phone.value()
        && by_phone
            .get(phone.as_str())
            .is_some_and(|other| *other != slot)
    {
        return Err(conflict("phone", "another customer has this phone"));
    }
    check_additional(&patch, Some(slot), by_email, by_phone)?;
    let target = &mut slots[slot];
    let patch = patch.matched(&target.row);
    let tags = final_tags(target.tags.clone(), &patch, "")?;
    let mut row = target.row.clone();
    let company = patch.company.clone();
    let location = known_location(known, &patch)?;
    patch.apply(&mut row, "", known.fields)?;
    link::apply(known.companies, &target.row, &mut row, &company, "")?;
    target.row = row;
    target.locations.extend(location);
    if let Some(mut tags) = tags {
        tags.sort();
        target.tags = tags;
    }
    Ok(slot)
}

/// Fails when another customer of the call has one of the row's
/// additional emails or phones (those of customers outside the call were
/// looked up with it, so they are in the call).
fn check_additional(
    patch: &Patch,
    slot: Option<usize>,
    by_email: &HashMap<String, usize>,
    by_phone: &HashMap<String, usize>,
) -> AppResult<()> {
    let other = |found: Option<&usize>| found.is_some_and(|o| Some(*o) != slot);
    if let Some(email) = patch
        .additional_emails
        .iter()
        .flatten()
        .find(|e| other(by_email.get(e.as_str())))
    {
        return Err(conflict(
            "additionalEmails",
            format!("another customer has the email {}", email.as_str()),
        ));
    }
    if let Some(phone) = patch
        .additional_phones
        .iter()
        .flatten()
        .find(|p| other(by_phone.get(p.as_str())))
    {
        return Err(conflict(
            "additionalPhones",
            format!("another customer has the phone {}", phone.as_str()),
        ));
    }
    Ok(())
}

pub(super) fn new_slot(
    tenant: &TenantId,
    patch: Patch,
    by_email: &HashMap<String, usize>,
    by_phone: &HashMap<String, usize>,
    known: &Known<'_>,
) -> AppResult<Slot> {
    check_additional(&patch, None, by_email, by_phone)?;
    let mut tags = final_tags(Vec::new(), &patch, "")?.unwrap_or_default();
    tags.sort();
    let mut row = repo::blank(tenant);
    let blank = row.clone();
    let company = patch.company.clone();
    let location = known_location(known, &patch)?;
    patch.apply_new(&mut row, "", known.fields)?;
    link::apply(known.companies, &blank, &mut row, &company, "")?;
    Ok(Slot {
        row,
        original: None,
        tags,
        original_tags: Vec::new(),
        locations: location.into_iter().collect(),
    })
}

/// The location a row is written in: the one it names, if one of the
/// tenant's, else the one the viewer is confined to (a confined viewer
/// cannot write in another).
fn known_location(known: &Known<'_>, patch: &Patch) -> AppResult<Option<String>> {
    let location = match (&patch.location, known.confined) {
        (None, None) => return Ok(None),
        (None, Some(own)) => own,
        (Some(named), Some(own)) if named.as_str() != own => {
            return Err(bad_input(
                "locationId",
                "your credential is confined to another location",
            ));
        }
        (Some(named), _) => named.as_str(),
    };
    if !known.locations.contains(location) {
        return Err(bad_input(
            "locationId",
            "no location of your tenant has this ID",
        ));
    }
    Ok(Some(location.to_owned()))
}

pub(super) fn unregister(
    by_email: &mut HashMap<String, usize>,
    by_phone: &mut HashMap<String, usize>,
    before: &customer::Model,
    after: &customer::Model,
) {
    let (emails_after, phones_after) = (emails_of(after), phones_of(after));
    for email in emails_of(before) {
        if !emails_after.contains(&email) {
            by_email.remove(&email);
        }
    }
    for phone in phones_of(before) {
        if !phones_after.contains(&phone) {
            by_phone.remove(&phone);
        }
    }
}

pub(super) fn register(
    by_email: &mut HashMap<String, usize>,
    by_phone: &mut HashMap<String, usize>,
    row: &customer::Model,
    slot: usize,
) {
    for email in emails_of(row) {
        by_email.insert(email, slot);
    }
    for phone in phones_of(row) {
        by_phone.insert(phone, slot);
    }
}

/// A row's emails, primary and additional, as the call's index holds them.
fn emails_of(row: &customer::Model) -> Vec<String> {
    let primary = row.email.as_ref().map(|e| e.to_lowercase());
    primary
        .into_iter()
        .chain(additional::list(row, Kind::Email))
        .collect()
}

/// A row's phones, primary and additional.
fn phones_of(row: &customer::Model) -> Vec<String> {
    row.phone
        .clone()
        .into_iter()
        .chain(additional::list(row, Kind::Phone))
        .collect()
}
