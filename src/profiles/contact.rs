//! Email addresses and phone numbers as checked values: an `Email` or a
//! `Phone` exists only in its normal form, so the lookups, the uniqueness
//! checks and the import's matching compare like with like.

use std::fmt;

use crate::error::{AppResult, bad_input};

/// Longest email address in bytes, as stored (lower-cased): RFC 5321's
/// path limit. It also bounds the entries of the email index, which
/// carries the address twice beside the names (see migration 30).
const MAX_EMAIL_BYTES: usize = 254;
/// Longest phone number text looked at before parsing.
const MAX_PHONE_CHARS: usize = 32;

/// A valid email address, trimmed and lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// The address in `value`; `None` for blank text, `BAD_USER_INPUT` on
    /// `field` for anything that is not an address with a dotted domain.
    pub fn parse(field: &str, value: &str) -> AppResult<Option<Self>> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        // Lower-casing can lengthen text (`İ` is two bytes, `i̇` three).
        let lower = value.to_lowercase();
        let valid = lower.len() <= MAX_EMAIL_BYTES
            && email_address::EmailAddress::parse_with_options(
                value,
                email_address::Options::default(),
            )
            .is_ok_and(|e| e.domain().contains('.') && !e.domain().starts_with('['));
        if !valid {
            return Err(bad_input(
                field,
                format!("{value:?} is not a valid email address"),
            ));
        }
        Ok(Some(Email(lower)))
    }

    /// An address read back from a row, where only checked ones are
    /// written.
    pub(super) fn stored(value: String) -> Self {
        Email(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number with its country code, in E.164 form (`+14155552671`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// The number in `value`; `None` for blank text, `BAD_USER_INPUT` on
    /// `field` for anything that is not a valid number with a country code.
    pub fn parse(field: &str, value: &str) -> AppResult<Option<Self>> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        let invalid = || {
            bad_input(
                field,
                format!(
                    "{value:?} is not a phone number with a country code (E.164, e.g. +14155552671)"
                ),
            )
        };
        if value.len() > MAX_PHONE_CHARS {
            return Err(invalid());
        }
        let number = phonenumber::parse(None, value).map_err(|_| invalid())?;
        if !phonenumber::is_valid(&number) {
            return Err(invalid());
        }
        Ok(Some(Phone(
            number.format().mode(phonenumber::Mode::E164).to_string(),
        )))
    }

    /// A number read back from a row, where only checked ones are written.
    pub(super) fn stored(value: String) -> Self {
        Phone(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> String {
        phone.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_validated_and_lower_cased() {
        let email = Email::parse("f", " Ana@Example.COM ").ok().flatten();
        assert_eq!(email.as_ref().map(Email::as_str), Some("ana@example.com"));
        assert_eq!(Email::parse("f", "   ").ok(), Some(None));
        for bad in [
            "ana",
            "ana@",
            "@example.com",
            "ana@localhost",
            "ana@[127.0.0.1]",
            "a b@example.com",
            &longest_email(1),
        ] {
            assert!(Email::parse("f", bad).is_err(), "{bad}");
        }
        let longest = longest_email(0);
        assert_eq!(longest.len(), MAX_EMAIL_BYTES);
        assert!(Email::parse("f", &longest).is_ok_and(|e| e.is_some()));
    }

    /// An address of `MAX_EMAIL_BYTES + extra` bytes (a local part of 64,
    /// the most there is, and labels of at most 63).
    fn longest_email(extra: usize) -> String {
        let label = |c: &str, n: usize| c.repeat(n);
        format!(
            "{}@{}.{}.{}.com",
            label("a", 64),
            label("b", 61 + extra),
            label("c", 61),
            label("d", 61)
        )
    }

    #[test]
    fn an_email_is_measured_lower_cased() {
        // 254 bytes as given, 286 lower-cased (`İ` is two bytes, `i̇` three).
        let growing = format!("{}@{}", "İ".repeat(32), &longest_email(0)[65..]);
        assert_eq!(growing.len(), MAX_EMAIL_BYTES);
        assert!(Email::parse("f", &growing).is_err());
        let fits = format!("{}@example.com", "İ".repeat(20));
        assert!(Email::parse("f", &fits).is_ok_and(|e| e.is_some()));
    }

    #[test]
    fn phones_become_e164() {
        for (given, e164) in [
            ("+1 (415) 555-2671", "+14155552671"),
            ("+49 30 901820", "+4930901820"),
            ("+34 612 345 678", "+34612345678"),
        ] {
            let phone = Phone::parse("f", given).ok().flatten();
            assert_eq!(phone.as_ref().map(Phone::as_str), Some(e164), "{given}");
        }
        assert_eq!(Phone::parse("f", "").ok(), Some(None));
        for bad in ["12", "hello", "+999 123", "4155552671"] {
            assert!(Phone::parse("f", bad).is_err(), "{bad}");
        }
    }
}
